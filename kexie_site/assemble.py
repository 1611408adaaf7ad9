"""The whole-site stage: what is published, columns, tags, archive, prev/next, covers, the files
to publish (ids and URLs come from identity.py).

Cheap, so it runs on every build (no cache, no invalidation bugs).
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Callable, Iterable, Mapping

from . import urls
from .errors import Problem, warning
from .identity import Identity
from .model import Article, ArticleDoc, ArticleRef, Asset, Config, Group, Rendered, Site, Tag, YearArchive
from .refs import Found, is_content
from .text import slugify, unique_slug


def newest_first(docs: Iterable[ArticleDoc]) -> list[ArticleDoc]:
    return sorted(docs, key=lambda d: (-d.meta.instant, d.path))


def tag_index(docs: Iterable[ArticleDoc], slug: Callable[[str], str] = slugify) -> dict[str, Tag]:
    """Every tag name with its slug; names whose slugs meet get -2, -3 … in name order."""
    names = sorted({t for d in docs for t in d.meta.tags})
    taken: set[str] = set()
    found = {}
    for name in names:
        tag_slug = unique_slug(slug(name) or "tag", taken)
        found[name] = Tag(name, tag_slug, urls.tag(tag_slug))
    return found


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


def duplicate_problems(site: Site, before: Iterable[str] = ()) -> list[Problem]:
    """A warning for each pair of published articles that look like one copied: the same body,
    or the same title in one column on one day (a daily column may repeat a title on other days).
    Each names the other file; the warning goes to the newer copy: the one published later
    (`before`: the paths of the last publish, in the order they were first published), else the
    later one in time."""
    order = {path: n for n, path in enumerate(before)}
    found = []
    for kind, key_of in (("body", lambda a: a.rendered.fingerprint),
                         ("title", lambda a: (a.column.name, a.title, a.date.date()))):
        first: dict = {}
        for article in sorted(site.articles, key=lambda a: (order.get(a.doc.path, len(order)), a.date, a.doc.path)):
            key = key_of(article)
            if not key:
                continue
            if key in first:
                other = first[key]
                what = "正文" if kind == "body" else f"栏目 {article.column.name} 同一天的标题"
                found.append(warning(article.doc.path, article.meta.line_of("title"),
                                     f"{what}和 {other.doc.path} 的相同，像是复制的文件 (duplicate {kind})",
                                     "如果是复制出来的，删掉多余的那个文件；如果是新文章，改写标题或正文"))
            else:
                first[key] = article
    return found


def is_published(doc: ArticleDoc, now: datetime, drafts: bool, future: bool) -> bool:
    return (drafts or not doc.meta.draft) and (future or doc.meta.date <= now)


def assemble(config: Config, docs: Iterable[ArticleDoc], rendered: Mapping[str, Rendered],
             identities: Mapping[str, Identity], assets: Iterable[Asset], zone: tzinfo,
             scheduled: Iterable[ArticleDoc] = (), drafts: Iterable[ArticleDoc] = (),
             now: datetime | None = None, views: Mapping[str, Mapping[str, int]] | None = None,
             covers: Mapping[str, Found] | None = None, slug: Callable[[str], str] = slugify) -> Site:
    """The site of the published `docs`. `covers`: each article's cover, resolved (refs);
    `slug` makes the slugs of tags and files (a build passes its text.Slugs)."""
    covers = covers or {}
    docs = newest_first(docs)
    tags = tag_index(docs, slug)
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
        cover = covers.get(doc.path)
        written = doc.meta.cover
        cover_url = (cover.url if cover else written if written.startswith(("http://", "https://"))
                     else "https:" + written if written.startswith("//") else "")
        articles.append(Article(
            doc=doc, rendered=out, id=ident.id, slug=ident.slug, url=ident.url,
            column=columns[doc.meta.column], tags=tuple(tags[t] for t in doc.meta.tags),
            summary=doc.meta.summary or out.auto_summary, prev=older.get(doc.path), next=newer.get(doc.path),
            cover_url=cover_url, cover_width=cover.info.width if cover else 0, cover_height=cover.info.height if cover else 0,
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
        Group(key=tag.slug, title=tag.name, url=tag.url, articles=tuple(by_tag[tag.name]), tag=tag)
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

    used = sorted({p for a in articles for p in a.rendered.files} |
                  {covers[a.doc.path].key for a in articles if a.doc.path in covers and is_content(covers[a.doc.path].key)})
    site_assets = tuple(by_path[p] for p in used if p in by_path)
    return Site(
        config=config, articles=tuple(articles), columns=column_groups, tags=tag_groups, years=year_archives,
        scheduled=tuple(newest_first(scheduled)), drafts=tuple(newest_first(drafts)), assets=site_assets,
        asset_urls=tuple((a.path, urls.asset(a.path, slug)) for a in site_assets),
    )
