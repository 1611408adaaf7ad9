"""The build, as its recipe (`build`):

    read inputs → unchanged? → per-article stage → assemble the site → plan every output →
    render → publish → remember

Each step is a function of the module that owns it: inputs.py reads, memory.py remembers and
knows when nothing changed, perarticle.py parses and renders each article (cached, in worker
processes), compose.py assembles the site, outputs.py plans the outputs of every kind,
render.py makes them, writer.py publishes. `prepare` is the part `check` shares (check.py:
render everything, publish nothing).

Only stdlib-backed modules are imported at the top, so a no-change rebuild never pays for
importing Markdown, Jinja or lxml.
"""
from __future__ import annotations

import gc
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .cache import CACHE_DIR, CACHE_FILE, CACHE_NAME, Cache
from .config import CONFIG_NAME, missing_config
from .errors import BuildFailed, Problem, error, has_errors, sort_problems
from .identity import record_to_json
from .inputs import Inputs, last_record, read_files, read_inputs
from .memory import remember, remember_result, unchanged
from .options import BuildOptions, BuildResult, KindCount
from .outdir import PublishRefused, os_problem, output_dir_problem, output_lock_path, site_lock
from .parallel import WorkerDied
from .writer import WriteReport, publish, recover

__all__ = ["BuildOptions", "BuildResult", "build", "prepare", "session", "CACHE_NAME"]

# a build makes hundreds of thousands of small objects that live until it ends and form almost no
# cycles: collecting after every 700 of them (the default) spent a fifth of a rebuild's time
GC_THRESHOLD = 100_000


def build(site_dir: Path, out_dir: Path | None = None, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in site_dir into out_dir (default site_dir/public). Raises BuildFailed with
    every problem found; the output directory is then left as it was."""
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "public"
    with session(site_dir, out_dir, options) as cache:
        clock = Clock()
        inputs = read_inputs(site_dir, out_dir.resolve(), options, cache)
        same = unchanged(inputs, cache, clock.elapsed())
        if same is not None:
            return same
        clock.lap("read")
        made = prepare(inputs, cache, clock)
        from .render import stager

        counts: Counter = Counter()
        report, records = publish(made.plan.outputs, inputs.out_dir, before_swap=made.errors_while_making,
                                  records=inputs.records, stage_all=stager(made.plan, made.layout, cache, options, counts),
                                  articles=record_to_json(made.composed.new_record))
        notes = made.layout.bodies.store_healed()                 # (warnings only, or nothing was published)
        if cache.damaged:
            cache.purge_damaged()
        remember(inputs, cache, records, made.composed.new_record, made.keys())
        clock.lap("pages+publish")
        result = result_of(made, report, [*made.problems, *notes], counts, cache, clock)
        remember_result(inputs, cache, result, made.composed.next_due)
        return result


@dataclass(frozen=True)
class Prepared:
    """Everything planned and nothing published: what `build` publishes and `check` inspects."""
    inputs: Inputs
    stage: object                 # perarticle.ArticleStage
    composed: object              # compose.Composed
    layout: object                # layout.Layout
    plan: object                  # outputs.Plan
    problems: tuple[Problem, ...]  # warnings (errors stopped the build)

    def errors_while_making(self) -> tuple[Problem, ...]:
        return sort_problems(p for p in self.layout.notes if p.is_error)

    def keys(self) -> tuple[set[str], set[str]]:
        return set(self.stage.parse_keys.values()), set(self.stage.render_keys.values())


def prepare(inputs: Inputs, cache: Cache, clock: "Clock", checking: bool = False) -> Prepared:
    """Parse and render every article, assemble the site and plan every output; BuildFailed
    with every problem when there is an error. `checking`: for `check` (compose.compose)."""
    from .compose import compose
    from .outputs import KINDS, lay_out, plan_outputs
    from .perarticle import Bodies, run

    inputs.slugs.known.update(cache.get_slugs())       # there is work to do: every slug known
    read = read_files(inputs)
    stage = run(inputs, cache, read.files)
    clock.lap("parse+markdown")
    composed = compose(inputs, stage, last_record(inputs, cache), checking)
    stop_on_errors(composed.problems, cache)
    notes: list[Problem] = []
    bodies = Bodies(stage, cache, inputs, notes)
    jobs = (inputs.options.jobs or os.cpu_count() or 1) if cache.path else 1    # (workers read the cache file)
    layout = lay_out(inputs, composed.site, read, bodies, notes, jobs)
    clock.lap("assemble")
    plan = plan_outputs(layout, KINDS if inputs.options.kinds is None else inputs.options.kinds)
    problems = (*composed.problems, *plan.problems)
    stop_on_errors(problems, cache)
    clock.lap("keys+feeds")
    return Prepared(inputs, stage, composed, layout, plan, problems)


def stop_on_errors(problems, cache: Cache) -> None:
    if has_errors(problems):
        cache.commit()                    # the work done is kept for the next build
        raise BuildFailed(problems)


def result_of(made: Prepared, report: WriteReport, problems: list[Problem], counts: Counter, cache: Cache,
              clock: "Clock") -> BuildResult:
    """What a build (or a check) did, with every warning, and what went wrong with the cache
    said once."""
    from .perarticle import cache_problems

    site, plan, stage = made.composed.site, made.plan, made.stage
    return BuildResult(
        articles=len(site.articles), pages=plan.count("pages"), feeds=plan.count("feeds"),
        scheduled=tuple(d.path for d in site.scheduled), drafts=tuple(d.path for d in site.drafts),
        skipped=made.inputs.sources.skipped, problems=sort_problems(cache_problems(cache, problems)), report=report,
        seconds=clock.elapsed(), output_dir=made.inputs.out_dir, heavy=stage.heavy,
        markdown_renders=stage.markdown_renders, pages_rendered=counts["pages"], timings=tuple(clock.timings),
        record_found=made.composed.record is not None,
        kinds=tuple(KindCount(k.name, k.label, plan.count(k.name), counts[k.name]) for k in plan.kinds))


@contextmanager
def session(site_dir: Path, out_dir: Path, options: BuildOptions, writes: bool = True):
    """A build's surroundings, given its cache: the output folder checked, one build at a time
    per site and per output folder, a swap a killed build left half done rolled back; and what
    the machine refused said as an editor's problem (BuildFailed), never a traceback.
    `writes=False` (check): the output folder's lock is taken only when it can be."""
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
                site_lock(output_lock_path(out_dir), optional=not writes):
            recover(out_dir.resolve())            # roll back what a killed build left half done
            cache = Cache.open(site_dir / CACHE_DIR / CACHE_FILE) if options.cache else Cache.memory()
            try:
                yield cache
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


class Clock:
    """The time and peak memory of each stage of a build (`--debug` shows them)."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.timings: list[tuple[str, float, int]] = []

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings.append((stage, round(now - self.last, 3), _peak_mib()))
        self.last = now

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _peak_mib() -> int:
    """Peak resident memory of this process so far, in MiB (0 where unknown)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (1024 * 1024) if sys.platform == "darwin" else peak // 1024
