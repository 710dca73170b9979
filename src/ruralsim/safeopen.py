"""Opening files inside an output folder as regular files only.

A store or output file that a command opens in place (a sweep's ``runs.jsonl``, its lock
and manifest) must be a regular file in the output folder: never followed through a
symbolic link to a file elsewhere, never a FIFO (which would block forever), a folder or a
device.  :func:`open_regular` opens with ``O_NOFOLLOW`` and ``O_NONBLOCK`` and checks the
kind of what it opened; anything else is refused with a
:class:`~ruralsim.errors.UsageError` (exit 2).  Whole files are written through
:func:`ruralsim.outputs.atomic_file`, whose rename replaces a link instead of writing
through it.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

from .errors import UsageError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MODES = {"rb": os.O_RDONLY, "ab": os.O_WRONLY | os.O_APPEND | os.O_CREAT,
          "wb": os.O_WRONLY | os.O_TRUNC | os.O_CREAT, "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
          "r+b": os.O_RDWR | os.O_CREAT}
#: errno values of opening a link with O_NOFOLLOW (ELOOP; EMLINK on FreeBSD), a folder,
#: or a FIFO without a reader.
_NOT_REGULAR = {errno.ELOOP, errno.EMLINK, errno.EISDIR, errno.ENXIO}


def _refuse(path: Path, what: str) -> UsageError:
    return UsageError(f"{path} is {what}, not a regular file; ruralsim opens only regular files "
                      "inside the output folder (never through a symbolic link). Remove it or "
                      "choose another --out folder / 该路径不是普通文件(符号链接、管道或目录)，"
                      "请删除或另选输出目录")


def open_fd(path: str | os.PathLike, mode: str = "rb", perms: int = 0o644) -> int:
    """A file descriptor of the regular file ``path`` (mode as :func:`open_regular`)."""
    path = Path(path)
    try:
        fd = os.open(path, _MODES[mode] | _NOFOLLOW | _NONBLOCK | _CLOEXEC, perms)
    except OSError as exc:
        if exc.errno in _NOT_REGULAR:
            raise _refuse(path, "a symbolic link, a folder or a pipe") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                    "a folder" if stat.S_ISDIR(st.st_mode) else "a device or socket")
            raise _refuse(path, kind)
        if _NONBLOCK:
            try:
                import fcntl

                flags = fcntl.fcntl(fd, fcntl.F_GETFL)
                fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~_NONBLOCK)
            except (ImportError, OSError):  # pragma: no cover
                pass
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(path: str | os.PathLike, mode: str = "rb", perms: int = 0o644) -> IO[bytes]:
    """Open ``path`` as a binary file object, only if it is a regular file reached without a
    symbolic link in its last component.  ``mode``: ``rb``, ``ab``, ``wb``, ``xb`` or ``r+b``
    (``r+b`` creates the file when missing).  Raises :class:`UsageError` otherwise."""
    fd = open_fd(path, mode, perms)
    return os.fdopen(fd, {"r+b": "r+b", "xb": "wb", "wb": "wb"}.get(mode, mode))


def check_regular(path: str | os.PathLike, folder_ok: bool = False) -> None:
    """Refuse (UsageError) a path that exists but is not a regular file (with ``folder_ok``:
    not a real folder), symbolic links not followed.  A missing path is fine."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) or (folder_ok and stat.S_ISDIR(st.st_mode)):
        return
    raise _refuse(path, "a symbolic link" if stat.S_ISLNK(st.st_mode) else
                  "a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                  "a folder" if stat.S_ISDIR(st.st_mode) else "a device or socket")
