"""Every URL and output-path rule of the site, in one place.

URLs here are site-relative ("2024/08/22/heidong/"); `href` puts the base path in front
(root-relative links work on every page, 404.html included, and under a sub-path base_url);
`absolute` makes the full URL for feeds, sitemap, canonical and Open Graph.
All of them are ASCII: slugs come from pinyin, and anything else is percent-encoded.
"""
from __future__ import annotations

import posixpath
import re
from typing import Callable
from datetime import datetime
from html import escape
from urllib.parse import quote, unquote, urlsplit

from .text import slugify

MARKDOWN_SUFFIXES = (".md", ".markdown")
LINK_PREFIX = "#kexie-link-"
LINK_RE = re.compile(f' href="{re.escape(LINK_PREFIX)}([0-9a-f]+)-([0-9]+)"')   # a placeholder's attribute

HOME = ""
ARCHIVE = "archive/"
TAGS = "tags/"
COLUMNS = "columns/"
HOT = "hot/"
STATS = "stats/"
SEARCH = "search/"          # the search page; its index under search/index/
NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
ARCHIVE_JSON = "archive.json"
RSS = "feed.xml"
ATOM = "atom.xml"
STATIC = "static/"
CONTENT_DIR = "content"
DEV = "__kexie/"          # `serve`'s own files (the dev script, the build's status)
ICP_LOOKUP = "https://beian.miit.gov.cn/"          # where an ICP number is looked up (MIIT)
POLICE_LOOKUP = "https://beian.mps.gov.cn/#/query/webSearch?code="   # a 公安机关备案号, looked up (MPS)


def police_lookup(record: str) -> str:
    """The MPS 备案 site's page for a record ("鲁公网安备 37160202000123号" → its digits)."""
    digits = "".join(ch for ch in record if ch.isdigit())
    return POLICE_LOOKUP + digits if digits else ""
BUSUANZI_SCRIPT = "https://busuanzi.ibruce.info/busuanzi/2.3/busuanzi.pure.mini.js"


def views_urls(provider: str, url: str) -> dict[str, str]:
    """The view counter's URLs for the templates: where a hit is counted and its script."""
    if provider == "goatcounter":
        return {"count": f"{url}/count", "script": f"{url}/count.js"}
    if provider == "busuanzi":
        return {"count": "", "script": BUSUANZI_SCRIPT}
    return {"count": "", "script": ""}


def article(local_date: datetime, slug: str) -> str:
    """An article lives under its publication day: a daily column may repeat a title on other days."""
    return f"{day(local_date)}{slug}/"


def day(local_date: datetime) -> str:
    """The day part of an article's URL, "2024/08/22/" (years are 1000–9998: see dates.py)."""
    return f"{local_date.year}/{local_date.month:02d}/{local_date.day:02d}/"


def paged(url: str, page: int) -> str:
    return url if page <= 1 else f"{url}page/{page}/"


def column(slug: str, page: int = 1) -> str:
    return paged(f"{COLUMNS}{slug}/", page)


def tag(slug: str, page: int = 1) -> str:
    return paged(f"{TAGS}{slug}/", page)


def year(y: int) -> str:
    return f"{ARCHIVE}{y:04d}/"


def month(y: int, m: int) -> str:
    return f"{ARCHIVE}{y:04d}/{m:02d}/"


def feeds(prefix: str = "") -> tuple[str, str]:
    """(RSS, Atom) URLs of the site (prefix "") or of a column (prefix = column URL)."""
    return prefix + RSS, prefix + ATOM


def static(path: str) -> str:
    return STATIC + path


def output_file(url: str) -> str:
    """Where the page for a URL is written: pretty URLs end in / and become …/index.html."""
    return url + "index.html" if url == "" or url.endswith("/") else url


# what quote(url, safe="/#?=&:%") leaves as it is: most of our URLs, which need no quoting
UNQUOTED_RE = re.compile(r"[A-Za-z0-9_.~/#?=&:%-]*")


def _quoted(url: str) -> str:
    return url if UNQUOTED_RE.fullmatch(url) else quote(url, safe="/#?=&:%")


def external_or_absolute(base_url: str, url: str) -> str:
    """An absolute URL (http…) as it is; a site URL made absolute under base_url."""
    return url if url.startswith(("http://", "https://")) else absolute(base_url, url)


def href(base_path: str, url: str) -> str:
    return base_path + _quoted(url)


def absolute(base_url: str, url: str) -> str:
    return base_url + _quoted(url)


def asset(content_path: str, slug: Callable[[str], str] = slugify) -> str:
    """Output path of a file from content/ (an image): its folders and name as ASCII slugs
    (图片/卫星图.PNG → tupian/weixingtu.png), mirroring where it lies under content/."""
    *folders, name = content_path.split("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    parts = [slug(f) or "files" for f in folders]
    ext = "".join(ch for ch in ext.lower() if ch.isascii() and ch.isalnum())
    parts.append((slug(stem) or "file") + (f".{ext}" if ext else ""))
    return "/".join(parts)


def url_of_output(path: str) -> str:
    """Inverse of output_file: the URL under which a written file is served."""
    if path == "index.html":
        return ""
    if path.endswith("/index.html"):
        return path[: -len("index.html")]
    return path


def content_relative(doc_path: str) -> str:
    prefix = CONTENT_DIR + "/"
    return doc_path[len(prefix):] if doc_path.startswith(prefix) else doc_path


def is_article_link(href: str) -> bool:
    """Whether a link names a Markdown file by a relative path ("../kyky/2024-08-21-x.md#y")."""
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and parts.path.lower().endswith(MARKDOWN_SUFFIXES)


def link_placeholder(token: str, n: int) -> str:
    """What a link to another article holds in the cached HTML until the site is assembled: a
    fragment-only URL (sanitizers keep it) naming a token made from the article's body."""
    return f"{LINK_PREFIX}{token}-{n}"


def article_link(url: str, written: str) -> str:
    """The site-relative URL a link to the article at `url` goes to: its page, with the
    fragment the editor wrote (href() quotes it like the rest of the URL)."""
    fragment = urlsplit(written).fragment
    return f"{url}#{fragment}" if fragment else url


def fill_links(html: str, token: str, hrefs: list[str]) -> str:
    """The HTML with each link placeholder replaced by its href; a link whose href is "" (its
    article is not published) loses the attribute and stays as text."""
    if not token:
        return html

    def put(m: re.Match) -> str:
        if m.group(1) != token:
            return m.group(0)
        n = int(m.group(2))
        href = hrefs[n] if n < len(hrefs) else ""
        return f' href="{escape(href, quote=True)}"' if href else ""

    return LINK_RE.sub(put, html)


def resolve_local(doc_path: str, src: str) -> str | None:
    """The content-relative path a relative reference points at, '' when it leaves content/,
    None when it is not a local file reference (a URL, an anchor, an absolute path)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith(("/", "#")) or not parts.path:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(content_relative(doc_path)), unquote(parts.path)))
    if target.startswith("../") or target == ".." or target.startswith("/"):
        return ""
    return target
