"""The whole-site stage: identities and URLs, what is published, columns, tags, archive, prev/next.

Cheap, so it runs on every build (no cache, no invalidation bugs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Iterable, Mapping

from . import urls
from .errors import Problem, error, warning
from .urls import resolve_local
from .model import Article, ArticleDoc, ArticleRef, Asset, Config, Group, Rendered, Site, Tag, YearArchive
from .text import slugify, unique_slug


@dataclass(frozen=True)
class Identity:
    id: str
    slug: str
    url: str


def _order(doc: ArticleDoc):
    return (doc.meta.instant, doc.path)


def newest_first(docs: Iterable[ArticleDoc]) -> list[ArticleDoc]:
    return sorted(docs, key=lambda d: (-d.meta.instant, d.path))


def derived_id(column_slug: str, local_date: datetime) -> str:
    return f"{column_slug}-{local_date.year}{local_date.month:02d}{local_date.day:02d}"


def identify(docs: Iterable[ArticleDoc], config: Config, zone: tzinfo) -> tuple[dict[str, Identity], list[Problem]]:
    """Ids and URLs for every article, drafts and scheduled ones included, so that publishing
    one later never changes the id or URL of another.

    id: the front-matter `id`, or "<column slug>-<YYYYMMDD>" (-2, -3 … for further articles of
    that column on that day, in order of time, then file path).
    URL: "<YYYY>/<MM>/<DD>/<slug>/"; derived slugs that meet on a day get -2, -3 …; two
    explicit slugs that meet are an error."""
    problems: list[Problem] = []
    ordered = sorted(docs, key=_order)

    explicit_ids: dict[str, ArticleDoc] = {}
    for doc in ordered:
        if doc.meta.id:
            other = explicit_ids.get(doc.meta.id)
            if other:
                problems.append(error(doc.path, doc.meta.line_of("id"),
                                      f"id {doc.meta.id!r} 已被 {other.path}:{other.meta.line_of('id')} 使用 (duplicate id)",
                                      "每篇文章的 id 必须不同；已发布文章的 id 不要改，改新文章的"))
            else:
                explicit_ids[doc.meta.id] = doc
    taken_ids = set(explicit_ids)

    explicit_urls: dict[str, ArticleDoc] = {}
    for doc in ordered:
        if doc.meta.slug:
            url = urls.article(doc.meta.date.astimezone(zone), doc.meta.slug)
            other = explicit_urls.get(url)
            if other:
                problems.append(error(doc.path, doc.meta.line_of("slug"),
                                      f"网址 {url} 与 {other.path}:{other.meta.line_of('slug')} 相同 (two articles with the same URL)",
                                      "给其中一篇换一个 slug"))
            else:
                explicit_urls[url] = doc
    taken_urls = set(explicit_urls)

    result: dict[str, Identity] = {}
    slugs = {c.name: c.slug for c in config.columns}
    for doc in ordered:
        local = doc.meta.date.astimezone(zone)
        article_id = doc.meta.id or unique_slug(derived_id(slugs[doc.meta.column], local), taken_ids)
        if doc.meta.slug:
            slug = doc.meta.slug
            url = urls.article(local, slug)
        else:
            base = slugify(doc.meta.title) or slugify(article_id) or "article"
            slug, n = base, 1
            url = urls.article(local, slug)
            while url in taken_urls:
                n += 1
                slug = f"{base}-{n}"
                url = urls.article(local, slug)
            taken_urls.add(url)
        result[doc.path] = Identity(article_id, slug, url)
    return result, problems


def tag_index(docs: Iterable[ArticleDoc]) -> dict[str, Tag]:
    """Every tag name with its slug; names whose slugs meet get -2, -3 … in name order."""
    names = sorted({t for d in docs for t in d.meta.tags})
    taken: set[str] = set()
    return {name: Tag(name, unique_slug(slugify(name) or "tag", taken)) for name in names}


def link_problems(site: Site, known: Iterable[str], live: Iterable[str] | None = None) -> list[Problem]:
    """A warning for each link from a published article to an article that is not published:
    missing, or among `known` (every article's path, drafts and scheduled ones included). `live`
    is what counts as published (default: the site's articles). Such a link is shown as text."""
    known = set(known)
    live = {a.doc.path for a in site.articles} if live is None else set(live)
    found = []
    for article in site.articles:
        if article.doc.path not in live:
            continue
        for target, written, line in article.rendered.links:
            if target in live:
                continue
            if target in known:
                found.append(warning(article.doc.path, line, f"链接指向的文章还没有发布 (link to an unpublished article): {written}",
                                     "那篇文章发布后重新构建，链接就会接上；在这之前它显示为普通文字"))
            else:
                found.append(warning(article.doc.path, line, f"链接指向的文章不存在 (link to a missing article): {written}",
                                     "检查文件名；链接到别的文章可以写相对路径 ../kyky/xxx.md 或文章网址"))
    return found


def is_published(doc: ArticleDoc, now: datetime, drafts: bool, future: bool) -> bool:
    return (drafts or not doc.meta.draft) and (future or doc.meta.date <= now)


def assemble(config: Config, docs: Iterable[ArticleDoc], rendered: Mapping[str, Rendered],
             identities: Mapping[str, Identity], assets: Iterable[Asset], zone: tzinfo,
             scheduled: Iterable[ArticleDoc] = (), drafts: Iterable[ArticleDoc] = (),
             now: datetime | None = None, views: Mapping[str, Mapping[str, int]] | None = None) -> Site:
    docs = newest_first(docs)
    tags = tag_index(docs)
    columns = {c.name: c for c in config.columns}
    by_path = {a.path: a for a in assets}

    # prev (older) and next (newer) within each column
    older: dict[str, ArticleRef] = {}
    newer: dict[str, ArticleRef] = {}
    last_of: dict[str, ArticleDoc] = {}
    for doc in docs:                         # newest first
        ident = identities[doc.path]
        before = last_of.get(doc.meta.column)
        if before is not None:
            older[before.path] = ArticleRef(ident.id, doc.meta.title, ident.url)
            ref = identities[before.path]
            newer[doc.path] = ArticleRef(ref.id, before.meta.title, ref.url)
        last_of[doc.meta.column] = doc

    url_of = {doc.path: identities[doc.path].url for doc in docs}   # published articles
    articles = []
    for doc in docs:
        ident = identities[doc.path]
        out = rendered[doc.path]
        cover_url = ""
        if doc.meta.cover:
            target = resolve_local(doc.path, doc.meta.cover)
            if target and target in by_path:
                cover_url = urls.asset(target)
            elif target is None and doc.meta.cover.startswith(("http://", "https://")):
                cover_url = doc.meta.cover
        articles.append(Article(
            doc=doc, rendered=out, id=ident.id, slug=ident.slug, url=ident.url,
            column=columns[doc.meta.column], tags=tuple(tags[t] for t in doc.meta.tags),
            summary=doc.meta.summary or out.auto_summary, prev=older.get(doc.path), next=newer.get(doc.path),
            cover_url=cover_url,
            preview="draft" if doc.meta.draft else "scheduled" if now is not None and doc.meta.date > now else "",
            views=tuple(sorted((views or {}).get(doc.path, {}).items())),
            links=tuple(urls.article_link(url_of[target], written) if target in url_of else ""
                        for target, written, _ in out.links),
        ))

    by_column = {c.name: [] for c in config.columns}
    by_tag: dict[str, list[Article]] = {name: [] for name in tags}
    for a in articles:
        by_column[a.column.name].append(a)
        for t in a.tags:
            by_tag[t.name].append(a)
    column_groups = tuple(
        Group(key=c.slug, title=c.name, url=urls.column(c.slug), articles=tuple(by_column[c.name]), column=c)
        for c in config.columns
    )
    tag_groups = tuple(
        Group(key=tag.slug, title=tag.name, url=urls.tag(tag.slug), articles=tuple(by_tag[tag.name]), tag=tag)
        for tag in sorted(tags.values(), key=lambda t: t.slug) if by_tag[tag.name]
    )

    years: dict[int, dict[int, list[Article]]] = {}
    for a in articles:
        local = a.date.astimezone(zone)
        years.setdefault(local.year, {}).setdefault(local.month, []).append(a)
    year_archives = tuple(
        YearArchive(year=y, url=urls.year(y), months=tuple(
            Group(key=f"{y:04d}-{m:02d}", title=f"{y}年{m}月", url=urls.month(y, m), articles=tuple(items))
            for m, items in sorted(years[y].items(), reverse=True)))
        for y in sorted(years, reverse=True)
    )

    used = sorted({p for a in articles for p in a.rendered.images} |
                  {resolve_local(a.doc.path, a.meta.cover) for a in articles if a.cover_url and not a.cover_url.startswith("http")})
    site_assets = tuple(by_path[p] for p in used if p in by_path)
    return Site(
        config=config, articles=tuple(articles), columns=column_groups, tags=tag_groups, years=year_archives,
        scheduled=tuple(newest_first(scheduled)), drafts=tuple(newest_first(drafts)), assets=site_assets,
        asset_urls=tuple((a.path, urls.asset(a.path)) for a in site_assets),
    )
