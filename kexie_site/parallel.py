"""Work spread over processes, results back in order.

`ordered_map(fn, items, jobs, context)` yields fn(context, item) for every item, in the order of
the items, from `jobs` worker processes (forked where the system can fork, so the workers start
with everything the parent had built; spawned elsewhere, with `context` pickled). At most
`window` items are in flight at a time, so neither the inputs nor the results pile up in memory.
With one job, or few items, it runs in this process: for a small site that is faster than
starting workers. The context is always an argument: nothing is kept here between calls (a
worker process keeps the one it was started with, for its whole short life, as process pools
hand data to their workers).

A worker never outlives the build (PR_SET_PDEATHSIG on Linux), and an error in fn is raised
here, in the caller; a worker that dies (killed, out of memory) raises WorkerDied.
"""
from __future__ import annotations

import os
import sys
from collections import deque
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(RuntimeError):
    """A worker process ended without finishing its work (killed, out of memory, crashed)."""


class _Worker:
    """What a worker process was started with (set once, by the pool's initializer, in the
    worker: the parent never sets it)."""
    context: object = None


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"   # macOS: fork is unsafe with system libraries


def _init(context, thresholds: tuple) -> None:
    import gc
    import signal

    gc.set_threshold(*thresholds)              # as the caller has it (a spawned worker starts afresh)
    _Worker.context = context
    # the build turns SIGTERM into KeyboardInterrupt, which a pool worker would catch and carry
    # on with the next chunk; a worker simply dies on SIGTERM, and leaves Ctrl-C to the build
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG: die with the parent
        except (OSError, AttributeError):
            pass


def _run_chunk(fn: Callable[[object, T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(_Worker.context, item) for item in chunk]


def ordered_map(fn: Callable[[object, T], R], items: Sequence[T], jobs: int, context=None,
                minimum: int = 48, chunk: int = 8, window: int = 1024,
                fork_only: bool = False) -> Iterator[R]:
    """fn(context, item) for each item, in order. fn must be a module-level function (it is
    sent to the workers by name)."""
    if jobs <= 1 or len(items) < minimum or (fork_only and not can_fork()):
        for item in items:
            yield fn(context, item)
        return

    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if can_fork() else "spawn"
    pool = ProcessPoolExecutor(min(jobs, len(items)), mp_context=multiprocessing.get_context(method),
                               initializer=_init, initargs=(context, gc.get_threshold()))
    from concurrent.futures.process import BrokenProcessPool

    try:
        pending: deque = deque()
        chunks: Iterable = (items[i:i + chunk] for i in range(0, len(items), chunk))
        limit = max(2, window // chunk)
        try:
            for piece in chunks:
                pending.append(pool.submit(_run_chunk, fn, piece))
                if len(pending) >= limit:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BrokenProcessPool as exc:
            raise WorkerDied(str(exc)) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
