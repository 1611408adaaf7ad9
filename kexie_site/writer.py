"""The writing edge: put the outputs into the output directory, touching only what changed.

A manifest (.kexie-manifest.json) lists the files this tool wrote, so a later build removes only
those it no longer produces: a CNAME, a baidu_verify_*.html or a .git placed there by hand is
never touched.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .model import Output

MANIFEST = ".kexie-manifest.json"


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def read_manifest(out_dir: Path) -> set[str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text("utf-8"))
        return {p for p in data.get("files", []) if isinstance(p, str)}
    except (OSError, ValueError, AttributeError):
        return set()


def _bytes_of(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    return Path(output.source).read_bytes()


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.kexie-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def write_outputs(outputs: Iterable[Output], out_dir: Path) -> WriteReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    before = read_manifest(out_dir)
    written, unchanged, now = [], [], []
    for output in outputs:
        target = out_dir / output.path
        data = _bytes_of(output)
        now.append(output.path)
        try:
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                unchanged.append(output.path)
                continue
        except OSError:
            pass
        _write_atomic(target, data)
        written.append(output.path)
    removed = []
    current = set(now)
    for stale in sorted(before - current):
        path = out_dir / stale
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(stale)
            _prune(path.parent, out_dir)
    manifest = json.dumps({"generator": "kexie-site", "files": sorted(current)}, ensure_ascii=False, indent=0)
    _write_atomic(out_dir / MANIFEST, manifest.encode("utf-8"))
    return WriteReport(tuple(written), tuple(unchanged), tuple(removed))


def _prune(folder: Path, stop: Path) -> None:
    """Remove folders left empty by removed files, up to the output directory."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
