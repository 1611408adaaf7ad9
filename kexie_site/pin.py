"""`kexie-site pin`: write each article's id and slug into its front matter, so that its identity
depends on nothing but its own file (not on the order of files, nor on the record of a publish
that a fresh clone in CI does not have).

The values written are the ones the next build publishes (identity.py, following the record in
the published folder when there is one). Only what is missing is written: `id: …` when the
article has no `id`, `slug: …` when it has no `slug`, as new lines just before the front
matter's closing `---`. Every other byte stays as it was: the encoding, a BOM, the line endings
(the new lines take the file's own). A dry run (the default) shows the change as a diff; with
`write`, each file is replaced in one rename, and a file whose bytes changed since they were
read (an editor saved it meanwhile) is left alone and reported.
"""
from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import read_config
from .dates import get_zone
from .errors import Problem, error
from .identity import identify
from .model import SourceFile
from .parse import END_RE, FENCE_RE, parse_article
from .sources import read_sources
from .writer import read_record

PLAIN_VALUE_RE = re.compile(r"[a-z][a-z0-9._-]*")      # written without quotes: YAML reads it as this text


@dataclass(frozen=True)
class Pin:
    path: str                # site-relative
    lines: tuple[str, ...]   # the front-matter lines added ("id: kyky-20240822", "slug: heidong")
    before: bytes
    after: bytes


@dataclass(frozen=True)
class PinReport:
    pins: tuple[Pin, ...]            # what is (or, in a dry run, would be) written
    written: tuple[str, ...]         # paths written (empty in a dry run)
    problems: tuple[Problem, ...]    # files left alone, and why (errors); published ids that move (warnings)
    record_found: bool                # the published folder's record was followed


def yaml_line(key: str, value: str) -> str:
    return f"{key}: {value}" if PLAIN_VALUE_RE.fullmatch(value) else f"{key}: {json.dumps(value, ensure_ascii=False)}"


def insert_before_closing(data: bytes, lines: list[str]) -> bytes | None:
    """data with `lines` inserted before the line that closes its front matter, each ending like
    the line before it; None when the file has no front matter to close."""
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    parts = data[len(bom):].splitlines(keepends=True)      # bytes: only \n, \r\n and \r end lines
    text = [p.rstrip(b"\r\n").decode("utf-8", "replace") for p in parts]
    if not parts or not FENCE_RE.match(text[0]):
        return None
    for i in range(1, len(parts)):
        if END_RE.match(text[i]):
            before = parts[i - 1]
            ending = before[len(before.rstrip(b"\r\n")):] or b"\n"
            added = b"".join(line.encode("utf-8") + ending for line in lines)
            return bom + b"".join(parts[:i]) + added + b"".join(parts[i:])
    return None


def plan(site_dir: Path, published_dir: Path | None = None) -> PinReport:
    """What `pin` would write: every article's missing id and slug. Reads, never writes."""
    site_dir = Path(site_dir)
    config, problems = read_config(site_dir)
    if config is None:
        return PinReport((), (), tuple(problems), False)
    zone = get_zone(config.timezone)
    sources = read_sources(site_dir)
    problems = [error(path, 1, f"无法读取 (cannot read): {why}") for path, why in sources.unreadable]
    docs, originals = [], {}
    for source in sources.markdown:
        try:
            data = (site_dir / source.path).read_bytes()
        except OSError as exc:
            problems.append(error(source.path, 1, f"无法读取 (cannot read): {exc.strerror or exc}"))
            continue
        doc, found = parse_article(SourceFile(source.path, data, source.sha256), config, zone)
        if doc is None:
            problems.extend(p for p in found if p.is_error)
            continue
        docs.append(doc)
        originals[doc.path] = data
    record = read_record(Path(published_dir or site_dir / "public").resolve())
    identities, found = identify(docs, config, zone, record)
    # ids or slugs that meet (errors: fix them first), published ones that would move (warnings:
    # what is pinned is the new one, so say so)
    problems.extend(found)
    clashing = {p.path for p in found if p.is_error}
    pins = []
    for doc in docs:
        if doc.path in clashing or (doc.meta.id and doc.meta.slug):
            continue
        ident = identities[doc.path]
        lines = ([yaml_line("id", ident.id)] if not doc.meta.id else []) + \
                ([yaml_line("slug", ident.slug)] if not doc.meta.slug else [])
        after = insert_before_closing(originals[doc.path], lines)
        if after is None:              # (parse_article read a front matter: not expected)
            problems.append(error(doc.path, 1, "找不到 front matter 结束的 --- (closing --- not found)"))
            continue
        pins.append(Pin(doc.path, tuple(lines), originals[doc.path], after))
    return PinReport(tuple(pins), (), tuple(problems), record is not None)


def apply(site_dir: Path, report: PinReport) -> PinReport:
    """Write the planned pins. A file whose bytes are no longer the ones read is left alone."""
    written, problems = [], list(report.problems)
    for pin in report.pins:
        path = Path(site_dir) / pin.path
        try:
            if path.read_bytes() != pin.before:
                problems.append(error(pin.path, 1, "文件在 pin 读取之后被改动了，没有写入 (file changed meanwhile: left alone)",
                                      "保存完毕后再运行一次 kexie-site pin --write"))
                continue
            fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".kexie-pin", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pin.after)
                os.chmod(temporary, path.stat().st_mode & 0o7777)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            problems.append(error(pin.path, 1, f"无法写入 (cannot write): {exc.strerror or exc}", "检查文件权限"))
            continue
        written.append(pin.path)
    return PinReport(report.pins, tuple(written), tuple(problems), report.record_found)


def diff(pin: Pin) -> str:
    """The change as a unified diff of the file's text."""
    before = pin.before.decode("utf-8-sig", "replace").splitlines(keepends=True)
    after = pin.after.decode("utf-8-sig", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff([line.rstrip("\r\n") + "\n" for line in before],
                                        [line.rstrip("\r\n") + "\n" for line in after],
                                        f"a/{pin.path}", f"b/{pin.path}", n=1))

