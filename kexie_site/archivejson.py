"""archive.json: every published article with its id, URL, column, tags, date, summary and view
counts, for analytics tools and syndication (schema: schemas/archive.schema.json). An output kind."""
from __future__ import annotations

import json
from datetime import tzinfo

from . import urls
from .hashing import key
from .layout import Layout, OutputKind, Planned
from .model import Output, Site


def archive_json(site: Site, zone: tzinfo, site_key: str = "") -> Output:
    """Every published article, for analytics tools (schema: schemas/archive.schema.json). Made
    only when what it shows changed since the last build (its key covers exactly that)."""
    shown = ("\x1f".join((a.id, a.url, a.title, a.column.name, *(t.name for t in a.tags), "\x1e", a.date.isoformat(),
                          a.summary, repr(a.views))) for a in site.articles)
    out_key = key("archive.json", site_key, site.config.title, site.config.base_url, str(zone), *shown)
    return Output(urls.ARCHIVE_JSON, origin="archive.json", key=out_key, produce=lambda: _archive_json(site, zone))


def _archive_json(site: Site, zone: tzinfo) -> bytes:
    c = site.config
    items = [{
        "id": a.id, "url": urls.absolute(c.base_url, a.url), "title": a.title, "column": a.column.name,
        "tags": [t.name for t in a.tags], "date": a.date.astimezone(zone).isoformat(), "summary": a.summary,
        "views": {"total": a.total_views, "by_source": dict(a.views)},
    } for a in site.articles]
    head = json.dumps({"site": c.title, "base_url": c.base_url}, ensure_ascii=False)[:-1]
    # one article a line: readable, diffable, and written by the C encoder (indent= is slow)
    body = ",\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    text = f'{head}, "articles": [\n{body}\n]}}\n'
    return text.encode("utf-8")


def plan(layout: Layout) -> Planned:
    return [archive_json(layout.site, layout.zone, layout.site_key)], ()


KIND = OutputKind("archive.json", "归档数据 archive.json", plan)
