"""A lychee-style checker of a built site: every local reference must be a file of the output.

`local_references(out_dir, base_url)` lists (file, reference) for every local reference found in
the pages (`*.html`) and the feeds (`*.xml` RSS/Atom, at the root and under columns/…);
`broken_links(out_dir, base_url)` keeps those whose target file does not exist.

What is collected: `href` and `src` of every element, every URL of every `srcset` (img and
source), and `<meta property=… content=…>` values that are URLs (og:image …). In feeds: the feed's
and its entries' links, and everything above inside each entry's content and summary HTML.

Local: relative, root-relative (`/…`), or absolute on base_url's scheme and host (a URL on that
host outside base_url's path is local and broken: the site does not own it). Ignored: `#fragment`
only, mailto:, tel:, data:, javascript:, any other scheme, other hosts.

Mapping to a file: resolve against the URL the file is served at, require the path to start
with base_url's path, strip it, percent-decode, drop query and fragment; a path ending in `/` (or
the base path itself) means `index.html`. Broken when no such file exists inside out_dir.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

IGNORED_SCHEMES = ("mailto:", "tel:", "data:", "javascript:")
FEED_ROOTS = ("rss", "feed", "{http://www.w3.org/2005/Atom}feed", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF")


def _served_url(out_dir: Path, path: Path, base_url: str) -> str:
    """The absolute URL a written file is served at."""
    rel = path.relative_to(out_dir).as_posix()
    if rel == "index.html":
        rel = ""
    elif rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return base_url + rel


def _srcset_urls(value: str) -> list[str]:
    """The URL of each candidate of a srcset ("a.png 1x, b.png 2x")."""
    urls = []
    for candidate in value.split(","):
        parts = candidate.strip().split()
        if parts:
            urls.append(parts[0])
    return urls


def _html_references(doc) -> list[str]:
    """Every URL-valued reference of a parsed HTML document or fragment."""
    refs: list[str] = []
    for el in doc.iter():
        if not isinstance(el.tag, str):              # comments, processing instructions
            continue
        for attr in ("href", "src"):
            value = el.get(attr)
            if value is not None:
                refs.append(value)
        srcset = el.get("srcset")
        if srcset is not None:
            refs.extend(_srcset_urls(srcset))
        if el.tag == "meta" and el.get("property") is not None:
            content = (el.get("content") or "").strip()
            if re.match(r"(?i)^(https?://|/)", content):
                refs.append(content)
    return [r.strip() for r in refs]


def _parse_fragment(text: str):
    return lxml.html.fragment_fromstring(text, create_parent="div")


def _is_feed(path: Path) -> bool:
    try:
        root = lxml.etree.parse(str(path)).getroot()
    except lxml.etree.XMLSyntaxError:
        return False
    return root.tag in FEED_ROOTS


def _feed_references(path: Path) -> list[tuple[str, str]]:
    """(reference, URL to resolve it against) of a feed. The HTML is taken as written: neither
    sanitized (feedparser would drop srcset) nor resolved by feedparser."""
    parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    refs: list[tuple[str, str]] = []
    feed_base = parsed.feed.get("link", "")
    for link in parsed.feed.get("links", []):
        if link.get("href"):
            refs.append((link["href"], feed_base))
    for entry in parsed.entries:
        base = entry.get("link", "") or feed_base
        for link in entry.get("links", []):
            if link.get("href"):
                refs.append((link["href"], base))
        htmls = [c.get("value", "") for c in entry.get("content", [])]
        if entry.get("summary"):
            htmls.append(entry["summary"])
        for html in htmls:
            if html.strip():
                refs.extend((ref, base) for ref in _html_references(_parse_fragment(html)))
    return refs


def _local_url(ref: str, page_url: str, base_url: str) -> str | None:
    """The absolute URL of a local reference; None when it is not local."""
    if not ref or ref.startswith("#") or ref.lower().startswith(IGNORED_SCHEMES):
        return None
    absolute = urljoin(page_url or base_url, ref)
    parts, base = urlsplit(absolute), urlsplit(base_url)
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None                                   # another host, or another scheme
    return absolute


def _target(out_dir: Path, url: str, base_url: str) -> Path | None:
    """The output file a local URL maps to; None when it cannot be inside the site."""
    base_path = urlsplit(base_url).path or "/"
    path = urlsplit(url).path or "/"
    if not path.startswith(base_path):
        return None
    rel = unquote(path[len(base_path):])
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    target = (out_dir / rel).resolve()
    root = out_dir.resolve()
    if target != root and root not in target.parents:
        return None                                   # an encoded ../ leaving the output
    return target


def _checked(out_dir: Path, base_url: str) -> list[tuple[str, str, str]]:
    """(file, reference as written, absolute URL) of every local reference."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(out_dir.rglob("*.html")):
        page_url = _served_url(out_dir, path, base_url)
        doc = lxml.html.fromstring(path.read_bytes())
        for ref in _html_references(doc):
            url = _local_url(ref, page_url, base_url)
            if url is not None:
                found.append((path.relative_to(out_dir).as_posix(), ref, url))
    for path in sorted(out_dir.rglob("*.xml")):
        if not _is_feed(path):                        # sitemap.xml and friends
            continue
        feed_url = _served_url(out_dir, path, base_url)
        for ref, base in _feed_references(path):
            url = _local_url(ref, base or feed_url, base_url)
            if url is not None:
                found.append((path.relative_to(out_dir).as_posix(), ref, url))
    return found


def local_references(out_dir: Path, base_url: str) -> list[tuple[str, str]]:
    """(file it was found in, reference as written) of every local reference of the built site."""
    return [(file, ref) for file, ref, _ in _checked(Path(out_dir), base_url)]


def broken_links(out_dir: Path, base_url: str) -> list[tuple[str, str]]:
    """(file it was found in, reference as written) of every local reference without its file."""
    out_dir = Path(out_dir)
    broken = []
    for file, ref, url in _checked(out_dir, base_url):
        target = _target(out_dir, url, base_url)
        if target is None or not target.is_file():
            broken.append((file, ref))
    return broken


def target_of(out_dir: Path, base_url: str, ref: str, page_url: str | None = None) -> Path | None:
    """The output file a reference found on the page served at page_url (default: the home page)
    maps to; None when the reference is not local or cannot be inside the site."""
    url = _local_url(ref.strip(), page_url or base_url, base_url)
    return None if url is None else _target(Path(out_dir), url, base_url)
