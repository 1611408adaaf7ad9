"""The output folder's rules, apart from publishing into it: where output may go at all, one
build at a time per site and per output folder (operating-system locks), and what the machine
refused (a full disk, a read-only or foreign folder) said as an editor's problem.
"""
from __future__ import annotations

import errno
import sys
from contextlib import contextmanager
from pathlib import Path

from .errors import Problem, error


class PublishRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


# ------------------------------------------------------------------ where output may go

def output_dir_problem(site_dir: Path, out_dir: Path) -> Problem | None:
    """Refuse an output directory where publishing could destroy an editor's work or feed the
    build its own output: the content directory, anything containing it or inside it, the site's
    themes/, static/, data/ and cache, the site root's parent, the home directory, a filesystem
    root. Checked on real paths (symlinks resolved)."""
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
    for name in ("themes", "static", "data", ".kexie-cache"):
        try:
            special = (site / name).resolve()
        except (RuntimeError, OSError):       # a symlink loop: nothing can be written through it
            special = site / name
        if out == special or out.is_relative_to(special) or special.is_relative_to(out):
            reasons.append(f"是、包含或在站点的 {name}/ 里面 (is, contains or is inside {name}/)")
    if not reasons:
        return None
    return error(str(out_dir), 1, f"不能用这个输出目录 (refused output directory)：它{'，'.join(reasons)}",
                 "构建会删除它以前生成而现在不再生成的文件：请用站点里的 public/ 或另一个专用的目录，例如 --output public")


# ------------------------------------------------------------------ locking

def output_lock_path(out_dir: Path) -> Path:
    """The lock of an output directory: beside it, with its staging folder and journal, where
    every build into it sees the same file (whoever runs it, whatever its TMPDIR)."""
    out_dir = out_dir.resolve()
    return out_dir.parent / f".{out_dir.name}.kexie-lock"


@contextmanager
def site_lock(lock_path: Path, optional: bool = False):
    """One build at a time per site and per output directory; a second one stops at once. The
    lock is the operating system's (lockf / msvcrt), so a build that dies leaves none behind.
    `optional`: a lock file that cannot be made (the cache folder is unusable) is gone without;
    otherwise that is an error naming the place."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")
    except OSError as exc:
        if optional:
            yield
            return
        raise PublishRefused([os_problem(exc, lock_path)])
    try:
        try:
            if sys.platform == "win32":
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl   # lockf: a forked worker does not inherit it, so it cannot outlive us
                fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PublishRefused([error(str(lock_path), 1, "另一个构建正在使用这个站点或输出目录 (another build is running on this site or output directory)",
                                        "等它结束后再构建：锁由系统管理，那个构建一结束（哪怕是被强行终止）就会释放，不要删除锁文件")])
        yield
    finally:
        handle.close()


# ------------------------------------------------------------------ what the machine refuses

OS_REASONS = {
    errno.ENOSPC: ("磁盘已满 (disk full)", "腾出磁盘空间（或换一个输出目录）后再构建；上次发布的输出没有改动"),
    errno.EDQUOT: ("磁盘配额已用完 (disk quota exceeded)", "腾出空间或请管理员调整配额后再构建；上次发布的输出没有改动"),
    errno.EROFS: ("文件系统是只读的 (read-only file system)", "换一个可写的输出目录，例如 --output public"),
    errno.EACCES: ("没有权限 (permission denied)", "检查这个文件夹的所有者和权限，或换一个输出目录"),
    errno.EPERM: ("不允许这样操作 (operation not permitted)", "检查这个文件夹的所有者和权限，或换一个输出目录"),
}


def os_problem(exc: OSError, where: Path | str | None = None) -> Problem:
    """What the machine refused (a full disk, a read-only folder, no permission), as an editor's
    problem naming the path."""
    path = exc.filename or where or "?"
    what, hint = OS_REASONS.get(exc.errno, (f"无法写入 (cannot write): {exc.strerror or exc}",
                                            "检查磁盘和这个文件夹的权限；上次发布的输出没有改动"))
    return error(str(path), 1, f"{what}：{path}", hint)
