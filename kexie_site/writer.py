"""The writing edge: publish a complete new site, or leave the previous one untouched.

Every file that changed is first written into a staging folder beside the output
(`.<name>.kexie-staging`) while the output is not touched at all: a failed or interrupted build
(an error, Ctrl-C, a kill) stops there and the output is as it was. Only when all of them are
ready is the change swapped in: a journal (`.<name>.kexie-journal.json`) lists what will be
replaced, added and removed, each old file is moved aside into `.<name>.kexie-backup` and the
new one renamed into place (each rename atomic), and the journal is deleted. An error during
the swap rolls it back at once; a kill during the swap (a few renames) is rolled back by the
next build before anything else, from the journal. Unchanged files are never touched (same
inode and mtime, so rsync and CDN uploads see the real change set).

A manifest (.kexie-manifest.json) lists the files the tool wrote, which is how it tells its own
files from the editor's: files it no longer produces are removed; files it did not create
(CNAME, baidu_verify_*.html, .git, a hand-placed favicon.ico) are never replaced or deleted.
It also keeps the identity record (identity.py): the id and URL each article was published
under, so that the next build keeps them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from stat import S_ISDIR, S_ISREG
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import error
from .outdir import PublishRefused
from .model import Output

MANIFEST = ".kexie-manifest.json"
ODD_PART_RE = re.compile(r"[\x00-\x1f\x7f:*?\"<>|]|[ .]$")   # control characters, Windows-reserved, trailing dot/space


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


# the common case at once: parts of lower-case letters, digits, '-', '_' and inner dots
PLAIN_PATH_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*(?:/[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)*")


def check_path(rel: str) -> bool:
    """A generated path: relative, forward slashes, no '..', no empty or odd parts."""
    if PLAIN_PATH_RE.fullmatch(rel):
        return True
    if not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") and not ODD_PART_RE.search(p) for p in parts)


# ------------------------------------------------------------------ publishing

def read_manifest(out_dir: Path) -> set[str]:
    """The files the last build published (the manifest lists paths only, so it is the same
    for the same input)."""
    try:
        files = json.loads((out_dir / MANIFEST).read_text("utf-8")).get("files", [])
        return {p for p in files if isinstance(p, str) and check_path(p)}
    except (OSError, ValueError, AttributeError):
        return set()


def read_record(out_dir: Path):
    """The identity record of the last publish into out_dir (identity.py), by path; None when
    there is none (a fresh clone, a new output folder, a manifest of an older version)."""
    from .identity import record_from_json

    try:
        data = json.loads((out_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record_from_json(data.get("articles")) if isinstance(data, dict) else None


def output_intact(out_dir: Path, records: dict[str, list]) -> bool:
    """Whether every file of the last build is still there exactly as it was written."""
    if not records or read_manifest(out_dir) != records.keys():
        return False
    root = str(out_dir) + os.sep               # the records hold relative paths this tool wrote
    for rel, (_, size, mtime) in records.items():
        try:
            st = os.lstat(root + rel)
        except OSError:
            return False
        if st.st_size != size or st.st_mtime_ns != mtime:
            return False
    return True


def replace_file(path: Path, data: bytes) -> None:
    """A file written whole or not at all: a temporary file beside it, then one rename."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".kexie-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_ours(path: Path, data: bytes, recorded: str | None) -> tuple[str, str]:
    """Write a file this tool made: (what happened, the new bytes' sha256). "unchanged" when the
    file has these bytes already, "written" when it is new or still has the bytes whose sha256
    is `recorded` (as this tool last wrote it), "kept" when it was changed by hand (or is not
    ours): then it is left as it is."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        now = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        now = None
    if now == digest:
        return "unchanged", digest
    if now is not None and now != recorded:
        return "kept", digest
    replace_file(path, data)
    return "written", digest


def same_file(path: str, seen: list) -> bool:
    """Whether path is the regular file (not a symlink) of that size and mtime."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return st.st_size == seen[1] and st.st_mtime_ns == seen[2] and S_ISREG(st.st_mode)


def _escaping_folders(folders: Iterable[str], out_dir: Path) -> list[str]:
    """The folders (relative to out_dir) whose nearest existing folder is not inside out_dir
    once symlinks are resolved. Each folder is looked at once, however many files it holds:
    a cold build writes into some 15,000 folders that share most of their parents."""
    root = out_dir.resolve()
    exists: dict[str, bool] = {"": True}
    inside: dict[str, bool] = {}

    def nearest(rel: str) -> str:
        while True:
            if rel not in exists:
                exists[rel] = os.path.exists(os.path.join(root, rel))
            if exists[rel]:
                return rel
            rel = rel.rpartition("/")[0]

    found = []
    for rel in folders:
        near = nearest(rel)
        if near not in inside:
            inside[near] = (root / near).resolve().is_relative_to(root)
        if not inside[near]:
            found.append(rel)
    return found


def side_paths(out_dir: Path) -> tuple[Path, Path, Path]:
    """The staging folder, the backup folder and the journal of a publish into out_dir."""
    base = out_dir.parent / f".{out_dir.name}.kexie"
    return Path(f"{base}-staging"), Path(f"{base}-backup"), Path(f"{base}-journal.json")


def _prune(folder: Path, stop: Path) -> None:
    """Remove folders left empty, up to (not including) stop; never through a symlink."""
    while folder != stop and stop in folder.parents and not folder.is_symlink():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _rollback(out_dir: Path, plan: dict) -> None:
    """Undo a partly applied swap: take out what was added, put back what was moved aside."""
    _, backup, _ = side_paths(out_dir)
    for tree in plan.get("add_trees", []):
        if (out_dir / tree).is_dir() and not (out_dir / tree).is_symlink():
            shutil.rmtree(out_dir / tree)
            _prune((out_dir / tree).parent, out_dir)
    for rel in plan.get("add", []):
        target = out_dir / rel
        if target.is_file() and not target.is_symlink():
            target.unlink()
            _prune(target.parent, out_dir)
    for rel in plan.get("replace", []) + plan.get("remove", []):
        saved = backup / rel
        if saved.is_file() and not saved.is_symlink():
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(saved, out_dir / rel)


def recover(out_dir: Path) -> None:
    """Before anything else: roll back a swap that a killed build left half done, and clear its
    staging and backup folders."""
    staging, backup, journal = side_paths(out_dir)
    if journal.exists():
        try:
            plan = json.loads(journal.read_text("utf-8"))
        except (OSError, ValueError):
            plan = {}
        _rollback(out_dir, plan if isinstance(plan, dict) else {})
        journal.unlink()
    for folder in (staging, backup):
        if folder.exists():
            shutil.rmtree(folder)


def bytes_of(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    if output.produce is not None:
        return output.produce()
    return Path(output.source).read_bytes()


@dataclass(frozen=True)
class Staging:
    """Where stage() puts a file: the output directory, its staging folder, and the files the
    last build published there. `made` holds the staging folders made (or found) so far, in
    this process: one publish's own (a forked worker adds to its copy)."""
    out_dir: str
    staging: str
    before: frozenset
    made: set = field(default_factory=set, compare=False)


# a new file, never one that is there already (O_EXCL); os.open and os.write, not open():
# 15,000 files of a cold build, and open() adds an isatty and a seek to each
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _make_folder(folder: str, made: set) -> None:
    parent = os.path.dirname(folder)
    if parent in made:
        try:
            os.mkdir(folder)
        except FileExistsError:                  # made by another worker
            pass
    else:
        os.makedirs(folder, exist_ok=True)
    made.add(folder)
    made.add(parent)


def stage(output: Output, data: bytes, where: Staging) -> tuple[str, list]:
    """Put one output's bytes into the staging folder unless the published file already has
    them. Returns ("unchanged" | "replace" | "add", [key, size, mtime_ns]). Safe to call from
    several processes at once (each output is one file)."""
    current = os.path.join(where.out_dir, output.path)
    ours = output.path in where.before
    if ours and os.path.isfile(current) and not os.path.islink(current) and os.path.getsize(current) == len(data):
        with open(current, "rb") as handle:
            if handle.read() == data:
                st = os.lstat(current)
                return "unchanged", [output.key, st.st_size, st.st_mtime_ns]
    target = os.path.join(where.staging, output.path)
    folder = os.path.dirname(target)
    if folder not in where.made:
        _make_folder(folder, where.made)
    fd = os.open(target, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    st = os.lstat(target)
    return ("replace" if ours and os.path.lexists(current) else "add"), [output.key, st.st_size, st.st_mtime_ns]


def _foreign_in_the_way(out_dir: Path, rel: str, checked: dict[str, str], leaving: set[str]) -> str | None:
    """A file we did not create at rel or at one of its folders (a file or a symlink where we need
    a folder), or None. Folders are looked at from the top, once each (`checked`): below one
    that is missing there is nothing to look at, which is every file of a first build. Our own
    files that this build removes (`leaving`) are not in the way: a static file may become a
    folder of the same name, and a folder of ours a file."""
    parts = rel.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/".join(parts[:i])
        state = checked.get(folder)
        if state is None:
            try:
                st = os.lstat(os.path.join(out_dir, folder))
                state = "dir" if S_ISDIR(st.st_mode) else "leaving" if S_ISREG(st.st_mode) and folder in leaving \
                    else "foreign"
            except OSError:
                state = "missing"
            checked[folder] = state
        if state in ("missing", "leaving"):      # (lstat: a symlink is not a dir)
            return None
        if state == "foreign":
            return folder
    path = os.path.join(out_dir, rel)
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path) and not os.path.islink(path) and _only_leaving(out_dir, rel, leaving):
        return None
    return rel


def _only_leaving(out_dir: Path, rel: str, leaving: set[str]) -> bool:
    """Whether the folder rel holds nothing but our files that are being removed (and folders)."""
    for folder, dirs, files in os.walk(os.path.join(out_dir, rel)):
        base = Path(folder).relative_to(out_dir).as_posix()
        if any(os.path.islink(os.path.join(folder, d)) for d in dirs):
            return False
        if any(f"{base}/{name}" not in leaving or os.path.islink(os.path.join(folder, name)) for name in files):
            return False
    return True


def publish(outputs: Iterable[Output], out_dir: Path, before_swap=None,
            records: dict[str, list] | None = None,
            stage_all: Callable[[list[Output], "Staging"], Iterator[tuple[str, list]]] | None = None,
            articles: list | None = None) -> tuple[WriteReport, dict[str, list]]:
    """Publish outputs as the new content of out_dir. `records` ({path: [key, size, mtime]}, kept
    in the cache) says what the last build wrote; an output whose key and file are unchanged is
    not produced again. `stage_all(outputs, staging)` makes and stages the outputs that are
    needed, in their order, giving what `stage()` gives for each (so the caller can do it in
    worker processes); by default each is made and staged here.
    `before_swap()` may return problems found while producing the files: then nothing is
    published. `articles` is the identity record the manifest keeps (identity.record_to_json).
    Returns the report and the new records."""
    outputs = list(outputs)
    out_dir = out_dir.resolve()
    recover(out_dir)
    before = _ours(out_dir, records or {})
    _refuse_unsafe(outputs, out_dir, before)
    staging, backup, journal = side_paths(out_dir)
    staging.mkdir(parents=True)
    try:
        written, unchanged, files, plan = _stage_changes(outputs, out_dir, before, records or {}, stage_all, staging)
        late = before_swap() if before_swap else []
        if late:
            raise PublishRefused(list(late))
        plan["remove"] = sorted(p for p in before if p not in files
                                and (out_dir / p).is_file() and not (out_dir / p).is_symlink())
        _write_manifest(staging, out_dir, sorted(files), articles, plan)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    out_dir.mkdir(parents=True, exist_ok=True)
    _swap(out_dir, _with_trees(out_dir, plan))
    return WriteReport(tuple(written), tuple(unchanged), tuple(plan["remove"])), files


def _ours(out_dir: Path, records: dict[str, list]) -> set[str]:
    """The files in out_dir this tool wrote: those its manifest lists, and those the records
    say it wrote, still exactly as written (size and mtime), even when the manifest is gone
    (deleted, or not uploaded back)."""
    before = read_manifest(out_dir)
    root = str(out_dir)
    return before | {p for p, seen in records.items()
                     if p not in before and isinstance(seen, list) and len(seen) == 3 and check_path(p)
                     and same_file(f"{root}/{p}", seen)}


def _refuse_unsafe(outputs: list[Output], out_dir: Path, before: set[str]) -> None:
    """Refuse an unsafe output path, and an output that would replace a file (or need a folder
    where there is a file) the tool did not write."""
    bad = [o for o in outputs if not check_path(o.path)]
    checked: dict[str, str] = {}
    leaving = before - {o.path for o in outputs}
    clashes = [(o, hit) for o in outputs if o.path not in before and not bad
               for hit in [_foreign_in_the_way(out_dir, o.path, checked, leaving)] if hit]
    if bad or clashes:
        raise PublishRefused(
            [error(o.origin or o.path, 1, f"输出路径不安全 (unsafe output path): {o.path!r}") for o in bad] +
            [error(str(out_dir / hit), 1,
                   f"输出目录里已有 {hit}，不是 kexie-site 生成的，不会覆盖 (would overwrite a file the tool did not create: {o.path})",
                   "把它移走，或换一个输出目录") for o, hit in clashes])


def _stage_changes(outputs: list[Output], out_dir: Path, before: set[str], records: dict[str, list],
                   stage_all, staging: Path) -> tuple[list, list, dict, dict]:
    """Make and stage every output that is not published already as it should be: (written,
    unchanged, {path: record} of every output, the plan of the swap without its removals)."""
    written, unchanged, files = [], [], {}
    plan: dict[str, list] = {"replace": [], "add": [], "remove": []}
    root = str(out_dir)
    needed: list[Output] = []
    for output in outputs:
        seen = records.get(output.path) if output.path in before else None
        if seen and output.key and seen[0] == output.key and same_file(f"{root}/{output.path}", seen):
            unchanged.append(output.path)            # same inputs as last time: not even rendered
            files[output.path] = seen
            continue
        current = out_dir / output.path
        if output.path in before and (current.is_symlink() or (current.exists() and not current.is_file())):
            raise PublishRefused([error(str(current), 1,
                                        f"输出目录里的 {output.path} 已不是 kexie-site 写的文件，不会替换 (not a file the tool wrote)",
                                        "把它移走再构建")])
        needed.append(output)
    where = Staging(str(out_dir), str(staging), frozenset(before))
    made = stage_all(needed, where) if stage_all else (stage(o, bytes_of(o), where) for o in needed)
    try:
        for output, (status, record) in zip(needed, made, strict=True):
            files[output.path] = record
            if status == "unchanged":
                unchanged.append(output.path)
            else:
                written.append(output.path)
                plan[status].append(output.path)
    finally:
        close = getattr(made, "close", None)
        if close:
            close()                                   # stop any workers still making files
    return written, unchanged, files, plan


def _write_manifest(staging: Path, out_dir: Path, files: list[str], articles: list | None, plan: dict) -> None:
    manifest = {"generator": "kexie-site", "files": files}
    if articles is not None:
        manifest["articles"] = articles
    # (no indent: json's C encoder; with the record of 10,000 articles the Python one took 0.25 s)
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")), "utf-8")
    plan["replace" if (out_dir / MANIFEST).exists() else "add"].append(MANIFEST)


def _with_trees(out_dir: Path, plan: dict) -> dict:
    """The plan with new folders going over whole: one rename instead of a mkdir and a rename
    per file (`add_trees`)."""
    missing: dict[str, bool] = {}

    def top_missing(rel: str) -> str | None:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder not in missing:
                missing[folder] = not os.path.lexists(out_dir / folder)
            if missing[folder]:
                return folder
        return None

    trees, singles = set(), []
    for rel in plan["add"]:
        tree = top_missing(rel)
        if tree:
            trees.add(tree)
        else:
            singles.append(rel)
    return {**plan, "add_trees": sorted(trees), "add": singles}


def _swap(out_dir: Path, plan: dict) -> None:
    """The swap: journal first, then renames; undone at once on an error, by recover() after a
    kill. A replaced file keeps a hard link in the backup and the new one is renamed over it,
    so every path has a file at every moment; a removed file is moved to the backup."""
    staging, backup, journal = side_paths(out_dir)
    folders = sorted({rel.rpartition("/")[0] for rel in plan["replace"] + plan["add"] + plan["remove"]})
    escaping = _escaping_folders(folders, out_dir)
    if escaping:
        shutil.rmtree(staging, ignore_errors=True)
        raise PublishRefused([error(str(out_dir / escaping[0]), 1, "输出目录里有指向别处的符号链接，不会写到输出目录之外 (path leaves the output directory)",
                                    "删除这个符号链接")])
    with open(journal, "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        for rel in plan["replace"]:
            (backup / rel).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(out_dir / rel, backup / rel, follow_symlinks=False)
            except OSError:
                shutil.copy2(out_dir / rel, backup / rel)
        for rel in plan["remove"]:
            (backup / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(out_dir / rel, backup / rel)
        for rel in plan["remove"]:                # before the adds: a file may take a folder's place
            _prune((out_dir / rel).parent, out_dir)
        for tree in plan["add_trees"]:
            (out_dir / tree).parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / tree, out_dir / tree)
        for rel in plan["replace"] + plan["add"]:
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, out_dir / rel)
    except BaseException:
        _rollback(out_dir, plan)
        journal.unlink()
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)
        raise
    journal.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(backup, ignore_errors=True)
