"""sitemap.xml and robots.txt: an output kind. The sitemap lists every page but the 404 page,
with the articles' dates; it is made only when its URLs or dates changed."""
from __future__ import annotations

from datetime import tzinfo

import lxml.etree as etree

from . import urls
from .hashing import key
from .layout import Layout, OutputKind, Planned
from .model import Output, PageSpec, Site

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def build_sitemap(site: Site, pages: tuple[PageSpec, ...], zone: tzinfo, site_key: str = "") -> tuple[Output, ...]:
    """sitemap.xml and robots.txt; the sitemap is made only when its URLs or dates changed."""
    c = site.config
    listed = "\n".join(p.url for p in pages if p.path != urls.NOT_FOUND)
    dated = "\n".join(f"{a.url} {a.updated.isoformat()}" for a in site.articles)
    out_key = key("sitemap", site_key, c.base_url, str(zone), listed, dated)
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute(c.base_url, urls.SITEMAP)}\n"
    return (Output(urls.SITEMAP, origin="sitemap", key=out_key, produce=lambda: _sitemap(site, pages, zone)),
            Output(urls.ROBOTS, robots.encode(), origin="robots.txt"))


def _sitemap(site: Site, pages: tuple[PageSpec, ...], zone: tzinfo) -> bytes:
    c = site.config
    lastmod = {a.url: a.updated.astimezone(zone).isoformat() for a in site.articles}
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for spec in sorted(pages, key=lambda p: p.url):
        if spec.path == urls.NOT_FOUND:
            continue
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = urls.absolute(c.base_url, spec.url)
        if spec.url in lastmod:
            etree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = lastmod[spec.url]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def plan(layout: Layout) -> Planned:
    return build_sitemap(layout.site, layout.pages, layout.zone, layout.site_key), ()


KIND = OutputKind("sitemap", "网站地图 sitemap", plan)
