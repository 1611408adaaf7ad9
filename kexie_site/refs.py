"""Local references: where an image, a cover or a linked file an article names really is.

An article may name a file however editors write it: relative to its own folder
(`images/x.png`, `../images/x.png`), from the site's root (`/images/x.png`: `content/images/x.png`,
else the site's `static/images/x.png`, else the theme's `/static/…`; with or without the
base_url's sub-path), in Markdown, in raw HTML (`src`, `href`, `srcset`) or in `cover:`. Each is
looked up in one index of the files the build can publish (`Files`), and is then either its
published URL or a problem: missing, outside the site, an absolute path on the editor's own
computer (`C:\\…`, `/Users/…`, `file://…`), or an image's name on bytes that are not an image.

Pure: the index is made by the pipeline from what sources.py read.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import unquote, urlsplit

from . import urls
from .model import FILE, IMAGE, UNREADABLE


# C:\…, D:/…, \\server\share, file://…: the editor's own computer, which readers cannot reach
LOCAL_PATH = r"(?:[A-Za-z]:[\\/]|\\\\|file:)"
LOCAL_PATH_RE = re.compile("^" + LOCAL_PATH, re.I)
# the first folder of an absolute path on macOS or Linux (a site's own folders are rarely named so)
COMPUTER_ROOTS = {"users", "home", "volumes", "private", "tmp", "mnt", "media", "var", "opt", "root",
                  "applications", "sdcard", "storage", "library"}
PAGE_SUFFIXES = ("", ".html", ".htm")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class FileInfo:
    url: str                 # site-relative published URL ("kyky/images/beidou.png")
    width: int = 0
    height: int = 0
    kind: str = FILE

    def seen(self) -> list:
        """What a cached render remembers of the file (see `Files.lookup`)."""
        return [self.url, self.width, self.height, self.kind]


@dataclass(frozen=True)
class Files:
    """Every file a reference may name. Keys: content-relative paths ("kyky/images/x.png") for
    files under content/, "/"-rooted site paths ("/logo.png", "/static/css/site.css") for the
    site's and the theme's static files (published as they are)."""
    entries: Mapping[str, FileInfo]
    base_path: str = "/"

    def get(self, key: str) -> FileInfo | None:
        return self.entries.get(key)


@dataclass(frozen=True)
class Found:
    href: str                # what to publish: base path, quoted, with the query and fragment written
    url: str                 # site-relative (for absolute URLs: feeds, Open Graph)
    key: str                 # the key in Files (a content path is published only when used)
    info: FileInfo


@dataclass(frozen=True)
class Miss:
    message: str
    hint: str


def is_content(key: str) -> bool:
    return not key.startswith("/")


def _file_name(written: str) -> str:
    name = re.split(r"[\\/]", written.rstrip("\\/"))[-1]
    return unquote(name) or "图片1.png"


def shown(written: str) -> str:
    """A reference as written, for a message: control characters made visible."""
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", written)


def local_path(written: str, image: bool = True) -> Miss:
    """The problem of a path on the editor's own computer (C:\\…, /Users/…, file://…)."""
    what = "图片" if image else "链接的文件"
    name = _file_name(written)
    example = f"![]({name})" if image else f"[说明]({name})"
    return Miss(f"{what}用了本机上的绝对路径，读者打不开 (absolute local path): {shown(written)}",
                f"把文件复制到文章所在的文件夹（或它旁边的 images/ 文件夹），再写成相对路径，例如 {example}")


def names_a_file(path: str) -> bool:
    """Whether a link's path names a file (an attachment, a feed) rather than a page: it has a
    file extension other than .html/.htm and does not end in /. The build looks such links up."""
    suffix = posixpath.splitext(unquote(path).rstrip("/"))[1].lower()
    return not path.endswith("/") and bool(suffix) and suffix not in PAGE_SUFFIXES + urls.MARKDOWN_SUFFIXES


def resolve(doc_path: str, written: str, files: Files, want: str, lookups: list | None = None
            ) -> tuple[Found | None, Miss | None]:
    """What a reference written in the article at doc_path names. `want` is IMAGE (an <img>, a
    srcset candidate, a cover: must be a readable image) or FILE (a link: a file when one is
    there; a link whose name has no file extension, or .html, that names no file is a page, not
    looked up here).
    (None, None): not a local file (a web address, an anchor, a page link); (Found, None); or
    (None, Miss) saying what is wrong. `lookups` collects [key, what was found] for the cache."""
    written = written.strip()
    image = want == IMAGE
    what = "图片" if image else "链接的文件"
    if not written or written.startswith("#"):
        return None, None
    if LOCAL_PATH_RE.match(written):
        return None, local_path(written, image)
    parts = urlsplit(written)
    if parts.scheme or parts.netloc or SCHEME_RE.match(written):
        return None, None                       # a web address (or a scheme the sanitizer judges)
    path = unquote(parts.path)
    if not path:
        return None, None
    suffix = posixpath.splitext(path.rstrip("/"))[1].lower()
    if not image and suffix in urls.MARKDOWN_SUFFIXES:
        return None, None                       # an article: the linker's
    maybe_page = not image and (suffix in PAGE_SUFFIXES or path.endswith("/"))
    tail = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")

    if path.startswith("/"):
        rooted = path
        base = files.base_path
        if base != "/" and rooted.startswith(base):
            rooted = "/" + rooted[len(base):]     # the editor wrote the sub-path too
        rooted = posixpath.normpath(rooted)
        candidates = [rooted[1:], rooted]       # content/…, then static/… (site's, then theme's)
    else:
        target = urls.resolve_local(doc_path, path)
        if target == "":
            if maybe_page:
                return None, None
            return None, Miss(f"{what} {shown(written)} 指向 content/ 之外 (outside the site)",
                              "把文件放进 content/ 目录下（文章旁边最方便），用相对路径引用")
        candidates = [target]
    for key in candidates:
        info = files.get(key)
        if lookups is not None:
            lookups.append([key, info.seen() if info else None])
        if info is None:
            continue
        if image and info.kind != IMAGE:
            hint = ("用图片软件把它重新导出为 PNG 或 JPEG（文件可能只是改了扩展名，或已损坏）" if info.kind == UNREADABLE
                    else "这不是图片文件；要让读者下载它，写成链接 [说明](…)，不要写成图片 ![](…)")
            return None, Miss(f"{what}文件不是可读的图片 (not a readable image): {shown(written)}", hint)
        return Found(urls.href(files.base_path, info.url) + tail, info.url + tail, key, info), None
    if maybe_page:
        return None, None                       # a page: `check` looks at links to pages

    message = (f"图片不存在 (image not found): {shown(written)}" if image
               else f"{what}不存在 (file not found): {shown(written)}")
    if path.startswith("/"):
        first = rooted.strip("/").split("/")[0].lower()
        if first in COMPUTER_ROOTS:
            return None, local_path(written, image)
        return None, Miss(message, f"以 / 开头的路径从网站根目录算起：文件应该在 content{rooted} 或 static{rooted}")
    target = candidates[0]
    hint = f"检查文件名和路径：应该在 content/{target}"
    if "\\" in path:
        hint += "；路径里的文件夹用 / 分隔，不要用 \\"
    folded = target.casefold()
    near = [k for k in files.entries if is_content(k) and k.casefold() == folded]
    if near:
        hint += f"；content/{near[0]} 只是大小写不同，网站服务器区分大小写"
    return None, Miss(message, hint)


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptor) pairs of a srcset ("a.png 1x, b.png 2x"), read as the HTML standard
    does: a URL is a run without white space (so a data: URL keeps its commas); a comma ends a
    candidate after its descriptor, or at the URL's end."""
    found = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if not url:
            break
        if url.endswith(","):
            found.append((url.rstrip(","), ""))
            continue
        start = pos
        depth = 0
        while pos < n and (value[pos] != "," or depth):
            depth += {"(": 1, ")": -1}.get(value[pos], 0)
            pos += 1
        found.append((url, " ".join(value[start:pos].split())))
        pos += 1
    return found


def join_srcset(candidates: list[tuple[str, str]]) -> str:
    return ", ".join(f"{url} {descriptor}".strip() for url, descriptor in candidates)


def lookups_valid(lookups: list, files: Files) -> bool:
    """Whether the files a cached render looked up are still what they were."""
    for key, seen in lookups:
        info = files.get(key)
        if (info.seen() if info else None) != seen:
            return False
    return True
