"""The reading edge: site.toml, content/ and the theme's files, read once at the start."""
from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


from .model import Asset, SourceFile

MARKDOWN_SUFFIXES = (".md", ".markdown")
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


def is_skipped(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SKIPPED_PATTERNS)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_size(path: Path) -> tuple[int, int]:
    """Width and height from the file's header (imagesize), (0, 0) when unknown."""
    import imagesize

    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return 0, 0
    return (int(width), int(height)) if width > 0 and height > 0 else (0, 0)


def _walk(root: Path, errors: list):
    """Files under root, sorted, without following symlinks (so loops cannot hang the walk);
    folders that cannot be read are added to errors, never passed over in silence."""
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not is_skipped(d))
        for name in sorted(files):
            yield Path(folder) / name


def _read_one(path: Path, rel_site: str, content: Path, known: dict, markdown: list, assets: list) -> None:
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        stat = path.stat()
        seen = known.get(rel_site)
        if seen and seen[0] == stat.st_size and seen[1] == stat.st_mtime_ns:
            markdown.append(SourceFile(rel_site, None, seen[2], stat.st_size, stat.st_mtime_ns))
        else:
            data = path.read_bytes()      # hashed, not kept: the worker that parses it reads it again
            markdown.append(SourceFile(rel_site, None, sha256(data), len(data), stat.st_mtime_ns))
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        stat = path.stat()
        fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        width, height = image_size(path)
        assets.append(Asset(path.relative_to(content).as_posix(), str(path), fingerprint, width, height))


def read_sources(site_dir: Path, known: dict[str, tuple[int, int, str]] | None = None,
                 config_name: str = "site.toml") -> Sources:
    """Everything the build reads. A Markdown file whose size and mtime match `known` (from the
    cache) is not read again: its hash is taken from there."""
    known = known or {}
    config_path = site_dir / config_name
    config_data = config_path.read_bytes() if config_path.is_file() else None
    content = site_dir / "content"
    markdown, assets, skipped, walk_errors, unreadable = [], [], [], [], []
    if content.is_dir():
        for path in _walk(content, walk_errors):
            rel_site = path.relative_to(site_dir).as_posix()
            if is_skipped(path.name) or path.is_symlink():
                skipped.append(rel_site)
                continue
            try:
                _read_one(path, rel_site, content, known, markdown, assets)
            except OSError as exc:
                unreadable.append((rel_site, exc.strerror or str(exc)))
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
