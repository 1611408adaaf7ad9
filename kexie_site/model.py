"""The plain data passed between stages: small frozen dataclasses holding tuples."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Callable, Mapping


@dataclass(frozen=True)
class Column:
    name: str
    slug: str
    description: str = ""
    wechat: bool = False             # its articles also go to the WeChat official account (checked for it)
    color: str = ""                  # the theme's colour for it, "#rrggbb" (≥ 4.5:1 against white)


@dataclass(frozen=True)
class WechatLimits:
    """[wechat] in site.toml: what the WeChat editor and API accept (their documented values
    are the defaults)."""
    title_max_bytes: int = 64        # UTF-8 bytes; a longer title is refused (45003)
    digest_max_chars: int = 120      # 摘要 (45004 when longer)
    body_max_chars: int = 20000      # characters of text in the body
    body_max_bytes: int = 1000000    # the body's HTML, styles included
    image_max_bytes: int = 1000000   # each image, JPG or PNG (media/uploadimg)
    author: str = ""                 # the 作者 of an article without author: in its front matter
    cover: str = ""                  # the cover of an article with neither cover: nor an image (a file of the site)


@dataclass(frozen=True)
class Config:
    title: str
    base_url: str            # absolute, always ends with "/"
    base_path: str           # the path part of base_url, "/" or "/kexie/kepu/"
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    description: str = ""
    publisher: str = ""
    icp: str = ""
    police_beian: str = ""           # 公安机关备案号, e.g. 鲁公网安备 37160202000123号
    site_code: str = ""              # 网站标识码 (government sites)
    theme: str = "default"
    columns: tuple[Column, ...] = ()
    feed_limit: int = 20
    views_provider: str = "none"     # none | busuanzi | goatcounter | endpoint
    views_endpoint: str = ""         # endpoint: URL template with {key}; goatcounter: the site's URL
    paginate: int = 10
    summary_length: int = 120
    home_limit: int = 10
    search: bool = True              # [search] enabled: the search index and page
    wechat: WechatLimits = WechatLimits()

    def column(self, key: str) -> Column | None:
        """A column by its name or its slug."""
        for col in self.columns:
            if key in (col.name, col.slug):
                return col
        return None


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file of content/: path relative to the site, posix separators. The reading
    stage keeps only the hash (`data` is None); the bytes are read again where they are parsed,
    and checked against the hash."""
    path: str
    data: bytes | None
    sha256: str
    size: int = 0
    mtime_ns: int = 0
    stamp: str = ""          # sources.stamp: size, mtime, ctime, inode ("" when not from a file)


# what a file an article may name is (Asset.kind, refs.FileInfo.kind)
IMAGE = "image"            # a picture whose size was read (or an SVG)
UNREADABLE = "unreadable"  # named like a picture, but its bytes are not one
FILE = "file"              # anything else: a PDF, a Word file, a video …


@dataclass(frozen=True)
class Asset:
    """A non-Markdown file under content/: an image, or an attachment (a PDF …)."""
    path: str                # relative to the content directory, posix
    source: str              # absolute path on disk, for copying
    fingerprint: str         # sources.stamp: changes when the file does
    width: int = 0
    height: int = 0
    kind: str = FILE         # IMAGE, UNREADABLE (an image's name, not its bytes) or FILE


@dataclass(frozen=True)
class Meta:
    title: str
    date: datetime
    column: str              # the column's name
    tags: tuple[str, ...] = ()
    summary: str = ""
    author: str = ""
    id: str = ""
    slug: str = ""
    draft: bool = False
    updated: datetime | None = None
    cover: str = ""
    lines: tuple[tuple[str, int], ...] = ()   # key -> line in the source file
    wechat_digest: str = ""  # the 摘要 on WeChat, when not the summary

    @cached_property
    def instant(self) -> float:
        """The date as a POSIX timestamp, for ordering (made once: documents are sorted twice)."""
        return self.date.timestamp()

    def line_of(self, key: str, default: int = 1) -> int:
        return dict(self.lines).get(key, default)


@dataclass(frozen=True)
class ArticleDoc:
    path: str                # e.g. content/kyky/heidong.md
    sha256: str
    meta: Meta
    body: str
    body_line: int           # line of the file where the body starts


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Body:
    """An article's HTML, plain text and headings: big, so kept apart from the rest of a render
    (the cache stores the HTML and headings on their own; the plain text is not kept at all)."""
    html: str
    text: str = ""           # plain text of the body, for counts and summaries
    headings: tuple[Heading, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """What the Markdown stage makes of one article; cacheable per file. `body` is there only
    where the Markdown was just rendered: in a build the assembled site carries none, and the
    pages load each body when they are made (a theme that reads `rendered.html` there gets a
    template error naming its line, never an empty string)."""
    body: Body | None = None
    files: tuple[str, ...] = ()        # content-relative paths of the files it names (images, attachments)
    key: str = ""                      # identifies the HTML (file hash, settings, images looked up)
    han: int = 0
    words: int = 0
    reading_minutes: int = 0
    auto_summary: str = ""
    # links to other articles' Markdown files: (target content path, the href as written, line),
    # each left in the HTML as a placeholder with this token (urls.fill_links puts the URL in)
    links: tuple[tuple[str, str, int], ...] = ()
    link_token: str = ""
    fingerprint: str = ""              # a hash of the text: two articles with one body have the same ("" when short)

    def _body(self) -> Body:
        if self.body is None:
            raise AttributeError("an article's HTML is not part of the assembled site: "
                                 "article pages get it as `content` and `headings`")
        return self.body

    @property
    def html(self) -> str:
        return self._body().html

    @property
    def text(self) -> str:
        return self._body().text

    @property
    def headings(self) -> tuple[Heading, ...]:
        return self._body().headings


@dataclass(frozen=True)
class ArticleRef:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Article:
    doc: ArticleDoc
    rendered: Rendered
    id: str
    slug: str
    url: str                 # site-relative, e.g. "2024/08/22/heidong/"
    column: Column
    tags: tuple["Tag", ...]
    summary: str
    prev: ArticleRef | None = None   # older, same column
    next: ArticleRef | None = None   # newer, same column
    cover_url: str = ""      # site-relative (a file of the site) or absolute (http…)
    cover_width: int = 0
    cover_height: int = 0
    preview: str = ""        # "draft" or "scheduled" when published only for a preview
    views: tuple[tuple[str, int], ...] = ()   # imported view counts per source, sorted by source
    links: tuple[str, ...] = ()   # the URL of each of rendered.links ("" when that article is not published)

    @property
    def total_views(self) -> int:
        return sum(n for _, n in self.views)

    @property
    def meta(self) -> Meta:
        return self.doc.meta

    @property
    def title(self) -> str:
        return self.doc.meta.title

    @property
    def date(self) -> datetime:
        return self.doc.meta.date

    @property
    def updated(self) -> datetime:
        return self.doc.meta.updated or self.doc.meta.date

    def ref(self) -> ArticleRef:
        return ArticleRef(self.id, self.title, self.url)


@dataclass(frozen=True)
class Tag:
    name: str
    slug: str
    url: str = ""            # its page, site-relative (urls.tag)


@dataclass(frozen=True)
class Group:
    """A titled list of articles: a column, a tag, a month or a year."""
    key: str
    title: str
    url: str
    articles: tuple[Article, ...]
    column: Column | None = None
    tag: Tag | None = None

    @cached_property
    def total_views(self) -> int:
        return sum(a.total_views for a in self.articles)


@dataclass(frozen=True)
class YearArchive:
    year: int
    url: str
    months: tuple[Group, ...]

    @property
    def count(self) -> int:
        return sum(len(m.articles) for m in self.months)


@dataclass(frozen=True)
class Site:
    config: Config
    articles: tuple[Article, ...]          # published, newest first
    columns: tuple[Group, ...]
    tags: tuple[Group, ...]
    years: tuple[YearArchive, ...]
    scheduled: tuple[ArticleDoc, ...] = ()
    drafts: tuple[ArticleDoc, ...] = ()
    assets: tuple[Asset, ...] = ()          # files to copy (images the articles use)
    asset_urls: tuple[tuple[str, str], ...] = ()   # content path -> output path


@dataclass(frozen=True)
class PageSpec:
    path: str                # output file, relative, e.g. "2024/08/22/heidong/index.html"
    url: str                 # site-relative URL, e.g. "2024/08/22/heidong/"
    template: str
    context: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Output:
    """A file of the built site: bytes, a file to copy, or a function making the bytes (called
    only when `key` differs from the last build's, so unchanged pages are not rendered)."""
    path: str
    data: bytes | None = None
    source: str | None = None
    origin: str = ""         # what produced it, for collision messages
    key: str = ""            # same key as last time: the file published then is still right
    produce: Callable[[], bytes] | None = None
    joint: bool = False      # made with others in one go (the search index): in the build's own process, once
