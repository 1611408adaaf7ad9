"""The first step of a build: read everything it depends on, once, at the start — the sources
(hashes only where the cache knows a file's stamp), site.toml, the theme's layers, "now", what
the cache remembers of the last build — and the fingerprint that says whether anything changed.

Only stdlib-backed modules are imported here: a no-change rebuild never pays for importing
Markdown, Jinja or lxml.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from . import urls
from .cache import SCHEMA, Cache
from .codec import load_json
from .config import CONFIG_NAME, Config, column_lines, load_config, missing_config
from .dates import DateError, get_zone, parse_date
from .decoding import decode
from .errors import BuildFailed, Problem, error
from .hashing import code_digest, digest
from .options import BuildOptions
from .refs import FileInfo, Files
from .sources import Sources, assets_from_json, file_kind, read_sources
from .templates import files_under, static_files, theme_dirs, theme_files
from .text import Slugs
from .writer import read_record


@dataclass(frozen=True)
class Inputs:
    site_dir: Path
    out_dir: Path                           # resolved
    options: BuildOptions
    sources: Sources
    known_stats: dict                       # path -> (stamp, sha256) the cache had
    config_text: str
    config: Config
    zone: tzinfo
    now: datetime
    layers: tuple[Path, ...]                # the theme's folders, the site's own first
    static_dir: Path                        # the site's static/
    code: str                               # digest of the package's code
    fingerprint: str                        # of everything above: the same means nothing changed
    last: dict | None                       # what the cache remembers of the last build (memory.py)
    records: dict                           # {output path: [key, size, mtime]} of the last publish here
    slugs: Slugs                            # the build's slugs (known ones from the cache)
    problems: tuple[Problem, ...] = ()      # files that could not be read


def read_inputs(site_dir: Path, out_dir: Path, options: BuildOptions, cache: Cache) -> Inputs:
    """Everything a build depends on, or BuildFailed for a site.toml that cannot be used."""
    known_stats = cache.stats()
    sources = read_sources(site_dir, known_stats, known_assets=assets_from_json(cache.get_state("assets")))
    if sources.config_data is None:
        raise BuildFailed([missing_config(site_dir)])
    config_text, problem = decode(sources.config_data, CONFIG_NAME)
    if problem:
        raise BuildFailed([problem])
    # the slugs earlier builds worked out for the columns' names: the no-change path needs no
    # pinyin for them (all the others are read once it is known there is work to do)
    slugs = Slugs(cache.get_slugs(list(column_lines(config_text))))
    config, config_problems = load_config(config_text, CONFIG_NAME, slugs)
    if config is None:
        raise BuildFailed(config_problems)
    zone = get_zone(config.timezone)
    try:
        now = parse_date(options.now, zone) if options.now else datetime.now(zone)
    except DateError as exc:
        raise BuildFailed([error("--now", 1, str(exc))])
    try:
        layers = tuple(theme_dirs(site_dir, config.theme))
    except ValueError:
        raise BuildFailed([error(CONFIG_NAME, 1, f"主题名 {config.theme!r} 不可用 (invalid theme name)",
                                 "theme 只用字母、数字、- 和 _，例如 theme = \"default\"")])
    static_dir = site_dir / "static"
    code = code_digest(SCHEMA)
    fingerprint = digest(
        code, config_text, str(out_dir), options.drafts, options.future,
        [(s.path, s.sha256) for s in sources.markdown], [(a.path, a.fingerprint) for a in sources.assets],
        theme_files(list(layers), static_dir), [(p, digest(d)) for p, d in sources.views],
        None if options.kinds is None else [k.name for k in options.kinds],
    )
    unreadable = tuple(error(path, 1, f"无法读取 (cannot read): {reason}", "检查文件和文件夹的权限")
                       for path, reason in sources.unreadable)
    return Inputs(site_dir, out_dir, options, sources, known_stats, config_text, config, zone, now, layers,
                  static_dir, code, fingerprint, load_json(cache.get_state("last")),
                  load_json(cache.get_state(f"outputs:{out_dir}")) or {}, slugs, unreadable)


def last_record(inputs: Inputs, cache: Cache):
    """The last publish's identity record (identity.py), by path: in the published folder's
    manifest, else the copy the cache keeps of it (a `rm -rf public` before building must not
    shuffle the URLs that are still online); None when there is none."""
    from .identity import record_from_json

    record_dir = Path(inputs.options.record_dir).resolve() if inputs.options.record_dir else inputs.out_dir
    record = read_record(record_dir)
    if record is None:
        record = record_from_json(load_json(cache.get_state(f"identity:{record_dir}"), list))
    return record



@dataclass(frozen=True)
class FilesRead:
    """What an article may name: the files under content/ (by content path), the site's static
    files (by "/" + their path: published at the root), the theme's ("/static/…") and the files
    the build makes that are not pages (feeds, sitemap, archive.json …); and the static files."""
    files: Files
    theme_static: dict[str, Path]
    site_static: dict[str, Path]


def read_files(inputs: Inputs) -> FilesRead:
    theme_static = static_files(list(inputs.layers))
    site_static = files_under(inputs.static_dir)
    config = inputs.config
    entries = {a.path: FileInfo(urls.asset(a.path, inputs.slugs), a.width, a.height, a.kind) for a in inputs.sources.assets}
    made = [*urls.feeds(), urls.SITEMAP, urls.ROBOTS, urls.NOT_FOUND, urls.ARCHIVE_JSON,
            *(url for c in config.columns for url in urls.feeds(urls.column(c.slug)))]
    entries.update(("/" + url, FileInfo(url)) for url in made)
    for url, path in [(urls.static(rel), path) for rel, path in theme_static.items()] + list(site_static.items()):
        kind, width, height = file_kind(path)
        entries["/" + url] = FileInfo(url, width, height, kind)
    return FilesRead(Files(entries, config.base_path), theme_static, site_static)
