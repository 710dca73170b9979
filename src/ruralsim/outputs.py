"""Writing outputs safely: never lose, hide or half-write a user's file.

The helpers here are shared by every command that writes (run, compare, demo, sweep,
report).  Their guarantees:

Where ruralsim may write (:func:`check_out_path`, :func:`check_out_dir`)
    An output folder is never ``/``, the home folder or the current folder, nor a folder
    that contains one of them (``.``, ``..``), nor a folder that is or contains an input
    file (the scenario, its ``extends`` targets, village CSVs, packages).  Symbolic links
    are resolved before comparing.  A non-empty folder is replaced only with ``force``,
    and only when ruralsim wrote it: every output folder carries a marker file
    :data:`MARKER` (:func:`write_marker`, :func:`is_ruralsim_output`).

Whole files (:func:`atomic_file`, :func:`write_text_atomic`, :func:`write_csv`, :func:`save_figure`)
    Every file is written under a temporary name in its folder, flushed, fsynced and
    renamed over the destination; then the folder is fsynced.  A reader sees the old file
    or the new one, never a part.

Whole folders (:func:`staged_dir`)
    Outputs are written into a staging folder beside the destination, which replaces the
    destination in one step: on Linux by ``renameat2(RENAME_EXCHANGE)`` (one atomic
    system call), elsewhere by two renames.  SIGINT, SIGTERM and SIGHUP that arrive while
    the folders are being swapped and the old one removed are held back and delivered
    right after (the new outputs are then complete).  So a signal at any moment leaves
    either the old outputs or the new ones in place, and no hidden folder behind.  Only
    ``kill -9`` or a power cut can leave a hidden staging folder (``.NAME.tmp-*`` or
    ``.NAME.old-*``); the next write to the same destination finds it, restores the old
    outputs if the destination is missing, and removes the rest.  Staging folders in use
    are locked (``flock``), so a concurrent ruralsim never touches another's.

CSV cells (:func:`spreadsheet_safe`)
    Text cells (and column names) beginning with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return are prefixed with ``'`` so that a spreadsheet shows them as text
    instead of evaluating them (OWASP "CSV injection").  Numbers, and text that is a
    plain number such as ``-5``, are left as they are.
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import itertools
import json
import math
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import threading
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from .errors import UsageError

try:  # POSIX only; without it leftovers of killed runs are left alone, never guessed at
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: Name of the marker file that every folder written by ruralsim carries.
MARKER = ".ruralsim-output"
_MARKER_MAX_BYTES = 64 * 1024


# ----------------------------------------------------------------------------- where to write
def _resolve(path: str | os.PathLike) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable parent...
        raise UsageError(f"cannot resolve the path {path}: {exc} / 无法解析该路径") from None


def check_path_length(path: Path, option: str = "--out", shown: Any = None) -> None:
    """Refuse (exit 2) a path the file system cannot hold: a name longer than the folder
    allows (usually 255 bytes) or a whole path longer than the system allows."""
    shown = path if shown is None else shown
    names = [p for p in path.parts if p not in (path.anchor, "")]
    existing = path
    while not os.path.isdir(existing) and existing != existing.parent:
        existing = existing.parent
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        path_max = os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        name_max, path_max = 255, 4096
    long = [n for n in names if len(os.fsencode(n)) > name_max]
    if long or len(os.fsencode(str(path))) >= path_max:
        what = (f"the name {long[0][:40]}... has {len(os.fsencode(long[0]))} bytes (at most "
                f"{name_max})") if long else f"the path is longer than {path_max} bytes"
        text = str(shown)
        text = text if len(text) <= 80 else text[:60] + "..." + text[-15:]
        raise UsageError(f"{option} {text}: {what}; choose a shorter name / 路径或文件名过长，"
                         f"请改用较短的名称")


def _protected_folders() -> list[tuple[Path, str, str]]:
    out = []
    try:
        out.append((Path.cwd().resolve(), "the current folder", "当前目录"))
    except OSError:
        pass
    try:
        out.append((Path.home().resolve(), "your home folder", "主目录"))
    except (KeyError, RuntimeError, OSError):
        pass
    return out


def check_out_path(out: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                   option: str = "--out") -> Path:
    """Refuse an output path that ruralsim must never replace; return it resolved.

    Refused: ``/`` (any file-system root), the home folder, the current folder and any
    folder containing one of them (so ``.`` and ``..``), and a path that is, or is a
    folder containing, one of ``inputs`` (the files a command reads; for a scenario,
    :attr:`ruralsim.scenario.load.LoadedScenario.inputs`).  Symbolic links are resolved
    before comparing.  Works for files too (``report --out FILE``).  Raises
    :class:`~ruralsim.errors.UsageError` (exit 2) naming the path and what to do.
    """
    res = _resolve(out)
    check_path_length(res, option, out)
    if res == Path(res.anchor):
        raise UsageError(f"{option} {out} is the root of the file system; choose a new "
                         f"folder such as {option} ruralsim-out / 输出目录不能是根目录，请另选新目录")
    for folder, en, zh in _protected_folders():
        if res == folder or folder.is_relative_to(res):
            raise UsageError(
                f"{option} {out} is {en} or contains it ({folder}); ruralsim replaces an "
                f"output folder as a whole, so choose a new folder such as {option} "
                f"ruralsim-out / 输出路径不能是{zh}或其上级目录，请另选一个新目录")
    for f in inputs:
        fr = _resolve(f)
        if fr == res or fr.is_relative_to(res):
            rel = "is" if fr == res else "contains"
            raise UsageError(
                f"{option} {out} {rel} the input file {fr}; writing there would replace it. "
                f"Choose an output folder that holds no input file (e.g. a new subfolder) "
                f"/ 输出路径{'就是' if fr == res else '包含'}输入文件 {fr}，写出结果会覆盖它；"
                f"请另选不含输入文件的目录")
    return res


def is_ruralsim_output(folder: str | os.PathLike) -> bool:
    """True when ``folder`` carries a valid :data:`MARKER` (a regular file, not a link)."""
    marker = Path(folder) / MARKER
    try:
        st = os.lstat(marker)
        if not (os.path.isdir(folder) and _is_regular(st.st_mode)) or \
                st.st_size > _MARKER_MAX_BYTES:
            return False
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("command"), str)


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def write_marker(folder: str | os.PathLike, command: str) -> Path:
    """Write :data:`MARKER` into ``folder``: this folder was written by ruralsim ``command``.

    Only folders carrying it can be replaced with ``--force``.  Commands that write a
    folder in place (such as ``sweep``) call this once the folder is theirs.
    """
    from . import __version__

    data = {"ruralsim": __version__, "command": command,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "note": "written by ruralsim; --force may replace this folder / "
                    "由 ruralsim 写出，--force 可整体替换本目录"}
    path = Path(folder) / MARKER
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path


def check_out_dir(out: str | os.PathLike, force: bool, inputs: Iterable[str | os.PathLike] = (),
                  option: str = "--out") -> Path:
    """Check an output folder before writing into it; return it resolved.

    Everything :func:`check_out_path` refuses is refused; a file in the folder's place is
    refused; a non-empty folder is refused unless ``force``, and even with ``force``
    unless ruralsim wrote it (it carries :data:`MARKER`).  Leftovers of an earlier write
    to the same folder that was killed (``kill -9``, power cut) are recovered first (see
    the module docstring).  Raises :class:`~ruralsim.errors.UsageError` (exit 2).
    Call it before long work, so that bad input is refused at once; :func:`staged_dir`
    checks again before it replaces anything.
    """
    inputs = list(inputs)
    res = check_out_path(out, inputs, option)
    recover_interrupted(res)
    if res.exists() and not res.is_dir():
        raise UsageError(f"{option} {out} is a file, not a folder; choose a folder name "
                         f"/ 输出路径是文件而非目录，请另选目录名")
    if res.is_dir():
        try:
            with os.scandir(res) as it:
                first = [e.name for e in itertools.islice(it, 4)]
        except OSError as exc:
            raise UsageError(f"cannot read the output folder {out}: {exc.strerror or exc} "
                             f"/ 无法读取输出目录") from None
        if first:
            shown = ", ".join(first[:3]) + (", ..." if len(first) > 3 else "")
            if not force:
                raise UsageError(f"output folder {out} is not empty ({shown}); use --force to "
                                 f"replace a folder written by ruralsim, or choose a new folder "
                                 f"/ 输出目录非空，如需覆盖 ruralsim 写出的目录请加 --force，"
                                 f"或另选新目录")
            if not is_ruralsim_output(res):
                raise UsageError(
                    f"output folder {out} holds files that ruralsim did not write ({shown}; no "
                    f"{MARKER} marker), and --force replaces only folders written by ruralsim. "
                    f"Choose a new or empty folder, or move those files away / 该目录不是 "
                    f"ruralsim 写出的（缺少 {MARKER} 标记），--force 只替换 ruralsim 写出的"
                    f"目录；请另选新目录或空目录，或先移走其中的文件")
    return res


# ----------------------------------------------------------------------------- whole files
def fsync_path(path: Path) -> None:
    """fsync a file or folder by path (folders: their entries become durable); silently does
    nothing where the platform or file system cannot (the rename is still atomic)."""
    flags = os.O_RDONLY
    if path.is_dir():
        flags |= getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # e.g. a folder that cannot be opened on this platform
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync folders; the rename is still atomic
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Yield a binary file; on success it is fsynced and renamed onto ``path``.

    The temporary file is ``.NAME.<8 hex digits>.tmp`` in the same folder; on error it is
    removed and ``path`` keeps its old content.  The folder is fsynced after the rename.
    """
    path = Path(path)
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    base = path.name if len(path.name.encode()) <= 100 else \
        hashlib.sha256(path.name.encode()).hexdigest()[:16]
    while True:
        tmp = parent / f".{base}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_path(parent)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_file`."""
    with atomic_file(path) as fh:
        fh.write(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through :func:`atomic_file`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs: Any) -> Path:
    """``fig.savefig`` through :func:`atomic_file`; the format follows the suffix."""
    path = Path(path)
    fmt = savefig_kwargs.pop("format", None) or path.suffix.lstrip(".").lower() or "png"
    with atomic_file(path) as fh:
        fig.savefig(fh, format=fmt, **savefig_kwargs)
    return path


# ----------------------------------------------------------------------------- CSV
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_cell(value: Any) -> Any:
    """``'`` + ``value`` when ``value`` is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and \
            not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(df):
    """A copy of ``df`` (only if needed) with formula-like text cells and names neutralised.

    Only ``str`` values are touched: numbers, including negative ones, stay numbers.
    """
    return _neutralised(df)[0]


def text_columns(df):
    """Yield (position, values as objects) of the columns of ``df`` that may hold text."""
    import pandas as pd

    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype) \
                or isinstance(s.dtype, pd.CategoricalDtype):
            yield i, s.astype(object)


def _neutralised(df):
    """(``df`` made spreadsheet-safe, whether any text holds a carriage return)."""
    import pandas as pd

    changed: dict[int, Any] = {}
    has_cr = False
    for i, vals in text_columns(df):
        try:
            texts = [v for v in pd.unique(vals.to_numpy()) if isinstance(v, str)]
        except TypeError:  # unhashable cells (lists): look at every one
            texts = [v for v in vals if isinstance(v, str)]
        has_cr = has_cr or any("\r" in v for v in texts)
        if any(neutralise_cell(v) is not v for v in texts):
            changed[i] = vals.map(neutralise_cell)
    names = [neutralise_cell(c) for c in df.columns]
    has_cr = has_cr or any(isinstance(c, str) and "\r" in c for c in df.columns)
    renamed = any(n is not c for n, c in zip(names, df.columns))
    if not changed and not renamed:
        return df, has_cr
    out = df.copy()
    for i, new in changed.items():
        out.isetitem(i, new)
    if renamed:
        out.columns = names
    return out, has_cr


def write_csv(df, path: str | os.PathLike, *, index: bool = False, **to_csv_kwargs: Any) -> Path:
    """Write a DataFrame as CSV: spreadsheet-safe text cells, through :func:`atomic_file`.

    Every CSV ruralsim writes goes through here.  The file is UTF-8 with a byte-order mark,
    so Excel opens it with Chinese intact (pandas, ``csv`` with ``encoding="utf-8-sig"``
    and the report read it alike).  A text cell holding a carriage return is quoted
    (Python's csv module quotes it only when it is part of the line end, so such a file is
    written with CRLF line ends; other files keep LF).
    """
    safe, has_cr = _neutralised(df)
    if has_cr:
        to_csv_kwargs.setdefault("lineterminator", "\r\n")
    write_text_atomic(path, CSV_BOM + safe.to_csv(index=index, **to_csv_kwargs))
    return Path(path)


#: Written at the start of every CSV file: Excel reads the file as UTF-8 only with it.
CSV_BOM = "\ufeff"


# ----------------------------------------------------------------------------- file names
#: Longest file-name stem (in UTF-8 bytes) made by :func:`safe_file_stem`.
MAX_STEM_BYTES = 120


def safe_file_stem(name: str) -> str:
    """``name`` made safe as part of a file name: letters, digits, ``-`` and ``_`` only.

    Other characters become ``_``; the result is NFC-normalised and cut to
    :data:`MAX_STEM_BYTES` bytes; an empty name becomes ``unnamed``.
    """
    text = unicodedata.normalize("NFC", str(name))
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_"
                   for ch in text[:MAX_STEM_BYTES])
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return stem or "unnamed"


def _stem_key(stem: str) -> str:
    # names that one file system may treat as one file (case, Unicode forms)
    return unicodedata.normalize("NFKC", stem).casefold()


def unique_file_stems(names: Iterable[str]) -> list[str]:
    """Safe file-name stems for ``names``, one each, no two alike (ignoring case).

    Each name is made safe by :func:`safe_file_stem`; names that were already safe keep
    their stem; the others get ``-2``, ``-3``... when their stem is taken, never taking a
    stem that another name has as its own.  The result is the same for the same list.
    """
    names = [str(n) for n in names]
    stems = [safe_file_stem(n) for n in names]
    own = {_stem_key(s) for s in stems}
    out: list[str | None] = [None] * len(names)
    taken: set[str] = set()
    order = [i for i, (n, s) in enumerate(zip(names, stems)) if n == s] + \
            [i for i, (n, s) in enumerate(zip(names, stems)) if n != s]
    for i in order:
        cand, k = stems[i], 2
        while _stem_key(cand) in taken or (cand != stems[i] and _stem_key(cand) in own):
            suffix = f"-{k}"
            base = stems[i]
            while len((base + suffix).encode("utf-8")) > MAX_STEM_BYTES:
                base = base[:-1]
            cand, k = base + suffix, k + 1
        taken.add(_stem_key(cand))
        out[i] = cand
    return out  # type: ignore[return-value]


# ----------------------------------------------------------------------------- whole folders
def _leftover_re(name: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(_leftover_base(name))}\.(tmp|old)-[0-9a-f]{{8}}$")


def _leftover_base(name: str) -> str:
    if len(name.encode()) <= 100:
        return name
    return f"{name[:20]}~{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def _sibling(res: Path, kind: str) -> Path:
    return res.parent / f".{_leftover_base(res.name)}.{kind}-{secrets.token_hex(4)}"


class _Busy(Exception):
    """Another process holds the folder's lock."""


def _lock(folder: Path) -> int | None:
    """An fd holding an exclusive flock on ``folder`` (released by :func:`_unlock`).

    None when locks are unavailable (no ``fcntl``, a file system without locks) or the
    folder cannot be opened; raises :class:`_Busy` when another process (or another fd of
    this one) holds it.
    """
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise _Busy(str(folder)) from None
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)   # closing the last fd releases the flock


def recover_interrupted(out: str | os.PathLike) -> None:
    """Tidy what a killed write to ``out`` left beside it (see the module docstring).

    Only folders named like ruralsim's staging folders for ``out``, carrying
    :data:`MARKER` and not locked by a live process are touched: a ``.old-`` one is
    renamed back to ``out`` when ``out`` is missing; the others are removed.
    """
    res = Path(out)
    parent = res.parent
    if fcntl is None or not parent.is_dir():
        return
    rx = _leftover_re(res.name)
    try:
        with os.scandir(parent) as it:
            found = sorted((e.name, m.group(1)) for e in it
                           if (m := rx.match(e.name)) and e.is_dir(follow_symlinks=False))
    except OSError:
        return
    for name, kind in sorted(found, key=lambda x: x[1] != "old"):
        p = parent / name
        if not is_ruralsim_output(p):
            continue
        try:
            fd = _lock(p)
        except _Busy:
            continue  # in use by a live ruralsim
        if fd is None:
            continue
        try:
            if kind == "old" and not os.path.lexists(res):
                os.rename(p, res)
                fsync_path(parent)
            else:
                shutil.rmtree(p, ignore_errors=True)
        finally:
            _unlock(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276, "arm64": 276, "i686": 353, "i386": 353,
                  "ppc64le": 357, "s390x": 347, "riscv64": 276}
_exchange_fn: Any = None


def _renameat2():
    """ctypes renameat2 (Linux), or None where the system has none."""
    global _exchange_fn
    if _exchange_fn is not None:
        return _exchange_fn or None
    fn = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if hasattr(libc, "renameat2"):
                f = libc.renameat2
                f.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                              ctypes.c_uint]
                fn = f
            else:
                import platform

                nr = _SYS_RENAMEAT2.get(platform.machine())
                if nr is not None:
                    sc = libc.syscall
                    fn = lambda a, b, c, d, e: sc(nr, a, b, c, d, e)  # noqa: E731
        except (OSError, AttributeError):
            fn = False
    _exchange_fn = fn
    return fn or None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False when the system or file system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for the block; deliver them right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    saved: dict[int, Any] = {}
    try:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None or signal.getsignal(sig) is None:
                continue  # absent here, or a handler Python cannot put back
            saved[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(pending):
            signal.raise_signal(sig)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for f in files:
            fsync_path(Path(folder) / f)
        fsync_path(Path(folder))


def _make_staging(res: Path) -> tuple[Path, int | None]:
    parent = res.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = _sibling(res, "tmp")
            try:
                tmp.mkdir()   # permissions follow the umask, like any new folder
                break
            except FileExistsError:
                continue
    except OSError as exc:
        raise UsageError(f"cannot create the output folder in {parent}: {exc.strerror or exc}; "
                         f"choose a folder you can write to / 无法在该位置创建输出目录") from None
    try:
        return tmp, _lock(tmp)
    except _Busy:  # pragma: no cover  (a folder made a moment ago)
        return tmp, None


def _commit(tmp: Path, res: Path) -> None:
    """Put ``tmp`` in the place of ``res`` (signals held); the old ``res`` is removed."""
    parent = res.parent
    with _signals_held():
        old_fd = None
        try:
            if os.path.lexists(res):
                try:
                    old_fd = _lock(res)
                except _Busy:
                    raise UsageError(f"another ruralsim process is writing {res}; wait for it "
                                     f"to finish / 另一个 ruralsim 进程正在写该目录") from None
                if _exchange(tmp, res):
                    fsync_path(parent)
                    shutil.rmtree(tmp, ignore_errors=True)   # tmp now holds the old outputs
                    return
                old = _sibling(res, "old")
                os.rename(res, old)
                try:
                    os.rename(tmp, res)
                except BaseException:
                    os.rename(old, res)    # put the old outputs back
                    raise
                fsync_path(parent)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, res)
                fsync_path(parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            _unlock(old_fd)


@contextmanager
def staged_dir(out: str | os.PathLike, force: bool, *, command: str = "ruralsim",
               inputs: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``out`` as a whole.

    ``out`` is checked by :func:`check_out_dir` (with ``force`` and ``inputs``) on entry
    and again just before the swap.  The staging folder carries :data:`MARKER` naming
    ``command``.  If the block raises, the staging folder is removed and ``out`` is left
    as it was.  See the module docstring for what happens on signals.
    """
    inputs = list(inputs)
    res = check_out_dir(out, force, inputs)
    tmp: Path | None = None
    lock = None
    try:
        try:
            with _signals_held():   # a staging folder exists only with its marker and lock
                tmp, lock = _make_staging(res)
                write_marker(tmp, command)
            yield tmp
            check_out_dir(out, force, inputs)
            _fsync_tree(tmp)
        except BaseException:
            if tmp is not None:
                with _signals_held():
                    shutil.rmtree(tmp, ignore_errors=True)
            raise
        _commit(tmp, res)
    finally:
        _unlock(lock)


# ----------------------------------------------------------------------------- run outputs
def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(data: dict) -> str:
    """Stable JSON text (sorted keys, UTF-8, no NaN)."""
    return json.dumps(_clean(data), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_run(result, folder: Path) -> None:
    """Write timeseries.csv, villages.csv, summary.json and scenario.json (the figures are the
    report layer's: :func:`ruralsim.report.plots.save_figures`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(result.timeseries, folder / "timeseries.csv")
    write_csv(result.villages, folder / "villages.csv")
    communities = getattr(result, "communities", None)
    if communities is not None:
        write_csv(communities, folder / "communities.csv")
    write_text_atomic(folder / "summary.json", to_json(result.summary))
    write_text_atomic(folder / "scenario.json", to_json(result.scenario.model_dump(mode="json")))
