"""Every hash the build makes, in one place: of bytes (a file's identity), of values (keys of
cache entries and outputs), of files (a theme), of the package's own code.

Only stdlib here: the no-change path hashes its inputs before it knows whether there is work.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

PACKAGE = Path(__file__).resolve().parent


def sha256(data: bytes) -> str:
    """A file's identity: the hex SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def digest(*parts) -> str:
    """One key for any values, by their repr (the same values give the same key in every run)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def key(*parts: str) -> str:
    """One key for some strings (none of them holds a NUL: they are reprs, hex digests, URLs)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def short(text: str) -> str:
    """A short key of a text (blake2b, 128 bits): for the many keys made on every build."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def files_digest(files: Iterable[tuple[str, Path]]) -> str:
    """Changes whenever any of the files (a label and a path each) or their labels change."""
    h = hashlib.sha256()
    for label, path in files:
        h.update(f"{label}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def code_digest(schema: int) -> str:
    """Changes with any Python file of the package, in sub-packages too, and with the cache's
    schema: a new version never reads an old entry."""
    h = hashlib.sha256(str(schema).encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()
