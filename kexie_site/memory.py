"""What a build remembers for the next one, in the cache: the fingerprint of its inputs and its
summary (so that a build with nothing changed does nothing), what it published where, the
identity record, the files' stamps and the slugs it worked out.
"""
from __future__ import annotations

import json
from pathlib import Path

from .cache import CACHE_NAME, Cache
from .codec import problem_from_json, problem_to_json
from .identity import Published, record_to_json
from .inputs import Inputs
from .options import BuildResult, KindCount
from .sources import assets_to_json
from .writer import WriteReport, output_intact, read_record


def unchanged(inputs: Inputs, cache: Cache, seconds: float) -> BuildResult | None:
    """The last build's result when nothing it depends on changed, no article's date has been
    reached since, and its output is intact; else None (there is work to do)."""
    state = inputs.last
    if not (state and state.get("fingerprint") == inputs.fingerprint
            and (state.get("next_due") is None or inputs.now.timestamp() < state["next_due"])
            and output_intact(inputs.out_dir, inputs.records)):
        return None
    markdown = inputs.sources.markdown
    if any(inputs.known_stats.get(s.path, ("",))[0] != s.stamp for s in markdown):
        # files read again whose bytes had not changed (a chmod, a copy of the folder): their
        # new stamps are kept, or every build after this one would read them again
        cache.put_stats([(s.path, s.stamp, s.sha256) for s in markdown if s.stamp], inputs.known_stats)
    record_dir = inputs.options.record_dir
    return BuildResult(
        articles=state["articles"], pages=state["pages"], feeds=state["feeds"],
        scheduled=tuple(state["scheduled"]), drafts=tuple(state["drafts"]), skipped=inputs.sources.skipped,
        problems=tuple(problem_from_json(p) for p in state["problems"]),
        report=WriteReport((), tuple(sorted(inputs.records)), ()), seconds=seconds,
        output_dir=inputs.out_dir, fast=True,    # an intact output holds the record this build left
        record_found=True if record_dir is None else read_record(Path(record_dir).resolve()) is not None,
        kinds=tuple(KindCount(name, label, n) for name, label, n in state.get("kinds", [])))


def remember(inputs: Inputs, cache: Cache, records: dict, record: tuple[Published, ...],
             keys: tuple[set[str], set[str]]) -> None:
    """Keep what the next build needs: the records of the outputs, the identity record, the
    files' stamps, the slugs, the pictures' sizes; drop the entries this build did not use
    (`keys`: the parse and render keys it did). Before the result is made: a write that fails
    here is in the cache's trouble, which the result says."""
    out_dir = inputs.out_dir
    cache.put_state(f"outputs:{out_dir}", json.dumps(records))
    cache.put_state(f"identity:{out_dir}", json.dumps(record_to_json(record), ensure_ascii=False))
    cache.put_stats([(s.path, s.stamp, s.sha256) for s in inputs.sources.markdown if s.stamp], inputs.known_stats)
    cache.put_slugs(inputs.slugs.learned)
    cache.put_state("assets", json.dumps(assets_to_json(inputs.sources.assets), ensure_ascii=False))
    cache.prune("docs", keys[0])
    cache.prune("renders", keys[1])


def remember_result(inputs: Inputs, cache: Cache, result: BuildResult, next_due: float | None) -> None:
    """The fingerprint with the summary (the no-change path gives it back), and commit."""
    cache.put_state("last", json.dumps({
        "fingerprint": inputs.fingerprint, "next_due": next_due, "articles": result.articles, "pages": result.pages,
        "feeds": result.feeds, "scheduled": list(result.scheduled), "drafts": list(result.drafts),
        "problems": [problem_to_json(p) for p in result.problems if p.path != CACHE_NAME],   # (said once)
        "kinds": [[k.name, k.label, k.outputs] for k in result.kinds],
    }, ensure_ascii=False))
    cache.commit()
