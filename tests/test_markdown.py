"""Markdown that is right for Chinese, checked on the parsed HTML of the render stage."""
from __future__ import annotations

import lxml.html
import pytest

from conftest import body_doc
from kexie_site.markup import render
from kexie_site.refs import IMAGE, FileInfo, Files
from kexie_site.mdext import NestingTooDeep




def html_of(body: str, images=None, base_path="/"):
    rendered, problems, _ = render(body_doc(body), Files(images or {}, base_path), 120)
    return lxml.html.fragment_fromstring(rendered.html, create_parent="div"), rendered, problems


def test_a_line_break_between_chinese_characters_disappears():
    root, _, _ = html_of("第一行中文\n第二行中文，\n“第三行”\n**第四行**中文")
    assert root.xpath("string(p)") == "第一行中文第二行中文，“第三行”第四行中文"


def test_a_line_break_between_latin_words_stays_a_space():
    root, _, _ = html_of("Brain-Computer\nInterface 是\n脑机接口")
    text = root.xpath("string(p)")
    assert "Brain-Computer\nInterface" in text or "Brain-Computer Interface" in text
    assert "是脑机接口" in text


def test_code_blocks_keep_their_line_breaks():
    root, _, _ = html_of("```\n中文\n中文\n```")
    assert root.xpath("string(pre/code)") == "中文\n中文\n"


def test_emphasis_next_to_chinese_punctuation():
    root, _, _ = html_of("这是**我想做的事。**所以继续。\n\n**《三体》**的作者\n\n中文*强调*中文")
    strongs = [s.text_content() for s in root.iter("strong")]
    assert strongs == ["我想做的事。", "《三体》"]
    assert [e.text_content() for e in root.iter("em")] == ["强调"]
    assert "*" not in root.text_content()


def test_an_image_with_a_title_alone_becomes_a_figure_with_lazy_loading_and_size():
    images = {"kyky/images/a.png": FileInfo("kyky/images/a.png", 640, 360, IMAGE)}
    root, rendered, problems = html_of('前文\n\n![卫星示意图](images/a.png "北斗卫星分布")\n\n后文', images, "/kexie/kepu/")
    assert problems == ()
    figure = root.find("figure")
    assert figure is not None and root.xpath("count(p/figure)") == 0
    img = figure.find("img")
    assert img.get("src") == "/kexie/kepu/kyky/images/a.png"
    assert (img.get("alt"), img.get("loading"), img.get("width"), img.get("height")) == ("卫星示意图", "lazy", "640", "360")
    assert img.get("data-src") is None and img.get("title") is None
    assert figure.findtext("figcaption") == "北斗卫星分布"
    assert rendered.files == ("kyky/images/a.png",)


def test_an_inline_image_or_one_without_title_is_not_a_figure():
    images = {"kyky/a.png": FileInfo("kyky/a.png", 1, 1, IMAGE)}
    root, _, _ = html_of("文字 ![图](a.png \"题\") 文字\n\n![无题](a.png)", images)
    assert root.find(".//figure") is None
    assert all(i.get("loading") == "lazy" for i in root.iter("img"))


def test_a_missing_image_is_an_error_on_its_line():
    _, _, problems = html_of("第一段\n\n![图](images/none.png)")
    assert [(p.severity, p.line) for p in problems] == [("error", 8)]
    assert "image not found" in problems[0].message and "content/kyky/images/none.png" in problems[0].hint


def test_an_image_outside_content_is_an_error():
    _, _, problems = html_of("![x](../../../etc/passwd.png)")
    assert [p.severity for p in problems] == ["error"]


def test_chinese_headings_get_valid_unique_stable_ids():
    root, rendered, _ = html_of("## 什么是黑洞\n\n正文\n\n## 什么是黑洞\n\n### 123\n\n## ！！！")
    ids = [h.get("id") for h in root.xpath("h2|h3")]
    assert ids[0] == "shenme-shi-heidong"
    assert len(set(ids)) == len(ids)
    assert all(i and " " not in i and i.isascii() for i in ids)
    again, _, _ = html_of("## 什么是黑洞\n\n正文\n\n## 什么是黑洞\n\n### 123\n\n## ！！！")
    assert [h.get("id") for h in again.xpath("h2|h3")] == ids
    assert [h.text for h in rendered.headings][0] == "什么是黑洞"


def test_automatic_summary_is_plain_text_from_the_prose():
    body = "## 小标题\n\n**黑洞**是一种[天体](https://example.org)，引力&强。它吞噬物质！\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n脚注[^1]。\n\n[^1]: 注释"
    _, rendered, _ = html_of(body)
    summary = rendered.auto_summary
    assert summary.startswith("黑洞是一种天体，引力&强。它吞噬物质！")
    for leak in ("**", "[", "](", "<", "&amp;", "小标题", "注释", "|"):
        assert leak not in summary


def test_word_count_and_reading_time_of_a_rendered_article():
    _, rendered, _ = html_of("汉" * 800 + " and some English words here")
    assert rendered.han == 800 and rendered.words == 5
    assert rendered.reading_minutes == 3


@pytest.mark.parametrize("deep", [
    "".join("  " * i + f"- 第{i}层\n" for i in range(2500)),           # a list nested 2,500 deep (6 MB: under the size limit)
    "".join(">" * i + f" 第{i}层\n\n" for i in range(1, 200)),         # quotes, deeper on each line
    ">" * 5000 + " 一行里的五千层引用\n",
])
def test_markdown_nested_too_deep_is_an_error_at_its_line_not_lost_text(tmp_path, deep):
    """Past markdown-it's maxNesting the rest of a list or quote would be dropped without a word:
    it is an error at the line where the nesting goes too deep, and the other articles build."""
    from conftest import article, problems_of, write_site

    site = write_site(tmp_path / "site", {
        "content/deep.md": article("很深的列表", "2024-08-22", body=deep),
        "content/ok.md": article("正常的文章", "2024-08-23", body="正文。"),
    })
    problems = problems_of(site, jobs=1)
    lines = (site / "content/deep.md").read_text("utf-8").splitlines()
    body_line = lines.index("---", 1) + 2                           # the line after the front matter
    assert [(p.path, p.is_error) for p in problems] == [("content/deep.md", True)]
    assert "nesting too deep" in problems[0].message
    line = problems[0].line
    assert body_line <= line < len(lines) + 1
    # the line named is where the depth is first too much: everything above it renders
    above = "\n".join(lines[body_line - 1:line - 1])
    render(body_doc(above), Files({}), 120)
    with pytest.raises(NestingTooDeep):
        render(body_doc("\n".join(lines[body_line - 1:line])), Files({}), 120)
    # and the Markdown of the next article in the same process is not thrown off by it
    root, _, _ = html_of('![图](p.png "注")\n\n段落')
    assert [f.findtext("figcaption") for f in root.xpath("figure")] == ["注"]
    assert [p.text for p in root.xpath("p")] == ["段落"]


# ------------------------------------------------------------------ found in review

def warnings_of(body: str) -> list[tuple[int, str]]:
    _, _, problems = html_of(body)
    return [(p.line - 6, p.message) for p in problems]          # 0-based body lines


@pytest.mark.parametrize("body, line", [
    ("第一行 `代码\n跨行` 文字\n![图](x.png)", 2),
    ("a `b\nc\nd` e ![图](x.png)", 2),
    ('[文字](a.md\n"标题") ![图](x.png)', 1),
    ('![图](y.png "图\n注") ![图](x.png)', 1),
    ("| a | b |\n|---|---|\n| 1 | ![图](x.png) |", 2),
    ("- 一\n- 二\n  ![图](x.png)", 2),
    ("> 引用\n> 第二行 ![图](x.png)", 1),
])
def test_a_missing_image_is_reported_on_the_line_it_is_on(body, line):
    assert [n for n, message in warnings_of(body) if "image not found" in message and "x.png" in message] == [line]


def test_a_formula_after_a_code_span_across_lines_is_reported_on_its_line():
    assert [n for n, m in warnings_of("正文 `代码\n跨行` $\\frac{1}{$") if "formula" in m] == [1]


def test_an_html_tag_left_without_its_closing_bracket_is_a_warning_not_lost_text():
    found = warnings_of('前文\n\n<div class="tip"\n这段很重要。\n\n下一段')
    assert [n for n, m in found if "unclosed HTML tag" in m] == [2]
    assert warnings_of('<div class="tip"\n  title="x">\n内容\n</div>') == []


@pytest.mark.parametrize("body", ["$$\nE=mc^2\n\n正文继续", "$$\na\n\nb\n$$"])
def test_a_formula_block_left_open_is_a_warning(body):
    assert [n for n, m in warnings_of(body) if "formula block not closed" in m] == [0]


@pytest.mark.parametrize("body, href, text_after", [
    ("https://zh.wikipedia.org/wiki/黑洞，欢迎", "https://zh.wikipedia.org/wiki/%E9%BB%91%E6%B4%9E", "，欢迎"),
    ("见https://www.cast.org.cn/a?x=1&y=中文，欢迎", "https://www.cast.org.cn/a?x=1&y=%E4%B8%AD%E6%96%87", "，欢迎"),
    ("访问https://x.cn/a然后", "https://x.cn/a", "然后"),
    ("邮箱：kexie@cast.org.cn，欢迎", "mailto:kexie@cast.org.cn", "，欢迎"),
    ("联系kexie@cast.org.cn。", "mailto:kexie@cast.org.cn", "。"),
    ("访问www.cast.org.cn，了解", "http://www.cast.org.cn", "，了解"),
])
def test_bare_urls_keep_chinese_in_their_path_and_may_start_after_chinese(body, href, text_after):
    root, _, _ = html_of(body)
    (a,) = root.xpath("//a")
    assert a.get("href") == href and a.tail == text_after


@pytest.mark.parametrize("body", ["ftp://x.cn/a 文件", "协议相对 //x.cn/a 地址", "文件 main.py 和 Node.js"])
def test_only_web_addresses_and_mail_are_linked(body):
    root, _, _ = html_of(body)
    assert root.xpath("//a") == []


@pytest.mark.parametrize("body, text", [
    ("句子结束。[^1]\n下一句。\n\n[^1]: 注", "句子结束。1下一句。"),
    ("<b>粗</b>\n中文", "粗中文"),
    ("图在这里![图](a.png)\n下一句", "图在这里下一句"),
])
def test_no_space_shows_between_chinese_lines_next_to_markers_tags_and_images(body, text):
    root, _, _ = html_of(body)
    assert root.xpath("string(p)").replace("\u2060", "") == text      # (a word joiner keeps a note's marker on its line)


def test_formulas_stay_out_of_summaries():
    _, rendered, _ = html_of("动能公式 $E_k=\\frac{1}{2}mv^2$ 说明速度加倍，动能变为四倍。")
    assert rendered.auto_summary == "动能公式 说明速度加倍，动能变为四倍。"


def test_many_task_items_and_repeated_headings_stay_right():
    root, rendered, _ = html_of("- [ ] 项目\n" * 300 + "\n" + "## 黑洞\n\n" * 300)
    assert len(root.xpath("ul[@class='contains-task-list']/li[@class='task-list-item']/label/input[@disabled]")) == 300
    assert [h.id for h in rendered.headings][-2:] == ["heidong_298", "heidong_299"]


def test_heading_lookalikes_include_indented_continuation_lines_but_not_topics_or_code():
    from kexie_site.markup import heading_lookalikes

    body = "文字\n  #缩进的续行\n\n#科普中国#话题\n\n```\n#代码\n```\n\n#标题"
    assert heading_lookalikes(body) == [1, 9]
