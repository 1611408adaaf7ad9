"""The persistent cache of the per-file stages, in one SQLite file (.kexie-cache/cache.sqlite).

- stats:   path → (stamp, sha256), so unchanged files need not be read again (the stamp holds
           size, mtime, ctime and inode: a restored mtime alone does not hide an edit);
- docs:    parse results (the front matter), keyed by file hash + parse digest;
- renders: Markdown results (small fields as JSON, the HTML apart, loaded only where a page or
           feed needs it), keyed by file hash + render digest; each entry remembers the files
           it looked up, and is valid only while they are the same;
- state:   the fingerprint of the last build, for the no-change fast path.

Anything unreadable — a corrupt file, a row from another version, bad JSON, a row whose checksum
does not match — is a miss: the cache is rebuilt, never trusted. A cache that cannot be used at
all is left aside with a warning, and the build runs without it. `Cache.memory()` is the same code on an in-memory database (--no-cache).
Only stdlib modules are imported here, so the no-change path stays fast.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from .model import Heading

SCHEMA = 13
CACHE_DIR = ".kexie-cache"
CACHE_FILE = "cache.sqlite"
CACHE_NAME = f"{CACHE_DIR}/{CACHE_FILE}"      # as problems name it
# every row carries `sum`, a checksum of its other columns: a row whose bytes were damaged (a
# bad sector, a garbled page, an edit by hand) is a miss, never published
TABLES = (
    "CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, stamp TEXT, sha TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, value TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS renders (key TEXT PRIMARY KEY, light TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS html (key TEXT PRIMARY KEY, html TEXT, headings TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS texts (key TEXT PRIMARY KEY, heads TEXT, text TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT, sum TEXT)",
    "CREATE TABLE IF NOT EXISTS slugs (text TEXT, lim INTEGER, slug TEXT, sum TEXT, PRIMARY KEY (text, lim))",
)
TABLE_NAMES = ("stats", "docs", "renders", "html", "texts", "state", "slugs")


def _sum(*values) -> str:
    """The checksum of a row's values (blake2b: fast, and any damaged byte changes it)."""
    h = hashlib.blake2b(digest_size=12)
    for value in values:
        h.update(str(value).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class Cache:
    """The cache is an accelerator, never a point of failure: what cannot be opened, read or
    written is noted in `trouble` (the build reports it once, as a warning) and the build goes on
    without it; a row that fails its checksum is a miss (counted in `damaged`)."""

    def __init__(self, db: sqlite3.Connection, path: Path | None = None, trouble: list[str] | None = None):
        self.db = db
        self.path = path
        self.trouble: list[str] = list(trouble or [])
        self.damaged = 0
        self.broken = False
        for sql in TABLES:
            self._guard(sql)

    # -------------------------------------------------------------- opening

    @classmethod
    def memory(cls, trouble: list[str] | None = None) -> "Cache":
        return cls(sqlite3.connect(":memory:"), trouble=trouble)

    @classmethod
    def open(cls, path: Path) -> "Cache":
        """The cache at path. A damaged or foreign file is thrown away and started afresh; a cache
        that cannot be used at all (its folder is a file, it belongs to another user, the disk is
        read-only) gives an in-memory one, with the reason in `trouble`."""
        reason = ""
        for attempt in range(2):
            db = None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and not path.is_file():
                    raise IsADirectoryError(21, "not a file", str(path))
                db = sqlite3.connect(path, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA:
                    for table in TABLE_NAMES:
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute(f"PRAGMA user_version={SCHEMA}")
                for sql in TABLES:
                    db.execute(sql)
                for table in TABLE_NAMES:
                    db.execute(f"SELECT count(*) FROM {table}").fetchone()
                return cls(db, path)
            except (sqlite3.Error, OSError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if db is not None:
                    try:
                        db.close()
                    except sqlite3.Error:
                        pass
                if isinstance(exc, OSError) and not isinstance(exc, IsADirectoryError):
                    break                              # the folder itself: no use trying again
                try:                                   # damaged: start afresh (a file only)
                    for suffix in ("", "-wal", "-shm"):
                        side = Path(str(path) + suffix)
                        if side.is_file() or side.is_symlink():
                            side.unlink()
                except OSError as removing:
                    reason = f"{reason}; {type(removing).__name__}: {removing}"
                    break
        return cls.memory([f"缓存不可用，这次不用缓存构建 (cache unusable, building without it): {reason}"])

    @classmethod
    def reader(cls, path: Path) -> "Cache":
        """Another, read-only connection to the cache file at path: a worker process must not use
        the connection it inherited."""
        cache = cls.__new__(cls)
        cache.db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        cache.path = path
        cache.trouble = []
        cache.damaged = 0
        return cache

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        if getattr(self, "broken", False) and self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                try:
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                except OSError:
                    pass

    def _guard(self, sql: str, args=(), many=False):
        try:
            if many:
                self.db.executemany(sql, args)
                return []
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            if not self.trouble:                       # once is enough: the build goes on
                self.trouble.append(f"缓存读写失败，已跳过 (cache read/write failed, skipped): {exc}")
            if "malformed" in str(exc) or "not a database" in str(exc):
                self.broken = True                     # damaged pages: the next build starts afresh
            return []

    def _checked(self, rows) -> list:
        """The rows whose last column is the checksum of the others, without it."""
        good = []
        for row in rows:
            if row[-1] == _sum(*row[:-1]):
                good.append(row[:-1])
            else:
                self.damaged += 1
        return good

    def begin(self) -> None:
        self._guard("BEGIN")

    def commit(self) -> None:
        self._guard("COMMIT")

    # -------------------------------------------------------------- stats

    def stats(self) -> dict[str, tuple[str, str]]:
        """path -> (stamp, sha256) of the files the last build read (sources.stamp)."""
        return {p: (stamp, h) for p, stamp, h in self._checked(self._guard("SELECT path, stamp, sha, sum FROM stats"))}

    def put_stats(self, rows: list[tuple[str, str, str]], previous: dict[str, tuple[str, str]] | None = None) -> None:
        """The stats of this build's files: (path, stamp, sha256); `previous` (what stats() gave)
        saves rewriting the rows that did not change."""
        if not previous:                 # nothing known (or not readable): start the table afresh
            self._guard("DELETE FROM stats")
            previous = {}
        now = {path: (stamp, sha) for path, stamp, sha in rows}
        gone = [(path,) for path in previous if path not in now]
        if gone:
            self._guard("DELETE FROM stats WHERE path = ?", gone, many=True)
        changed = [(*row, _sum(*row)) for row in rows if previous.get(row[0]) != row[1:]]
        if changed:
            self._guard("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?)", changed, many=True)

    def forget_stats(self, path: str) -> None:
        """Read the file again next time, whatever its stamp."""
        self._guard("DELETE FROM stats WHERE path = ?", (path,))

    # -------------------------------------------------------------- slugs

    def get_slugs(self, texts: list[str] | None = None) -> dict[tuple[str, int], str]:
        """The slugs earlier builds worked out (of `texts` only, when given: a handful is quick)."""
        if texts is None:
            rows = self._guard("SELECT text, lim, slug, sum FROM slugs")
        else:
            rows = [row for i in range(0, len(texts), 500) for row in self._guard(
                f"SELECT text, lim, slug, sum FROM slugs WHERE text IN ({','.join('?' * len(texts[i:i + 500]))})",
                texts[i:i + 500])]
        return {(t, n): s for t, n, s in self._checked(rows)}

    def put_slugs(self, learned: dict[tuple[str, int], str]) -> None:
        self._guard("INSERT OR REPLACE INTO slugs VALUES (?, ?, ?, ?)",
                    [(t, n, s, _sum(t, n, s)) for (t, n), s in learned.items()], many=True)

    # -------------------------------------------------------------- state

    def get_state(self, name: str) -> str | None:
        rows = self._checked(self._guard("SELECT name, value, sum FROM state WHERE name = ?", (name,)))
        return rows[0][1] if rows else None

    def put_state(self, name: str, value: str) -> None:
        self._guard("INSERT OR REPLACE INTO state VALUES (?, ?, ?)", (name, value, _sum(name, value)))

    # -------------------------------------------------------------- parse results

    def _get_many(self, sql: str, keys: list[str]) -> dict[str, str]:
        """key → value for the keys found and sound, asked 500 at a time (SQLite's limit on parameters)."""
        found = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            found.update(self._checked(self._guard(sql.format(marks=",".join("?" * len(chunk))), chunk)))
        return found

    def get_docs(self, keys: list[str]) -> dict[str, str]:
        return self._get_many("SELECT key, value, sum FROM docs WHERE key IN ({marks})", keys)

    def put_docs(self, rows: list[tuple[str, str]]) -> None:
        self._guard("INSERT OR REPLACE INTO docs VALUES (?, ?, ?)", [(k, v, _sum(k, v)) for k, v in rows], many=True)

    # -------------------------------------------------------------- render results

    def get_renders(self, keys: list[str]) -> dict[str, str]:
        return self._get_many("SELECT key, light, sum FROM renders WHERE key IN ({marks})", keys)

    def get_body(self, key: str) -> tuple[str, tuple[Heading, ...]] | None:
        """An article's HTML and its headings (for a table of contents), loaded only for the page
        or feed that shows them; None when the cache does not have them, or not intact."""
        rows = self._checked(self._guard("SELECT key, html, headings, sum FROM html WHERE key = ?", (key,)))
        if not rows:
            return None
        _, html, headings = rows[0]
        try:
            return html, tuple(Heading(int(a), str(b), str(c)) for a, b, c in json.loads(headings or "[]"))
        except (ValueError, TypeError):
            return None

    def get_text(self, key: str) -> tuple[str, str] | None:
        """An article's headings (one a line) and plain text, for the search index; or None."""
        rows = self._checked(self._guard("SELECT key, heads, text, sum FROM texts WHERE key = ?", (key,)))
        return (rows[0][1], rows[0][2]) if rows else None

    def put_render(self, key: str, light: str, html: str, headings: tuple[Heading, ...] = (), text: str = "") -> None:
        self._guard("INSERT OR REPLACE INTO renders VALUES (?, ?, ?)", (key, light, _sum(key, light)))
        heads = json.dumps([[h.level, h.id, h.text] for h in headings], ensure_ascii=False)
        self._guard("INSERT OR REPLACE INTO html VALUES (?, ?, ?, ?)", (key, html, heads, _sum(key, html, heads)))
        lines = "\n".join(h.text for h in headings)
        self._guard("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?)", (key, lines, text, _sum(key, lines, text)))

    def purge_damaged(self) -> None:
        """Delete every row that fails its checksum (one whose key itself was damaged is never
        replaced by a write, and would be found damaged again at every build)."""
        columns = {"stats": "path, stamp, sha", "docs": "key, value", "renders": "key, light",
                   "html": "key, html, headings", "texts": "key, heads, text", "state": "name, value",
                   "slugs": "text, lim, slug"}
        for table, names in columns.items():
            bad = [(rowid,) for rowid, *row, total in self._guard(f"SELECT rowid, {names}, sum FROM {table}")
                   if total != _sum(*row)]
            if bad:
                self._guard(f"DELETE FROM {table} WHERE rowid = ?", bad, many=True)

    def prune(self, table: str, keep: set[str]) -> None:
        """Drop entries this build did not use, so the file does not grow without end."""
        if table == "renders":
            self.prune("html", keep)
            self.prune("texts", keep)
        have = {k for (k,) in self._guard(f"SELECT key FROM {table}")}
        gone = [(k,) for k in have - keep]
        if gone:
            self._guard(f"DELETE FROM {table} WHERE key = ?", gone, many=True)
