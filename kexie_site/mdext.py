"""The site's own markdown-it rules, installed per parser instance by `site_plugin`.

Everything that depends on one document goes through `Env`, the env object markdown-it hands to
every rule of one render: it holds the callbacks for images and article links, and collects
headings, images and problems. The parser itself keeps nothing between documents.

- Nesting: past `maxNesting`, markdown-it drops the rest of a list or quote without a word;
  here that is `NestingTooDeep` at the line where it happens.
- Lines: images, links and formulas get the (0-based) body line they start on.
- Task lists: disabled checkboxes, labelled by the item's text.
- Notes: an HTML tag left without its `>`, a `$$` formula block left open: problems to report.
- Heading ids in pinyin, unique (`x`, `x_1`, `x_2`, as the site has always made them), and the
  h2–h4 headings for the page's table of contents.
- Figures: an image with a title alone in its paragraph becomes <figure> with <figcaption>;
  local images get their published URL, width and height, loading="lazy", decoding="async".
- Links: the href the linker returns (a placeholder for another article, a published URL for a
  file).
- Raw HTML: `src`, `srcset` and `href` of <img>, <source> and <a> go through the same resolver
  and linker, and an <img> gets the picture's width and height.
- An image written with an absolute path on the editor's computer that CommonMark does not take
  for an image at all (`![](C:\\My Pictures\\a.png)`, a space in it) is a note too.
- Formulas ($…$ and $$…$$, dollarmath) become MathML (latex2mathml) on the server; one that does
  not convert is a warning and is shown as code.
- Footnotes' back links say where they go (返回正文).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from typing import Callable

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.parser_block import ParserBlock
from markdown_it.token import Token

from .refs import LOCAL_PATH, join_srcset, srcset_candidates

# resolver(src as written, line) -> (published src, width, height) or None to leave it as written
Resolver = Callable[[str, int], "tuple[str, int, int] | None"]
# linker(href as written, line) -> the href to put instead, or None to leave the link as it is
Linker = Callable[[str, int], "str | None"]

TOC_LEVELS = (2, 4)
BACKLINK_TITLE = "返回正文"
UNCONVERTED_RE = re.compile(r">\\[A-Za-z]+<")     # latex2mathml shows an unknown command as such


ENV_KEY = "kexie"


class NestingTooDeep(Exception):
    def __init__(self, line: int):
        super().__init__(f"nesting too deep at line {line}")
        self.line = line        # 0-based, in the text given to the parser


@dataclass
class Env:
    """One render's callbacks and findings (in markdown-it's env, under ENV_KEY)."""
    resolver: Resolver | None = None
    linker: Linker | None = None
    slugify: Callable[[str], str] | None = None          # heading ids (default: the plugin's)
    headings: list = field(default_factory=list)        # (level, id, text) of h2–h4
    notes: list = field(default_factory=list)           # (line, kind, what, why): for the editor to fix


class GuardedBlockParser(ParserBlock):
    """markdown-it's block parser, but content past maxNesting is an error, not silently lost."""

    def tokenize(self, state, startLine: int, endLine: int) -> None:
        if state.level >= state.md.options.maxNesting:
            line = state.skipEmptyLines(startLine)
            if line < endLine and state.sCount[line] >= state.blkIndent:
                raise NestingTooDeep(line)
        super().tokenize(state, startLine, endLine)


def _env(state) -> Env:
    """This render's Env: markdown-it's env is a dict (plugins keep their own keys in it)."""
    found = state.env.get(ENV_KEY)
    if found is None:
        found = state.env[ENV_KEY] = Env()
    return found


LOCATED = ("image", "link_open", "math_inline", "math_inline_double", "html_inline")


def _located(rule):
    """An inline rule whose tokens (images, links, formulas) remember where in the block's text
    they start: inline tokens carry no line of their own, and counting line breaks afterwards
    misses those inside code spans, link titles and formulas."""
    def wrapped(state, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent:
            for token in state.tokens[first:]:
                if token.type in LOCATED:
                    token.meta["pos"] = start
                    break
        return found
    return wrapped


def _mark_lines(state) -> None:
    """Core rule: the body line of each image, link and inline formula, from the block's first
    line and the line breaks of its text before the token (a cursor: each text is read once)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children or not block.map:
            continue
        text, at, line = block.content, 0, block.map[0]
        for child in block.children:
            pos = child.meta.get("pos") if child.type in LOCATED else None
            if pos is None:
                continue
            if pos >= at:
                line += text.count("\n", at, pos)
            else:                                  # a link's own text: read from the start again
                line = block.map[0] + text.count("\n", 0, pos)
            at = pos
            child.meta["line"] = line


def _plain(children: list[Token]) -> str:
    out = []
    for token in children:
        if token.type in ("text", "code_inline", "text_special", "math_inline", "math_inline_double"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "image" and token.children:
            out.append(_plain(token.children))
    return "".join(out)


def _unique(value: str, seen: dict[str, int]) -> str:
    """value, then value_1, value_2 … for the same value again (Python-Markdown's ids, so
    published anchors stay; slugs have no "_", so a numbered id never meets another slug)."""
    count = seen.get(value, 0)
    seen[value] = count + 1
    return f"{value}_{count}" if count else value


def _heading_ids(slugify: Callable[[str], str]):
    def rule(state) -> None:
        env, used = _env(state), {}
        tokens = state.tokens
        for i, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            text = " ".join(_plain(tokens[i + 1].children or []).split())
            anchor = _unique((env.slugify or slugify)(text), used)
            token.attrSet("id", anchor)
            level = int(token.tag[1])
            if TOC_LEVELS[0] <= level <= TOC_LEVELS[1]:
                env.headings.append((level, anchor, text))
    return rule


TODO_RE = re.compile(r"\[([ xX])\] ")


def _task_lists(state) -> None:
    """Core rule: a list item whose text starts with `[ ] ` or `[x] ` is a task: a disabled
    checkbox, labelled by the item's text. One pass with a stack of the open lists
    (mdit-py-plugins' rule looks back to the list for every item: quadratic)."""
    tokens = state.tokens
    lists: list[int] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(i)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif (kind == "inline" and i >= 2 and tokens[i - 1].type == "paragraph_open"
              and tokens[i - 2].type == "list_item_open" and token.children
              and token.children[0].type == "text" and TODO_RE.match(token.children[0].content)):
            checked = token.children[0].content[1] != " "
            token.children[0].content = token.children[0].content[4:]
            box = Token("html_inline", "", 0)
            box.content = ('<label><input class="task-list-item-checkbox"' + (' checked' if checked else '')
                           + ' disabled type="checkbox"> ')
            end = Token("html_inline", "", 0)
            end.content = "</label>"
            token.children = [box, *token.children, end]
            tokens[i - 2].attrSet("class", "task-list-item")
            tokens[lists[-1]].attrSet("class", "contains-task-list")


OPEN_TAG_RE = re.compile(r"\s*<([a-zA-Z][a-zA-Z0-9-]*)")


def _notes(state) -> None:
    """Core rule: what the parser takes as written but an editor surely did not mean. An HTML
    block whose first tag is never closed with `>` (the sanitizer would read the text after it
    as attributes, and drop it); a paragraph that starts with `$$` (a formula block whose closing
    `$$` is missing, or that has a blank line inside)."""
    env = _env(state)
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "html_block" and token.map:
            tag = OPEN_TAG_RE.match(token.content)
            if tag and ">" not in token.content[tag.end():]:
                env.notes.append((token.map[0], "html", f"<{tag.group(1)}", ""))
        elif (token.type == "inline" and token.map and i and tokens[i - 1].type == "paragraph_open"
              and token.content.startswith("$$")):
            env.notes.append((token.map[0], "formula_open", token.content.split("\n", 1)[0], ""))


def _references(state) -> None:
    """Core rule: local images get their published URL and size; links their href from the
    linker (articles: a placeholder); raw HTML likewise; an image with a title alone in a
    paragraph becomes a figure."""
    env = _env(state)
    md = state.md
    tokens = state.tokens
    for i, block in enumerate(tokens):
        if block.type == "html_block":
            block.content = _raw_html(env, block.content, block.map[0] if block.map else 0)
            continue
        if block.type != "inline" or not block.children:
            continue
        searched = 0
        for child in block.children:
            if child.type == "image":
                _image(md, env, child)
            elif child.type == "link_open" and env.linker is not None and child.info != "auto":
                href = child.attrGet("href")
                if href:
                    replaced = env.linker(md.normalizeLinkText(href), child.meta.get("line", 0))
                    if replaced is not None:
                        child.attrSet("href", replaced)
            elif child.type == "html_inline":
                child.content = _raw_html(env, child.content, child.meta.get("line", 0))
            elif child.type == "text" and "](" in child.content:
                for m in UNPARSED_LOCAL_IMAGE_RE.finditer(child.content):
                    found = block.content.find(m.group(0), searched)    # the text's own place in the block
                    searched = found + 1 if found >= 0 else searched
                    line = block.map[0] + block.content.count("\n", 0, max(found, 0)) if block.map else 0
                    env.notes.append((line, "local_path", m.group(1).strip().rstrip(">"), ""))
        children = block.children
        if (len(children) == 1 and children[0].type == "image" and children[0].attrGet("title")
                and 0 < i < len(tokens) - 1 and tokens[i - 1].type == "paragraph_open"
                and not tokens[i - 1].hidden):
            image = children[0]
            image.meta["caption"] = image.attrGet("title")
            del image.attrs["title"]
            tokens[i - 1].tag = tokens[i + 1].tag = "figure"


# `![…](C:\…`, `[…](file:…` left as text: CommonMark saw no image or link (a space in the path,
# or a file: URL, which markdown-it refuses)
# (no `[` inside the brackets: each try ends at the next `[`, so a line of them stays linear)
UNPARSED_LOCAL_IMAGE_RE = re.compile(r"!?\[[^\[\]\n]*\]\(\s*<?(" + LOCAL_PATH + r"[^)\n]*)\)?", re.I)
# the tags of raw HTML whose URLs name files, and those attributes (quoted or not). No `<` inside
# a tag, not even quoted: each try ends at the next `<`, so text full of unclosed tags stays linear
RAW_TAG_RE = re.compile(r"""<(img|source|a)\b((?:[^<>"']|"[^<"]*"|'[^<']*')*+)>""", re.I)
HIDDEN_START_RE = re.compile(r"<!--|<(script|style|template|noscript|textarea)\b", re.I)
RAW_ATTR_RE = re.compile(r"""(\s)(src|srcset|href|width|height)(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)


def _visible(html: str):
    """(start, end, shown) spans of raw HTML: comments and the contents of <script>, <style>,
    <template>, <noscript> and <textarea> are not shown (the sanitizer drops them), so what they
    name is not looked up. One pass: an unclosed one hides the rest, as in a browser."""
    pos = 0
    while True:
        hidden = HIDDEN_START_RE.search(html, pos)
        if hidden is None:
            yield pos, len(html), True
            return
        yield pos, hidden.start(), True
        if hidden.group(1) is None:
            end = html.find("-->", hidden.end())
            end = len(html) if end < 0 else end + 3
        else:
            close = re.compile(rf"</{hidden.group(1)}\s*>", re.I).search(html, hidden.end())
            end = close.end() if close else len(html)
        yield hidden.start(), end, False
        pos = end


def _raw_html(env: Env, html: str, first_line: int) -> str:
    """Raw HTML with the URLs of its <img>, <source> and <a> tags resolved like Markdown's, and
    each <img> of a local picture given its width and height when it has neither."""
    if "<" not in html or not RAW_TAG_RE.search(html):
        return html
    cursor = [0, first_line]                # lines counted up to a position, once: tags come in order

    def line_at(pos: int) -> int:
        cursor[1] += html.count("\n", cursor[0], pos)
        cursor[0] = pos
        return cursor[1]

    def tag(m: re.Match) -> str:
        name = m.group(1).lower()
        line = line_at(m.start())
        sized: list = []
        has_size = False

        def attribute(a: re.Match) -> str:
            nonlocal has_size
            key = a.group(2).lower()
            value = unescape(next(v for v in a.group(4, 5, 6) if v is not None))
            new = None
            if key in ("width", "height"):
                has_size = True
            elif key == "src" and name != "a" and env.resolver:
                found = env.resolver(value, line)
                if found:
                    new = found[0]
                    sized[:] = found[1:]
            elif key == "srcset" and name != "a" and env.resolver:
                new = join_srcset([((env.resolver(url, line) or (url,))[0], descriptor)
                                   for url, descriptor in srcset_candidates(value)])
            elif key == "href" and name == "a" and env.linker:
                new = env.linker(value, line)
            if new is None:
                return a.group(0)
            return f'{a.group(1)}{a.group(2)}{a.group(3)}"{escapeHtml(new)}"'

        attrs = RAW_ATTR_RE.sub(attribute, m.group(2))
        if name == "img" and sized and sized[0] and sized[1] and not has_size:
            closing = "/" if attrs.rstrip().endswith("/") else ""
            attrs = attrs.rstrip().rstrip("/") + f' width="{sized[0]}" height="{sized[1]}"' + (" /" if closing else "")
        return f"<{m.group(1)}{attrs}>"

    return "".join(RAW_TAG_RE.sub(tag, html[start:end]) if shown else html[start:end]
                   for start, end, shown in _visible(html))


def _image(md: MarkdownIt, env: Env, image: Token) -> None:
    src = image.attrGet("src") or ""
    found = env.resolver(md.normalizeLinkText(src), image.meta.get("line", 0)) if env.resolver and src else None
    if found:
        url, width, height = found
        image.attrSet("src", url)
        if width and height:
            image.attrSet("width", str(width))
            image.attrSet("height", str(height))
    image.attrSet("loading", "lazy")
    image.attrSet("decoding", "async")


def _render_image(self, tokens, idx, options, env) -> str:
    html = self.image(tokens, idx, options, env)
    caption = tokens[idx].meta.get("caption")
    return html + f"<figcaption>{escapeHtml(caption)}</figcaption>" if caption else html


@lru_cache(maxsize=4096)
def to_mathml(latex: str, display: bool) -> tuple[str, str]:
    """(MathML, "") or ("", why it did not convert)."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own errors and plain ones alike
        return "", type(exc).__name__
    unknown = UNCONVERTED_RE.search(mathml)
    if unknown:
        return "", f"unknown command {unknown.group(0)[1:-1]}"
    return mathml, ""


def with_source(mathml: str, latex: str) -> str:
    """The formula with its TeX in the `alttext` attribute (MathML's text alternative: not shown,
    not read twice, kept where MathML is not understood; the WeChat export shows it, as code)."""
    alt = escapeHtml(latex).replace("\n", " ")
    return mathml.replace("<math ", f'<math alttext="{alt}" ', 1)


def _render_math(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    display = token.type != "math_inline"           # $$…$$, on its own lines or in a paragraph
    mathml, why = to_mathml(token.content, display)
    if mathml:
        mathml = with_source(mathml, token.content.strip())
        return mathml + "\n" if token.type == "math_block" else mathml
    line = token.map[0] if token.map else token.meta.get("line", 0)
    if ENV_KEY in env:
        env[ENV_KEY].notes.append((line, "formula", token.content.strip(), why))
    code = f'<code class="language-latex">{escapeHtml(token.content.strip())}</code>'
    return f"<pre>{code}</pre>\n" if token.type == "math_block" else code


def _footnote_name(self, tokens, idx, options, env) -> str:
    """Footnote anchors stay as the site published them (#fn:1, #fnref:1)."""
    return f":{tokens[idx].meta['id'] + 1}"


def _footnote_caption(self, tokens, idx, options, env) -> str:
    """A reference shows the note's number alone, as before, also where a note is referred to
    twice (markdown-it would show 1:1)."""
    return str(tokens[idx].meta["id"] + 1)


def _render_backlink(self, tokens, idx, options, env) -> str:
    ident = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    if tokens[idx].meta["subId"] > 0:
        ident += f":{tokens[idx].meta['subId']}"
    return f' <a href="#fnref{ident}" class="footnote-backref" title="{BACKLINK_TITLE}">\u21a9\ufe0e</a>'


def _footnote_block_open(self, tokens, idx, options, env) -> str:
    """The notes under a heading of their own, 注释 (screen readers list it among the headings)."""
    return ('<hr class="footnotes-sep">\n<section class="footnotes">\n'
            '<h2 class="footnotes-title">注释</h2>\n<ol class="footnotes-list">\n')


def _footnote_ref(original):
    """A note's marker joined to the word before it (U+2060 WORD JOINER): a line never starts
    with the marker and the punctuation after it (“1，也就是说”)."""
    def render(self, tokens, idx, options, env) -> str:
        return "\u2060" + original(tokens, idx, options, env)
    return render


def site_plugin(md: MarkdownIt, slugify: Callable[[str], str]) -> None:
    """Installs the site's rules. Call it after the plugins whose tokens it renders (dollarmath,
    footnote): its render rules replace theirs. The guarded block parser takes over the rules
    the block parser has, and shares them."""
    guarded = GuardedBlockParser()
    guarded.ruler = md.block.ruler
    md.block = guarded
    for name in ("image", "link", "math_inline", "html_inline"):
        md.inline.ruler.at(name, _located(md.inline.ruler.__rules__[md.inline.ruler.__find__(name)].fn))
    md.core.ruler.after("inline", "kexie_lines", _mark_lines)
    md.core.ruler.after("inline", "kexie_task_lists", _task_lists)
    md.core.ruler.push("kexie_notes", _notes)
    md.core.ruler.push("kexie_heading_ids", _heading_ids(slugify))
    md.core.ruler.push("kexie_references", _references)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("math_block", _render_math)
    md.add_render_rule("math_inline_double", _render_math)
    md.add_render_rule("footnote_anchor", _render_backlink)
    md.add_render_rule("footnote_anchor_name", _footnote_name)
    md.add_render_rule("footnote_caption", _footnote_caption)
    md.add_render_rule("footnote_block_open", _footnote_block_open)
    md.add_render_rule("footnote_ref", _footnote_ref(md.renderer.rules["footnote_ref"]))
    md.add_render_rule("s_open", lambda *_: "<del>")        # struck text is deleted text, as in GFM
    md.add_render_rule("s_close", lambda *_: "</del>")
