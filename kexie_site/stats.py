"""View counts, summed: the 热门 ranking and the stats page (per column, source and month, with a
bar chart drawn as inline SVG data)."""
from __future__ import annotations

from .model import Site
from .text import zh_number
from .views import source_label

HOT_LIMIT = 20
HOT_PER_COLUMN = 10


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
    plot = height - 66                       # (room above the tallest bar for its value, below for the month)
    items = []
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / top, 1)
        items.append({"x": round(i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1), "y": round(40 + plot - h, 1),
                      "h": h, "label": label, "value": zh_number(value), "cx": round(i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "bars": items, "base": height - 26}


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
        "chart": bars([(f"{m[2:4]}年{int(m[5:])}月", n) for m, n in months[-12:]]),
    }
