"""Where runs execute: serially, in a local process pool, or on a dask cluster.

Everything goes through the ``concurrent.futures.Executor`` interface, so any executor
works; results do not depend on which one ran them (each run is a pure function of its
:class:`RunSpec`).

A local pool uses at most the cores this process may use (CPU affinity and the
container's cgroup CPU quota) unless asked to oversubscribe, and its worker processes
end when the parent process ends, however it ends (``kill -9`` included).

Example:
    >>> with make_executor(workers=1) as ex:
    ...     ex.submit(sum, [1, 2]).result()
    3
"""
from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from concurrent.futures import (FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor,
                                as_completed, wait)
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import UsageError

#: With ``oversubscribe``, at most this many worker processes per usable core.
OVERSUBSCRIBE_FACTOR = 8
#: Most runs handed to a worker in one task (:func:`batch_size`).
MAX_BATCH = 16
#: Seconds between a worker's checks that its parent process is still alive.
WATCHDOG_INTERVAL_S = 1.0


class SerialExecutor(Executor):
    """Runs each task at submission, in this process (no pickling, easy to debug)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            fut.set_exception(exc)
        return fut


# ----------------------------------------------------------------------------- cores
def cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup"),
                     proc_cgroup: Path = Path("/proc/self/cgroup")) -> float | None:
    """CPUs allowed by this process's cgroup quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``),
    the smallest along the cgroup's ancestors; None when there is no quota (or no cgroups)."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.strip().lstrip("/")
        if controllers == "":                       # cgroup v2 (unified hierarchy)
            mounts, reader = [root, root / "unified"], _read_cpu_max
        elif "cpu" in controllers.split(","):       # cgroup v1
            mounts = [root / controllers, root / "cpu", root / "cpu,cpuacct"]
            reader = _read_cfs_quota
        else:
            continue
        for mount in mounts:
            if not mount.is_dir():
                continue
            d = mount / rel
            while True:                              # the cgroup and each of its ancestors
                q = reader(d)
                if q is not None:
                    limits.append(q)
                if d == mount or mount not in d.parents:
                    break
                d = d.parent
            break
    return min(limits) if limits else None


def _read_cpu_max(d: Path) -> float | None:
    try:
        quota, period = (d / "cpu.max").read_text(encoding="ascii").split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _read_cfs_quota(d: Path) -> float | None:
    try:
        quota = int((d / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period = int((d / "cpu.cfs_period_us").read_text(encoding="ascii"))
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cores() -> int:
    """Cores this process may use: CPU affinity, capped by a cgroup CPU quota (at least 1)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpu_limit()
    if quota is not None:
        n = min(n, math.ceil(quota))
    return max(1, n)


def default_workers() -> int:
    """Default number of worker processes: the usable cores."""
    return usable_cores()


def resolve_workers(workers: int | None, oversubscribe: bool = False,
                    warn: Callable[[str], None] | None = None) -> int:
    """Check a requested worker count; more than the usable cores is capped (with a notice
    through ``warn``) unless ``oversubscribe``, which allows up to
    ``OVERSUBSCRIBE_FACTOR`` processes per core."""
    cores = usable_cores()
    if workers is None:
        return cores
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise UsageError(f"--workers must be a whole number (got {workers!r}) / 进程数须为整数")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {workers}) / 并行进程数至少为1")
    if oversubscribe:
        most = OVERSUBSCRIBE_FACTOR * cores
        if workers > most:
            raise UsageError(f"--workers {workers} is more than {most} ({OVERSUBSCRIBE_FACTOR} "
                             f"per usable core, {cores} cores) even with --oversubscribe "
                             f"/ 进程数过多")
        return workers
    if workers > cores:
        (warn or _stderr)(f"ruralsim: --workers {workers} 超过可用核数，已限制为 {cores} / "
                          f"capped at the {cores} usable cores (add --oversubscribe to start "
                          f"{workers} processes anyway)")
        return cores
    return workers


def _stderr(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------------- dask address
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)$")


def check_scheduler_address(address: str) -> str:
    """``[SCHEME://]HOST:PORT`` with a dask scheme; raises UsageError naming what is wrong."""
    hint = ("expected SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786 / 调度器地址格式应为 "
            "tcp://主机:端口")
    if not isinstance(address, str) or not address.strip():
        raise UsageError(f"--scheduler: empty address; {hint}")
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in _SCHEMES:
        raise UsageError(f"--scheduler {address!r}: unknown scheme '{scheme}' (known: "
                         f"{', '.join(_SCHEMES)}); {hint}")
    host, colon, port = rest.rpartition(":")
    if not colon or not _HOST.match(host) or (host.startswith("[") is False and ":" in host):
        raise UsageError(f"--scheduler {address!r}: bad host or missing port; {hint} "
                         "(IPv6 hosts in brackets: tcp://[::1]:8786)")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise UsageError(f"--scheduler {address!r}: port must be a number from 1 to 65535; "
                         f"{hint}")
    return f"{scheme}://{host}:{int(port)}"


def local_workers(scheduler: str, oversubscribe: bool = False) -> int:
    """N of ``--scheduler local:N`` (a whole number from 1, capped like ``--workers``)."""
    text = str(scheduler).strip().removeprefix("local:").strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise UsageError(f"--scheduler {scheduler!r}: expected local:N with N a whole number of "
                         "worker processes of at least 1, e.g. local:4 / 本地集群进程数须为正整数")
    return resolve_workers(int(text), oversubscribe)


# ----------------------------------------------------------------------------- workers
def _worker_init(parent_pid: int, pdeathsig: bool) -> None:
    """Pool initializer: end this worker when its parent ends, even by ``kill -9``.

    On Linux the kernel kills the worker when the parent dies (``PR_SET_PDEATHSIG``, set only
    when the pool was made by the main thread: the signal follows the forking thread); on
    every platform a daemon thread also exits the worker once the parent is gone.
    """
    if pdeathsig and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    import multiprocessing

    parent = multiprocessing.parent_process()
    ppid = os.getppid()
    if _parent_gone(parent, ppid, parent_pid, first=True):  # died before the lines above ran
        os._exit(1)
    threading.Thread(target=_watchdog, args=(parent, ppid, parent_pid), daemon=True,
                     name="ruralsim-parent-watchdog").start()
    _warm_up()


def _warm_up() -> None:
    """Load the model and the compiled kernels (from their on-disk cache) once per worker,
    before its first task, so that no run pays for them."""
    try:
        from .. import compiled
        from ..simulate import simulate  # noqa: F401 - imported for its side effect

        compiled.warm_up()
    except Exception:  # noqa: BLE001 - a worker that cannot warm up still runs its tasks
        pass


def _parent_gone(parent: Any, ppid: int, parent_pid: int, first: bool = False) -> bool:
    if parent is not None and not parent.is_alive():
        return True
    if first:   # a forked worker's parent is the pool's process itself
        return parent is None and ppid != parent_pid and os.name == "posix" and ppid == 1
    return os.getppid() != ppid


def _watchdog(parent: Any, ppid: int, parent_pid: int) -> None:
    while not _parent_gone(parent, ppid, parent_pid):
        time.sleep(WATCHDOG_INTERVAL_S)
    os._exit(1)


@contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None,
                  oversubscribe: bool = False) -> Iterator[Executor]:
    """An executor: dask at ``scheduler`` if given, else ``workers`` processes (1: serial).

    ``scheduler`` is a dask scheduler's address, or ``local:N``: a dask ``LocalCluster`` of
    N single-threaded worker processes started here and closed at the end (N capped at the
    usable cores unless ``oversubscribe``).  ``workers`` defaults to the usable cores and is
    capped at them unless ``oversubscribe``.  Every executor gives the same results.
    """
    if scheduler is not None and str(scheduler).strip().startswith("local:"):
        n = local_workers(scheduler, oversubscribe)
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--scheduler local:N needs the 'parallel' extra: pip install "
                             "'ruralsim[parallel]' / 需要安装 dask[distributed]") from None
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client.get_executor()
        return
    if scheduler is not None:
        address = check_scheduler_address(scheduler)
        try:
            from dask.distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs the 'parallel' extra: pip install "
                             "'ruralsim[parallel]'") from None
        try:
            client = Client(address)
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot connect to the dask scheduler "
                             f"({exc}); check the address and that the scheduler is running "
                             "/ 无法连接调度器") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    n = resolve_workers(workers, oversubscribe)
    if n == 1:
        yield SerialExecutor()
        return
    main = threading.current_thread() is threading.main_thread()
    with ProcessPoolExecutor(max_workers=n, initializer=_worker_init,
                             initargs=(os.getpid(), main)) as ex:
        yield ex


class Progress:
    """Runs done, rate and time left on stderr (a tqdm bar), when ``enabled``.

    ``initial`` runs were done before (a resumed sweep): the bar starts there and its rate
    and time left count only the runs of this session.
    """

    def __init__(self, total: int, label: str = "runs", enabled: bool = True,
                 initial: int = 0):
        self.total, self.label, self.done = total, label, initial
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=label, unit=" runs",
                            file=sys.stderr, mininterval=0.3, dynamic_ncols=True)

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            if self.done >= self.total:
                self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _apply_batch(fn: Callable, batch: list) -> list:
    """``[fn(item) for item in batch]``, in a worker (one task, one pickle each way)."""
    return [fn(item) for item in batch]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_size(n: int, executor: Executor) -> int:
    """Runs per task for ``n`` runs on ``executor``: enough that a task costs much more than
    its round trip, few enough that every worker gets about four tasks (load balance)."""
    workers = getattr(executor, "_max_workers", None)
    if isinstance(executor, SerialExecutor) or not workers:
        return 1
    return max(1, min(MAX_BATCH, n // (4 * workers)))


def run_all(executor: Executor, fn: Callable, items: Iterable, progress: Progress | None = None,
            on_result: Callable[[Any], None] | None = None, window: int | None = None,
            keep: bool = True, batch: int = 1) -> list:
    """Run ``fn(item)`` for every item; call ``on_result`` as each completes (any order).

    At most ``window`` tasks are in flight (default: twice the executor's workers; 1 for the
    serial executor), so each result is handed on as soon as it exists, and a sweep of
    100,000 runs does not queue 100,000 futures at once.  ``items`` may be a generator.
    The results are returned as a list unless ``keep`` is false (a sweep stores them as they
    come and keeps none in memory).  With ``batch`` > 1 each task runs that many items in a
    row (:func:`batch_size`): fewer round trips, and a worker stays busy between them.
    """
    if batch > 1:
        fn, items = partial(_apply_batch, fn), _chunks(items, batch)
    if window is None:
        workers = getattr(executor, "_max_workers", None)
        window = 1 if isinstance(executor, SerialExecutor) else 2 * workers if workers else 64
    pending: set[Future] = set()
    out: list = []
    it = iter(items)

    def finish(fut: Future) -> None:
        for res in (fut.result() if batch > 1 else (fut.result(),)):
            if on_result is not None:
                on_result(res)
            if keep:
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
