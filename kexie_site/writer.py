"""The writing edge: publish a complete new site, or leave the previous one untouched.

The new site is assembled in a staging folder beside the output (`.<name>.kexie-staging`):
files whose bytes did not change are hard links to the published ones (same inode and mtime,
so rsync and CDN uploads see only the real change set), changed files are written, and the
files the tool did not create (CNAME, baidu_verify_*.html, .git, a hand-placed favicon.ico) are
carried over. Only then is the staging folder swapped in, in one rename where the system can
(renameat2 RENAME_EXCHANGE on Linux), otherwise in two. A failed, interrupted or killed build
leaves the previous output as it was; the next build clears what it left behind.

A manifest (.kexie-manifest.json) lists the files the tool wrote, which is how it tells its own
files from the editor's. A generated file is never allowed to replace a file it did not create.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import re
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import Problem, error
from .model import Output

MANIFEST = ".kexie-manifest.json"
ODD_PART_RE = re.compile(r"[\x00-\x1f\x7f:*?\"<>|]|[ .]$")   # control characters, Windows-reserved, trailing dot/space


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...] = ()        # files in the output the tool did not create


class PublishRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


# ------------------------------------------------------------------ where output may go

def output_dir_problem(site_dir: Path, out_dir: Path) -> Problem | None:
    """Refuse an output directory whose replacement would destroy an editor's work: the content
    directory, anything containing it or inside it, the site root's parent, the home directory,
    a filesystem root. Checked on real paths (symlinks resolved)."""
    site = site_dir.resolve()
    content = (site / "content").resolve()
    out = out_dir.resolve()
    home = Path.home().resolve()
    reasons = []
    if out == Path(out.anchor):
        reasons.append("是文件系统的根目录 (a filesystem root)")
    if out == home or home.is_relative_to(out):
        reasons.append("是或包含用户主目录 (is or contains the home directory)")
    if out == site.parent or site.parent.is_relative_to(out):
        reasons.append("是或包含站点目录的上一级 (is or contains the site's parent)")
    if content.is_relative_to(out):
        reasons.append("包含 content/ 目录 (contains the content directory)")
    if out.is_relative_to(content):
        reasons.append("在 content/ 目录里面 (is inside the content directory)")
    if not reasons:
        return None
    return error(str(out_dir), 1, f"不能用这个输出目录 (refused output directory)：它{'，'.join(reasons)}",
                 "构建会替换整个输出目录：请用站点里的 public/ 或另一个专用的空目录，例如 --output public")


def check_path(rel: str) -> bool:
    """A generated path: relative, forward slashes, no '..', no empty or odd parts."""
    if not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") and not ODD_PART_RE.search(p) for p in parts)


# ------------------------------------------------------------------ locking

@contextmanager
def site_lock(lock_path: Path):
    """One build of a site at a time; a second one stops at once with a clear message."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+b")
    try:
        try:
            if sys.platform == "win32":
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PublishRefused([error(str(lock_path), 1, "这个站点的另一个构建正在进行 (another build of this site is running)",
                                        "等它结束后再构建；如果确定没有别的构建在运行，删除这个锁文件")])
        yield
    finally:
        handle.close()


# ------------------------------------------------------------------ publishing

def read_manifest(out_dir: Path) -> set[str]:
    """The files the last build published (the manifest lists paths only, so it is the same
    for the same input)."""
    try:
        files = json.loads((out_dir / MANIFEST).read_text("utf-8")).get("files", [])
        return {p for p in files if isinstance(p, str) and check_path(p)}
    except (OSError, ValueError, AttributeError):
        return set()


def output_intact(out_dir: Path, records: dict[str, list]) -> bool:
    """Whether every file of the last build is still there exactly as it was written."""
    if not records or read_manifest(out_dir) != set(records):
        return False
    for rel, (_, size, mtime) in records.items():
        try:
            st = (out_dir / rel).lstat()
        except OSError:
            return False
        if st.st_size != size or st.st_mtime_ns != mtime:
            return False
    return True


def _tree(root: Path) -> tuple[list[str], list[str]]:
    """(files and symlinks, folders) under root, relative, without following symlinks."""
    files, folders = [], []
    if not root.is_dir():
        return files, folders
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder)
        for d in list(dirs):
            if (base / d).is_symlink():
                dirs.remove(d)
                names.append(d)
        for d in dirs:
            folders.append((base / d).relative_to(root).as_posix())
        for n in names:
            files.append((base / n).relative_to(root).as_posix())
    return sorted(files), sorted(folders)


def _same_file(path: Path, seen: list) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return st.st_size == seen[1] and st.st_mtime_ns == seen[2] and not path.is_symlink()


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, getattr(errno, "ENOTSUP", errno.EINVAL)):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


def side_paths(out_dir: Path) -> tuple[Path, Path]:
    """The staging folder and the folder the old output goes to during a two-step swap."""
    return (out_dir.parent / f".{out_dir.name}.kexie-staging",
            out_dir.parent / f".{out_dir.name}.kexie-old")


def recover(out_dir: Path) -> None:
    """Clear what a killed build left: a half-built staging folder, or an old output caught
    between the two renames of a swap (then it is put back)."""
    staging, old = side_paths(out_dir)
    if staging.exists():
        shutil.rmtree(staging)
    if old.exists():
        if out_dir.exists():
            shutil.rmtree(old)
        else:
            os.rename(old, out_dir)


def _bytes_of(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    if output.produce is not None:
        return output.produce()
    return Path(output.source).read_bytes()


def publish(outputs: Iterable[Output], out_dir: Path, before_swap=None,
            records: dict[str, list] | None = None) -> tuple[WriteReport, dict[str, list]]:
    """Publish outputs as the new content of out_dir. `records` ({path: [key, size, mtime]}, kept
    in the cache) says what the last build wrote; an output whose key and file are unchanged is
    not produced again. `before_swap()` may return problems found while producing the files:
    then nothing is published. Returns the report and the new records."""
    records = records or {}
    outputs = list(outputs)
    out_dir = out_dir.resolve()
    recover(out_dir)
    staging, old = side_paths(out_dir)
    before = read_manifest(out_dir)
    existing, _ = _tree(out_dir)
    foreign = [p for p in existing if p not in before and p != MANIFEST]

    bad = [o for o in outputs if not check_path(o.path)]
    taken = {p.casefold(): p for p in foreign}
    clashes = []
    for o in outputs:
        parts = o.path.casefold().split("/")
        hit = next((taken["/".join(parts[:i])] for i in range(len(parts), 0, -1) if "/".join(parts[:i]) in taken), None)
        if hit:
            clashes.append((o, hit))
    if bad or clashes:
        raise PublishRefused(
            [error(o.origin or o.path, 1, f"输出路径不安全 (unsafe output path): {o.path!r}") for o in bad] +
            [error(str(out_dir / hit), 1,
                   f"输出目录里已有 {hit}，不是 kexie-site 生成的，不会覆盖 (would overwrite a file the tool did not create: {o.path})",
                   "把它移走，或换一个输出目录") for o, hit in clashes])

    written, unchanged, files = [], [], {}
    staging.mkdir(parents=True)
    try:
        for rel in foreign:
            _link_or_copy(out_dir / rel, staging / rel)
        for output in outputs:
            target = staging / output.path
            if not _inside(_nearest_existing(target.parent), staging):
                raise PublishRefused([error(output.origin or output.path, 1,
                                            f"输出路径 {output.path} 会写到输出目录之外 (path leaves the output directory)",
                                            "输出目录里有指向别处的符号链接：删除它")])
            target.parent.mkdir(parents=True, exist_ok=True)
            current = out_dir / output.path
            seen = records.get(output.path) if output.path in before else None
            if seen and output.key and seen[0] == output.key and _same_file(current, seen):
                _link_or_copy(current, target)       # same inputs as last time: not even rendered
                unchanged.append(output.path)
            else:
                data = _bytes_of(output)
                if output.path in before and current.is_file() and not current.is_symlink() \
                        and current.stat().st_size == len(data) and current.read_bytes() == data:
                    _link_or_copy(current, target)
                    unchanged.append(output.path)
                else:
                    target.write_bytes(data)
                    written.append(output.path)
            st = target.lstat()
            files[output.path] = [output.key, st.st_size, st.st_mtime_ns]
        manifest = json.dumps({"generator": "kexie-site", "files": sorted(files)}, ensure_ascii=False, indent=0)
        (staging / MANIFEST).write_text(manifest, "utf-8")
        late = before_swap() if before_swap else []
        if late:
            raise PublishRefused(late)
        if out_dir.exists():
            if _exchange(staging, out_dir):
                shutil.rmtree(staging)
            else:
                os.rename(out_dir, old)
                os.rename(staging, out_dir)
                shutil.rmtree(old)
        else:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    current = {o.path for o in outputs}
    removed = tuple(sorted(p for p in before if p not in current and p in existing))
    return WriteReport(tuple(written), tuple(unchanged), removed, tuple(foreign)), files
