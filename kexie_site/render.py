"""The render step: make the bytes of every output that needs making and stage them for the
writer — the pages in worker processes when there are many (forked: they start with the site
in memory; the articles' HTML comes from the cache file, so it is committed first), outputs
made together (Output.joint, the search index) first, in this process — or, for `check`, make
every output and keep none.
"""
from __future__ import annotations

from collections import Counter

from . import writer
from .cache import Cache
from .layout import Layout
from .model import Output
from .options import BuildOptions
from .outputs import Plan
from .parallel import ordered_map

PAGES_PARALLEL_MIN = 400   # fewer pages than this are faster made in one process


def stager(plan: Plan, layout: Layout, cache: Cache, options: BuildOptions, made: Counter):
    """writer.publish's `stage_all`: each output that is needed made and staged, in order;
    `made` counts them by kind."""
    cache.commit()
    cache.begin()

    def stage_all(needed: list[Output], where: writer.Staging):
        joint = {o.path: writer.stage(o, writer.bytes_of(o), where)     # before the workers start: made once
                 for o in needed if o.produce is not None and o.joint}
        producing = [o for o in needed if o.produce is not None and not o.joint]
        staged = ordered_map(_stage_one, range(len(producing)), layout.jobs, (producing, layout.notes, where),
                             minimum=PAGES_PARALLEL_MIN, chunk=16, window=512, fork_only=True)
        done = 0
        try:
            for output in needed:
                made[plan.kind_of.get(output.path, "")] += 1
                if output.produce is None or output.joint:
                    yield joint.pop(output.path) if output.joint else writer.stage(output, writer.bytes_of(output), where)
                    continue
                result, found = next(staged)
                layout.notes.extend(found)
                done += 1
                if done % 500 == 0 and options.progress:
                    options.progress("页面 pages", done, len(producing))
                yield result
        finally:
            staged.close()
    return stage_all


def _stage_one(context, index: int):
    """Make output `index` of the outputs to make and stage it: (what writer.stage gives, the
    problems found making it). In a worker, or in the build's own process alike."""
    producing, notes, where = context
    before = len(notes)
    output = producing[index]
    staged = writer.stage(output, writer.bytes_of(output), where)
    found = notes[before:]
    del notes[before:]
    return staged, found


def render_all(plan: Plan) -> Counter:
    """`check`: make every output (so that every template and feed runs), keep none; the
    number made of each kind."""
    made: Counter = Counter()
    for output in plan.outputs:
        if output.produce is not None:
            output.produce()
            made[plan.kind_of.get(output.path, "")] += 1
    return made
