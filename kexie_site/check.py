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
        from dataclasses import replace

        from .lint import unpublished
        scheduled, drafts = unpublished(made.composed.site, inputs.now)
        return replace(result_of(made, WriteReport((), (), ()), problems, counts, cache, clock),
                       scheduled=scheduled, drafts=drafts)


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
    """What the WeChat editor and API would refuse, for the columns marked `wechat = true`: the
    same findings as `export wechat` and `publish wechat-draft` (covers found the same way).
    Images are converted only when they are not a JPG or PNG under the limit already."""
    from . import urls, wechat, wxlint
    from .errors import error
    from .export import EXTERNAL_IMAGE, cover_source, site_of
    from .wximages import ImageRefused, for_wechat

    if not any(c.wechat for c in made.inputs.config.columns):
        return []
    site = site_of(made)
    limits = site.config.wechat
    problems: list[Problem] = []
    if limits.cover and not (site.site_dir / limits.cover).is_file():
        problems.append(error("site.toml", 1, f"[wechat] cover 找不到文件 (not found): {limits.cover}",
                              "写站点文件夹里的图片路径，例如 cover = \"data/wechat-cover.png\""))

    def refusal(data: bytes | None) -> str:           # (for_wechat returns a fitting JPG or PNG at once)
        if data is None:
            return EXTERNAL_IMAGE
        try:
            for_wechat(data, limits.image_max_bytes)
            return ""
        except ImageRefused as exc:
            return str(exc)
    for article in (a for a in site.articles if a.column.wechat):
        refused: list[tuple[str, str]] = []
        accepted: list[bytes] = []

        def looked_at(src: str) -> str:
            data = site.file_of(src)
            why = refusal(data)
            if why:
                refused.append((src, why))
            elif data is not None:
                accepted.append(data)
            return src
        converted = wechat.convert(site.html_of(article), urls.absolute(site.config.base_url, article.url), looked_at,
                                   site.theme_css)
        cover, where = cover_source(site, article, accepted[0] if accepted else None)
        why = refusal(cover) if cover is not None else ""
        if why:
            refused.append((where, f"封面：{why}"))
        try:
            text = (site.site_dir / article.doc.path).read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
        problems += wxlint.lint(article, converted, limits, text, where if cover is not None and not why else "", refused)
    return problems
