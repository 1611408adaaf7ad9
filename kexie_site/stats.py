"""View counts, summed: the 热门 ranking, the stats page (per column, source and month, with a bar
chart drawn as inline SVG data) and archive.json for analytics tools and syndication."""
from __future__ import annotations

import json
from datetime import tzinfo

from . import urls
from .keys import key
from .model import Output, Site
from .text import zh_number
from .views import source_label

HOT_LIMIT = 20
HOT_PER_COLUMN = 10
ARCHIVE_JSON = "archive.json"


def hot(site: Site) -> dict:
    ranked = sorted((a for a in site.articles if a.total_views), key=lambda a: (-a.total_views, a.url))
    return {
        "overall": ranked[:HOT_LIMIT],
        "columns": [{"title": g.title, "url": g.url, "articles": [a for a in ranked if a.column == g.column][:HOT_PER_COLUMN]}
                    for g in site.columns],
    }


def bars(rows: list[tuple[str, int]], width: int = 640, height: int = 220) -> dict:
    """Geometry of a bar chart for the template: no chart library, nothing loaded from elsewhere."""
    top = max((v for _, v in rows), default=0) or 1
    slot = width / max(1, len(rows))
    plot = height - 40
    items = []
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / top, 1)
        items.append({"x": round(i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1), "y": round(20 + plot - h, 1),
                      "h": h, "label": label, "value": zh_number(value), "cx": round(i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "bars": items, "base": height - 20}


def totals(site: Site) -> dict:
    by_source: dict[str, int] = {}
    for a in site.articles:
        for source, n in a.views:
            by_source[source] = by_source.get(source, 0) + n
    # the archive's month groups ("2024-08"), in the site's time zone
    months = sorted((m.key, m.total_views) for y in site.years for m in y.months)
    return {
        "site": sum(a.total_views for a in site.articles),
        "columns": [{"title": g.title, "url": g.url, "views": g.total_views, "count": len(g.articles)} for g in site.columns],
        "sources": [{"source": s, "label": source_label(s), "views": n}
                    for s, n in sorted(by_source.items(), key=lambda x: (-x[1], x[0]))],
        "months": [{"month": m, "label": f"{int(m[:4])}年{int(m[5:])}月", "views": n} for m, n in reversed(months)],
        "chart": bars([(f"{int(m[5:])}月" if len(months) <= 24 else m[2:], n) for m, n in months[-24:]]),
    }


def archive_json(site: Site, zone: tzinfo, site_key: str = "") -> Output:
    """Every published article, for analytics tools (schema: schemas/archive.schema.json). Made
    only when what it shows changed since the last build (its key covers exactly that)."""
    shown = ("\x1f".join((a.id, a.url, a.title, a.column.name, *(t.name for t in a.tags), "\x1e", a.date.isoformat(),
                          a.summary, repr(a.views))) for a in site.articles)
    out_key = key("archive.json", site_key, site.config.title, site.config.base_url, str(zone), *shown)
    return Output(ARCHIVE_JSON, origin="archive.json", key=out_key, produce=lambda: _archive_json(site, zone))


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
