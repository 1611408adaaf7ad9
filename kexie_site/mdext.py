"""Python-Markdown extensions that make Markdown right for Chinese.

- CjkLineBreaks: a line break inside a paragraph between two CJK characters is dropped (browsers
  would show it as a space); between Latin words it stays.
- Inline patterns a document cannot use are left out for it: Python-Markdown tries every inline
  pattern on every run of text, which is most of its time on Chinese prose with little markup.
- Links to other articles: a link the `linker` claims (a relative link to a Markdown file) gets
  the href it returns (a placeholder: the article's URL is known only once the site is assembled).
- Figures: an image with a title standing alone in its paragraph becomes <figure> with
  <figcaption>; every local image gets its published URL, loading="lazy", decoding="async" and,
  where the file is known, width and height. Images are reported to the caller.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from typing import Callable

from markdown import Extension
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.inlinepatterns import DelimiterProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import Registry

CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u32ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018\u2019\u201c\u201d\u2026\u2014"
    "\U00020000-\U0003134f"
)
INLINE_TAG = r"</?(?:strong|em|b|i|a|code|span|sup|sub|mark|del|ins|abbr|small|u|s)\b[^>]*>"
LEFT_RE = re.compile(f"[{CJK}](?:{INLINE_TAG})*$")        # a CJK character, then only inline tags
RIGHT_RE = re.compile(f"[ \\t]*(?:{INLINE_TAG})*[{CJK}]")  # spaces and inline tags, then a CJK character
PRE_RE = re.compile(r"(<pre\b.*?</pre>)", re.S)

# resolver(src) -> (published src, width, height, content path) or None for images left as written
Resolver = Callable[[str], "tuple[str, int, int, str] | None"]
# linker(href) -> the href to put instead, or None for links left as written
Linker = Callable[[str], "str | None"]


def join_cjk_lines(text: str) -> str:
    """Drop each line break (and the indentation after it) that has CJK on both sides, inline
    tags allowed in between. Looks only at the line breaks, so it costs little."""
    out, start = [], 0
    index = text.find("\n")
    while index != -1:
        right = RIGHT_RE.match(text, index + 1)
        if right and LEFT_RE.search(text, max(start, index - 300), index):
            spaces = len(right.group(0)) - len(right.group(0).lstrip(" \t"))
            out.append(text[start:index])
            start = index + 1 + spaces
        index = text.find("\n", index + 1)
    out.append(text[start:])
    return "".join(out)


# When each of Python-Markdown's inline patterns can match. Inline patterns only ever see pieces
# of the text the preprocessors leave (stashed HTML blocks and fenced code are placeholders by
# then), and only between line breaks of it, so a pattern whose characters are absent from that
# text cannot match. The reference patterns only match a reference defined in the document
# ("[id]: url"). Patterns not listed here (from other extensions) always run.
TRIGGERS: dict[str, Callable[[str], bool]] = {
    "backtick": lambda t: "`" in t,
    "escape": lambda t: "\\" in t,
    "footnote": lambda t: "[^" in t,
    "reference": lambda t: "]:" in t,
    "link": lambda t: "[" in t,
    "image_link": lambda t: "![" in t,
    "image_reference": lambda t: "![" in t and "]:" in t,
    "short_reference": lambda t: "]:" in t,
    "short_image_ref": lambda t: "![" in t and "]:" in t,
    "autolink": lambda t: "<" in t,
    "automail": lambda t: "<" in t,
    "html": lambda t: "<" in t,
    "entity": lambda t: "&" in t,
    "linebreak": lambda t: "  \n" in t,
}


class InlinePatternFilter(Preprocessor):
    """Runs after the other preprocessors and gives the inline stage only the patterns that can
    match in this document. The output is the same as with every pattern; it is only faster."""

    def __init__(self, md):
        super().__init__(md)
        self.registries: dict[tuple[str, ...], Registry] = {}

    @staticmethod
    def _can_match(name: str, pattern, text: str) -> bool:
        if isinstance(pattern, DelimiterProcessor):       # emphasis: * and _ (and any added)
            return any(token in text for token in pattern.tokens)
        test = TRIGGERS.get(name)
        return test is None or test(text)

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        full = self.md.inlinePatterns
        ordered = sorted(full._priority, key=lambda item: item.priority, reverse=True)   # noqa: SLF001 (a copy)
        key = tuple(item.name for item in ordered if self._can_match(item.name, full[item.name], text))
        registry = self.registries.get(key)
        if registry is None:
            registry = Registry()
            for item in ordered:
                if item.name in key:
                    registry.register(full[item.name], item.name, item.priority)
            self.registries[key] = registry
        self.md.treeprocessors["inline"].inlinePatterns = registry
        toc = self.md.treeprocessors["toc"] if "toc" in self.md.treeprocessors else None
        if isinstance(toc, HeadingsToc):
            toc.wanted = bool(toc.marker) and toc.marker in text
        return lines


class HeadingsToc(TocTreeprocessor):
    """The toc extension's heading ids and toc_tokens, but its table-of-contents HTML only for a
    document that asks for it with the marker ([TOC]): building, serializing and placing that
    HTML was half of the extension's time, and pages show their own list of headings."""
    wanted = True

    def build_toc_div(self, toc_list):
        return super().build_toc_div(toc_list) if self.wanted else etree.Element("div")

    def replace_marker(self, root, elem) -> None:
        if self.wanted:
            super().replace_marker(root, elem)


class Toc(TocExtension):
    TreeProcessorClass = HeadingsToc


class CjkLineBreakPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        pieces = PRE_RE.split(text)
        for i in range(0, len(pieces), 2):       # odd pieces are <pre> blocks: left alone
            pieces[i] = join_cjk_lines(pieces[i])
        return "".join(pieces)


ENTITY_RE = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);", re.I)


def _as_written(md, value: str) -> str:
    """A URL as the page will have it: these tree processors run before Python-Markdown puts
    back backslash-escaped characters (`my\\_file.md`), and an entity (`&amp;`) in a URL is
    published as such, to be read by the browser."""
    unescape = md.treeprocessors["unescape"] if "unescape" in md.treeprocessors else None
    if unescape is not None:
        value = unescape.unescape(value)
    return ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), value) if "&" in value else value


class _OursTreeprocessor(Treeprocessor):
    """A tree processor that reads the callbacks of our extension (set per document)."""

    def __init__(self, md, extension: "ChineseExtension"):
        super().__init__(md)
        self.extension = extension


class ArticleLinkTreeprocessor(_OursTreeprocessor):
    def run(self, root: etree.Element) -> None:
        linker = self.extension.linker
        if linker is None:
            return
        for a in root.iter("a"):
            href = a.get("href")
            if href:
                replaced = linker(_as_written(self.md, href))
                if replaced is not None:
                    a.set("href", replaced)


class FigureTreeprocessor(_OursTreeprocessor):
    def run(self, root: etree.Element) -> None:
        used = self.extension.images
        resolver = self.extension.resolver
        for img in root.iter("img"):
            src = img.get("src", "")
            found = resolver(_as_written(self.md, src)) if resolver else None
            if found:
                url, width, height, content_path = found
                img.set("src", url)
                if width and height and not img.get("width"):
                    img.set("width", str(width))
                    img.set("height", str(height))
                if content_path not in used:
                    used.append(content_path)
            img.set("loading", "lazy")
            img.set("decoding", "async")
        for parent in root.iter():
            for index, p in enumerate(list(parent)):
                if p.tag != "p" or len(p) != 1 or (p.text or "").strip():
                    continue
                img = p[0]
                if img.tag != "img" or not img.get("title") or (img.tail or "").strip():
                    continue
                figure = etree.Element("figure")
                caption = img.attrib.pop("title")
                img.tail = None
                figure.append(img)
                figcaption = etree.SubElement(figure, "figcaption")
                figcaption.text = caption
                figure.tail = p.tail
                parent.remove(p)
                parent.insert(index, figure)


class ChineseExtension(Extension):
    def __init__(self, **kwargs):
        self.resolver: Resolver | None = None
        self.linker: Linker | None = None
        self.images: list[str] = []
        super().__init__(**kwargs)

    def reset(self) -> None:
        self.images = []

    def extendMarkdown(self, md) -> None:
        md.registerExtension(self)
        md.preprocessors.register(InlinePatternFilter(md), "kexie_inline_filter", 0)
        md.treeprocessors.register(FigureTreeprocessor(md, self), "kexie_figures", 15)
        md.treeprocessors.register(ArticleLinkTreeprocessor(md, self), "kexie_article_links", 14)
        md.postprocessors.register(CjkLineBreakPostprocessor(md), "kexie_cjk_breaks", 5)
