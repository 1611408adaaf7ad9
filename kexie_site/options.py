"""What a build is asked to do (BuildOptions) and what it did (BuildResult): plain data, shared
by the build, `check`, `serve` and the command line."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import Problem
from .writer import WriteReport


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: str | None = None               # "now" for scheduling (a front-matter date); the real time by default
    cache: bool = True                   # False: --no-cache (same code on an in-memory cache)
    jobs: int = 0                        # worker processes (Markdown, pages); 0 = one per core
    progress: Callable[[str, int, int], None] | None = None
    dev: bool = False                    # `serve`: pages load the dev script that shows build errors
    record_dir: Path | None = None       # where the last publish's identity record is (default: the output)
    kinds: tuple | None = None           # the output kinds to make (default: outputs.KINDS, all of them)


@dataclass(frozen=True)
class KindCount:
    """One output kind in a build: how many outputs it has and how many were made (rendered
    or copied) this time; the others were published already as they are."""
    name: str
    label: str
    outputs: int
    made: int = 0


@dataclass(frozen=True)
class BuildResult:
    articles: int
    pages: int
    feeds: int
    scheduled: tuple[str, ...]
    drafts: tuple[str, ...]
    skipped: tuple[str, ...]
    problems: tuple[Problem, ...]        # warnings only: errors raise BuildFailed
    report: WriteReport
    seconds: float
    output_dir: Path = field(default=Path("public"))
    heavy: tuple[str, ...] = ()          # files that were huge or slow, with size and time
    markdown_renders: int = 0            # articles whose Markdown was rendered (not from the cache)
    pages_rendered: int = 0              # pages whose template was rendered
    fast: bool = False                   # nothing had changed: nothing was done
    timings: tuple[tuple[str, float, int], ...] = ()   # (stage, seconds, peak MiB so far)
    record_found: bool = True            # ids and URLs followed the last publish's record (False: none found)
    kinds: tuple[KindCount, ...] = ()    # every output kind: outputs and how many were made
