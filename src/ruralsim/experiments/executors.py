"""Where runs execute: serially, in a local process pool, or on a dask cluster.

Everything goes through the ``concurrent.futures.Executor`` interface, so any executor
works; results do not depend on which one ran them (each run is a pure function of its
:class:`RunSpec`).

Example:
    >>> with make_executor(workers=1) as ex:
    ...     ex.submit(sum, [1, 2]).result()
    3
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import (FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor,
                                as_completed, wait)
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from ..errors import UsageError


class SerialExecutor(Executor):
    """Runs each task at submission, in this process (no pickling, easy to debug)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            fut.set_exception(exc)
        return fut


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


@contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor: dask at ``scheduler`` if given, else ``workers`` processes (1: serial)."""
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs the 'parallel' extra: pip install "
                             "'ruralsim[parallel]'") from None
        client = Client(scheduler)
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    n = default_workers() if workers is None else workers
    if n < 1:
        raise UsageError(f"--workers must be at least 1 (got {n})")
    if n == 1:
        yield SerialExecutor()
        return
    with ProcessPoolExecutor(max_workers=n) as ex:
        yield ex


class Progress:
    """A one-line progress display on stderr: runs done, rate and time left."""

    def __init__(self, total: int, label: str = "runs", enabled: bool = True):
        self.total, self.label, self.enabled = total, label, enabled
        self.done = 0
        self.start = time.perf_counter()
        self.last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.3 and self.done < self.total):
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else 0
        sys.stderr.write(f"\r{self.label} {self.done}/{self.total}  {rate:6.1f}/s  "
                         f"剩余 left {left:5.0f}s ")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run_all(executor: Executor, fn: Callable, items: Iterable, progress: Progress | None = None,
            on_result: Callable[[Any], None] | None = None, window: int | None = None) -> list:
    """Run ``fn(item)`` for every item; call ``on_result`` as each completes (any order).

    At most ``window`` tasks are in flight (default: twice the executor's workers; 1 for the
    serial executor), so each result is handed on as soon as it exists, and a sweep of
    100,000 runs does not queue 100,000 futures at once.
    """
    if window is None:
        workers = getattr(executor, "_max_workers", None)
        window = 1 if isinstance(executor, SerialExecutor) else 2 * workers if workers else 64
    pending: set[Future] = set()
    out: list = []
    it = iter(items)

    def finish(fut: Future) -> None:
        res = fut.result()
        if on_result is not None:
            on_result(res)
        out.append(res)
        if progress is not None:
            progress.step()

    for item in it:
        pending.add(executor.submit(fn, item))
        if len(pending) >= window:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                finish(fut)
    for fut in as_completed(pending):
        finish(fut)
    return out
