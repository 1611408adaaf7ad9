"""The search index (search.py has the rules): an output kind. Under search/index/: index.json,
the pairs' shards g/<n>.json, the words' w/<c>.json and one d/<n>.json a document (what a result
shows, and the text a candidate is confirmed on). Documents are numbered in date order, oldest
first, so that a new article adds a number and moves none.

Each document file is made again only when its article changed (its key is the article's);
the shards all share one key, of every article's, and are made again together when any
changes — and, compared byte for byte with what is published, only those whose bytes changed
are written. [search] enabled = false in site.toml turns the index (and the page) off.
"""
from __future__ import annotations

from . import urls
from .hashing import key
from .keys import shown
from .layout import Layout, OutputKind, Planned
from .model import Article, Output
from .search import Doc, build_index, doc_file, shard_count
from .text import zh_date

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
    index_key = key("search-index", layout.site_key, *shown_of)
    built: dict[str, bytes] = {}

    def index_file(path: str):
        def produce() -> bytes:
            if not built:
                built.update(build_index([doc_of(a, *layout.texts(a)) for a in articles]))
            return built[path]
        return produce
    paths = ["index.json", *(f"g/{i}.json" for i in range(shard_count(len(articles)))),
             *(f"w/{c}.json" for c in "0123456789abcdefghijklmnopqrstuvwxyz")]
    outputs = [Output(INDEX_DIR + p, origin="search index", key=index_key, produce=index_file(p)) for p in paths]
    for n, article in enumerate(articles):
        outputs.append(Output(f"{INDEX_DIR}d/{n}.json", origin=article.doc.path, key=key("search-doc", layout.site_key, shown_of[n]),
                              produce=lambda a=article: doc_file(doc_of(a, *layout.texts(a)))))
    return outputs, []


KIND = OutputKind("search", "搜索索引 search", plan)
