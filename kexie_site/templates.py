"""Themes: where templates and static files are found, and the Jinja environment with our filters.

Lookup order for a template or a static file: the site's own themes/<theme>/, the packaged
themes/<theme>/, then the packaged default theme. So a site can override one template
(themes/default/templates/article.html) and keep the rest.
"""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from . import urls
from .hashing import files_digest
from .text import zh_date, zh_datetime, zh_number

THEME_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def packaged_themes() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "themes"                 # inside a wheel
    return installed if (installed / "default").is_dir() else here.parent / "themes"   # a source checkout


def theme_dirs(site_dir: Path, theme: str) -> list[Path]:
    if not THEME_NAME_RE.match(theme):
        raise ValueError(f"theme name {theme!r}")
    packaged = packaged_themes()
    dirs = [site_dir / "themes" / theme, packaged / theme, packaged / "default"]
    seen, result = set(), []
    for d in dirs:
        real = d.resolve()
        if d.is_dir() and real not in seen:
            seen.add(real)
            result.append(d)
    return result


def files_under(root: Path) -> dict[str, Path]:
    found = {}
    if root.is_dir():
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if not name.startswith(".") and not path.is_symlink():
                    found[path.relative_to(root).as_posix()] = path
    return found


def static_files(dirs: list[Path]) -> dict[str, Path]:
    """static/ files of the theme layers, the first layer winning."""
    merged: dict[str, Path] = {}
    for d in reversed(dirs):
        merged.update(files_under(d / "static"))
    return dict(sorted(merged.items()))


def theme_digest(dirs: list[Path]) -> str:
    """Changes whenever any template of the layers changes (for the page cache)."""
    return files_digest((f"{layer}:{rel}", path) for layer, d in enumerate(dirs)
                        for rel, path in files_under(d / "templates").items())


def theme_files(dirs: list[Path], *extra: Path) -> list[tuple[str, str]]:
    """(path, stamp) of every template and static file: cheap, for the no-change check."""
    from .sources import stamp

    rows = []
    for root in [*dirs, *extra]:
        for rel, path in files_under(root).items():
            rows.append((f"{root}/{rel}", stamp(path.stat())))
    return rows


def iso(value: datetime) -> str:
    return value.isoformat()


def make_env(dirs: list[Path], base_path: str, base_url: str):
    import jinja2  # not needed on the no-change path

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d / "templates")) for d in dirs]),
        autoescape=True,                      # every template, HTML and XML alike
        undefined=jinja2.StrictUndefined,     # a typo in a theme is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        zh_date=zh_date,
        zh_datetime=zh_datetime,
        zh_number=zh_number,
        iso=iso,
        href=lambda url: urls.href(base_path, url),
        static=lambda rel: urls.href(base_path, urls.static(rel)),     # a file of the theme's static/
        absolute=lambda url: urls.absolute(base_url, url),
    )
    return env
