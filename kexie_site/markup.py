"""ArticleDoc → Rendered: Markdown to HTML with the Chinese rules, plus text metrics.

The engine is markdown-it-py with the CommonMark preset, GFM tables and strikethrough, bare-URL
links (linkify-it-py), footnotes and formulas (mdit-py-plugins), our Chinese rules (cjk.py) and
the site's rules, task lists among them (mdext.py). One parser per process, built once: it keeps nothing
between documents (what one render finds goes to its own `mdext.Env`). The result depends only
on the document, what the files it names are (refs.Files: URL, size, kind) and MARKDOWN_SETTINGS, so it can be
cached per file.
"""
from __future__ import annotations

import hashlib
import re
from typing import Callable
from functools import lru_cache
from html import unescape
from importlib.metadata import version

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from . import urls
from .cjk import cjk_plugin, is_chinese
from .errors import WARNING, Problem, error
from .mdext import ENV_KEY, Env, NestingTooDeep, site_plugin
from .model import ArticleDoc, Body, Heading, Rendered
from .refs import FILE, IMAGE, Files, Found, Miss, is_content, local_path, resolve
from .sanitize import sanitize_html
from .text import count_text, reading_minutes, slugify, summarize
from .urls import resolve_local

# Past this depth of blocks (a list level is two, a quote one) the article is refused at the
# line where it happens: deeper, markdown-it would drop the rest, and Python would run out of stack.
MAX_NESTING = 50
MARKDOWN_SETTINGS = {
    "engine": [f"{name} {version(name)}" for name in ("markdown-it-py", "mdit-py-plugins", "linkify-it-py", "latex2mathml")],
    "preset": "commonmark",
    "rules": ["table", "strikethrough", "linkify", "footnote", "dollarmath", "cjk", "site"],
    "max_nesting": MAX_NESTING,
}
SUMMARY_SKIP = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "figure", "script", "style", "math"}
# Elements whose start and end separate text (the rest run on: <strong>, <a> …).
BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}


# What each kind of mdext note tells the editor: (message, hint, severity), with {what} and {why} filled in.
NOTES = {
    "html": ("HTML 标签 {what} 没有写完（缺少 >），后面的文字会丢失 (unclosed HTML tag)", "在 {what} 的属性后面补上 >", WARNING),
    "formula_open": ("公式块没有结束，按普通文字显示 (formula block not closed)",
                     "公式块以单独一行 $$ 开始、单独一行 $$ 结束，中间不要有空行", WARNING),
    "formula": ("公式无法转换，按代码显示 (formula not converted: {why}): {what}",
                "检查 LaTeX 写法：括号是否成对，命令是否拼写正确", WARNING),
}


def heading_id(value: str, slug: Callable[[str, int], str] = slugify) -> str:
    """Ids for headings: pinyin for Chinese headings, ASCII, stable; never empty."""
    return slug(value, 40) or "section"


def new_parser() -> MarkdownIt:
    """The site's Markdown parser (a new one: plugins install their rules per instance)."""
    md = MarkdownIt("commonmark", {"linkify": True})
    md.options["maxNesting"] = MAX_NESTING
    md.enable(["table", "strikethrough", "linkify"])
    md.use(footnote_plugin)
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False,
           allow_blank_lines=False, double_inline=True)
    md.use(cjk_plugin)
    md.use(site_plugin, slugify=heading_id)
    return md


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return new_parser()


def to_html(text: str) -> str:
    """The HTML the site's parser makes of Markdown text, before the sanitizer and without the
    per-document work (image URLs, article links): what the CommonMark spec tests check."""
    return _parser().render(text, {ENV_KEY: Env()})


HEADING_LOOKALIKE_RE = re.compile(r"#{1,6}[^#\s]")
WEIBO_TOPIC_RE = re.compile(r"#[^#\s][^#\n]*#")        # #科普中国#: a topic, not a heading


def heading_lookalikes(body: str) -> list[int]:
    """The (0-based) body lines of a paragraph that start like a heading without its space
    (`#标题`): CommonMark makes them text, which an editor rarely means."""
    try:
        tokens = _parser().parse(body, {ENV_KEY: Env()})
    except NestingTooDeep:
        return []                    # the build reports that
    found = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and token.map and i and tokens[i - 1].type == "paragraph_open":
            for n, line in enumerate(token.content.split("\n")):
                line = line.lstrip()
                if HEADING_LOOKALIKE_RE.match(line) and not WEIBO_TOPIC_RE.match(line):
                    found.append(token.map[0] + n)
    return found


def raw_html(body: str) -> list[tuple[str, int]]:
    """The raw HTML an editor wrote in a body, with the (0-based) body line each piece starts
    on: HTML blocks and inline tags as the parser sees them (never what is inside code)."""
    try:
        tokens = _parser().parse(body, {ENV_KEY: Env()})
    except NestingTooDeep:
        return []                    # the build reports that
    found = []
    for token in tokens:
        if token.type == "html_block" and token.map:
            found.append((token.content, token.map[0]))
        elif token.type == "inline" and token.children:
            found += [(child.content, child.meta.get("line", token.map[0] if token.map else 0))
                      for child in token.children if child.type == "html_inline"]
    return found


def _join(pieces: list[str]) -> str:
    """Text pieces of separate blocks joined: nothing between two Chinese characters (a space
    there would show), one space otherwise."""
    out: list[str] = []
    for piece in pieces:
        if out and not (is_chinese(out[-1][-1]) and is_chinese(piece[0])):
            out.append(" ")
        out.append(piece)
    return "".join(out)


# nh3 (html5ever) serializes every attribute value in double quotes and escapes `<` in text, so
# its output splits into tags and text with one pattern.
TAG_OR_TEXT_RE = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*/?>|([^<]+)')
CLASS_RE = re.compile(r'\sclass="([^"]*)"')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _text_pieces(html: str) -> list[tuple[str, bool]]:
    """The text of sanitized HTML as pieces cut at block boundaries, white space folded, each
    marked with whether it is prose (not inside a top-level heading, table, code block or
    figure). Footnotes, their markers and formulas are left out. One pass over the tags, no
    tree: raw HTML nested thousands deep loses nothing (libxml2 stops at 256 levels)."""
    pieces: list[tuple[str, bool]] = []
    run: list[str] = []
    depth, prose, skip_from = 0, True, -1      # skip_from: depth of the footnote part skipped

    def cut() -> None:
        text = " ".join(unescape("".join(run)).split())
        if text:
            pieces.append((text, prose))
        run.clear()

    for m in TAG_OR_TEXT_RE.finditer(html):
        closing, tag, attrs, text = m.groups()
        if text is not None:
            if skip_from < 0:
                run.append(text)
            continue
        tag = tag.lower()
        if closing:
            if tag in VOID:
                continue
            depth -= 1
            if skip_from == depth:
                skip_from = -1
            elif tag in BLOCKS and skip_from < 0:
                cut()
            if depth == 0:
                prose = True
            continue
        if skip_from < 0:
            if tag == "math":
                skip_from = depth                  # its letters read as "Ek=12mv2": left out
            elif tag in ("section", "sup") and attrs:
                classes = CLASS_RE.search(attrs)
                names = classes.group(1).split() if classes else ()
                if ("footnotes" if tag == "section" else "footnote-ref") in names:
                    skip_from = depth
            if tag in BLOCKS:
                cut()
            if depth == 0 and tag not in VOID:
                prose = tag not in SUMMARY_SKIP
        if tag not in VOID:
            depth += 1
    cut()
    return pieces


def plain_text(html: str) -> tuple[str, str]:
    """(all the text, the text of the prose blocks) of sanitized HTML, without footnotes. All the
    text has a line for each block (a heading never runs into the paragraph after it); the prose,
    for summaries, runs on: blocks joined with a space, or with nothing between Chinese text."""
    pieces = [(text.replace("\u2060", ""), prose) for text, prose in _text_pieces(html)]   # (a note marker's word joiner)
    return "\n".join(text for text, _ in pieces), _join([text for text, prose in pieces if prose])


DUPLICATE_MIN = 20    # characters: shorter bodies ("详见下图。") may well be the same in two articles


def _fingerprint(text: str, html: str) -> str:
    """A hash of the body's HTML (its images too: two picture posts may share a caption), ""
    when it has neither pictures nor text enough to tell a copy."""
    if len(" ".join(text.split())) < DUPLICATE_MIN and "<img" not in html:
        return ""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]


def render(doc: ArticleDoc, files: Files, summary_length: int, slug: Callable[[str, int], str] = slugify,
           ) -> tuple[Rendered, tuple[Problem, ...], list]:
    """(rendered article, problems, the file lookups the result depends on). `slug` makes the
    headings' ids (a build passes its text.Slugs).
    Raises NestingTooDeep (with the body line) for an article nested past MAX_NESTING."""
    problems: list[Problem] = []
    lookups: list = []
    used: list[str] = []                 # content files named, in order

    def found(hit: Found | None, miss: Miss | None, line: int) -> str | None:
        if miss:
            problems.append(error(doc.path, doc.body_line + line, miss.message, miss.hint))
            return None
        if hit is None:
            return None
        if is_content(hit.key) and hit.key not in used:
            used.append(hit.key)
        return hit.href

    def resolver(src: str, line: int):
        hit, miss = resolve(doc.path, src, files, IMAGE, lookups)
        href = found(hit, miss, line)
        return (href, hit.info.width, hit.info.height) if href else None

    links: list[tuple[str, str, int]] = []
    token = []

    def linker(href: str, line: int) -> str | None:
        """A relative link to a Markdown file inside content/ links to that article: a
        placeholder now, its URL once the site is assembled (urls.fill_links). A link to a
        file (a PDF …) gets the file's published URL."""
        if not urls.is_article_link(href):
            return found(*resolve(doc.path, href, files, FILE, lookups), line)
        target = resolve_local(doc.path, href)
        if target is None:
            return None                  # not a relative file path: left as written
        if not token:                    # the body cannot hold a hash of itself
            token.append(hashlib.sha256(doc.body.encode("utf-8")).hexdigest()[:16])
        # a target outside content/ ("") is no article: never found, reported like a missing one
        links.append((f"{urls.CONTENT_DIR}/{target}" if target else "", href, doc.body_line + line))
        return urls.link_placeholder(token[0], len(links) - 1)

    env = Env(resolver=resolver, linker=linker, slugify=lambda text: heading_id(text, slug))
    html = sanitize_html(_parser().render(doc.body, {ENV_KEY: env}))
    for line, kind, what, why in env.notes:
        if kind == "local_path":         # an image CommonMark did not see (a space in the path)
            miss = local_path(what)
            problems.append(error(doc.path, doc.body_line + line, miss.message, miss.hint + "；路径里不要有空格"))
            continue
        message, hint, severity = NOTES[kind]
        problems.append(Problem(doc.path, max(1, doc.body_line + line), message.format(what=what, why=why),
                                hint.format(what=what), severity))
    everything, prose = plain_text(html)
    han, words = count_text(everything)
    rendered = Rendered(
        body=Body(html, everything, tuple(Heading(*h) for h in env.headings)), files=tuple(used),
        han=han, words=words, reading_minutes=reading_minutes(han, words),
        auto_summary=summarize(prose or _join(everything.split("\n")), summary_length),
        links=tuple(links), link_token=token[0] if token else "",
        fingerprint=_fingerprint(everything, html),
    )
    return rendered, tuple(sorted(problems, key=lambda p: p.line)), lookups
