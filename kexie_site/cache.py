"""The persistent cache of the per-file stages, in one SQLite file (.kexie-cache/cache.sqlite).

- stats:   path → (size, mtime_ns, sha256), so unchanged files need not be read again;
- docs:    parse results (the front matter), keyed by file hash + parse digest;
- renders: Markdown results (small fields as JSON, the HTML apart, loaded only where a page or
           feed needs it), keyed by file hash + render digest; each entry remembers the files
           it looked up, and is valid only while they are the same;
- state:   the fingerprint of the last build, for the no-change fast path.

Anything unreadable — a corrupt file, a row from another version, bad JSON — is a miss: the cache
is rebuilt, never trusted. `Cache.memory()` is the same code on an in-memory database (--no-cache).
Only stdlib modules are imported here, so the no-change path stays fast.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, tzinfo
from pathlib import Path

from .errors import Problem
from .model import ArticleDoc, Heading, Meta, Rendered

SCHEMA = 10
TABLES = (
    "CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, sha TEXT)",
    "CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS renders (key TEXT PRIMARY KEY, light TEXT)",
    "CREATE TABLE IF NOT EXISTS html (key TEXT PRIMARY KEY, html TEXT, headings TEXT)",
    "CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS slugs (text TEXT, lim INTEGER, slug TEXT, PRIMARY KEY (text, lim))",
)


def digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def code_digest() -> str:
    """Changes with any source file of the package: a new version never reads an old entry."""
    h = hashlib.sha256(str(SCHEMA).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class Cache:
    def __init__(self, db: sqlite3.Connection, path: Path | None = None):
        self.db = db
        self.path = path
        for sql in TABLES:
            self.db.execute(sql)
        self.db.execute("PRAGMA user_version").fetchone()

    # -------------------------------------------------------------- opening

    @classmethod
    def memory(cls) -> "Cache":
        return cls(sqlite3.connect(":memory:"))

    @classmethod
    def open(cls, path: Path) -> "Cache":
        """The cache at path; a corrupt or foreign file is thrown away and started afresh."""
        for attempt in range(2):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA:
                    for table in ("stats", "docs", "renders", "html", "state", "slugs"):
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute(f"PRAGMA user_version={SCHEMA}")
                cache = cls(db, path)
                db.execute("SELECT count(*) FROM renders").fetchone()
                return cache
            except sqlite3.Error:
                try:
                    db.close()
                except Exception:
                    pass
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
        return cls.memory()

    @classmethod
    def reader(cls, path: Path) -> "Cache":
        """Another, read-only connection to the cache file at path: a worker process must not use
        the connection it inherited."""
        cache = cls.__new__(cls)
        cache.db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        cache.path = path
        return cache

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def _guard(self, sql: str, args=(), many=False):
        try:
            if many:
                self.db.executemany(sql, args)
                return []
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    def begin(self) -> None:
        self._guard("BEGIN")

    def commit(self) -> None:
        self._guard("COMMIT")

    # -------------------------------------------------------------- stats

    def stats(self) -> dict[str, tuple[int, int, str]]:
        return {p: (s, m, h) for p, s, m, h in self._guard("SELECT path, size, mtime, sha FROM stats")}

    def put_stats(self, rows: list[tuple[str, int, int, str]],
                  previous: dict[str, tuple[int, int, str]] | None = None) -> None:
        """The stats of this build's files; `previous` (what stats() gave) saves rewriting the
        rows that did not change."""
        if not previous:                 # nothing known (or not readable): start the table afresh
            self._guard("DELETE FROM stats")
            previous = {}
        now = {path: (size, mtime, sha) for path, size, mtime, sha in rows}
        gone = [(path,) for path in previous if path not in now]
        if gone:
            self._guard("DELETE FROM stats WHERE path = ?", gone, many=True)
        changed = [row for row in rows if previous.get(row[0]) != row[1:]]
        if changed:
            self._guard("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?)", changed, many=True)

    def forget_stats(self, path: str) -> None:
        """Read the file again next time, whatever its size and mtime."""
        self._guard("DELETE FROM stats WHERE path = ?", (path,))

    # -------------------------------------------------------------- slugs

    def get_slugs(self) -> dict[tuple[str, int], str]:
        return {(t, n): s for t, n, s in self._guard("SELECT text, lim, slug FROM slugs")}

    def put_slugs(self, learned: dict[tuple[str, int], str]) -> None:
        self._guard("INSERT OR REPLACE INTO slugs VALUES (?, ?, ?)", [(t, n, s) for (t, n), s in learned.items()], many=True)

    # -------------------------------------------------------------- state

    def get_state(self, name: str) -> str | None:
        rows = self._guard("SELECT value FROM state WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def put_state(self, name: str, value: str) -> None:
        self._guard("INSERT OR REPLACE INTO state VALUES (?, ?)", (name, value))

    # -------------------------------------------------------------- parse results

    def _get_many(self, sql: str, keys: list[str]) -> dict[str, str]:
        """key → value for the keys found, asked 500 at a time (SQLite's limit on parameters)."""
        found = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            found.update(self._guard(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return found

    def get_docs(self, keys: list[str]) -> dict[str, str]:
        return self._get_many("SELECT key, value FROM docs WHERE key IN ({marks})", keys)

    def put_docs(self, rows: list[tuple[str, str]]) -> None:
        self._guard("INSERT OR REPLACE INTO docs VALUES (?, ?)", rows, many=True)

    # -------------------------------------------------------------- render results

    def get_renders(self, keys: list[str]) -> dict[str, str]:
        return self._get_many("SELECT key, light FROM renders WHERE key IN ({marks})", keys)

    def get_body(self, key: str) -> tuple[str, tuple[Heading, ...]] | None:
        """An article's HTML and its headings (for a table of contents), loaded only for the page
        or feed that shows them; None when the cache does not have them."""
        rows = self._guard("SELECT html, headings FROM html WHERE key = ?", (key,))
        if not rows:
            return None
        html, headings = rows[0]
        try:
            return html, tuple(Heading(int(a), str(b), str(c)) for a, b, c in json.loads(headings or "[]"))
        except (ValueError, TypeError):
            return None

    def put_render(self, key: str, light: str, html: str, headings: tuple[Heading, ...] = ()) -> None:
        self._guard("INSERT OR REPLACE INTO renders VALUES (?, ?)", (key, light))
        self._guard("INSERT OR REPLACE INTO html VALUES (?, ?, ?)",
                    (key, html, json.dumps([[h.level, h.id, h.text] for h in headings], ensure_ascii=False)))

    def prune(self, table: str, keep: set[str]) -> None:
        """Drop entries this build did not use, so the file does not grow without end."""
        if table == "renders":
            self.prune("html", keep)
        have = {k for (k,) in self._guard(f"SELECT key FROM {table}")}
        gone = [(k,) for k in have - keep]
        if gone:
            self._guard(f"DELETE FROM {table} WHERE key = ?", gone, many=True)


# ------------------------------------------------------------------ (de)serialization

def _dt(value: str | None, zone: tzinfo) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(zone) if value else None


def problem_to_json(p: Problem) -> list:
    return [p.path, p.line, p.message, p.hint, p.severity, p.col]


def problem_from_json(row: list) -> Problem:
    path, line, message, hint, severity, col = row
    if not (_all_str(path, message, hint, severity) and type(line) is int and type(col) is int):
        raise TypeError("not a stored problem")
    return Problem(path, line, message, hint, severity, col)


# rows are JSON arrays, not objects: an edit rebuild decodes one of each per article

def doc_to_json(doc: ArticleDoc, problems: tuple[Problem, ...]) -> str:
    m = doc.meta
    return json.dumps([
        doc.path, doc.sha256, doc.body_line,
        m.title, m.date.isoformat(), m.column, list(m.tags), m.summary, m.author, m.id, m.slug, m.draft,
        m.updated.isoformat() if m.updated else None, m.cover, [list(x) for x in m.lines],
        [problem_to_json(p) for p in problems],
    ], ensure_ascii=False)


def doc_from_json(text: str, zone: tzinfo) -> tuple[ArticleDoc, tuple[Problem, ...]] | None:
    """The parse result without its body (None if the entry is unreadable): the body is taken
    from the source again only when the article has to be rendered."""
    try:
        path, sha, body_line, title, date, column, tags, summary, author, id_, slug, draft, updated, cover, lines, \
            problems = json.loads(text)
        if not (_all_str(path, sha, title, date, column, summary, author, id_, slug, cover) and _all_str(*tags)
                and isinstance(draft, bool) and (updated is None or isinstance(updated, str))):
            return None
        meta = Meta(title, _dt(date, zone), column, tuple(tags), summary, author, id_, slug, draft,
                    _dt(updated, zone), cover, tuple((k, int(v)) for k, v in lines))
        doc = ArticleDoc(path, sha, meta, "", int(body_line))
        return doc, tuple(problem_from_json(p) for p in problems)
    except (ValueError, KeyError, TypeError, AttributeError):
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
    """(Rendered without html, text and headings, the file lookups it depends on, its problems),
    or None. The headings are kept with the HTML (get_body): only the article's page needs them.
    The Rendered's key is `key` (the entry's) with the lookups: they decide the HTML too."""
    try:
        files, han, words, minutes, summary, lookups, problems, token, links, fingerprint = json.loads(text)
        if not (_all_str(summary, token, fingerprint, *files) and all(isinstance(x, list) and len(x) == 2 and isinstance(x[0], str)
                                                          for x in lookups)
                and all(isinstance(x, list) and len(x) == 3 and _all_str(x[0], x[1]) and isinstance(x[2], int)
                        for x in links)):
            return None
        rendered = Rendered(html="", text="", files=tuple(files), han=int(han), words=int(words),
                            reading_minutes=int(minutes), auto_summary=summary, key=html_key(key, lookups),
                            links=tuple((target, written, line) for target, written, line in links), link_token=token,
                            fingerprint=fingerprint)
        return rendered, lookups, tuple(problem_from_json(p) for p in problems)
    except (ValueError, KeyError, TypeError):
        return None
