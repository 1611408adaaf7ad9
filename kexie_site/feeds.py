"""Site → RSS 2.0 and Atom feeds (the site's and each column's): an output kind.

Feeds are serialized by feedgen/lxml (never by templates). Each item carries the summary and the
full article with every link made absolute; its guid / Atom id comes from the article's id, so
it does not change when the title or URL does. No build time appears anywhere: the feed's own
date is that of its newest item.
"""
from __future__ import annotations

import uuid
from html import escape
from urllib.parse import urljoin
from datetime import datetime, timezone, tzinfo

import lxml.html
from feedgen.feed import FeedGenerator

from . import urls
from .hashing import key
from .keys import shown
from .layout import Layout, OutputKind, Planned
from .model import Article, Output, Site
from .refs import join_srcset, srcset_candidates

ID_NAMESPACE = uuid.UUID("6b1d3c2e-6f63-4b8a-9a35-6b6578696573")   # kexie-site's own namespace
EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def entry_id(article_id: str) -> str:
    """A URN for the article's identity: the id itself when it is a UUID, else a name-based UUID."""
    try:
        return uuid.UUID(article_id).urn
    except ValueError:
        return uuid.uuid5(ID_NAMESPACE, article_id).urn


def absolute_html(html: str, page_url: str) -> str:
    """The article's HTML with every href and src absolute (readers show items out of context)."""
    if not html.strip():
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    root.make_links_absolute(page_url, resolve_base_href=False)
    for element in root.xpath(".//*[@srcset]"):          # lxml leaves srcset as it is
        element.set("srcset", join_srcset([(urljoin(page_url, url), descriptor)
                                           for url, descriptor in srcset_candidates(element.get("srcset"))]))
    inner = lxml.html.tostring(root, encoding="unicode", method="html")
    return inner[len("<div>"):-len("</div>")]


def _feed(site: Site, zone: tzinfo, title: str, description: str, page_url: str, feed_url: str,
          articles: tuple[Article, ...], atom: bool, html_of) -> bytes:
    c = site.config
    items = articles[: c.feed_limit]
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.title(title)
    if atom:                     # (feedgen's subtitle is RSS's description too: one or the other)
        fg.subtitle(description or title)
    else:                        # text, in RSS's HTML field
        fg.description(escape(description or title, quote=False))
    fg.language(c.language)
    fg.id(urls.absolute(c.base_url, page_url))
    fg.link(href=urls.absolute(c.base_url, feed_url), rel="self",
            type="application/atom+xml" if atom else "application/rss+xml")
    fg.link(href=urls.absolute(c.base_url, page_url), rel="alternate", type="text/html")
    fg.author({"name": c.publisher or c.title})
    fg.generator("kexie-site", uri="https://pypi.org/project/kexie-site/")
    newest = max((a.updated for a in items), default=EMPTY_FEED_DATE)
    fg.updated(newest.astimezone(zone))
    if c.publisher:
        fg.rights(c.publisher)
    for article in items:
        link = urls.absolute(c.base_url, article.url)
        fe = fg.add_entry(order="append")
        fe.id(entry_id(article.id))
        fe.guid(entry_id(article.id), permalink=False)
        fe.title(article.title)
        fe.link(href=link, rel="alternate", type="text/html")
        fe.published(article.date.astimezone(zone))
        fe.updated(article.updated.astimezone(zone))
        # RSS readers read <description> as HTML: the summary is text, so it goes escaped
        # ("3<5" stays 3<5, a <script> in it stays text); Atom says type="text" itself
        summary = article.summary or article.title
        fe.summary(summary if atom else escape(summary, quote=False))
        fe.content(absolute_html(html_of(article), link), type="html")
        if article.meta.author:
            fe.author({"name": article.meta.author})
            fe.dc.dc_creator(article.meta.author)
        for tag in article.tags:
            fe.category(term=tag.name, label=tag.name)
    data = fg.atom_str(pretty=True) if atom else fg.rss_str(pretty=True)
    return data


def build_feeds(site: Site, zone: tzinfo, html_of, key_of=None) -> tuple[Output, ...]:
    """RSS and Atom of the site and of each column; `html_of(article)` gives an article's HTML.
    With `key_of(path, articles)` (a key that changes whenever anything shown of the articles
    does), a feed is made only when its key differs from the last build's."""
    c = site.config
    outputs = []
    targets: list[tuple[str, str, str, tuple[Article, ...]]] = [
        ("", c.title, c.description, site.articles)]
    for group in site.columns:
        targets.append((group.url, f"{group.title} · {c.title}", group.column.description or c.description, group.articles))
    for page_url, title, description, articles in targets:
        for path, atom in zip(urls.feeds(page_url), (False, True)):
            def produce(path=path, atom=atom, title=title, description=description, page_url=page_url,
                        articles=articles) -> bytes:
                return _feed(site, zone, title, description, page_url, path, articles, atom, html_of)
            feed_key = key_of(path, articles[: c.feed_limit]) if key_of else ""
            outputs.append(Output(path, origin="Atom" if atom else "RSS", key=feed_key, produce=produce))
    return tuple(outputs)


def plan(layout: Layout) -> Planned:
    """RSS and Atom of the site and of each column, each made only when what it shows changed."""
    site_key, memo = layout.site_key, layout.memo
    return build_feeds(layout.site, layout.zone, layout.html_of,
                       key_of=lambda path, items: key(site_key, path, *(shown(a, memo) for a in items))), ()


KIND = OutputKind("feeds", "订阅 feeds", plan)
