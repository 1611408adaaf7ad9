"""Article identity: the id (feed guid, view-counter key, syndication) and the URL of every
article, and the record that keeps them where they were first published.

Rules, in order:
1. An article the last publish recorded keeps that publish's id and URL while what pins them in
   its front matter is unchanged: its explicit `id` and `slug`, its day and its column. A title
   edit, a renamed file (found by its explicit `id`), a new article that sorts before it: none of
   them moves it. Suffixes (`-2`, `-3`) go to newcomers, never to what was already out.
2. An explicit `id` or `slug` is the editor's: two that meet are an error; one that meets what
   another article already published under is an error on the newcomer.
3. The rest is derived: id `<column slug>-<YYYYMMDD>`, URL `<YYYY>/<MM>/<DD>/<pinyin of the
   title>/`, with -2, -3 … in order of time, then file path, drafts and scheduled ones counted
   (so that publishing one later moves nothing else).
When an article's pins change, its identity is derived again, and a published id or URL that
moves is reported (old → new), at the front-matter line that changed.

The record is kept in the output's manifest (writer.py), so it travels with the published site.
Pure: reading and writing it is writer.py's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Callable, Iterable, Mapping

from . import urls
from .errors import Problem, error, warning
from .model import ArticleDoc, Config
from .text import slugify

PIN_KEYS = ("id", "slug", "date", "column")
SHOWN = 3                 # other files named in one warning (a day may have hundreds)
RECORD_URL_RE = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9]{2}/[A-Za-z0-9._~-]+/")
RECORD_ID_RE = re.compile(r"\S{1,128}")


@dataclass(frozen=True)
class Identity:
    id: str
    slug: str
    url: str


@dataclass(frozen=True)
class Published:
    """What the last publish recorded of one article."""
    path: str
    id: str
    slug: str
    url: str
    pins: tuple[str, str, str, str]      # explicit id, explicit slug, day (YYYY-MM-DD), column slug


def derived_id(column_slug: str, local_date: datetime) -> str:
    return f"{column_slug}-{local_date.year}{local_date.month:02d}{local_date.day:02d}"


def pins_of(doc: ArticleDoc, column_slugs: Mapping[str, str], zone: tzinfo) -> tuple[str, str, str, str]:
    local = doc.meta.date.astimezone(zone)
    return (doc.meta.id, doc.meta.slug, f"{local:%Y-%m-%d}", column_slugs.get(doc.meta.column, ""))


def record_to_json(record: Iterable[Published]) -> list:
    """The record in its order: the order in which the articles were first published."""
    return [{"path": p.path, "id": p.id, "slug": p.slug, "url": p.url, "pins": list(p.pins)} for p in record]


def record_from_json(items) -> dict[str, Published] | None:
    """The record, by path, in its order; None when there is none. Entries that do not read as
    one (a hand-edited manifest) are left out: they cannot make a build fail."""
    if not isinstance(items, list):
        return None
    record: dict[str, Published] = {}
    for item in items:
        try:
            pins = tuple(str(p) for p in item["pins"])
            entry = Published(str(item["path"]), str(item["id"]), str(item["slug"]), str(item["url"]), pins)
        except (KeyError, TypeError, ValueError):
            continue
        if len(pins) == 4 and RECORD_ID_RE.fullmatch(entry.id) and RECORD_URL_RE.fullmatch(entry.url):
            record[entry.path] = entry
    return record


def derived_slug(title: str, article_id: str, slug: Callable[[str], str] = slugify) -> str:
    """The slug of an article without one (before a -2 that another article may make it need)."""
    return slug(title) or slug(article_id) or "article"


def _first_free(first: str, nth, taken, tried: dict[str, int]) -> str:
    """nth(1) = first, or the first of nth(2), nth(3) … not in taken. Suffixes below the one
    tried last for this base stay taken (taken only grows): a day of many articles with one
    title is linear, not quadratic."""
    n = tried.get(first, 1)
    candidate = nth(n)
    while candidate in taken:
        n += 1
        candidate = nth(n)
    tried[first] = n
    return candidate


def _order(doc: ArticleDoc):
    return (doc.meta.instant, doc.path)


def identify(docs: Iterable[ArticleDoc], config: Config, zone: tzinfo,
             record: Mapping[str, Published] | None = None, live: Iterable[str] | None = None,
             slug_of: Callable[[str], str] = slugify) -> tuple[dict[str, Identity], list[Problem]]:
    """Ids and URLs for every article, drafts and scheduled ones included (see the module's
    rules). `record`: the last publish's, by path (None: there is none). `live`: the paths this
    build publishes (default: all): when an explicit id or slug meets another, the problem goes
    to one that is not published, so a draft's mistake never blocks the others.
    Returns the identities by path and the problems: errors for explicit values that meet,
    warnings for published ids and URLs that moved."""
    record = record or {}
    live = set(live) if live is not None else None
    ordered = sorted(docs, key=_order)
    column_slugs = {c.name: c.slug for c in config.columns}
    pins = {doc.path: pins_of(doc, column_slugs, zone) for doc in ordered}

    def published_first(doc: ArticleDoc):
        """Who keeps an explicit value two articles share: what was published, then what is published now."""
        return (doc.path not in record, live is not None and doc.path not in live, *_order(doc))

    # 1. what the last publish recorded, where its pins still hold
    before = _recorded(ordered, record)
    result: dict[str, Identity] = {}
    taken_ids: dict[str, ArticleDoc] = {}
    taken_urls: dict[str, ArticleDoc] = {}
    for doc in ordered:
        entry = before.get(doc.path)
        if entry and entry.pins == pins[doc.path] and entry.id not in taken_ids and entry.url not in taken_urls:
            result[doc.path] = Identity(entry.id, entry.slug, entry.url)
            taken_ids[entry.id] = taken_urls[entry.url] = doc
    # 2. explicit ids and slugs, 3. the rest, derived, in order of time and path
    rest = [doc for doc in sorted(ordered, key=published_first) if doc.path not in result]
    problems, explicit_urls = _explicit(rest, zone, taken_ids, taken_urls)
    tried: dict[str, int] = {}          # the suffix to try next for a base: each is tried once
    for doc in ordered:
        if doc.path not in result:
            result[doc.path] = _derived(doc, zone, column_slugs, slug_of, explicit_urls, taken_ids, taken_urls, tried)
    # what was published and has moved
    by_path = {doc.path: doc for doc in ordered}
    for path, entry in before.items():
        now = result[path]
        if (now.id, now.url) != (entry.id, entry.url):
            problems.append(_moved(by_path[path], entry, now, pins[path]))
    return result, problems


def _recorded(ordered: list[ArticleDoc], record: Mapping[str, Published]) -> dict[str, Published]:
    """Which entry of the record is whose: the same file with the same id first; then an
    explicit id at another path (a renamed or moved file); then the same file whose id was
    edited or removed. Each entry goes to one file at most."""
    by_id: dict[str, Published] = {}
    for entry in record.values():
        if entry.pins[0]:
            by_id.setdefault(entry.pins[0], entry)
    before: dict[str, Published] = {}
    claimed: set[str] = set()
    for rule in ("same", "moved", "edited"):
        for doc in ordered:
            if doc.path in before:
                continue
            if rule == "moved":
                entry = by_id.get(doc.meta.id) if doc.meta.id else None
            else:
                entry = record.get(doc.path)
                if entry is not None and (entry.pins[0] == doc.meta.id) != (rule == "same"):
                    entry = None
            if entry is not None and entry.path not in claimed:
                before[doc.path] = entry
                claimed.add(entry.path)
    return before


def _explicit(docs: list[ArticleDoc], zone: tzinfo, taken_ids: dict, taken_urls: dict,
              ) -> tuple[list[Problem], dict[str, str]]:
    """The explicit ids and slugs of docs (in the order given: who keeps a shared value comes
    first), taken; an error for each that another article has. Returns those and the URLs."""
    problems: list[Problem] = []
    for doc in docs:
        if not doc.meta.id:
            continue
        other = taken_ids.get(doc.meta.id)
        if other:
            problems.append(error(doc.path, doc.meta.line_of("id"),
                                  f"id {doc.meta.id!r} 已被 {other.path}:{other.meta.line_of('id')} 使用 (duplicate id)",
                                  "每篇文章的 id 必须不同；已发布文章的 id 不要改，改新文章的"))
        else:
            taken_ids[doc.meta.id] = doc
    explicit_urls: dict[str, str] = {}
    for doc in docs:
        if not doc.meta.slug:
            continue
        url = urls.article(doc.meta.date.astimezone(zone), doc.meta.slug)
        other = taken_urls.get(url)
        if other:
            problems.append(error(doc.path, doc.meta.line_of("slug"),
                                  f"网址 {url} 与 {other.path}:{other.meta.line_of('slug')} 相同 (two articles with the same URL)",
                                  "给其中一篇换一个 slug"))
        else:
            taken_urls[url] = doc
            explicit_urls[doc.path] = url
    return problems, explicit_urls


def _derived(doc: ArticleDoc, zone: tzinfo, column_slugs: Mapping[str, str], slug_of: Callable[[str], str],
             explicit_urls: Mapping[str, str], taken_ids: dict, taken_urls: dict, tried: dict[str, int]) -> Identity:
    """The id and URL of an article the record does not settle: explicit where written, else
    derived (from column and date, from the title), with the first free -2, -3 …"""
    local = doc.meta.date.astimezone(zone)
    if doc.meta.id:
        article_id = doc.meta.id
    else:
        base = derived_id(column_slugs[doc.meta.column], local)
        article_id = _first_free(base, lambda n: f"{base}-{n}" if n > 1 else base, taken_ids, tried)
        taken_ids[article_id] = doc
    if doc.meta.slug:
        return Identity(article_id, doc.meta.slug, explicit_urls.get(doc.path) or urls.article(local, doc.meta.slug))
    base = derived_slug(doc.meta.title, article_id, slug_of)
    url = _first_free(urls.article(local, base),
                      lambda n: urls.article(local, f"{base}-{n}" if n > 1 else base), taken_urls, tried)
    taken_urls[url] = doc
    return Identity(article_id, url.rstrip("/").rpartition("/")[2], url)


def _moved(doc: ArticleDoc, entry: Published, now: Identity, pins: tuple[str, str, str, str]) -> Problem:
    """A warning that a published article's id or URL moved: old → new, at the front-matter
    line that changed, with the line that would keep the old one."""
    changed = [key for key, old, new in zip(PIN_KEYS, entry.pins, pins) if old != new]
    key = changed[0] if changed else "title"
    names, what = [], []
    if now.id != entry.id:
        names.append("id")
        what.append(f"id {entry.id} → {now.id}")
    if now.url != entry.url:
        names.append("网址")
        what.append(f"网址 URL /{entry.url} → /{now.url}")
    keep = []                                  # what keeps the old ones
    if now.id != entry.id:
        keep.append(f"把 id 改回 {entry.pins[0]}" if entry.pins[0] and doc.meta.id else f"写一行 id: {entry.id}")
    if now.url != entry.url:
        if entry.pins[2] != pins[2]:
            keep.append(f"把 date 改回 {entry.pins[2]} 那一天（网址里有日期）")
        else:
            keep.append(f"把 slug 改回 {entry.pins[1]}" if entry.pins[1] and doc.meta.slug else f"写一行 slug: {entry.slug}")
    moved_from = f"（文件原来是 {entry.path}）" if entry.path != doc.path else ""
    return warning(doc.path, doc.meta.line_of(key),
                   f"已发布文章的{'和'.join(names)}变了 (published id/URL changed): "
                   f"{'；'.join(what)}{moved_from}",
                   "订阅、浏览量和别人的链接都认原来的 id 和网址。不是有意改的话，在 front matter 里"
                   + "，".join(keep) + "；确实要改，就忽略这条")


def shared_derivations(docs: Iterable[ArticleDoc], identities: Mapping[str, Identity], config: Config,
                       zone: tzinfo, slug: Callable[[str], str] = slugify) -> list[Problem]:
    """Warnings (for `check`) for articles whose derived id or URL they share with another
    article, so that which one gets `-2` is decided by the order of files, not by the editor:
    naming the other and giving the lines that fix both."""
    column_slugs = {c.name: c.slug for c in config.columns}
    groups: dict[tuple, list[ArticleDoc]] = {}
    for doc in sorted(docs, key=_order):
        local = doc.meta.date.astimezone(zone)
        base_id = derived_id(column_slugs[doc.meta.column], local)
        if not doc.meta.id:
            groups.setdefault(("id", base_id), []).append(doc)
        if not doc.meta.slug:
            groups.setdefault(("slug", urls.article(local, derived_slug(doc.meta.title, doc.meta.id or base_id, slug))),
                              []).append(doc)
    found = []
    for (kind, _), members in groups.items():
        if len(members) < 2:
            continue
        for doc in members:
            others = [d for d in members if d is not doc]
            named = "、".join(d.path for d in others[:SHOWN]) + (f" 等 {len(others)} 篇" if len(others) > SHOWN else "")
            lines = "；".join(f"{d.path} 写 {kind}: {getattr(identities[d.path], kind)}" for d in [doc, *others[:SHOWN]])
            what = "id" if kind == "id" else "网址 URL"
            found.append(warning(doc.path, 1,
                                 f"{what} 是推出来的，和 {named} 推出的相同 (derived {kind} shared)：哪篇得到 -2 取决于文件的顺序",
                                 f"在 front matter 里写明：{lines}（kexie-site pin --write 会全部写好）"))
    return found
