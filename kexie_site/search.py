"""Full-text search, the rules: what a query finds, how the index that finds it is made, and a
reference engine that answers queries from the index files exactly as the reader's browser
does (themes/default/static/search.js follows it; the tests check both against a scan).

What a query finds. Text is folded the same way everywhere, one character for one character:
full-width letters, digits and signs become half-width (ＡＩ = AI, ５Ｇ = 5G), the ideographic
space a space, letters lower case. A query is cut into terms at spaces; an article matches when
every term occurs in its published text (title, headings, tags and column, summary, body). A
term occurs where its folded text appears in the article's folded text — Chinese by substring
(降雨 in 强降雨, a phrase across word boundaries) — and, when it starts with a letter or digit,
where that is not preceded by a letter or digit (AI finds AIGC, not SAID: a word prefix).

The index. For each field, the documents (numbered in date order, oldest first) that hold each
Han character, each pair of adjacent Han characters, and each Latin word (a run of letters and
digits). Pairs are sharded by a hash into `g/<n>.json`, words by their first character into
`w/<c>.json`, characters with the pairs. A term's candidates are the documents holding all its
pairs (or characters, for a lone Han character) and, for its Latin parts, a word starting with
the part (the last) or equal to it (the others); the candidates are then confirmed on the
document's text (`d/<n>.json`, which also gives the result's title, URL, column, date and the
snippet). A term of one Han pair, one character or one Latin part needs no confirmation.

Ranking: title hits first, then headings, then tags and column, then the rest; newer first.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

FIELDS = ("title", "headings", "meta", "body")      # in rank order: a hit in an earlier one ranks higher
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
HAN_PAIR_RE = re.compile(r"(?=([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]{2}))")
WORD_RE = re.compile(r"[a-z0-9]+")
WORDISH_RE = re.compile("[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u212a]+")   # what folds into WORD_RE
PART_RE = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
INDEX_VERSION = 1


def fold_char(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        ch = chr(code - 0xFEE0)
    elif code == 0x3000:
        return " "
    low = ch.lower()
    return low if len(low) == 1 else ch


FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold(text: str) -> str:
    """The text folded, one character for one: full-width to half-width, lower case."""
    if text.isascii():
        return text.lower()
    folded = text.translate(FULL_WIDTH).lower()
    return folded if len(folded) == len(text) else "".join(map(fold_char, text))   # (İ: two when lowered)


def terms(query: str) -> list[str]:
    """The folded terms of a query (cut at spaces, duplicates dropped)."""
    seen: list[str] = []
    for term in fold(query).split():
        if term not in seen:
            seen.append(term)
    return seen


def _alnum(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("0" <= ch <= "9")


def occurs(term: str, text: str) -> bool:
    """Whether a folded term occurs in a folded text (see the module's rules)."""
    if not _alnum(term[0]):
        return term in text
    start = text.find(term)
    while start >= 0:
        if start == 0 or not _alnum(text[start - 1]):
            return True
        start = text.find(term, start + 1)
    return False


@dataclass(frozen=True)
class Doc:
    """One article as search sees it: its fields' text (not folded) and what a result shows."""
    title: str
    url: str
    column: str
    date: str                # as shown, e.g. 2024年8月22日
    headings: str            # one a line
    meta: str                # tags and column, one a line
    body: str                # summary and body text

    def fields(self) -> tuple[str, str, str, str]:
        return self.title, self.headings, self.meta, self.body


def tier(terms_: Sequence[str], doc: Doc) -> int | None:
    """The rank tier of a document for the terms (0: all found in the title … 3: anywhere), or
    None when a term is found nowhere."""
    folded = [fold(f) for f in doc.fields()]
    everything = "\n".join(folded)
    if not all(occurs(t, everything) for t in terms_):
        return None
    for n, text in enumerate(folded):
        if all(occurs(t, text) for t in terms_):
            return n
    return len(FIELDS) - 1


def scan(docs: Sequence[Doc], query: str) -> list[int]:
    """The brute-force answer: the numbers of the documents that match, best first."""
    found = terms(query)
    if not found:
        return []
    ranked = [(t, -n) for n, d in enumerate(docs) for t in [tier(found, d)] if t is not None]
    return [-n for _, n in sorted(ranked)]


# ------------------------------------------------------------------ building the index

def keys_of(text: str) -> tuple[set[str], set[str]]:
    """The index keys of a text (as written: folding leaves Han characters as they are, and
    each character that folds to a letter or digit is in WORDISH_RE): Han characters and
    adjacent pairs, and Latin words, folded."""
    grams = set(HAN_PAIR_RE.findall(text))          # (overlapping: a lookahead)
    grams.update(HAN_RE.findall("".join(set(text))))
    return grams, {fold(word) for word in WORDISH_RE.findall(text)}


def shard_of(key: str, shards: int) -> int:
    """FNV-1a over the key's UTF-16 code units (as JavaScript sees a string), mod shards."""
    h = 0x811C9DC5
    for unit in key.encode("utf-16-le"):
        h = ((h ^ unit) * 0x01000193) & 0xFFFFFFFF
    return h % shards


def word_shard(word: str) -> str:
    return word[0]


def shard_count(docs: int) -> int:
    """About 8 documents' worth of pairs a shard: a power of two from 16 up."""
    n = 16
    while n * 8 < docs:
        n *= 2
    return n


def encode(numbers: Sequence[int], total: int = 0) -> str:
    """A sorted list of document numbers: the gaps in base 36 joined by ",", or a bitmap
    (base64url, "~" first, up to the last number's byte) when that is shorter. The same list
    is encoded the same however many documents there are (a new article changes only the lists
    it is in)."""
    if not numbers:
        return ""
    bitmap_size = len(base64.urlsafe_b64encode(bytes(numbers[-1] // 8 + 1)).rstrip(b"=")) + 1
    if bitmap_size < 2 * len(numbers) - 1:                  # (shorter than any list of gaps could be)
        return _bitmap(numbers)
    starts = itertools.chain((0,), (n + 1 for n in numbers))    # a gap counts from one past the last number
    small = _SMALL_BASE36
    gaps = ",".join([small[g] if g < 36 * 36 else _base36(g) for g in map(int.__sub__, numbers, starts)])
    return _bitmap(numbers) if bitmap_size < len(gaps) else gaps


def _bitmap(numbers: Sequence[int]) -> str:
    bits = bytearray(numbers[-1] // 8 + 1)
    for n in numbers:
        bits[n >> 3] |= 1 << (n & 7)
    return "~" + base64.urlsafe_b64encode(bytes(bits)).decode("ascii").rstrip("=")


def decode(text: str, total: int) -> list[int]:
    if text.startswith("~"):
        raw = text[1:]
        bits = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        return [n for n in range(min(total, len(bits) * 8)) if bits[n >> 3] >> (n & 7) & 1]
    numbers, last = [], -1
    for gap in text.split(",") if text else []:
        last += int(gap, 36) + 1
        numbers.append(last)
    return numbers


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


_SMALL_BASE36 = tuple(_base36(n) for n in range(36 * 36))   # (most gaps are small: those of two digits, made once)


def doc_keys(doc: Doc) -> list[tuple[set[str], set[str]]]:
    """Per field, the document's index keys: (Han characters and pairs, Latin words)."""
    return [keys_of(text) for text in doc.fields()]


def shard_path(kind: int, key: str, shards: int) -> str:
    """The file holding a key's lists: kind 0 a Han key (g/), 1 a word (w/)."""
    return f"g/{shard_of(key, shards)}.json" if kind == 0 else f"w/{word_shard(key)}.json"


def shard_paths(shards: int) -> list[str]:
    return [*(f"g/{i}.json" for i in range(shards)), *(f"w/{c}.json" for c in "0123456789abcdefghijklmnopqrstuvwxyz")]


def serialize(entries: dict) -> bytes:
    return json_bytes(dict(sorted(entries.items())))


def index_head(total: int) -> bytes:
    return json_bytes({"version": INDEX_VERSION, "docs": total, "shards": shard_count(total), "fields": list(FIELDS)})


Postings = tuple[list[dict[str, list[int]]], list[dict[str, list[int]]]]   # (Han keys, words): per field, key -> numbers


def postings_of(numbered: Iterable[tuple[int, Doc]]) -> Postings:
    """For these documents (numbered, in increasing order): per field, the numbers of the
    documents holding each Han key and each word. A part of the work of build_index, which
    can be done for slices of the documents apart (in other processes) and merged."""
    per_field: Postings = ([defaultdict(list) for _ in FIELDS], [defaultdict(list) for _ in FIELDS])
    for n, doc in numbered:
        for f, (grams, found) in enumerate(doc_keys(doc)):
            lists = per_field[0][f]
            for key in grams:
                lists[key].append(n)
            lists = per_field[1][f]
            for key in found:
                lists[key].append(n)
    return [dict(x) for x in per_field[0]], [dict(x) for x in per_field[1]]


def index_files(parts: Iterable[Postings], total: int) -> dict[str, bytes]:
    """Every file of the index but the documents' own, from postings_of's parts for slices of
    the documents, given in the documents' order: index.json, g/<n>.json, w/<c>.json."""
    shards = shard_count(total)
    merged: tuple[dict[str, list[list[int]]], dict[str, list[list[int]]]] = ({}, {})
    for part in parts:
        for kind, fields in enumerate(part):
            into = merged[kind]
            for f, lists in enumerate(fields):
                for key, numbers in lists.items():
                    entry = into.get(key)
                    if entry is None:
                        entry = into[key] = [[], [], [], []]
                    entry[f] += numbers
    files: dict[str, dict] = {path: {} for path in shard_paths(shards)}
    for kind, keys in enumerate(merged):
        for key, lists in keys.items():
            files[shard_path(kind, key, shards)][key] = [encode(x) for x in lists]
    out = {path: serialize(entries) for path, entries in files.items()}
    out["index.json"] = index_head(total)
    return out


def build_index(docs: Sequence[Doc]) -> dict[str, bytes]:
    """Every file of the index but the documents' own (d/<n>.json, doc_file): index.json,
    g/<n>.json, w/<c>.json."""
    return index_files([postings_of(enumerate(docs))], len(docs))


def update_index(shards_now: dict[str, dict], changes: Sequence[tuple[int, Doc | None, Doc]], total: int,
                 ) -> dict[str, bytes]:
    """The files of an index that change when documents change: `changes` holds (number, the
    document as it was or None when it is new, the document now); `shards_now(path)` gives a
    published shard's entries. Returns the files whose bytes change, the same bytes a full
    build_index would make (the lists' encoding does not depend on how many documents there are)."""
    shards = shard_count(total)
    edits: dict[str, dict[str, list[tuple[int, int, bool]]]] = defaultdict(lambda: defaultdict(list))
    for n, before, after in changes:
        old = doc_keys(before) if before is not None else [(set(), set())] * len(FIELDS)
        for f, (grams, words) in enumerate(doc_keys(after)):
            for kind, now, was in ((0, grams, old[f][0]), (1, words, old[f][1])):
                for key in now - was:
                    edits[shard_path(kind, key, shards)][key].append((f, n, True))
                for key in was - now:
                    edits[shard_path(kind, key, shards)][key].append((f, n, False))
    out = {}
    for path, keys in edits.items():
        entries = dict(shards_now(path))
        for key, changed in keys.items():
            lists = [set(decode(x, total)) for x in entries.get(key, ["", "", "", ""])]
            for f, n, add in changed:
                (lists[f].add if add else lists[f].discard)(n)
            if any(lists):
                entries[key] = [encode(sorted(x)) for x in lists]
            else:
                entries.pop(key, None)
        out[path] = serialize(entries)
    out["index.json"] = index_head(total)
    return out


def doc_file(doc: Doc) -> bytes:
    return json_bytes([doc.title, doc.url, doc.column, doc.date, doc.headings, doc.meta, doc.body])


def doc_from_file(data: bytes) -> Doc:
    title, url, column, date, headings, meta, body = json.loads(data)
    return Doc(title, url, column, date, headings, meta, body)


def json_bytes(value) -> bytes:
    """Compact UTF-8 JSON with a final newline: every file of the index."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# ------------------------------------------------------------------ answering from the index

def parts(term: str) -> list[tuple[str, str]]:
    """A term's searchable parts, in order: ("han", run) and ("word", run)."""
    return [("word" if _alnum(m.group(0)[0]) else "han", m.group(0)) for m in PART_RE.finditer(term)]


def is_sure(term: str) -> bool:
    """Whether the index alone answers the term: one Han character or pair, or one Latin word
    (a prefix) and nothing else."""
    found = parts(term)
    return len(found) == 1 and found[0][1] == term and (found[0][0] == "word" or len(term) <= 2)


def postings(term: str, index: dict, read: Callable[[str], dict]) -> list[set[int]] | None:
    """For each field, the documents that may hold the term there (exactly those, when the
    term is sure); None when the term has no part the index knows (it may be anywhere)."""
    total, found = index["docs"], None
    pieces = parts(term)
    for i, (kind, run) in enumerate(pieces):
        if kind == "han":
            for key in ([run] if len(run) == 1 else [run[j:j + 2] for j in range(len(run) - 1)]):
                entry = read(f"g/{shard_of(key, index['shards'])}.json").get(key)
                sets = [set(decode(x, total)) for x in entry] if entry else [set() for _ in FIELDS]
                found = sets if found is None else _both(found, sets)
        else:
            sets = [set() for _ in FIELDS]
            for word, entry in read(f"w/{word_shard(run)}.json").items():
                if word == run or (i == len(pieces) - 1 and word.startswith(run)):
                    for f, x in enumerate(entry):
                        sets[f] |= set(decode(x, total))
            found = sets if found is None else _both(found, sets)
    return found


def _both(a: list[set[int]], b: list[set[int]]) -> list[set[int]]:
    """Documents that hold both (anywhere), kept per field where each holds the other too."""
    anywhere = set().union(*a) & set().union(*b)
    return [(x | y) & anywhere for x, y in zip(a, b)]


def query(query_text: str, read_bytes: Callable[[str], bytes]) -> list[int]:
    """The answer from the index files, the way the reader's browser works it out: the
    candidates from the shards; each term the index alone answers ranked from its fields'
    lists, the others confirmed on the document's text."""
    found_terms = terms(query_text)
    if not found_terms:
        return []
    cache: dict[str, dict] = {}

    def read(path: str):
        if path not in cache:
            cache[path] = json.loads(read_bytes(path))
        return cache[path]
    index = read("index.json")
    lists = [postings(t, index, read) for t in found_terms]
    pool: set[int] = set(range(index["docs"]))
    for sets in lists:
        if sets is not None:
            pool &= set().union(*sets)
    ranked = []
    sure = all(is_sure(t) for t in found_terms)
    for n in pool:
        if sure:
            rank = next((f for f in range(len(FIELDS)) if all(n in sets[f] for sets in lists)), len(FIELDS) - 1)
        else:
            rank = tier(found_terms, doc_from_file(read_bytes(f"d/{n}.json")))
        if rank is not None:
            ranked.append((rank, -n))
    return [-n for _, n in sorted(ranked)]
