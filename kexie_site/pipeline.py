"""The whole build, top to bottom: read → parse → identify → render → assemble → pages/feeds → write."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import urls
from .assemble import assemble, identify, is_published
from .config import CONFIG_NAME, load_config
from .dates import DateError, get_zone, parse_date
from .decoding import decode
from .errors import BuildFailed, Problem, error, has_errors, sort_problems
from .feeds import build_feeds, build_sitemap
from .markup import ImageInfo, render
from .model import Output
from .pages import plan_pages, render_page, site_context
from .parse import parse_article
from .sources import read_sources
from .templates import make_env, static_files, theme_dirs
from .writer import PublishRefused, WriteReport, output_dir_problem, publish, site_lock


CACHE_DIR = ".kexie-cache"
SLOW_SECONDS = 1.0
HUGE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: str | None = None               # "now" for scheduling (a front-matter date); the real time by default


@dataclass(frozen=True)
class BuildResult:
    articles: int
    pages: int
    feeds: int
    scheduled: tuple[str, ...]
    drafts: tuple[str, ...]
    skipped: tuple[str, ...]
    problems: tuple[Problem, ...]        # warnings only: errors raise BuildFailed
    report: WriteReport
    seconds: float
    heavy: tuple[str, ...] = ()          # files that were huge or slow, with size and time
    output_dir: Path = field(default=Path("public"))


def find_collisions(outputs: list[Output]) -> list[Problem]:
    """Two outputs for one path, also when they differ only in letter case, are an error."""
    seen: dict[str, Output] = {}
    problems = []
    for out in outputs:
        key = out.path.casefold()
        if key in seen:
            first = seen[key]
            problems.append(error(out.origin or out.path, 1,
                                  f"输出文件 {out.path} 与 {first.origin or first.path} 生成的 {first.path} 冲突 (two outputs for one path)",
                                  "改掉其中一个的 slug 或文件名"))
        else:
            seen[key] = out
    return problems


def build(site_dir: Path, out_dir: Path | None = None, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in site_dir into out_dir (default site_dir/public). Raises BuildFailed with
    every problem found; the output directory is then left as it was."""
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "public"
    refused = output_dir_problem(site_dir, out_dir)
    if refused:
        raise BuildFailed([refused])
    try:
        with site_lock(site_dir / CACHE_DIR / "build.lock"):
            return _build(site_dir, out_dir, options)
    except PublishRefused as refused:
        raise BuildFailed(refused.problems)


def _build(site_dir: Path, out_dir: Path, options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    problems: list[Problem] = []

    # read
    sources = read_sources(site_dir)
    if sources.config_data is None:
        raise BuildFailed([error(CONFIG_NAME, 1, f"找不到配置文件 {site_dir / CONFIG_NAME} (site.toml not found)",
                                 "在站点目录里建一个 site.toml，或用 --site 指向站点目录")])
    config_text, problem = decode(sources.config_data, CONFIG_NAME)
    if problem:
        raise BuildFailed([problem])
    config, config_problems = load_config(config_text, CONFIG_NAME)
    if config is None:
        raise BuildFailed(config_problems)
    zone = get_zone(config.timezone)
    try:
        now = parse_date(options.now, zone) if options.now else datetime.now(zone)
    except DateError as exc:
        raise BuildFailed([error("--now", 1, str(exc))])
    try:
        layers = theme_dirs(site_dir, config.theme)
    except ValueError:
        raise BuildFailed([error(CONFIG_NAME, 1, f"主题名 {config.theme!r} 不可用 (invalid theme name)",
                                 "theme 只用字母、数字、- 和 _，例如 theme = \"default\"")])

    # parse
    docs = []
    for source in sources.markdown:
        doc, found = parse_article(source, config, zone)
        problems.extend(found)
        if doc is not None:
            docs.append(doc)
    identities, found = identify(docs, config, zone)
    problems.extend(found)
    published = [d for d in docs if is_published(d, now, options.drafts, options.future)]
    drafts = [d for d in docs if d.meta.draft and d not in published]
    scheduled = [d for d in docs if not d.meta.draft and d not in published]

    # render
    images = {a.path: ImageInfo(urls.asset(a.path), a.width, a.height) for a in sources.assets}
    rendered = {}
    heavy = []
    sizes = {s.path: len(s.data) for s in sources.markdown}
    for doc in published:
        tick = time.perf_counter()
        out, found = render(doc, images, config.base_path, config.summary_length)
        spent = time.perf_counter() - tick
        if spent > SLOW_SECONDS or sizes[doc.path] > HUGE_BYTES:
            heavy.append(f"{doc.path} ({sizes[doc.path] / 1024 / 1024:.1f} MiB, {spent:.1f} s)")
        problems.extend(found)
        rendered[doc.path] = out
    if has_errors(problems):
        raise BuildFailed(problems)

    # assemble and lay out
    site = assemble(config, published, rendered, identities, sources.assets, zone, scheduled, drafts)
    specs = plan_pages(site)
    env = make_env(layers, config.base_path, config.base_url)
    site_ctx = site_context(site)
    outputs: list[Output] = []
    for spec in specs:
        out, problem = render_page(spec, env, site_ctx)
        if problem:
            problems.append(problem)
        else:
            outputs.append(out)
    feeds = build_feeds(site, zone)
    outputs.extend(feeds)
    outputs.extend(build_sitemap(site, specs, zone))
    for rel, path in static_files(layers).items():
        outputs.append(Output(urls.static(rel), source=str(path), origin=f"theme static/{rel}"))
    for asset, url in zip(site.assets, (u for _, u in site.asset_urls)):
        outputs.append(Output(url, source=asset.source, origin=f"content/{asset.path}"))
    problems.extend(find_collisions(outputs))
    if has_errors(problems):
        raise BuildFailed(problems)

    # write
    try:
        report = publish(outputs, out_dir)
    except PublishRefused as refused:
        raise BuildFailed(refused.problems)
    return BuildResult(
        articles=len(site.articles), pages=len(specs), feeds=len(feeds),
        scheduled=tuple(d.path for d in site.scheduled), drafts=tuple(d.path for d in site.drafts),
        skipped=sources.skipped, problems=sort_problems(problems), report=report,
        seconds=time.perf_counter() - started, output_dir=out_dir, heavy=tuple(heavy),
    )
