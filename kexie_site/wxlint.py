"""What the WeChat editor and API would refuse or drop in an article, at path:line, with a hint:
the title's length in bytes, the digest's length, the body's size, images that cannot be made
into a JPG or PNG under the limit, a missing cover, and elements the editor drops. Limits are
site.toml's [wechat] (model.WechatLimits, the documented values by default). Used by `check`
(for the columns marked `wechat = true`), by `export wechat` and by `publish wechat-draft`.
"""
from __future__ import annotations

from .errors import Problem, warning
from .model import Article, WechatLimits
from .wechat import DROPPED, Converted


REFUSED_BY_API = ("(WeChat title too long: 45003)", "(WeChat digest too long: 45004)", "(no cover)",
                  "(image refused for WeChat)")


def refused_by_api(problem: Problem) -> bool:
    """Whether the draft API would refuse the article for this problem (publish does not send it)."""
    return any(tag in problem.message for tag in REFUSED_BY_API)


def digest_of(article: Article) -> str:
    """The 摘要: wechat_digest in the front matter, else the summary."""
    return article.meta.wechat_digest or article.summary


def line_of(text: str, needle: str, default: int) -> int:
    """The line of the first place `needle` occurs in the file's text, else `default`."""
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else default


def lint(article: Article, converted: Converted, limits: WechatLimits, text: str, cover: str,
         image_problems: list[tuple[str, str]]) -> list[Problem]:
    """The article's problems for WeChat: lint_limits and lint_content."""
    return lint_limits(article, converted, limits, cover) + lint_content(article, converted, text, image_problems)


def lint_limits(article: Article, converted: Converted, limits: WechatLimits, cover: str) -> list[Problem]:
    """The title, digest and body over WeChat's limits, and no cover ("" when none was found)."""
    path, meta = article.doc.path, article.meta
    body_line = article.doc.body_line
    found: list[Problem] = []
    size = len(meta.title.encode("utf-8"))
    if size > limits.title_max_bytes:
        found.append(warning(path, meta.line_of("title"),
                             f"标题有 {size} 字节，超过公众号的 {limits.title_max_bytes} 字节上限 (WeChat title too long: 45003)",
                             f"一个汉字占 3 字节：标题最多约 {limits.title_max_bytes // 3} 个汉字；缩短 title"))
    digest = digest_of(article)
    if len(digest) > limits.digest_max_chars:
        key = "wechat_digest" if meta.wechat_digest else "summary"
        found.append(warning(path, meta.line_of(key, 1),
                             f"摘要有 {len(digest)} 个字，超过公众号的 {limits.digest_max_chars} 字上限 (WeChat digest too long: 45004)",
                             "在 front matter 里写一句更短的 wechat_digest: …（只用于公众号）"))
    if converted.text_chars > limits.body_max_chars:
        found.append(warning(path, body_line, f"正文有 {converted.text_chars} 个字，超过公众号的 {limits.body_max_chars} 字上限 (body too long)",
                             "分成上下两篇，或删减正文"))
    html_size = len(converted.html.encode("utf-8"))
    if html_size > limits.body_max_bytes:
        found.append(warning(path, body_line, f"正文排版后有 {html_size // 1000} KB，超过公众号的 {limits.body_max_bytes // 1000} KB 上限 (body too large)",
                             "删减正文或表格；样式多的内容会让正文变大"))
    if not cover:
        found.append(warning(path, meta.line_of("cover", 1), "没有封面图，公众号草稿必须有封面 (no cover)",
                             "在 front matter 里写 cover: images/xx.jpg，或在 site.toml 的 [wechat] 写 cover = \"…\" 作为默认封面"))
    return found


def lint_content(article: Article, converted: Converted, text: str, image_problems: list[tuple[str, str]],
                 ) -> list[Problem]:
    """Images that cannot be sent (`image_problems`: the image's URL as published, and why),
    data: images, and elements the editors drop; at their lines in `text`, the source."""
    path, body_line = article.doc.path, article.doc.body_line
    found: list[Problem] = []
    for url, why in image_problems:
        name = url.rsplit("/", 1)[-1]
        found.append(warning(path, line_of(text, name, body_line), f"图片不能发到公众号 (image refused for WeChat): {name}：{why}",
                             "换成 1 MB 以下的 JPG 或 PNG 图片，放在 content/ 里"))
    if converted.data_images:
        found.append(warning(path, line_of(text, "data:image", body_line),
                             f"有 {converted.data_images} 张图片写成了 data: 网址，公众号不收，导出时去掉了 (data URI image)",
                             "把图片存成文件放在 content/ 里，用 ![说明](images/xx.png) 引用"))
    for tag in dict.fromkeys(converted.dropped):
        found.append(warning(path, line_of(text, f"<{tag}", body_line),
                             f"公众号不显示 <{tag}>（{DROPPED[tag]}），导出时换成了一句“请阅读原文”的提示 (dropped by the WeChat editor)",
                             "视频请在公众号后台插入；或者保留这句提示，让读者点“阅读原文”"))
    return found
