"""The whole-site step: which articles this build publishes (drafts and scheduled ones are left
out, and their problems become warnings), their covers, their ids and URLs (identity.py, after
the last publish's record), their view counts, all assembled into the Site; and the identity
record this build leaves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .assemble import assemble, duplicate_problems, is_published, link_problems
from .errors import Problem, error, left_out
from .identity import Identity, Published, identify, pins_of
from .inputs import Inputs
from .model import ArticleDoc, Site
from .perarticle import ArticleStage
from .refs import IMAGE, Files, Found, resolve
from .views import count_views


@dataclass(frozen=True)
class Composed:
    site: Site
    problems: tuple[Problem, ...]            # every problem so far, the files' own included
    record: Mapping[str, Published] | None   # the last publish's record (None: there was none)
    new_record: tuple[Published, ...]        # the record this build leaves
    next_due: float | None                   # when an article's date is next reached (a timestamp)


@dataclass(frozen=True)
class _Selection:
    published: tuple[ArticleDoc, ...]
    drafts: tuple[ArticleDoc, ...]
    scheduled: tuple[ArticleDoc, ...]
    why_left_out: dict[str, str]             # path -> "draft" | "scheduled"

    def problems_of(self, doc: ArticleDoc, found) -> list[Problem]:
        """An article's problems: a draft's or a scheduled one's are warnings (it is left out)."""
        why = self.why_left_out.get(doc.path)
        return list(left_out(found, why) if why else found)


def _select(inputs: Inputs, docs: tuple[ArticleDoc, ...]) -> _Selection:
    o = inputs.options
    published = tuple(d for d in docs if is_published(d, inputs.now, o.drafts, o.future))
    paths = {d.path for d in published}
    drafts = tuple(d for d in docs if d.meta.draft and d.path not in paths)
    scheduled = tuple(d for d in docs if not d.meta.draft and d.path not in paths)
    return _Selection(published, drafts, scheduled,
                      {d.path: "draft" for d in drafts} | {d.path: "scheduled" for d in scheduled})


def _covers(docs, files: Files, chosen: _Selection) -> tuple[dict[str, Found], list[Problem]]:
    covers, problems = {}, []
    for doc in docs:
        if not doc.meta.cover:
            continue
        cover, miss = resolve(doc.path, doc.meta.cover, files, IMAGE)
        if miss:
            problems += chosen.problems_of(doc, [error(doc.path, doc.meta.line_of("cover"), "封面" + miss.message, miss.hint)])
        elif cover:
            covers[doc.path] = cover
        elif not doc.meta.cover.startswith(("http://", "https://", "//")):   # mailto:, data:, #top …
            problems += chosen.problems_of(doc, [error(
                doc.path, doc.meta.line_of("cover"), f"封面不是图片文件，也不是网址 (cover is not an image): {doc.meta.cover}",
                "cover 写图片的路径（如 cover: images/封面.jpg）或 https:// 开头的图片网址")])
    return covers, problems


def _new_record(inputs: Inputs, record, published, identities: Mapping[str, Identity]) -> tuple[Published, ...]:
    """The record this build leaves: what it publishes, and what was published before of the
    articles it leaves out now (a draft again, say), so that they come back where they were. It
    keeps the order in which they were first published (duplicate warnings go to the newer)."""
    column_slugs = {c.name: c.slug for c in inputs.config.columns}
    here = {s.path for s in inputs.sources.markdown}
    by_path = {d.path: d for d in published}

    def entry(d) -> Published:
        ident = identities[d.path]
        return Published(d.path, ident.id, ident.slug, ident.url, pins_of(d, column_slugs, inputs.zone))
    kept = [entry(by_path[path]) if path in by_path else old for path, old in (record or {}).items() if path in here]
    return tuple(kept + [entry(d) for d in sorted(published, key=lambda d: (d.meta.instant, d.path))
                         if d.path not in (record or {})])


def compose(inputs: Inputs, stage: ArticleStage, record, checking: bool = False) -> Composed:
    """The Site this build publishes, and every problem found so far (in file order). `record`:
    the last publish's (inputs.last_record). `checking`: for `check`, which assembles drafts and
    scheduled articles too, and reports links to articles a real build would not publish."""
    problems: list[Problem] = list(inputs.problems)
    for source in inputs.sources.markdown:
        problems += stage.failed.get(source.path, ())
    chosen = _select(inputs, stage.docs)
    for doc in stage.docs:
        problems += chosen.problems_of(doc, stage.parse_problems[doc.path])
        problems += chosen.problems_of(doc, stage.renders.get(doc.path, (None, ()))[1])
    covers, found = _covers(stage.docs, stage.settings.files, chosen)
    problems += found
    live = {d.path for d in chosen.published}
    identities, found = identify(stage.docs, inputs.config, inputs.zone, record, live, inputs.slugs)
    by_path = {d.path: d for d in stage.docs}
    for problem in found:
        problems += chosen.problems_of(by_path[problem.path], [problem])
    # the first time at which an article's date is reached: then the site changes (a scheduled one
    # is published, a --future or --drafts preview loses its banner), even if no file did
    next_due = min((d.meta.date.timestamp() for d in stage.docs if d.meta.date > inputs.now), default=None)
    new_record = _new_record(inputs, record, chosen.published, identities)
    if any(p.is_error for p in problems):
        return Composed(None, tuple(problems), record, new_record, next_due)
    rendered = {d.path: stage.renders[d.path][0] for d in chosen.published if stage.renders[d.path][0] is not None}
    views, found = count_views(inputs.sources.views, {d.path: (identities[d.path].id, identities[d.path].url)
                                                       for d in chosen.published}, inputs.config.base_path)
    problems += found
    site = assemble(inputs.config, chosen.published, rendered, identities, inputs.sources.assets, inputs.zone,
                    chosen.scheduled, chosen.drafts, inputs.now, views, covers, inputs.slugs)
    # links to articles a real build would not publish (`check` assembles drafts and scheduled ones too)
    now_live = {d.path for d in chosen.published if is_published(d, inputs.now, False, False)} if checking else None
    problems += link_problems(site, identities, now_live)
    problems += duplicate_problems(site, record or ())
    return Composed(site, tuple(problems), record, new_record, next_due)
