"""Keys of outputs: short strings that change whenever what an output could show changes, so
that an output whose key is the same as last build's need not be made again.

`shown(value, memo)` stands for a template context value: an article by its file hash, the key
of its HTML and its place in the site (never the HTML itself); a group by its title, URL and
articles; plain values by their repr. `memo` (one dict per build) makes each article's and
group's key once, however many pages show it.
"""
from __future__ import annotations

from .hashing import short as _short
from .model import Article, Group, YearArchive

_PLAIN = (str, int, float, bool, type(None))


def article_key(article: Article) -> str:
    a = article
    return _short("\x1f".join((
        "article", a.doc.sha256, a.rendered.key, a.id, a.url, a.column.slug, a.preview, repr(a.views),
        *(f"{t.name}\x1e{t.slug}" for t in a.tags), a.cover_url, *a.links,
        *(f"{r.id}\x1e{r.url}\x1e{r.title}" if r else "-" for r in (a.prev, a.next)))))


def shown(value, memo: dict) -> str:
    if isinstance(value, _PLAIN):
        return repr(value)
    found = memo.get(id(value))
    if found is not None:
        return found[0]
    if isinstance(value, Article):
        found = article_key(value)
    elif isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{shown(v, memo)}" for k, v in sorted(value.items())) + "}"
    elif isinstance(value, (list, tuple)):
        return "[" + ",".join(shown(v, memo) for v in value) + "]"
    elif isinstance(value, Group):
        found = _short("\x1f".join(("group", value.key, value.title, value.url, repr(value.column), repr(value.tag),
                                    *(shown(a, memo) for a in value.articles))))
    elif isinstance(value, YearArchive):
        found = _short("\x1f".join(("year", str(value.year), value.url, *(shown(m, memo) for m in value.months))))
    else:
        return repr(value)
    memo[id(value)] = (found, value)   # the value is kept, so its id is not reused by another
    return found
