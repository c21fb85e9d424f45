"""Writing downloaded files: to a temporary file in the target's folder, flushed to disk,
then renamed over the target (``os.replace``, atomic on one filesystem).

A failure (disk full, no permission, a folder in the way) is a :class:`FileWriteError`
naming the path; the temporary file is removed, so nothing half-written is left and a file
already at the path is unchanged.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

from ._exceptions import FileWriteError

__all__ = ["remove_quietly", "save_file", "stage"]

_CHUNK: Final = 1024 * 1024


def save_file(content: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``content`` to ``path`` atomically (replacing it) and return the path.

    FileWriteError when it cannot be written; then nothing is left half-written and a
    file already at ``path`` is unchanged.
    """
    target = Path(path)
    if target.is_dir():
        raise FileWriteError(str(target), IsADirectoryError(21, "is a directory"))

    def fill(sink: IO[bytes]) -> None:
        view = memoryview(content)
        for start in range(0, len(view), _CHUNK):
            sink.write(view[start : start + _CHUNK])

    temporary = stage(target, fill)
    try:
        os.replace(temporary, target)
    except OSError as exc:
        remove_quietly(temporary)
        raise FileWriteError(str(target), exc) from exc
    return target


def stage(target: Path, fill: Callable[[IO[bytes]], None]) -> Path:
    """A complete temporary file next to ``target`` (same folder: the rename is atomic),
    written by ``fill`` and flushed to disk; removed again if anything fails."""
    try:
        fd, temporary = _create_temporary(target)
    except OSError as exc:
        raise FileWriteError(str(target), exc) from exc
    try:
        with os.fdopen(fd, "wb") as sink:
            fill(sink)
            sink.flush()
            os.fsync(sink.fileno())
        with contextlib.suppress(OSError):  # a replaced file keeps its permissions
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    except BaseException as exc:
        remove_quietly(temporary)
        if isinstance(exc, OSError):
            raise FileWriteError(str(target), exc) from exc
        raise
    return temporary


def _create_temporary(target: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        # Mode 0o666 as open() uses: the umask applies (mkstemp would force 0o600).
        temporary = target.with_name(f".{target.name[:200]}.{secrets.token_hex(6)}.part")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
