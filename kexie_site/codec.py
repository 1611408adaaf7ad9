"""How the per-file results travel: parse and render results, and problems, as compact JSON
for the cache (and from a worker process to the build). Rows are JSON arrays, not objects: an
edit rebuild decodes one of each per article. Anything that is not exactly what was written is
None, a miss: the caller parses or renders again.
"""
from __future__ import annotations

import json
from datetime import datetime, tzinfo

from .errors import Problem
from .hashing import digest
from .model import ArticleDoc, Meta, Rendered


def _dt(value: str | None, zone: tzinfo) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(zone) if value else None


def problem_to_json(p: Problem) -> list:
    return [p.path, p.line, p.message, p.hint, p.severity, p.col]


def problem_from_json(row: list) -> Problem:
    path, line, message, hint, severity, col = row
    if not (_all_str(path, message, hint, severity) and type(line) is int and type(col) is int):
        raise TypeError("not a stored problem")
    return Problem(path, line, message, hint, severity, col)


def doc_to_json(doc: ArticleDoc, problems: tuple[Problem, ...]) -> str:
    m = doc.meta
    return json.dumps([
        doc.path, doc.sha256, doc.body_line,
        m.title, m.date.isoformat(), m.column, list(m.tags), m.summary, m.author, m.id, m.slug, m.draft,
        m.updated.isoformat() if m.updated else None, m.cover, [list(x) for x in m.lines],
        [problem_to_json(p) for p in problems], m.wechat_digest,
    ], ensure_ascii=False)


def doc_from_json(text: str, zone: tzinfo) -> tuple[ArticleDoc, tuple[Problem, ...]] | None:
    """The parse result without its body (None if the entry is unreadable): the body is taken
    from the source again only when the article has to be rendered."""
    try:
        path, sha, body_line, title, date, column, tags, summary, author, id_, slug, draft, updated, cover, lines, \
            problems, wechat_digest = json.loads(text)
        if not (_all_str(path, sha, title, date, column, summary, author, id_, slug, cover, wechat_digest) and _all_str(*tags)
                and isinstance(draft, bool) and (updated is None or isinstance(updated, str))):
            return None
        meta = Meta(title, _dt(date, zone), column, tuple(tags), summary, author, id_, slug, draft,
                    _dt(updated, zone), cover, tuple((k, int(v)) for k, v in lines), wechat_digest)
        doc = ArticleDoc(path, sha, meta, "", int(body_line))
        return doc, tuple(problem_from_json(p) for p in problems)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def load_json(text: str | None, kind: type = dict):
    """A JSON value the cache kept, when it is of that kind; else None."""
    try:
        value = json.loads(text) if text else None
        return value if isinstance(value, kind) else None
    except ValueError:
        return None


def _all_str(*values) -> bool:
    return all(isinstance(v, str) for v in values)


def html_key(key: str, lookups: list) -> str:
    """What identifies a render's HTML: its entry's key and, when it has any, the file lookups."""
    return digest(key, lookups) if lookups else key


def rendered_to_json(r: Rendered, lookups: list, problems: tuple[Problem, ...]) -> str:
    return json.dumps([list(r.files), r.han, r.words, r.reading_minutes, r.auto_summary, lookups,
                       [problem_to_json(p) for p in problems], r.link_token, [list(x) for x in r.links], r.fingerprint],
                      ensure_ascii=False)


def rendered_from_json(text: str, key: str = "") -> tuple[Rendered, list, tuple[Problem, ...]] | None:
    """(Rendered without its body, the file lookups it depends on, its problems),
    or None. The headings are kept with the HTML (get_body): only the article's page needs them.
    The Rendered's key is `key` (the entry's) with the lookups: they decide the HTML too."""
    try:
        files, han, words, minutes, summary, lookups, problems, token, links, fingerprint = json.loads(text)
        if not (_all_str(summary, token, fingerprint, *files) and all(isinstance(x, list) and len(x) == 2 and isinstance(x[0], str)
                                                          for x in lookups)
                and all(isinstance(x, list) and len(x) == 3 and _all_str(x[0], x[1]) and isinstance(x[2], int)
                        for x in links)):
            return None
        rendered = Rendered(files=tuple(files), han=int(han), words=int(words),
                            reading_minutes=int(minutes), auto_summary=summary, key=html_key(key, lookups),
                            links=tuple((target, written, line) for target, written, line in links), link_token=token,
                            fingerprint=fingerprint)
        return rendered, lookups, tuple(problem_from_json(p) for p in problems)
    except (ValueError, KeyError, TypeError):
        return None
