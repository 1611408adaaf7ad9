"""`kexie-site check`: the build's preparation — every article parsed and rendered, drafts and
scheduled ones included, the site assembled, every output planned and made — with nothing
published, and the warnings an editor wants before publishing (lint.py) on top. Ids and URLs
are those of the site published in public/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .config import column_lines
from .decoding import decode
from .errors import BuildFailed, Problem, has_errors
from .inputs import read_inputs
from .options import BuildOptions, BuildResult
from .pipeline import Clock, Prepared, prepare, result_of, session
from .writer import WriteReport


def check(site_dir: Path, now: str | None = None, progress: Callable | None = None) -> BuildResult:
    """Every problem and warning of the site in site_dir (BuildFailed when there is an error)."""
    from .perarticle import cache_problems
    from .render import render_all

    site_dir = Path(site_dir)
    out_dir = site_dir / "public"
    options = BuildOptions(now=now, drafts=True, future=True, progress=progress, record_dir=out_dir)
    with session(site_dir, out_dir, options, writes=False) as cache:
        clock = Clock()
        inputs = read_inputs(site_dir, out_dir.resolve(), options, cache)
        made = prepare(inputs, cache, clock, checking=True)
        counts = render_all(made.plan)
        problems = [*cache_problems(cache, [*made.problems, *made.layout.notes]), *lint(made), *wechat_lint(made)]
        cache.commit()
        if has_errors(problems):
            raise BuildFailed(problems)
        return result_of(made, WriteReport((), (), ()), problems, counts, cache, clock)


def lint(made: Prepared) -> list[Problem]:
    """lint.py's warnings, over the articles' text as the build decodes it."""
    from . import urls
    from .lint import lint_site

    inputs = made.inputs
    texts = {}
    for source in inputs.sources.markdown:
        try:
            text, _ = decode((inputs.site_dir / source.path).read_bytes(), source.path)
        except OSError:
            continue                  # (the build said so)
        if text is not None:
            texts[source.path] = text
    page_urls = {urls.url_of_output(o.path) for o in made.plan.outputs}
    return lint_site(made.composed.site, texts, inputs.zone, inputs.now, page_urls, column_lines(inputs.config_text),
                     inputs.sources.assets, inputs.slugs)


def wechat_lint(made: Prepared) -> list[Problem]:
    """What the WeChat editor and API would refuse, for the columns marked `wechat = true`."""
    from .export import check_problems, site_of

    if not any(c.wechat for c in made.inputs.config.columns):
        return []
    return check_problems(site_of(made))
