"""Site → the pages to render (PageSpec), and PageSpec → Output.

Each page kind gets an explicit context: `site` (the same on every page), `page` (what the page
is: kind, title, canonical URL, feeds) and what that kind shows (`article`, `articles`, …).
"""
from __future__ import annotations

import traceback
from typing import Iterator

import jinja2

from . import urls
from .errors import Problem, error
from .hashing import key
from .keys import shown
from .layout import Layout, OutputKind, Planned
from .model import Article, Group, Output, PageSpec, Site
from .stats import hot, totals

HOME_PER_COLUMN = 5
SIDE_HOT = 5              # the home page's side column: the most read …
SIDE_MONTHS = 6           # … and the latest months


def group_view(group: Group) -> dict:
    """What a page shows of a group it does not list: name, link and size, not its articles
    (so that a page changes only when what it shows changes)."""
    rss, atom = urls.feeds(group.url) if group.column else ("", "")
    return {"key": group.key, "title": group.title, "url": group.url, "column": group.column,
            "tag": group.tag, "count": len(group.articles), "views": group.total_views,
            "feeds": {"rss": rss, "atom": atom} if group.column else None}


def site_context(site: Site, dev: bool = False) -> dict:
    """The same on every page: nothing in it may change when one article does."""
    c = site.config
    rss, atom = urls.feeds()
    return {
        "title": c.title, "description": c.description, "base_url": c.base_url, "base_path": c.base_path,
        "language": c.language, "publisher": c.publisher, "icp": c.icp,
        "police_beian": c.police_beian, "police_url": urls.police_lookup(c.police_beian), "site_code": c.site_code,
        "columns": [{"key": g.key, "title": g.title, "url": g.url, "column": g.column} for g in site.columns],
        "rss": rss, "atom": atom, "dev": dev,
        "urls": {"home": urls.HOME, "hot": urls.HOT, "archive": urls.ARCHIVE, "tags": urls.TAGS, "stats": urls.STATS,
                 "sitemap": urls.SITEMAP, "dev_script": urls.DEV + "dev.js", "icp": urls.ICP_LOOKUP,
                 "search": urls.SEARCH if c.search else ""},
        "views": {"provider": c.views_provider, "url": c.views_endpoint,
                  **urls.views_urls(c.views_provider, c.views_endpoint)},
    }


def _feeds(site: Site, column: Group | None) -> list[dict]:
    rss, atom = urls.feeds()
    found = [{"title": f"{site.config.title} RSS", "type": "application/rss+xml", "url": rss},
             {"title": f"{site.config.title} Atom", "type": "application/atom+xml", "url": atom}]
    if column is not None:
        c_rss, c_atom = urls.feeds(column.url)
        found += [{"title": f"{column.title} RSS", "type": "application/rss+xml", "url": c_rss},
                  {"title": f"{column.title} Atom", "type": "application/atom+xml", "url": c_atom}]
    return found


def _column_parts(site: Site, column: Group | None) -> tuple[list[dict], dict | None]:
    """A page's feeds and its column's view: the same for every page of a column."""
    view = {"key": column.key, "title": column.title, "url": column.url} if column else None
    return _feeds(site, column), view


def _page(site: Site, kind: str, url: str, title: str, description: str = "", column: Group | None = None,
          parts: tuple | None = None) -> dict:
    """What a page is. `parts` is what _column_parts gives for its column, when the caller has it
    made already (article pages share their column's: the pages only read them)."""
    feeds, view = parts or _column_parts(site, column)
    return {
        "kind": kind, "url": url, "title": title,
        "description": description or site.config.description,
        "canonical": urls.absolute(site.config.base_url, url),
        "feeds": feeds, "view_key": "", "column": view,
    }


def _chunks(items: tuple, size: int) -> list[tuple]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [()]


def _paginated(site: Site, kind: str, group: Group, title: str, column: Group | None = None) -> Iterator[PageSpec]:
    pages = _chunks(group.articles, site.config.paginate)
    view = group_view(group)          # once per group: its totals cover all its articles
    for number, chunk in enumerate(pages, 1):
        url = urls.paged(group.url, number)
        pagination = {
            "page": number, "pages": len(pages),
            "prev": urls.paged(group.url, number - 1) if number > 1 else None,
            "next": urls.paged(group.url, number + 1) if number < len(pages) else None,
        }
        page_title = title if number == 1 else f"{title}（第{number}页）"
        description = (group.column.description if group.column else "") or f"{title}，共 {len(group.articles)} 篇文章"
        yield PageSpec(urls.output_file(url), url, "list.html", {
            "page": _page(site, kind, url, page_title, description, column),
            "group": view, "articles": chunk, "pagination": pagination,
        })


def article_jsonld(site: Site, article: Article) -> dict:
    c = site.config
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.date.isoformat(),
        "dateModified": article.updated.isoformat(),
        "inLanguage": c.language,
        "url": urls.absolute(c.base_url, article.url),
        "mainEntityOfPage": urls.absolute(c.base_url, article.url),
        "identifier": article.id,
        "articleSection": article.column.name,
        "keywords": [t.name for t in article.tags],
        "wordCount": article.rendered.han + article.rendered.words,
    }
    if article.meta.author:
        data["author"] = {"@type": "Person", "name": article.meta.author}
    if c.publisher:
        data["publisher"] = {"@type": "Organization", "name": c.publisher}
    if article.cover_url:
        data["image"] = urls.external_or_absolute(c.base_url, article.cover_url)
    return data


def home_context(site: Site, hottest: dict) -> dict:
    """The home page: the newest article first, then each column's newest without it (no article
    shown twice), and beside them the most read and the latest months. `articles` (the newest,
    home_limit of them) is there for themes that list them."""
    lead = site.articles[0] if site.articles else None
    columns = [{"group": group_view(g), "articles": [a for a in g.articles if a is not lead][:HOME_PER_COLUMN]}
               for g in site.columns]
    months = [group_view(m) for y in site.years for m in y.months][:SIDE_MONTHS]
    return {"page": _page(site, "home", urls.HOME, site.config.title), "lead": lead, "home_columns": columns,
            "articles": site.articles[: site.config.home_limit], "hot": hottest["overall"][:SIDE_HOT],
            "months": months}


def plan_pages(site: Site) -> tuple[PageSpec, ...]:
    c = site.config
    specs: list[PageSpec] = []
    hottest = hot(site)                       # (the home page's side column and the 热门 page)
    specs.append(PageSpec(urls.output_file(urls.HOME), urls.HOME, "index.html", home_context(site, hottest)))
    columns = {g.column: g for g in site.columns}
    parts = {g.column: _column_parts(site, g) for g in site.columns}
    for article in site.articles:
        page = _page(site, "article", article.url, article.title, article.summary, columns[article.column],
                     parts[article.column])
        page["og_type"], page["view_key"] = "article", article.id
        page["image"] = urls.external_or_absolute(c.base_url, article.cover_url) if article.cover_url else ""
        specs.append(PageSpec(urls.output_file(article.url), article.url, "article.html", {"page": page, "article": article}))
    for group in site.columns:
        specs.extend(_paginated(site, "column", group, group.title, group))
    for group in site.tags:
        specs.extend(_paginated(site, "tag", group, f"标签：{group.title}"))
    specs.append(PageSpec(urls.output_file(urls.TAGS), urls.TAGS, "tags.html", {
        "page": _page(site, "tags", urls.TAGS, "全部标签"), "tags": [group_view(g) for g in site.tags],
    }))
    # the archive's front page lists years and months with their counts (a year page lists the
    # articles): it stays small on a site with years of daily articles
    summary = [{"year": y.year, "url": y.url, "count": y.count,
                "months": [group_view(m) for m in y.months]} for y in site.years]
    specs.append(PageSpec(urls.output_file(urls.ARCHIVE), urls.ARCHIVE, "archive_index.html", {
        "page": _page(site, "archive", urls.ARCHIVE, "文章归档"), "years": summary,
    }))
    for year in site.years:
        specs.append(PageSpec(urls.output_file(year.url), year.url, "archive.html", {
            "page": _page(site, "year", year.url, f"{year.year}年文章归档"), "years": (year,),
        }))
        for month in year.months:
            specs.extend(_paginated(site, "month", month, f"{month.title}文章归档"))
    specs.append(PageSpec(urls.output_file(urls.HOT), urls.HOT, "hot.html", {
        "page": _page(site, "hot", urls.HOT, "热门文章"), "hot": hottest,
    }))
    specs.append(PageSpec(urls.output_file(urls.STATS), urls.STATS, "stats.html", {
        "page": _page(site, "stats", urls.STATS, "浏览统计"), "stats": totals(site),
    }))
    if c.search:
        specs.append(PageSpec(urls.output_file(urls.SEARCH), urls.SEARCH, "search.html", {
            "page": _page(site, "search", urls.SEARCH, "搜索"), "index": urls.SEARCH + "index/",
        }))
    specs.append(PageSpec(urls.NOT_FOUND, urls.NOT_FOUND, "404.html", {
        "page": {**_page(site, "404", urls.NOT_FOUND, "页面不存在"), "canonical": ""},
        "articles": site.articles[:5],
    }))
    return tuple(specs)


def template_problem(exc: Exception, fallback: str) -> Problem:
    """Name the template file and line of a Jinja error."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return error(exc.filename or exc.name or fallback, exc.lineno or 1, f"模板语法错误 (template syntax error): {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return error(fallback, 1, f"找不到模板 (template not found): {exc.name}",
                     "检查 themes/ 下的模板文件名，或 site.toml 里的 theme")
    path, line = fallback, 1
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".j2", ".jinja")):
            path, line = frame.filename, frame.lineno or 1
            break
    hint = ("检查模板里的变量名和属性名；文章的正文只在文章页里有，是 content（目录是 headings），"
            "列表里的文章没有正文 (an article's HTML is `content` on its own page only)"
            if isinstance(exc, jinja2.UndefinedError) else "")
    return error(path, line, f"模板出错 (template error): {type(exc).__name__}: {exc}", hint)


# context entries made of plain values only (strings, numbers, dicts of them, columns and tags):
# their repr is what they show, and much faster to make
PLAIN_CONTEXT = {"page", "pagination", "group", "stats"}


def page_key(spec: PageSpec, site_key: str, memo: dict) -> str:
    """Changes whenever the page's bytes could: same key, same page (no need to render it).
    An article page's context is made from the article and the site alone (see plan_pages), so
    the article's key stands for all of it."""
    if spec.template == "article.html" and "article" in spec.context:
        return key(site_key, spec.template, spec.url, shown(spec.context["article"], memo))
    return key(site_key, spec.template, spec.url,
               *(f"{k}={repr(v) if k in PLAIN_CONTEXT else shown(v, memo)}" for k, v in sorted(spec.context.items())))


def render_page(spec: PageSpec, env: jinja2.Environment, site: Site, site_ctx: dict, body_of) -> tuple[bytes | None, Problem | None]:
    """The page's bytes. An article page also gets `content` and `headings` (its HTML and its
    h2–h4 headings as level, id, text, from `body_of(article)`, loaded only now) and `jsonld`
    (made only now: most pages of a rebuild are not rendered)."""
    try:
        template = env.get_template(spec.template)
        article = spec.context.get("article")
        extra = {}
        if article:
            html, headings = body_of(article)
            extra = {"content": html, "headings": headings, "jsonld": article_jsonld(site, article)}
        html = template.render(site=site_ctx, **spec.context, **extra)
    except Exception as exc:  # a theme bug must become a Problem, whatever Jinja raised
        return None, template_problem(exc, spec.template)
    return html.encode("utf-8"), None


def plan(layout: Layout) -> Planned:
    """Every page of layout.pages, rendered through the theme's templates when its key changed."""
    from .templates import make_env

    c = layout.site.config
    env = make_env(list(layout.layers), c.base_path, c.base_url)

    def producer(spec: PageSpec):
        def produce() -> bytes:
            data, problem = render_page(spec, env, layout.site, layout.site_ctx, layout.bodies)
            if problem:
                layout.notes.append(problem)
                return b""
            return data
        return produce
    return [Output(s.path, origin=s.template, key=page_key(s, layout.site_key, layout.memo), produce=producer(s))
            for s in layout.pages], ()


KIND = OutputKind("pages", "页面 pages", plan)
