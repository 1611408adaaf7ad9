"""Chinese rules for markdown-it, installed per parser instance (never by patching the module).

- Emphasis next to CJK punctuation: the delimiter-run rules of the "CJK-friendly amendments" to
  CommonMark 0.31.2 (the specification behind markdown-it-cjk-friendly, remark-cjk-friendly and
  Comrak's cjk_friendly_emphasis), written here. `**“引号”**后面`, `这是**加粗。**然后` and
  `**100%**的` are strong; underscores keep CommonMark's rules for opening inside a word, so a
  fill-in-the-blank `____和____` stays as written.
- Soft line breaks: a line break inside a paragraph between two CJK characters (punctuation
  included, inline markup allowed in between) is dropped; between Latin words it stays.
- Bare URLs (linkify) end before Chinese punctuation (`https://www.cast.org.cn，欢迎访问。` links
  only the URL) and may begin right after Chinese text; finding them stays linear in the text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Delimiter, StateInline
from markdown_it.token import Token

# Quotes, dashes and the ellipsis that Chinese text uses are East Asian Width "A" (ambiguous):
# not CJK for the emphasis rules (the specification says so), but they are Chinese punctuation
# where a line break or a URL is concerned.
CHINESE_AMBIGUOUS = frozenset("“”‘’…—·")
_VARIATION_SELECTORS = range(0xFE00, 0xFE0F)           # U+FE0F (emoji presentation) excluded
_IDEOGRAPHIC_VS = range(0xE0100, 0xE01F0)


@lru_cache(maxsize=4096)
def is_cjk(ch: str) -> bool:
    """A CJK character in the specification's sense: East Asian Width W, F or H and not an emoji
    with emoji presentation, or a Hangul letter."""
    code = ord(ch)
    if unicodedata.east_asian_width(ch) in ("W", "F", "H"):
        # emoji presentation characters are wide too: the pictographic blocks, and the wide
        # symbols among U+231A–U+2BFF (all of them emoji, but the two angle brackets)
        if 0x1F000 <= code <= 0x1FAFF or (0x231A <= code <= 0x2BFF and code not in (0x2329, 0x232A)):
            return False
        return True
    return 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF        # Hangul jamo of width N


def is_chinese(ch: str) -> bool:
    """CJK, or punctuation Chinese text uses that is not of East Asian width (“” … —)."""
    return ch in CHINESE_AMBIGUOUS or is_cjk(ch)


def _is_punct(ch: str) -> bool:
    return isMdAsciiPunct(ord(ch)) or isPunctChar(ch)


def scan_delims(state: StateInline, start: int, can_split_word: bool) -> tuple[bool, bool, int]:
    """(can open, can close, length) of the delimiter run at start, by the CJK-friendly rules."""
    src, maximum = state.src, state.posMax
    marker = src[start]
    pos = start
    while pos < maximum and src[pos] == marker:
        pos += 1
    last = src[start - 1] if start > 0 else " "       # the start and end of a line count as space
    nxt = src[pos] if pos < maximum else " "

    last_ivs = ord(last) in _IDEOGRAPHIC_VS
    if ord(last) in _VARIATION_SELECTORS and start > 1:
        last = src[start - 2]                          # a sequence is judged by its first character
    last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
    last_punct, next_punct = _is_punct(last), _is_punct(nxt)
    last_cjk, next_cjk = is_cjk(last), is_cjk(nxt)
    last_other_punct = last_punct and not last_cjk     # a non-CJK punctuation (sequence)
    next_other_punct = next_punct and not next_cjk

    left = not next_space and (not next_other_punct or last_space or last_other_punct or last_cjk or last_ivs)
    right = not last_space and (not last_other_punct or next_space or next_other_punct or next_cjk)
    if can_split_word:
        return left, right, pos - start
    return left and (not right or last_punct), right and (not left or next_punct), pos - start


def _emphasis(state: StateInline, silent: bool) -> bool:
    """`*` and `_` runs as delimiters (markdown-it's rule, with our flanking rules)."""
    marker = state.src[state.pos]
    if silent or marker not in "_*":
        return False
    can_open, can_close, length = scan_delims(state, state.pos, marker == "*")
    for _ in range(length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(Delimiter(ord(marker), length, len(state.tokens) - 1, -1, can_open, can_close))
    state.pos += length
    return True


def _strikethrough(state: StateInline, silent: bool) -> bool:
    """`~~` runs as delimiters, in pairs (markdown-it's rule, with our flanking rules)."""
    if silent or state.src[state.pos] != "~":
        return False
    can_open, can_close, length = scan_delims(state, state.pos, True)
    if length < 2:
        return False
    if length % 2:                      # an odd tilde is text; pairs are delimiters
        state.push("text", "", 0).content = "~"
    for _ in range(length // 2):
        state.push("text", "", 0).content = "~~"
        state.delimiters.append(Delimiter(ord("~"), 0, len(state.tokens) - 1, -1, can_open, can_close))
    state.pos += length
    return True


# Inline tokens a line break is looked "across": markup around text, tags, and the small things
# that sit in a line of text (a footnote marker, an inline image or formula), whose neighbours
# decide.
_TRANSPARENT = {"strong_open", "strong_close", "em_open", "em_close", "s_open", "s_close",
                "link_open", "link_close", "html_inline", "footnote_ref", "image", "math_inline"}
_CONTENT = {"text", "code_inline", "text_special"}


def _edge_char(children: list[Token], index: int, step: int) -> str:
    """The character next to children[index] on one side (step -1: before, +1: after),
    looking through emphasis and link markup; "" when there is none."""
    i = index + step
    while 0 <= i < len(children):
        token = children[i]
        if token.type in _TRANSPARENT or (token.type == "text" and not token.content):
            i += step                           # markup, or a delimiter left empty
            continue
        if token.type in _CONTENT and token.content:
            return token.content[-1] if step < 0 else token.content[0]
        return ""
    return ""


def join_cjk_lines(state) -> None:
    """Core rule: drop each soft line break that has a Chinese character on both sides."""
    for block in state.tokens:
        children = block.children
        if block.type != "inline" or not children:
            continue
        if not any(t.type == "softbreak" for t in children):
            continue
        kept = []
        for i, token in enumerate(children):
            if token.type == "softbreak":
                before, after = _edge_char(children, i, -1), _edge_char(children, i, 1)
                if before and after and is_chinese(before) and is_chinese(after):
                    continue
            kept.append(token)
        block.children = kept


# Inside a bare URL, a Chinese letter is taken as part of it only right after one of these
# (a path, a query: https://zh.wikipedia.org/wiki/黑洞, ?q=中文); Chinese punctuation never is.
URL_CHINESE_AFTER = frozenset("/=?&#-_")
# Where linkify-it may see a link begin: after Chinese text too (联系kepu@cast.org.cn, 访问www.…)
CHINESE_BEFORE_LINK = "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’…—·]"


def url_end(text: str, start: int, end: int) -> int:
    """Where a bare URL found in text[start:end] really ends: before white space or Chinese
    punctuation, and before a Chinese letter that follows anything but a path or query character
    (or another Chinese letter taken into the URL)."""
    taken = False
    for i in range(start, end):
        ch = text[i]
        if ch.isspace():
            return i
        if is_chinese(ch):
            if _is_punct(ch) or not (taken or text[i - 1] in URL_CHINESE_AFTER):
                return i
            taken = True
        else:
            taken = False
    return end


class CjkLinkify(LinkifyIt):
    """linkify-it as GitHub links bare URLs: `http(s)://…`, `www.…` and e-mail addresses; not
    bare domain names (`Node.js`, `main.py`), `ftp:` or `//…`. A link may begin right after
    Chinese text, and ends before Chinese punctuation (`https://www.cast.org.cn，欢迎访问` links
    only the URL): linkify-it takes any non-ASCII character as part of a path."""

    def __init__(self) -> None:
        super().__init__(schemas={"ftp:": None, "//": None})

    def _on_compile(self) -> None:
        for name in ("tpl_email_fuzzy", "tpl_link_fuzzy", "tpl_link_no_ip_fuzzy"):
            pattern = self.re[name]
            if pattern.startswith("(^|"):
                self.re[name] = f"(^|{CHINESE_BEFORE_LINK}|" + pattern[len("(^|"):]

    def pretest(self, text):
        """Whether the text may hold a link at all: linkify-it's own pretest is a large regular
        expression, run over every paragraph (a third of a millisecond an article)."""
        return "://" in text or "@" in text or "www." in text or "WWW." in text

    def test_schema_at(self, text, name, position):
        length = super().test_schema_at(text, name, position)
        return url_end(text, position, position + length) - position if length else length

    def _trimmed(self, text: str, match):
        """The match without Chinese text before a `www.` (linkify-it takes Chinese letters for
        part of an international host name: 访问www.…) and without what follows its real end."""
        start = match.index
        if not match.schema:
            lead = match.raw.lower().find("www.")
            if lead > 0 and all(is_chinese(ch) for ch in match.raw[:lead]):
                start += lead
        end = url_end(text, start, match.last_index)
        if (start, end) == (match.index, match.last_index):
            return match
        match.index, match.last_index = start, end
        match.raw = match.text = match.url = text[start:end]
        self.normalize(match)
        return match

    def match(self, text):
        trimmed = [self._trimmed(text, m) for m in super().match(text) or ()]
        found = [m for m in trimmed if m.schema or m.raw[:4].lower() == "www."]
        return found or None

    def match_at_start(self, text):
        found = super().match_at_start(text)
        return self._trimmed(text, found) if found else found


SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-")
SCHEME_MAX = 32
URL_WINDOW = 2048       # how far the inline rule looks; a longer URL is found by linkify's pass over the text
# where a bare URL surely ends: white space or Chinese punctuation (url_end decides the rest)
URL_END_RE = re.compile("[\\s" + "".join(sorted(CHINESE_AMBIGUOUS))
                        + "\u3000-\u303f\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")


def _linkify(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline rule for `scheme://…` links, bounded: it looked for the scheme with a
    regular expression over all the text pending before it, and handed linkify-it the whole
    rest of the paragraph, for every `://`, so `a://` repeated 40,000 times took 100 s."""
    pos, src = state.pos, state.src
    if (not state.md.options.linkify or state.linkLevel > 0 or pos + 3 > state.posMax
            or src[pos:pos + 3] != "://"):
        return False
    pending = state.pending
    start = len(pending)
    while start > 0 and pending[start - 1] in SCHEME_CHARS and len(pending) - start <= SCHEME_MAX:
        start -= 1
    proto = pending[start:]
    if (not proto or not ("a" <= proto[0].lower() <= "z")
            or (start > 0 and pending[start - 1] in SCHEME_CHARS)):
        return False
    end = min(state.posMax, pos + URL_WINDOW)
    stop = URL_END_RE.search(src, pos, end)
    if stop is None and end < state.posMax:
        return False
    link = state.md.linkify.match_at_start(src[pos - len(proto):stop.start() if stop else end])
    if not link:
        return False
    url = link.url.rstrip("*")                     # a `*` after a link closes emphasis
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if not silent:
        state.pending = pending[:start]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup, token.info = "linkify", "auto"
        state.push("text", "", 0).content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup, token.info = "linkify", "auto"
    state.pos += len(url) - len(proto)
    return True


def cjk_plugin(md: MarkdownIt) -> None:
    """Installs the Chinese rules on this parser (linkify, if wanted, is enabled by the caller)."""
    md.inline.ruler.at("emphasis", _emphasis)
    md.inline.ruler.at("strikethrough", _strikethrough)
    md.linkify = CjkLinkify()
    md.inline.ruler.at("linkify", _linkify)
    md.core.ruler.push("cjk_breaks", join_cjk_lines)
