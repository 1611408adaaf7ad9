"""The whole build, top to bottom:

    read sources (hashes only) → config → [nothing changed? done] → parse and render Markdown
    per file (cached; in worker processes: articles.work) → identify → assemble → plan pages →
    make the pages, feeds and files whose keys changed (pages in worker processes too) → publish

Only stdlib-backed modules are imported at the top, so a no-change rebuild never pays for
importing Markdown, Jinja or lxml.
"""
from __future__ import annotations

import gc
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from .cache import (Cache, code_digest, digest, doc_from_json, html_key, problem_from_json, problem_to_json,
                    rendered_from_json)
from .config import CONFIG_NAME, column_lines, load_config, missing_config
from .dates import DateError, get_zone, parse_date
from .decoding import decode
from .errors import BuildFailed, Problem, error, has_errors, left_out, sort_problems, warning
from .model import Output
from .sources import assets_from_json, assets_to_json, read_sources, stamp
from .parallel import WorkerDied, ordered_map, worker_context
from .text import adopt_slugs, learned_slugs, remember_slugs
from . import writer
from .writer import (PublishRefused, WriteReport, os_problem, output_dir_problem, output_intact, output_lock_path,
                     publish, read_record, recover, site_lock)

CACHE_DIR = ".kexie-cache"
CACHE_FILE = "cache.sqlite"
SLOW_SECONDS = 1.0
HUGE_BYTES = 1024 * 1024
PARALLEL_MIN = 48          # fewer Markdown renders than this are faster in one process
PAGES_PARALLEL_MIN = 400   # and fewer pages than this
BATCH = 1024               # articles in flight to the worker processes at a time
# a build makes hundreds of thousands of small objects that live until it ends and form almost no
# cycles: collecting after every 700 of them (the default) spent a fifth of a rebuild's time
GC_THRESHOLD = 100_000


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: str | None = None               # "now" for scheduling (a front-matter date); the real time by default
    cache: bool = True                   # False: --no-cache (same code on an in-memory cache)
    jobs: int = 0                        # worker processes (Markdown, pages); 0 = one per core
    progress: Callable[[str, int, int], None] | None = None
    inspect: Callable | None = None      # `check`: called with (site, sources, urls); nothing is published
    dev: bool = False                    # `serve`: pages load the dev script that shows build errors
    record_dir: Path | None = None       # where the last publish's identity record is (default: the output)


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
    output_dir: Path = field(default=Path("public"))
    heavy: tuple[str, ...] = ()          # files that were huge or slow, with size and time
    markdown_renders: int = 0            # articles whose Markdown was rendered (not from the cache)
    pages_rendered: int = 0              # pages whose template was rendered
    fast: bool = False                   # nothing had changed: nothing was done
    timings: tuple[tuple[str, float, int], ...] = ()   # (stage, seconds, peak MiB so far)
    record_found: bool = True                 # ids and URLs followed the last publish's record (False: none found)


def find_collisions(outputs: list[Output]) -> list[Problem]:
    """Two outputs for one path, also when they differ only in letter case, are an error, and so
    is an output where another one needs a folder (static/2024 and the articles of 2024)."""
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
    folders: set[str] = set()                 # a file where another output needs a folder
    for out in outputs:
        parts = out.path.casefold().split("/")[:-1]
        for i in range(len(parts), 0, -1):
            folder = "/".join(parts[:i])
            if folder in folders:
                break                         # and so are the folders above it
            folders.add(folder)
            if folder in seen:
                file = seen[folder]
                problems.append(error(file.origin or file.path, 1,
                                      f"输出文件 {file.path} 与 {out.origin or out.path} 需要的文件夹 {folder}/ 冲突 (a file where a folder is needed)",
                                      "给其中一个换个名字"))
    return problems


def build(site_dir: Path, out_dir: Path | None = None, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in site_dir into out_dir (default site_dir/public). Raises BuildFailed with
    every problem found; the output directory is then left as it was."""
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "public"
    refused = output_dir_problem(site_dir, out_dir)
    if refused:
        raise BuildFailed([refused])
    if not (site_dir / CONFIG_NAME).is_file():
        raise BuildFailed([missing_config(site_dir)])
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildFailed([error(str(out_dir), 1, "输出路径是一个文件，不是目录 (output is a file)",
                                 "换一个输出目录，例如 --output public")])
    thresholds = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, thresholds[0]), *thresholds[1:])   # the workers fork with it
    try:
        with site_lock(site_dir / CACHE_DIR / "build.lock", optional=True), \
                site_lock(output_lock_path(out_dir), optional=options.inspect is not None):   # (check writes nothing)
            recover(out_dir.resolve())            # roll back what a killed build left half done
            cache = Cache.open(site_dir / CACHE_DIR / CACHE_FILE) if options.cache else Cache.memory()
            try:
                return _build(site_dir, out_dir.resolve(), options, cache)
            finally:
                cache.close()
    except PublishRefused as refused:
        raise BuildFailed(refused.problems)
    except OSError as exc:                  # a full disk, a read-only or foreign folder: said, not a traceback
        raise BuildFailed([os_problem(exc, out_dir)])
    except WorkerDied:
        raise BuildFailed([error("--jobs", 1, "一个工作进程意外退出，构建没有完成 (a worker process died: out of memory, or killed)",
                                 "输出目录没有改动；关掉别的程序再构建，或用 --jobs 1 只用一个进程")])
    finally:
        gc.set_threshold(*thresholds)


def _tick(options: BuildOptions, stage: str, done: int, total: int) -> None:
    if options.progress:
        options.progress(stage, done, total)


def _build(site_dir: Path, out_dir: Path, options: BuildOptions, cache: Cache) -> BuildResult:
    started = time.perf_counter()
    problems: list[Problem] = []

    # read
    known_stats = cache.stats()
    sources = read_sources(site_dir, known_stats, known_assets=assets_from_json(cache.get_state("assets")))
    if sources.config_data is None:
        raise BuildFailed([missing_config(site_dir)])
    config_text, problem = decode(sources.config_data, CONFIG_NAME)
    if problem:
        raise BuildFailed([problem])
    # the slugs earlier builds worked out for the columns' names: the no-change path needs no
    # pinyin for them (all the others, once it is known there is work to do)
    remember_slugs(cache.get_slugs(list(column_lines(config_text))))
    config, config_problems = load_config(config_text, CONFIG_NAME)
    if config is None:
        raise BuildFailed(config_problems)
    problems.extend(error(path, 1, f"无法读取 (cannot read): {reason}", "检查文件和文件夹的权限")
                    for path, reason in sources.unreadable)
    zone = get_zone(config.timezone)
    try:
        now = parse_date(options.now, zone) if options.now else datetime.now(zone)
    except DateError as exc:
        raise BuildFailed([error("--now", 1, str(exc))])
    from .templates import theme_dirs, theme_files
    try:
        layers = theme_dirs(site_dir, config.theme)
    except ValueError:
        raise BuildFailed([error(CONFIG_NAME, 1, f"主题名 {config.theme!r} 不可用 (invalid theme name)",
                                 "theme 只用字母、数字、- 和 _，例如 theme = \"default\"")])
    static_dir = site_dir / "static"

    # nothing changed since the last build? then there is nothing to do
    code = code_digest()
    fingerprint = digest(
        code, config_text, str(out_dir), options.drafts, options.future,
        [(s.path, s.sha256) for s in sources.markdown], [(a.path, a.fingerprint) for a in sources.assets],
        theme_files(layers, static_dir), [(p, digest(d)) for p, d in sources.views],
    )
    state = _load_state(cache.get_state("last"))
    records = _load_state(cache.get_state(f"outputs:{out_dir}")) or {}
    if options.inspect is None and state and state.get("fingerprint") == fingerprint and \
            (state.get("next_due") is None or now.timestamp() < state["next_due"]) and output_intact(out_dir, records):
        manifest = records.keys()             # output_intact: the manifest lists these
        if any(known_stats.get(s.path, ("",))[0] != s.stamp for s in sources.markdown):
            # files read again whose bytes had not changed (a chmod, a copy of the folder): their
            # new stamps are kept, or every build after this one would read them again
            cache.put_stats([(s.path, s.stamp, s.sha256) for s in sources.markdown if s.stamp], known_stats)
        return BuildResult(
            articles=state["articles"], pages=state["pages"], feeds=state["feeds"],
            scheduled=tuple(state["scheduled"]), drafts=tuple(state["drafts"]), skipped=sources.skipped,
            problems=tuple(problem_from_json(p) for p in state["problems"]),
            report=WriteReport((), tuple(sorted(manifest)), ()), seconds=time.perf_counter() - started,
            output_dir=out_dir, fast=True,    # an intact output holds the record this build left
            record_found=True if options.record_dir is None else read_record(Path(options.record_dir).resolve()) is not None)

    # the full pipeline from here on
    remember_slugs(cache.get_slugs())
    from . import urls
    from .articles import Job, Settings
    from .assemble import assemble, duplicate_problems, is_published, link_problems
    from .identity import Published, identify, pins_of, record_from_json, record_to_json
    from .refs import IMAGE, resolve
    from .feeds import build_feeds, build_sitemap
    from .keys import key as strings_key, shown
    from .stats import archive_json
    from .markup import MARKDOWN_SETTINGS
    from .refs import lookups_valid
    from .pages import page_key, plan_pages, render_page, site_context
    from .templates import files_under, make_env, static_files, theme_digest

    clock = [time.perf_counter()]
    timings: list[tuple[str, float]] = []

    def lap(stage: str) -> None:
        now_ = time.perf_counter()
        timings.append((stage, round(now_ - clock[0], 3), _peak_mib()))
        clock[0] = now_

    lap("read")
    # parse and render Markdown, per file: from the cache where it has the result, otherwise in
    # the worker processes (articles.work), which send back everything but the body
    cache.begin()
    theme_static = static_files(layers)
    site_static = files_under(static_dir)
    files = file_index(sources.assets, site_static, theme_static, config)
    parse_digest = digest(code, [(c.name, c.slug) for c in config.columns], config.timezone)
    render_digest = digest(code, MARKDOWN_SETTINGS, config.base_path, config.summary_length)
    # the path is part of both: a parse result names its file, and relative links and images
    # resolve from the file's folder (a file moved to another folder is parsed and rendered again)
    parse_keys = {s.path: strings_key(s.sha256, s.path, parse_digest) for s in sources.markdown}
    render_keys = {s.path: strings_key(s.sha256, s.path, render_digest) for s in sources.markdown}
    cached_docs = cache.get_docs(list(parse_keys.values()))
    cached_renders = cache.get_renders(list(render_keys.values()))

    def published_now(doc) -> bool:
        return is_published(doc, now, options.drafts, options.future)

    # every article is rendered, drafts and scheduled ones too: what is wrong in them is shown
    # (as warnings, when this build leaves them out) before they go out
    parsed: dict[str, tuple] = {}          # path -> (doc without body, parse problems)
    hits: dict[str, tuple] = {}            # path -> (rendered without html, render problems), cached
    jobs: list[Job] = []
    for source in sources.markdown:
        entry = cached_docs.get(parse_keys[source.path])
        got = doc_from_json(entry, zone) if entry else None
        if got is not None:
            parsed[source.path] = got
        entry = cached_renders.get(render_keys[source.path])
        hit = rendered_from_json(entry, render_keys[source.path]) if entry else None
        if hit is not None and lookups_valid(hit[1], files):
            hits[source.path] = (hit[0], hit[2])
        if got is None or source.path not in hits:
            jobs.append(Job(source, parse=got is None, render=source.path not in hits))

    settings = Settings(site_dir, config, zone, now, options.drafts, options.future, files, config.summary_length)
    heavy: list[str] = []
    failed: dict[str, tuple] = {}           # path -> problems of a file that could not be parsed
    renders, fresh_docs = 0, []
    for done_count, (job, done) in enumerate(zip(jobs, ordered_map(_work, jobs, options.jobs or os.cpu_count() or 1,
                                                                  {"settings": settings}, minimum=PARALLEL_MIN,
                                                                  window=BATCH)), 1):
        path = job.source.path
        adopt_slugs(done.slugs)
        if done.doc is None:
            failed[path] = left_out(done.parse_problems, done.left_out) if done.left_out else done.parse_problems
            if done.changed:                       # its hash (maybe from the stats) is not the file's
                cache.forget_stats(path)
        elif job.parse:
            parsed[path] = (done.doc, done.parse_problems)
            fresh_docs.append((parse_keys[path], done.doc_json))
        if done.rendered is not None:
            renders += 1
            key = render_keys[path]
            cache.put_render(key, done.render_json, done.rendered.html, done.rendered.headings)
            hits[path] = (replace(done.rendered, html="", headings=(), key=html_key(key, done.lookups)),   # as cached
                          done.render_problems)
            if done.seconds > SLOW_SECONDS or job.source.size > HUGE_BYTES:
                heavy.append(f"{path} ({job.source.size / 1024 / 1024:.1f} MiB, {done.seconds:.1f} s)")
        elif done.render_problems:               # the Markdown could not be rendered: an error
            hits[path] = (None, done.render_problems)
        if done_count % 200 == 0:
            _tick(options, "排版 markdown", done_count, len(jobs))
    cache.put_docs(fresh_docs)
    cache.commit()                            # the Markdown done is kept, whatever happens next
    cache.begin()
    del jobs, fresh_docs, cached_docs, cached_renders

    docs = []
    for source in sources.markdown:           # problems and documents in file order
        if source.path in failed:
            problems.extend(failed[source.path])
        elif source.path in parsed:
            docs.append(parsed[source.path][0])
    published = [d for d in docs if published_now(d)]
    published_paths = {d.path for d in published}
    drafts = [d for d in docs if d.meta.draft and d.path not in published_paths]
    scheduled = [d for d in docs if not d.meta.draft and d.path not in published_paths]
    why_left_out = {d.path: "draft" for d in drafts} | {d.path: "scheduled" for d in scheduled}

    def problems_of(doc, found):
        """An article's problems: a draft's or a scheduled one's are warnings (it is left out)."""
        return left_out(found, why_left_out[doc.path]) if doc.path in why_left_out else found

    covers = {}
    for doc in docs:
        problems.extend(problems_of(doc, parsed[doc.path][1]))
        light, found = hits.get(doc.path, (None, ()))
        problems.extend(problems_of(doc, found))
        if doc.meta.cover:
            cover, miss = resolve(doc.path, doc.meta.cover, files, IMAGE)
            if miss:
                problems.extend(problems_of(doc, [error(doc.path, doc.meta.line_of("cover"), "封面" + miss.message, miss.hint)]))
            elif cover:
                covers[doc.path] = cover
            elif not doc.meta.cover.startswith(("http://", "https://", "//")):   # mailto:, data:, #top …
                problems.extend(problems_of(doc, [error(
                    doc.path, doc.meta.line_of("cover"), f"封面不是图片文件，也不是网址 (cover is not an image): {doc.meta.cover}",
                    "cover 写图片的路径（如 cover: images/封面.jpg）或 https:// 开头的图片网址")]))
    # the last publish's record: in the published folder's manifest, else the copy the cache keeps
    # of it (a `rm -rf public` before building must not shuffle the URLs that are still online)
    record_dir = Path(options.record_dir).resolve() if options.record_dir else out_dir
    record = read_record(record_dir)
    if record is None:
        record = record_from_json(_load_state(cache.get_state(f"identity:{record_dir}"), list))
    identities, found = identify(docs, config, zone, record, published_paths)
    # the record this build leaves: what it publishes, and what was published before of the
    # articles it leaves out now (a draft again, say), so that they come back where they were
    column_slugs = {c.name: c.slug for c in config.columns}
    # it keeps the order in which they were first published (duplicate warnings go to the newer)
    sources_now = {s.path for s in sources.markdown}
    published_by_path = {d.path: d for d in published}

    def entry_now(d) -> Published:
        ident = identities[d.path]
        return Published(d.path, ident.id, ident.slug, ident.url, pins_of(d, column_slugs, zone))
    new_record = [entry_now(published_by_path[path]) if path in published_by_path else entry
                  for path, entry in (record or {}).items() if path in sources_now]
    new_record += [entry_now(d) for d in sorted(published, key=lambda d: (d.meta.instant, d.path))
                   if d.path not in (record or {})]
    by_path = {d.path: d for d in docs}
    for problem in found:
        problems.extend(problems_of(by_path[problem.path], [problem]))
    # the first time at which an article's date is reached: then the site changes (a scheduled one
    # is published, a --future or --drafts preview loses its banner), even if no file did
    next_due = min((d.meta.date.timestamp() for d in docs if d.meta.date > now), default=None)
    rendered = {d.path: hits[d.path][0] for d in published if hits[d.path][0] is not None}
    del docs, parsed, hits, by_path
    if has_errors(problems):
        cache.commit()
        raise BuildFailed(problems)
    lap("parse+markdown")

    late: list[Problem] = []                  # problems found while making the files

    def body_of(article) -> tuple[str, tuple]:
        """The article's HTML and headings, from the cache (a page worker reads through its own
        connection). Missing or damaged there, the article is rendered again (and said once);
        if even that fails it is an error: a page is never published with an empty body."""
        here = worker_context()
        key = render_keys[article.doc.path]
        try:
            if here.get("in_worker"):
                if "reader" not in here:
                    here["reader"] = Cache.reader(cache.path)
                found = here["reader"].get_body(key)
            else:
                found = cache.get_body(key)
        except Exception:                      # a cache file that cannot even be opened: render again
            found = None
        if found is None:
            from .articles import Job, work

            done = work(Job(source_of[article.doc.path], parse=True, render=True), settings)
            if done.rendered is None:
                late.append(error(article.doc.path, 1, "这篇文章排版失败，不能发布 (article could not be rendered)",
                                  "再构建一次；文件在构建时被改动过的话，保存完再构建"))
                return "", ()
            found = done.rendered.html, done.rendered.headings
            if here.get("in_worker"):             # its connection reads only: the build stores it
                late.append(warning(article.doc.path, 1, HEALED_IN_WORKER))
            else:
                late.append(CACHE_HEALED)
                cache.put_render(key, done.render_json, *found)
        html, headings = found
        if article.rendered.link_token:        # links to other articles: their URLs, known now
            html = urls.fill_links(html, article.rendered.link_token,
                                   [urls.href(config.base_path, h) if h else "" for h in article.links])
        return html, headings

    source_of = {s.path: s for s in sources.markdown}

    def html_of(article) -> str:
        return body_of(article)[0]

    # assemble and lay out
    from .views import count_views
    views, found = count_views(sources.views, {d.path: (identities[d.path].id, identities[d.path].url) for d in published},
                               config.base_path)
    problems.extend(found)
    site = assemble(config, published, rendered, identities, sources.assets, zone, scheduled, drafts, now, views,
                    covers)
    # links to articles a real build would not publish (`check` assembles drafts and scheduled ones too)
    live = {d.path for d in published if is_published(d, now, False, False)} if options.inspect else None
    problems.extend(link_problems(site, identities, live))
    problems.extend(duplicate_problems(site, record or ()))
    specs = plan_pages(site)
    lap("assemble")
    env = make_env(layers, config.base_path, config.base_url)
    site_ctx = site_context(site, dev=options.dev)
    site_key = digest(code, theme_digest(layers), config, site_ctx)
    counter = {"pages": 0}

    def producer(spec):
        def produce() -> bytes:
            data, problem = render_page(spec, env, site, site_ctx, body_of)
            if problem:
                late.append(problem)
                return b""
            return data
        return produce

    memo: dict = {}
    page_paths = {s.path for s in specs}
    outputs: list[Output] = [Output(s.path, origin=s.template, key=page_key(s, site_key, memo), produce=producer(s))
                             for s in specs]
    feeds = build_feeds(site, zone, html_of,
                        key_of=lambda path, items: strings_key(site_key, path, *(shown(a, memo) for a in items)))
    outputs.extend(feeds)
    outputs.extend(build_sitemap(site, specs, zone, site_key))
    outputs.append(archive_json(site, zone, site_key))
    for rel, path in theme_static.items():
        outputs.append(_copy(urls.static(rel), path, f"theme static/{rel}"))
    for rel, path in site_static.items():      # the site's own static/: to the root
        outputs.append(_copy(rel, path, f"static/{rel}"))
        if rel.lower().endswith(".svg"):
            problems.extend(static_svg_problems(f"static/{rel}", path))
    for asset, (_, url) in zip(site.assets, site.asset_urls):
        if asset.path.lower().endswith(".svg"):    # published cleaned: it is shown on the site's own origin
            output, found = _clean_svg_copy(url, asset)
            problems.extend(found)
            if output is not None:
                outputs.append(output)
        else:
            outputs.append(_copy(url, Path(asset.source), f"content/{asset.path}"))
    problems.extend(find_collisions(outputs))
    if has_errors(problems):
        cache.commit()
        raise BuildFailed(problems)
    lap("keys+feeds")

    if options.inspect is not None:           # `check`: render everything, publish nothing
        for output in outputs:
            if output.produce is not None:
                output.produce()
                counter["pages"] += output.path in page_paths
        problems.extend(late)
        problems = cache_problems(cache, problems)
        problems.extend(options.inspect(site, sources, {urls.url_of_output(o.path) for o in outputs}))
        cache.commit()
        if has_errors(problems):
            raise BuildFailed(problems)
        return BuildResult(
            articles=len(site.articles), pages=len(specs), feeds=len(feeds),
            scheduled=tuple(d.path for d in site.scheduled), drafts=tuple(d.path for d in site.drafts),
            skipped=sources.skipped, problems=sort_problems(problems), report=WriteReport((), (), ()),
            seconds=time.perf_counter() - started, output_dir=out_dir, markdown_renders=renders,
            pages_rendered=counter["pages"], record_found=record is not None)

    # write
    # pages are made and staged in the worker processes too, when there are many (forked: they
    # start with the site in memory; the HTML comes from the cache file, so it is committed first)
    cache.commit()
    cache.begin()

    def stage_all(needed: list[Output], where):
        pages = [o for o in needed if o.produce is not None]
        workers = (options.jobs or os.cpu_count() or 1) if cache.path else 1
        made = ordered_map(_stage_page, range(len(pages)), workers, {"pages": pages, "late": late, "where": where},
                           minimum=PAGES_PARALLEL_MIN, chunk=16, window=512, fork_only=True)
        try:
            for output in needed:
                if output.produce is None:
                    yield writer.stage(output, writer.bytes_of(output), where)
                    continue
                staged, found = next(made)
                late.extend(found)
                counter["pages"] += output.path in page_paths
                if counter["pages"] % 500 == 0:
                    _tick(options, "页面 pages", counter["pages"], len(pages))
                yield staged
        finally:
            made.close()

    record_json = record_to_json(new_record)
    report, records = publish(outputs, out_dir, before_swap=lambda: sort_problems(p for p in late if p.is_error),
                              records=records, stage_all=stage_all, articles=record_json)
    healed = sorted({p.path for p in late if p.message == HEALED_IN_WORKER})
    for path in healed:                       # rendered again in a page worker: stored here
        done = _work(Job(source_of[path], parse=True, render=True), settings)
        if done.rendered is not None:
            cache.put_render(render_keys[path], done.render_json, done.rendered.html, done.rendered.headings)
    cache.damaged += len(healed)
    problems.extend(p for p in late if p.message != HEALED_IN_WORKER)   # (warnings only, or nothing was published)
    if cache.damaged:
        cache.purge_damaged()
    cache.put_state(f"outputs:{out_dir}", json.dumps(records))
    cache.put_state(f"identity:{out_dir}", json.dumps(record_json, ensure_ascii=False))
    cache.put_stats([(s.path, s.stamp, s.sha256) for s in sources.markdown if s.stamp], known_stats)
    cache.put_slugs(learned_slugs())
    cache.put_state("assets", json.dumps(assets_to_json(sources.assets), ensure_ascii=False))
    cache.prune("docs", set(parse_keys.values()))
    cache.prune("renders", set(render_keys.values()))
    lap("pages+publish")
    warnings = sort_problems(cache_problems(cache, problems))
    result = BuildResult(
        articles=len(site.articles), pages=len(specs), feeds=len(feeds),
        scheduled=tuple(d.path for d in site.scheduled), drafts=tuple(d.path for d in site.drafts),
        skipped=sources.skipped, problems=warnings, report=report,
        seconds=time.perf_counter() - started, output_dir=out_dir, heavy=tuple(heavy),
        markdown_renders=renders, pages_rendered=counter["pages"], timings=tuple(timings),
        record_found=record is not None,
    )
    cache.put_state("last", json.dumps({
        "fingerprint": fingerprint, "next_due": next_due, "articles": result.articles, "pages": result.pages,
        "feeds": result.feeds, "scheduled": list(result.scheduled), "drafts": list(result.drafts),
        "problems": [problem_to_json(p) for p in warnings if p.path != CACHE_NAME],   # (said once)
    }, ensure_ascii=False))
    cache.commit()
    return result


CACHE_NAME = f"{CACHE_DIR}/{CACHE_FILE}"
HEALED_IN_WORKER = "(rendered again in a page worker)"      # a note from a worker to the build, not shown
CACHE_HEALED = warning(CACHE_NAME, 1, "缓存里有缺失或损坏的记录，已重新排版 (damaged cache entries rebuilt)",
                       "不用处理：输出和不用缓存时一样；常出现的话检查磁盘")


def cache_problems(cache: Cache, problems: list[Problem]) -> list[Problem]:
    """`problems` with what went wrong with the cache said once (it never fails a build): the
    trouble it had, else that damaged entries were rebuilt (found reading rows, or pages)."""
    healed = cache.damaged or CACHE_HEALED in problems
    rest = [p for p in problems if p != CACHE_HEALED]
    if cache.trouble:
        return rest + [warning(CACHE_NAME, 1, cache.trouble[0], "不用处理：这次构建照常完成，输出和不用缓存时一样")]
    return rest + [CACHE_HEALED] if healed else rest


def _peak_mib() -> int:
    """Peak resident memory of this process so far, in MiB (0 where unknown)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (1024 * 1024) if sys.platform == "darwin" else peak // 1024


def _load_state(text: str | None, kind: type = dict):
    """A JSON value the cache kept, when it is of that kind; else None."""
    try:
        state = json.loads(text) if text else None
        return state if isinstance(state, kind) else None
    except ValueError:
        return None


def file_index(assets, site_static: dict[str, Path], theme_static: dict[str, Path], config):
    """What an article may name: the files under content/ (by content path), the site's static
    files (by "/" + their path: published at the root), the theme's ("/static/…") and the files
    the build makes that are not pages (feeds, sitemap, archive.json …)."""
    from . import urls
    from .refs import FileInfo, Files
    from .sources import file_kind
    from .stats import ARCHIVE_JSON

    entries = {a.path: FileInfo(urls.asset(a.path), a.width, a.height, a.kind) for a in assets}
    made = [*urls.feeds(), urls.SITEMAP, urls.ROBOTS, urls.NOT_FOUND, ARCHIVE_JSON,
            *(url for c in config.columns for url in urls.feeds(urls.column(c.slug)))]
    entries.update(("/" + url, FileInfo(url)) for url in made)
    for url, path in [(urls.static(rel), path) for rel, path in theme_static.items()] + list(site_static.items()):
        kind, width, height = file_kind(path)
        entries["/" + url] = FileInfo(url, width, height, kind)
    return Files(entries, config.base_path)


def _clean_svg_copy(url: str, asset) -> tuple[Output | None, list[Problem]]:
    """An SVG an article shows, without what could run or reach out (svg.clean_svg); one that
    cannot be read as an SVG is an error, not published."""
    from .svg import clean_svg

    where = f"content/{asset.path}"
    try:
        data = Path(asset.source).read_bytes()
    except OSError as exc:
        return None, [error(where, 1, f"无法读取 (cannot read): {exc.strerror or exc}", "检查文件权限")]
    cleaned, notes = clean_svg(data)
    if cleaned is None:
        return None, [error(where, 1, f"SVG 图片不能发布 (SVG refused): {notes[0] if notes else ''}",
                            "用绘图软件把它重新导出为普通的 SVG，或导出为 PNG")]
    found = []
    risky = [n for n in notes if "DOCTYPE" not in n]           # (a DOCTYPE dropped is no news)
    if risky:
        found.append(warning(where, 1, "SVG 里能运行或外链的内容已删除后发布 (SVG cleaned): " + "；".join(risky[:3])
                             + ("…" if len(risky) > 3 else ""), "用绘图软件导出时不要包含脚本和外部链接"))
    return Output(url, data=cleaned, origin=where, key=digest("svg", cleaned)), found


def static_svg_problems(where: str, path: Path) -> list[Problem]:
    """A warning for an SVG under static/ (published as it is) that carries script or loads
    from elsewhere: it would run on the site's own origin."""
    from .svg import clean_svg

    try:
        cleaned, notes = clean_svg(path.read_bytes())
    except OSError:
        return []
    risky = [n for n in notes if "DOCTYPE" not in n]
    if cleaned is not None and not risky:
        return []
    return [warning(where, 1, "static/ 里的 SVG 带有脚本或外部引用，会原样发布 (SVG with script in static/): "
                    + "；".join((risky or notes)[:3]), "把脚本和外部链接删掉；文章里用的 SVG 放在 content/，发布时会自动清理")]


def _copy(url: str, path: Path, origin: str) -> Output:
    try:
        key = digest("copy", str(path), stamp(path.stat()))
    except OSError:
        key = ""
    return Output(url, source=str(path), origin=origin, key=key)


# ------------------------------------------------------------------ in the worker processes

def _stage_page(index: int):
    """Make page `index` of the pages to make and stage it: (what writer.stage gives, the
    problems found making it)."""
    here = worker_context()
    late = here["late"]
    before = len(late)
    page = here["pages"][index]
    staged = writer.stage(page, writer.bytes_of(page), here["where"])
    found = late[before:]
    del late[before:]
    return staged, found


def _work(job, settings=None):
    from .articles import work

    return work(job, settings or worker_context()["settings"])
