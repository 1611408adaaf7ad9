"""The reading edge: site.toml, content/ and the theme's files, read once at the start."""
from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .hashing import sha256
from .model import FILE, IMAGE, UNREADABLE, Asset, SourceFile
from .urls import MARKDOWN_SUFFIXES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".bmp")
# Editor lock and backup files, never content: Word/WPS (~$x.md), vim (.swp), emacs (x~, #x#).
SKIPPED_PATTERNS = (".*", "~$*", "*~", "*.swp", "*.swo", "*.tmp", "#*#", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class Sources:
    config_data: bytes | None
    markdown: tuple[SourceFile, ...]
    assets: tuple[Asset, ...]
    skipped: tuple[str, ...]          # site-relative paths of files passed over
    unreadable: tuple[tuple[str, str], ...] = ()   # (site-relative path, reason): reported as errors
    views: tuple[tuple[str, bytes], ...] = ()   # data/views.csv and data/views/*: imported view counts


SKIPPED_RE = re.compile("|".join(fnmatch.translate(pattern) for pattern in SKIPPED_PATTERNS))


def is_skipped(name: str) -> bool:
    return SKIPPED_RE.match(name) is not None


SVG_TAG_RE = re.compile(rb"<svg\b[^>]*>", re.S)
SVG_LENGTH_RE = {name: re.compile(rb"\s" + name.encode() + rb"\s*=\s*[\"']\s*([0-9.]+)\s*(?:px)?\s*[\"']")
                 for name in ("width", "height")}
SVG_VIEWBOX_RE = re.compile(rb"\sviewBox\s*=\s*[\"']\s*[-0-9.]+[\s,]+[-0-9.]+[\s,]+([0-9.]+)[\s,]+([0-9.]+)\s*[\"']")


def _svg_size(path: Path) -> tuple[int, int] | None:
    """An SVG's size from its <svg> tag: width and height in pixels, else its viewBox (what a
    browser takes for the picture's proportions); None when the file is no SVG."""
    with open(path, "rb") as handle:
        head = handle.read(16 * 1024)
    tag = SVG_TAG_RE.search(head)
    if tag is None:
        return None
    found = [SVG_LENGTH_RE[n].search(tag.group(0)) for n in ("width", "height")]
    if all(found):
        size = [float(m.group(1)) for m in found]
    else:
        box = SVG_VIEWBOX_RE.search(tag.group(0))
        size = [float(box.group(1)), float(box.group(2))] if box else [0, 0]
    width, height = round(size[0]), round(size[1])
    return (width, height) if width > 0 and height > 0 else (0, 0)


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the file's header (imagesize; an SVG's tag), (0, 0) when a picture's
    size is not given (an SVG without one), None when the file is not a readable picture."""
    import imagesize

    try:
        if path.suffix.lower() == ".svg":
            return _svg_size(path)
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return None
    return (int(width), int(height)) if width > 0 and height > 0 else None


def file_kind(path: Path) -> tuple[str, int, int]:
    """(kind, width, height) of a file an article may name: IMAGE, UNREADABLE or FILE."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return FILE, 0, 0
    size = image_size(path)
    return (IMAGE, *size) if size is not None else (UNREADABLE, 0, 0)


def _walk(folder: str, errors: list):
    """The files under folder (DirEntry objects), sorted, folders after files as os.walk gives
    them, without following symlinked folders (so loops cannot hang the walk); folders that
    cannot be read are added to errors, never passed over in silence."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        errors.append(exc)
        return
    dirs = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            yield entry
        elif not is_skipped(entry.name) and not entry.is_symlink():
            dirs.append(entry.path)
    for path in dirs:
        yield from _walk(path, errors)


def stamp(st: os.stat_result) -> str:
    """What tells that a file may have changed without reading it: size, mtime, and ctime and
    inode too, as git's index does: `cp -p`, `tar`, `rsync -t` and restores from a backup put
    the old mtime back, but no user tool can set the ctime, and a file written anew has a new one."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _read_one(entry: os.DirEntry, rel_content: str, known: dict, markdown: list, assets: list,
              known_assets: dict) -> None:
    suffix = os.path.splitext(entry.name)[1].lower()
    if suffix in MARKDOWN_SUFFIXES:
        rel_site = "content/" + rel_content
        stat = entry.stat()
        now = stamp(stat)
        seen = known.get(rel_site)
        if seen and seen[0] == now:
            markdown.append(SourceFile(rel_site, None, seen[1], stat.st_size, stat.st_mtime_ns, now))
        else:
            with open(entry.path, "rb") as handle:
                data = handle.read()     # hashed, not kept: the worker that parses it reads it again
            markdown.append(SourceFile(rel_site, None, sha256(data), len(data), stat.st_mtime_ns, now))
    else:                        # images, and attachments: published when an article names them
        fingerprint = stamp(entry.stat())
        seen = known_assets.get(rel_content)
        if seen and seen[0] == fingerprint:                  # the same file as last time: not read again
            kind, width, height = seen[1:]
        else:
            kind, width, height = file_kind(Path(entry.path))
        assets.append(Asset(rel_content, entry.path, fingerprint, width, height, kind))


def assets_to_json(assets) -> dict:
    """What read_sources may take as known_assets next time."""
    return {a.path: [a.fingerprint, a.kind, a.width, a.height] for a in assets}


def assets_from_json(text: str | None) -> dict:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {path: seen for path, seen in found.items()
            if isinstance(seen, list) and len(seen) == 4 and isinstance(seen[0], str) and seen[1] in (IMAGE, UNREADABLE, FILE)
            and isinstance(seen[2], int) and isinstance(seen[3], int)} if isinstance(found, dict) else {}


def read_sources(site_dir: Path, known: dict[str, tuple[str, str]] | None = None,
                 config_name: str = "site.toml", known_assets: dict | None = None) -> Sources:
    """Everything the build reads. A Markdown file whose stamp matches `known` (path -> (stamp,
    sha256), from the cache) is not read again: its hash is taken from there; nor is a picture whose stamp
    matches `known_assets` (content path -> [fingerprint, kind, width, height], assets_to_json)."""
    known = known or {}
    known_assets = known_assets or {}
    config_path = site_dir / config_name
    config_data = config_path.read_bytes() if config_path.is_file() else None
    content = site_dir / "content"
    markdown, assets, skipped, walk_errors, unreadable = [], [], [], [], []
    if content.is_dir():
        prefix = len(str(content)) + 1
        for entry in _walk(str(content), walk_errors):
            rel_content = entry.path[prefix:].replace(os.sep, "/")
            if is_skipped(entry.name) or entry.is_symlink():
                skipped.append("content/" + rel_content)
                continue
            try:
                _read_one(entry, rel_content, known, markdown, assets, known_assets)
            except OSError as exc:
                unreadable.append(("content/" + rel_content, exc.strerror or str(exc)))
        for exc in walk_errors:
            where = Path(exc.filename) if getattr(exc, "filename", None) else content
            unreadable.append((where.relative_to(site_dir).as_posix() if where.is_relative_to(site_dir) else str(where),
                               exc.strerror or str(exc)))
    views = []
    data_dir = site_dir / "data"
    candidates = [data_dir / "views.csv"]
    if (data_dir / "views").is_dir():
        candidates += sorted(p for p in (data_dir / "views").iterdir() if p.suffix.lower() in (".csv", ".json"))
    for path in candidates:
        if path.is_file() and not path.is_symlink() and not is_skipped(path.name):
            views.append((path.relative_to(site_dir).as_posix(), path.read_bytes()))
    return Sources(config_data, tuple(markdown), tuple(assets), tuple(skipped), views=tuple(views),
                   unreadable=tuple(unreadable))
