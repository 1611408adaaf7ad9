"""ArticleDoc → Rendered: Markdown to HTML with the Chinese extensions, plus text metrics.

One Markdown instance per process (they keep state: `reset()` between documents). The result
depends only on the document, the published URLs of the images it uses and MARKDOWN_SETTINGS,
so it can be cached per file.
"""
from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import lxml.etree
import lxml.html
import markdown

from . import urls
from .urls import resolve_local
from .errors import Problem, error, warning
from .mdext import ChineseExtension, Toc
from .model import ArticleDoc, Heading, Rendered
from .sanitize import sanitize_html
from .text import count_text, reading_minutes, slugify, summarize

EXTENSIONS = ("tables", "footnotes", "fenced_code", "toc")
MARKDOWN_SETTINGS = {
    "extensions": EXTENSIONS,
    "toc": {"permalink": False, "toc_depth": "2-4"},
    "footnotes": {"BACKLINK_TITLE": "返回正文"},
}
_FOOTNOTES = lxml.etree.XPath('.//div[contains(concat(" ", @class, " "), " footnote ")]|.//sup[@class="footnote-ref"]')
SUMMARY_SKIP = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "figure", "script", "style"}


@dataclass(frozen=True)
class ImageInfo:
    url: str        # site-relative published URL
    width: int = 0
    height: int = 0


def heading_id(value: str, separator: str = "-") -> str:
    """Ids for headings: pinyin for Chinese headings, ASCII, stable; never empty."""
    return slugify(value, 40) or "section"


def _without_pygments() -> None:
    """fenced_code imports codehilite, which loads Pygments' table of every lexer (50 ms) when
    Pygments happens to be installed. We never highlight (codehilite is not among EXTENSIONS),
    so codehilite is imported with Pygments out of reach, unless something has loaded either."""
    if "codehilite" in EXTENSIONS or "markdown.extensions.codehilite" in sys.modules or "pygments" in sys.modules:
        return
    sys.modules["pygments"] = None          # makes `import pygments` fail: codehilite then goes without
    try:
        import markdown.extensions.codehilite  # noqa: F401
    finally:
        del sys.modules["pygments"]


def new_markdown(fast: bool = True) -> tuple[markdown.Markdown, ChineseExtension]:
    """A Markdown instance with our extensions. fast=False is the reference it must agree with:
    the stock toc extension, and every inline pattern tried on every document.

    The fast one gets its extensions as objects: named ones make Python-Markdown look through
    the entry points of every installed package first."""
    ours = ChineseExtension()
    toc = MARKDOWN_SETTINGS["toc"]
    configs = {"toc": {**toc, "slugify": heading_id}, "footnotes": MARKDOWN_SETTINGS["footnotes"]}
    extensions: list = list(EXTENSIONS)
    if fast:
        _without_pygments()
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.footnotes import FootnoteExtension
        from markdown.extensions.tables import TableExtension

        made = {"tables": TableExtension, "footnotes": FootnoteExtension, "fenced_code": FencedCodeExtension, "toc": Toc}
        extensions = [made[name](**configs.get(name, {})) for name in EXTENSIONS]
    md = markdown.Markdown(extensions=[*extensions, ours], extension_configs=configs, output_format="html")
    if not fast:
        md.preprocessors.deregister("kexie_inline_filter")
    return md, ours


@lru_cache(maxsize=1)
def _markdown() -> tuple[markdown.Markdown, ChineseExtension]:
    return new_markdown()


def _line_of(doc: ArticleDoc, needle: str) -> int:
    index = doc.body.find(needle)
    return doc.body_line + (doc.body[:index].count("\n") if index >= 0 else 0)


def _link_line(doc: ArticleDoc, href: str, seen: int) -> int:
    """The line of the link to href that comes after `seen` others to it: where the Markdown
    gives it as a link target ("](href" or "]: href", backslash escapes allowed), else where it
    first appears."""
    loose = "".join("\\\\?" + re.escape(ch) for ch in href)
    found = list(re.finditer(r"\]\(\s*<?" + loose + r"|^\s{0,3}\[[^\]]+\]:\s*<?" + loose, doc.body, re.M))
    if found:
        index = found[min(seen, len(found) - 1)].start()
        return doc.body_line + doc.body.count("\n", 0, index)
    return _line_of(doc, href)


def plain_text(html: str) -> tuple[str, str]:
    """(all the text, the text of the prose blocks) of an HTML fragment."""
    if not html.strip():
        return "", ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if "footnote" in html:                   # their class says so
        for note in _FOOTNOTES(root):
            note.drop_tree()
    everything = root.text_content()
    prose = [block.text_content() for block in root if isinstance(block.tag, str) and block.tag not in SUMMARY_SKIP]
    return everything, " ".join(prose)


def lookups_valid(lookups: list, images: Mapping[str, ImageInfo]) -> bool:
    """Whether the images a cached render looked up are still what they were."""
    for target, seen in lookups:
        info = images.get(target)
        if (info is None) != (seen is None) or (info is not None and [info.url, info.width, info.height] != seen):
            return False
    return True


def render(doc: ArticleDoc, images: Mapping[str, ImageInfo], base_path: str,
           summary_length: int) -> tuple[Rendered, tuple[Problem, ...], list]:
    """(rendered article, problems, the image lookups the result depends on)."""
    problems: list[Problem] = []
    lookups: list = []

    def resolver(src: str):
        target = resolve_local(doc.path, src)
        if target is None:
            return None
        info = images.get(target) if target else None
        if target:
            lookups.append([target, [info.url, info.width, info.height] if info else None])
        if target == "":
            problems.append(error(doc.path, _line_of(doc, src), f"图片 {src!r} 指向 content/ 之外 (image outside the site)",
                                  "把图片放进 content/ 目录下，用相对路径引用"))
            return None
        if info is None:
            problems.append(warning(doc.path, _line_of(doc, src), f"图片文件不存在 (image not found): {src}",
                                    f"检查文件名和路径：应该在 content/{target}"))
            return None
        return urls.href(base_path, info.url), info.width, info.height, target

    links: list[tuple[str, str, int]] = []
    token = []

    def linker(href: str) -> str | None:
        """A relative link to a Markdown file inside content/ links to that article: a
        placeholder now, its URL once the site is assembled (urls.fill_links)."""
        if not urls.is_article_link(href):
            return None
        target = resolve_local(doc.path, href)
        if target is None:
            return None                  # not a relative file path: left as written
        if not token:                    # the body cannot hold a hash of itself
            token.append(hashlib.sha256(doc.body.encode("utf-8")).hexdigest()[:16])
        seen = sum(1 for _, written, _ in links if written == href)
        # a target outside content/ ("") is no article: never found, reported like a missing one
        links.append((f"{urls.CONTENT_DIR}/{target}" if target else "", href, _link_line(doc, href, seen)))
        return urls.link_placeholder(token[0], len(links) - 1)

    md, ours = _markdown()
    md.reset()
    ours.reset()
    ours.resolver, ours.linker = resolver, linker
    try:
        html = sanitize_html(md.convert(doc.body))
    except BaseException:
        _markdown.cache_clear()      # a conversion cut short leaves state behind (the block parser's)
        raise
    finally:
        ours.resolver = ours.linker = None
    headings = tuple(_flatten(getattr(md, "toc_tokens", [])))
    everything, prose = plain_text(html)
    han, words = count_text(everything)
    rendered = Rendered(
        html=html, text=everything, headings=headings, images=tuple(ours.images),
        han=han, words=words, reading_minutes=reading_minutes(han, words),
        auto_summary=summarize(prose or everything, summary_length),
        links=tuple(links), link_token=token[0] if token else "",
    )
    return rendered, tuple(problems), lookups


def _flatten(tokens) -> list[Heading]:
    out = []
    for token in tokens:
        out.append(Heading(token["level"], token["id"], re.sub(r"<[^>]+>", "", token.get("name", ""))))
        out.extend(_flatten(token.get("children", [])))
    return out
