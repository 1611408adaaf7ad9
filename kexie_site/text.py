"""Chinese text rules, as pure functions: slugs, counts, reading time, summaries, numbers, dates.

Slugs: the title is cut into words by rjieba (jieba-rs), each Chinese word is read by pypinyin
(whose phrase dictionary gets polyphones right: 重庆 → chongqing, 银行 → yinhang), the syllables of
a word are joined and words are joined by "-".
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Mapping

SLUG_MAX = 60

ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# XML 1.0 forbids these; HTML validators reject them too. Removed from all input text.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\U00030000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")
LATIN_WORD_RE = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’\-.][A-Za-z0-9\u00c0-\u024f]+)*")
HAN_RUN_RE = re.compile(f"[{HAN}]+")
KANA_HANGUL_RUN_RE = re.compile("[\u3040-\u30ff\uac00-\ud7af]+")

# Reading speeds used for 阅读时间 (documented in the README).
HAN_PER_MINUTE = 400
WORDS_PER_MINUTE = 200

# A sentence ends at one of these, optionally followed by closing quotes or brackets.
SENTENCE_END_RE = re.compile(r"(?:[。！？!?…]+|\.(?=\s|$))[”’」』）)\]】》\"']*")

WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}


def clean_text(value: str) -> str:
    """Remove zero-width and control characters, trim white space."""
    return CONTROL_RE.sub("", ZERO_WIDTH_RE.sub("", value)).strip()


def strip_controls(value: str) -> str:
    return CONTROL_RE.sub("", value)


@lru_cache(maxsize=1)
def _segmenter():
    import rjieba  # imported lazily: a fully cached build never needs it

    return rjieba.cut


@lru_cache(maxsize=1)
def _pinyin():
    from pypinyin import Style, lazy_pinyin

    return lambda word: lazy_pinyin(word, style=Style.NORMAL, errors="ignore", v_to_u=False)


@lru_cache(maxsize=65536)
def _read_word(word: str) -> str:
    """A word in pinyin, its syllables joined (重庆 → chongqing). Words recur, readings are slow."""
    return "".join(_pinyin()(word)) + " " + HAN_RE.sub(" ", word)


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ord(ch) < 128)


def _bound(slug: str, limit: int) -> str:
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    if "-" in cut and slug[limit] != "-":
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


@lru_cache(maxsize=65536)
def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """ASCII slug of any text: pinyin words for Chinese, lower-case letters and digits otherwise.
    (A pure function, so its answers are memoized: headings and tags recur across articles.)

    Returns "" when nothing usable is left (the caller chooses a fallback)."""
    text = unicodedata.normalize("NFKC", clean_text(text))
    words: list[str] = []
    if HAN_RE.search(text):
        for token in _segmenter()(text):
            words.append(_read_word(token) if HAN_RE.search(token) else token)
    else:
        words = [text]
    parts: list[str] = []
    for word in words:
        folded = _ascii_fold(word).lower()
        parts.extend(p for p in re.split(r"[^a-z0-9]+", folded) if p)
    slug = _bound("-".join(parts), limit)
    return f"{slug}-page" if slug in WINDOWS_RESERVED else slug   # no CON/ folders on Windows


class Slugs:
    """The slugs of one build, each worked out once: `slugs(text, limit)` is slugify's answer.
    Reading pinyin needs the segmenter and the pinyin dictionary, which a build that meets only
    titles it has seen before never loads: it starts from the slugs earlier builds worked out
    (`known`, from the cache), and what it works out itself, or adopts from a worker process, is
    in `learned`, for the cache to keep. Made by the build and passed to whatever makes slugs."""

    def __init__(self, known: Mapping[tuple[str, int], str] | None = None):
        self.known = known if known is not None else {}       # only read (a worker shares the build's)
        self.learned: dict[tuple[str, int], str] = {}

    def __call__(self, text: str, limit: int = SLUG_MAX) -> str:
        found = self.learned.get((text, limit))
        if found is None:
            found = self.known.get((text, limit))
            if found is None:
                found = self.learned[(text, limit)] = slugify(text, limit)
        return found

    def adopt(self, pairs) -> None:
        """Slugs another process worked out ((text, limit), slug), as if worked out here."""
        for pair, slug in pairs:
            self.learned[pair] = slug


def sanitize_slug(value: str, limit: int = SLUG_MAX) -> str:
    """An editor's explicit slug made safe: ASCII a-z 0-9 and '-', never '/', '\\', '..' or a
    reserved device name. Chinese in it is turned into pinyin. Returns "" if nothing is left."""
    return slugify(value, limit)


def unique_slug(slug: str, taken: set[str]) -> str:
    """slug, or slug-2, slug-3 … the first not in taken (which is updated)."""
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


# ------------------------------------------------------------------ counts and reading time

def count_text(text: str) -> tuple[int, int]:
    """(汉字 count, Latin word count). Kana and Hangul syllables count like 汉字."""
    han = sum(map(len, HAN_RUN_RE.findall(text))) + sum(map(len, KANA_HANGUL_RUN_RE.findall(text)))   # runs: fewer matches
    words = len(LATIN_WORD_RE.findall(text))
    return han, words


def reading_minutes(han: int, words: int) -> int:
    if han == 0 and words == 0:
        return 0
    return max(1, math.ceil(han / HAN_PER_MINUTE + words / WORDS_PER_MINUTE))


# ------------------------------------------------------------------ summaries

def summarize(text: str, limit: int) -> str:
    """Plain-text summary of at most `limit` characters, cut after the last sentence end inside
    the limit; if there is none (or it is too early), cut at the limit and end with '…'."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = 0
    for m in SENTENCE_END_RE.finditer(head):
        end = m.end()
    if end >= limit * 0.3:
        return head[:end].strip()
    return head[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------ Chinese numbers and dates

def _one_decimal(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text[:-2] if text.endswith(".0") else text


def zh_number(n) -> str:
    """9999 → 9999, 10000 → 1万, 53000 → 5.3万, 2100000 → 210万, 230000000 → 2.3亿."""
    try:
        value = Decimal(int(n))
    except (TypeError, ValueError):
        return str(n)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 10_000:
        return f"{sign}{int(value)}"
    wan = (value / 10_000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if wan < 10_000:
        return f"{sign}{_one_decimal(value / 10_000)}万"
    return f"{sign}{_one_decimal(value / 100_000_000)}亿"


def zh_date(value: date | datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def zh_datetime(value: datetime) -> str:
    return f"{zh_date(value)} {value:%H:%M}"
