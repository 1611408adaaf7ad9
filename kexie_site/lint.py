"""`kexie-site check`: warnings an editor wants before publishing, on top of what a build reports.

Pure functions over the assembled site and the articles' text: a missing summary where the
automatic one is poor, images without alt text, links to articles or pages that do not exist,
articles without an explicit id and those whose derived id or URL another article shares, titles
scheduled articles, files under content/ no article uses,
and the days of the last 30 on which a (daily) column had no article; `unpublished` lists
the drafts and scheduled articles.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

from .errors import Problem, warning
from .markup import heading_lookalikes, raw_html
from .identity import Identity, shared_derivations
from .refs import names_a_file
from .model import ArticleDoc, Asset, Site
from .parse import split_front_matter
from .text import slugify, zh_date

DAYS = 30
IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)")
LINK_RE = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)")
HTML_IMG_RE = re.compile(r"<img\b[^<>]*>", re.I)     # (no `<` inside: linear on unclosed tags)
REMOVED = {"iframe": "视频或网页", "video": "视频", "audio": "音频", "object": "嵌入内容", "embed": "嵌入内容",
           "canvas": "画布", "form": "表单", "button": "按钮", "select": "表单", "textarea": "表单", "svg": "矢量图"}
REMOVED_RE = re.compile(r"<(" + "|".join(REMOVED) + r")\b", re.I)


def _line(text: str, offset: int, first: int) -> int:
    return first + text.count("\n", 0, offset)


def body_of(text: str, path: str) -> tuple[str, int]:
    """The body of an article's text and the line it starts on (front matter skipped)."""
    split, _ = split_front_matter(text, path)
    return (split[2], split[3]) if split else (text, 1)


def lint_article(doc: ArticleDoc, text: str, known_urls: set[str], base_path: str,
                 auto_summary: str) -> list[Problem]:
    found: list[Problem] = []
    path, meta = doc.path, doc.meta
    if not meta.id:
        found.append(warning(path, 1, "没有写 id (no explicit id)：id 会由栏目和日期推出，改栏目或日期就会变",
                             "运行 kexie-site pin --write 把现在的 id 和网址写进 front matter（kexie-site new 会自动写好）"))
    if not meta.summary and (len(auto_summary) < 20 or auto_summary.endswith("…")):
        found.append(warning(path, 1, "没有写 summary，自动摘要不理想 (missing summary; the automatic one is poor)",
                             f"自动摘要是：“{auto_summary}”；在 front matter 里写一句 summary: …"))
    body, first = body_of(text, path)
    for line in heading_lookalikes(body):
        found.append(warning(path, first + line, "看起来像标题，但 # 后面没有空格，会显示成普通文字 (looks like a heading: add a space after #)",
                             "写成 “## 标题”（# 和文字之间加一个空格）；话题标签 #科普中国# 不受影响"))
    found.extend(removed_problems(path, body, first))
    for m in IMAGE_RE.finditer(body):
        if not m.group(1).strip():
            found.append(warning(path, _line(body, m.start(), first), f"图片没有替代文字 (image without alt text): {m.group(2)}",
                                 "写成 ![描述图片内容的文字](…)，读屏软件和图片加载失败时会显示它"))
    for m in HTML_IMG_RE.finditer(body):
        if not re.search(r"\balt\s*=\s*[\"'][^\"']+[\"']", m.group(0)):
            found.append(warning(path, _line(body, m.start(), first), "图片没有替代文字 (image without alt text)",
                                 "给 <img> 加上 alt=\"…\""))
    for m in LINK_RE.finditer(body):
        target = m.group(1)
        parts = urlsplit(target)
        line = _line(body, m.start(), first)
        # links to .md articles that are missing are warned about by the build itself
        if not parts.scheme and not parts.netloc and parts.path.startswith("/") and not names_a_file(parts.path):
            site_path = unquote(parts.path)
            rel = site_path[len(base_path):] if site_path.startswith(base_path) else None
            if rel is None or (rel not in known_urls and rel.rstrip("/") + "/" not in known_urls):
                found.append(warning(path, line, f"站内链接指向的页面不存在 (internal link to a missing page): {target}",
                                     "检查网址；文章的网址是 /年/月/日/slug/"))
    return found


def unused_files(site: Site, assets: Iterable[Asset]) -> list[Problem]:
    """A warning for each file under content/ that no article names (an article's images,
    cover and linked files are published; these would not be)."""
    used = {a.path for a in site.assets}
    return [warning(f"content/{a.path}", 1, "没有文章用到这个文件，不会发布 (unused file)",
                    "用不上就删掉或移出 content/；要用，就在文章里引用它，例如 ![说明](图片.png)")
            for a in assets if a.path not in used]


def unpublished(site: Site, now: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the scheduled articles, the drafts), each as "path:line（…）": listed by check, not warned
    about — a draft or an article for next week is work in progress, not a problem (check
    --strict passes with them)."""
    scheduled = [a.doc for a in site.articles if a.date > now and not a.meta.draft] + list(site.scheduled)
    drafts = [a.doc for a in site.articles if a.meta.draft] + list(site.drafts)
    return (tuple(f"{d.path}:{d.meta.line_of('date')}（{zh_date(d.meta.date)} {d.meta.date:%H:%M} 发布）" for d in scheduled),
            tuple(f"{d.path}:{d.meta.line_of('draft')}" for d in drafts))


def lint_site(site: Site, texts: dict[str, str], zone: tzinfo, now: datetime, page_urls: set[str],
              config_lines: dict[str, int], assets: Iterable[Asset] = (),
              slug: Callable[[str], str] = slugify) -> list[Problem]:
    """All the check warnings, for a site assembled with drafts and scheduled articles included
    (an editor checks them before they go out). `texts` maps article paths to their text;
    `page_urls` is the URL of every file the build makes; `config_lines` maps a column name to its
    line in site.toml; `assets` are the files under content/ besides the articles."""
    found: list[Problem] = []
    found.extend(unused_files(site, assets))
    found.extend(shared_derivations([a.doc for a in site.articles],
                                    {a.doc.path: Identity(a.id, a.slug, a.url) for a in site.articles},
                                    site.config, zone, slug))
    today = now.astimezone(zone).date()
    for article in site.articles:
        found.extend(lint_article(article.doc, texts.get(article.doc.path, ""), page_urls,
                                  site.config.base_path, article.rendered.auto_summary))
    start = today - timedelta(days=DAYS - 1)
    for group in site.columns:
        days = {a.date.astimezone(zone).date() for a in group.articles if not a.meta.draft and a.date <= now}
        if not days or max(days) < start:
            continue        # a column that has not published lately is not a daily column now
        first = max(start, min(days))            # (a new column: the days since its first article)
        missing = [first + timedelta(days=i) for i in range((today - first).days + 1) if first + timedelta(days=i) not in days]
        if missing:
            shown = "、".join(f"{d.month}月{d.day}日" for d in missing[:10]) + ("…" if len(missing) > 10 else "")
            found.append(warning("site.toml", config_lines.get(group.title, 1),
                                 f"栏目 {group.title} 最近 {DAYS} 天有 {len(missing)} 天没有文章 (days without an article): {shown}",
                                 "每日栏目：补上这些日期的文章，或用 kexie-site new 新建"))
    return found


def removed_problems(path: str, body: str, first: int) -> list[Problem]:
    """A warning for each kind of element the sanitizer takes out of the body (which starts on
    line `first` of the file)."""
    return [warning(path, first + line - 1, f"<{tag}>（{REMOVED[tag]}）不会显示：网站和公众号都不放这种内容，发布时去掉了 (removed)",
                    "视频请上传到公众号后台或视频号后插入；网站上可以放一张截图，并链接到视频的网页")
            for tag, line in removed_elements(body)]


def removed_elements(body: str) -> list[tuple[str, int]]:
    """The elements the sanitizer takes out (video, iframe, forms …) written as raw HTML in a
    body (never inside code: the parser's own HTML tokens), each once, with its line in the body."""
    seen: dict[str, int] = {}
    for html, line in raw_html(body):
        for m in REMOVED_RE.finditer(html):
            seen.setdefault(m.group(1).lower(), line + html.count("\n", 0, m.start()) + 1)
    return sorted(seen.items(), key=lambda x: x[1])
