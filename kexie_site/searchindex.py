"""The search index (search.py has the rules): an output kind. Under search/index/: index.json,
the pairs' shards g/<n>.json, the words' w/<c>.json and one d/<n>.json a document (what a result
shows, and the text a candidate is confirmed on). Documents are numbered in date order, oldest
first, so that a new article adds a number and moves none.

Each document file is made again only when its article changed (its key is the article's). The
shards are updated where they are published: the keys the changed articles gained or lost are
put into the published shards that hold them (search.update_index), the same bytes a build
from nothing makes — a day's new article or an edit costs milliseconds, not the whole index.
When that cannot be done (no index published, articles removed or reordered, many changed, a
file not as this tool wrote it) the index is made afresh. [search] enabled = false in site.toml
turns the index (and the page) off.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import urls
from .hashing import digest, key
from .keys import shown
from .layout import Layout, OutputKind, Planned
from .model import Article, Output
from .parallel import ordered_map
from .search import (INDEX_VERSION, Doc, doc_file, doc_from_file, index_files, json_bytes, postings_of, shard_count,
                     shard_paths, update_index)
from .text import zh_date
from .writer import same_file

INDEX_DIR = urls.SEARCH + "index/"


def doc_of(article: Article, headings: str, text: str) -> Doc:
    meta = "\n".join([*(t.name for t in article.tags), article.column.name])
    body = "\n".join(x for x in (article.summary, text) if x)
    return Doc(article.title, article.url, article.column.name, zh_date(article.date), headings, meta, body)


def plan(layout: Layout) -> Planned:
    if not layout.site.config.search:
        return [], []
    articles = list(reversed(layout.site.articles))          # oldest first
    shown_of = [shown(a, layout.memo) for a in articles]
    doc_keys = [key("search-doc", layout.site_key, s) for s in shown_of]
    outputs = [Output(f"{INDEX_DIR}d/{n}.json", origin=a.doc.path, key=doc_keys[n],
                      produce=lambda a=a: doc_file(doc_of(a, *layout.texts(a))))
               for n, a in enumerate(articles)]
    ids = json_bytes([a.id for a in articles])
    built: dict[str, bytes] = {}

    def full(path: str):
        def produce() -> bytes:
            if not built:
                built.update(whole_index(layout, articles))
            return built[path]
        return produce
    paths = ["index.json", *shard_paths(shard_count(len(articles)))]
    updated = _updated(layout, articles, doc_keys)
    index_key = key("search-index", layout.site_key, *shown_of)
    for path in paths:
        if updated is None:                 # made afresh, together
            outputs.append(Output(INDEX_DIR + path, origin="search index", key=index_key, produce=full(path), joint=True))
        elif path in updated:               # what the changed articles change
            outputs.append(Output(INDEX_DIR + path, data=updated[path], origin="search index", key=digest(updated[path])))
        else:                               # as published (made afresh only if that file is gone)
            outputs.append(Output(INDEX_DIR + path, origin="search index", key=layout.records[INDEX_DIR + path][0],
                                  produce=full(path), joint=True))
    outputs.append(Output(INDEX_DIR + IDS, data=ids, origin="search index", key=digest(ids)))
    return outputs, []


KIND = OutputKind("search", "搜索索引 search", plan)
SLICE = 500               # documents a worker makes the index's lists for at a time


def whole_index(layout: Layout, articles: list[Article]) -> dict[str, bytes]:
    """The index made afresh (search.build_index's files), the lists of slices of the
    documents made in `layout.jobs` processes (their text read from the cache file there) and
    merged here: cutting 10,000 articles' text into keys is most of the work."""
    slices = [range(i, min(i + SLICE, len(articles))) for i in range(0, len(articles), SLICE)]
    parts = ordered_map(_postings, slices, layout.jobs, (layout, articles), minimum=2, chunk=1, window=4,
                        fork_only=True)
    return index_files(parts, len(articles))


def _postings(context, numbers: range):
    layout, articles = context
    return postings_of((n, doc_of(articles[n], *layout.texts(articles[n]))) for n in numbers)
IDS = "ids.json"          # the documents' article ids, by number: which numbers a new build may keep
MOST_CHANGED = 50         # more changed articles than this (or a twentieth of them): the index is made afresh


def _updated(layout: Layout, articles: list[Article], doc_keys: list[str]) -> dict[str, bytes] | None:
    """The index files that change, worked out from the published index and the articles that
    changed since (new ones added at the end, edited ones at their number); None when that is
    not possible or not worth it (no index published, articles removed or reordered, the shard
    count changed, many changed, a file not as this tool wrote it): then it is made afresh."""
    if layout.published is None:
        return None
    base = layout.published / INDEX_DIR
    records = layout.records
    try:
        before = json.loads(_ours(base, IDS, records))
        head = json.loads(_ours(base, "index.json", records))
        if head.get("version") != INDEX_VERSION or head.get("shards") != shard_count(len(articles)) \
                or head.get("docs") != len(before) or [a.id for a in articles[:len(before)]] != before:
            return None
        if any(INDEX_DIR + p not in records for p in shard_paths(head["shards"])):
            return None
        changed = [n for n, k in enumerate(doc_keys) if records.get(f"{INDEX_DIR}d/{n}.json", [""])[0] != k]
        if len(changed) > max(MOST_CHANGED, len(articles) // 20):
            return None
        changes = [(n, doc_from_file(_ours(base, f"d/{n}.json", records)) if n < len(before) else None,
                    doc_of(articles[n], *layout.texts(articles[n]))) for n in changed]
        if not changes:
            return {}
        return update_index(lambda path: json.loads(_ours(base, path, records)), changes, len(articles))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _ours(base: Path, path: str, records: dict) -> bytes:
    """A published index file, exactly as this tool wrote it (else OSError)."""
    seen = records.get(INDEX_DIR + path)
    if not seen or not same_file(str(base / path), seen):
        raise OSError(f"{path} is not as it was published")
    return (base / path).read_bytes()
