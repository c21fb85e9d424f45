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

__all__ = ["StagedFile", "copy_file", "remove_quietly", "save_file", "stage"]

_CHUNK: Final = 1024 * 1024


class StagedFile:
    """A temporary file next to ``target``, written piece by piece, then either renamed
    over ``target`` (:meth:`commit`) or removed (:meth:`discard`).

    Every method is blocking file I/O, and raises :class:`FileWriteError` naming
    ``target``; after one, the temporary file is already removed.
    """

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        if self.target.is_dir():
            raise FileWriteError(str(self.target), IsADirectoryError(21, "is a directory"))
        try:
            fd, self.temporary = _create_temporary(self.target)
        except OSError as exc:
            raise FileWriteError(str(self.target), exc) from exc
        self._sink: IO[bytes] | None = os.fdopen(fd, "wb")
        self._committed = False

    def _failed(self, exc: OSError) -> FileWriteError:
        self.discard()
        return FileWriteError(str(self.target), exc)

    @property
    def sink(self) -> IO[bytes]:
        """The open temporary file (``ValueError`` once committed or discarded)."""
        if self._sink is None:
            raise ValueError("the staged file is closed")
        return self._sink

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self.sink.write(data)
        except OSError as exc:
            raise self._failed(exc) from exc

    def restart(self) -> None:
        """Empty the file: what was written is dropped (a new attempt starts from zero)."""
        try:
            self.sink.seek(0)
            self.sink.truncate()
        except OSError as exc:
            raise self._failed(exc) from exc

    def complete(self) -> Path:
        """Flush the file to disk and close it; returns the temporary path (not renamed)."""
        sink = self.sink
        try:
            sink.flush()
            os.fsync(sink.fileno())
            sink.close()
            self._sink = None
            with contextlib.suppress(OSError):  # a replaced file keeps its permissions
                os.chmod(self.temporary, stat.S_IMODE(os.stat(self.target).st_mode))
        except OSError as exc:
            raise self._failed(exc) from exc
        return self.temporary

    def commit(self) -> Path:
        """Complete the file and rename it over ``target``; returns ``target``."""
        temporary = self.complete()
        try:
            os.replace(temporary, self.target)
        except OSError as exc:
            raise self._failed(exc) from exc
        self._committed = True
        return self.target

    def discard(self) -> None:
        """Close and remove the temporary file (never raises; idempotent; nothing to do
        once committed)."""
        sink, self._sink = self._sink, None
        if sink is not None:
            with contextlib.suppress(OSError):
                sink.close()
        if not self._committed:
            remove_quietly(self.temporary)


def save_file(content: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``content`` to ``path`` atomically (replacing it) and return the path.

    FileWriteError when it cannot be written; then nothing is left half-written and a
    file already at ``path`` is unchanged.
    """
    staged = StagedFile(path)
    try:
        view = memoryview(content)
        for start in range(0, len(view), _CHUNK):
            staged.write(view[start : start + _CHUNK])
        return staged.commit()
    finally:
        staged.discard()  # a no-op once committed: the temporary path is gone


def copy_file(source: Path, path: str | os.PathLike[str]) -> Path:
    """Copy the file ``source`` to ``path`` atomically (replacing it), chunk by chunk.

    Copying a file onto itself does nothing. An unreadable ``source`` raises its OSError.
    """
    with contextlib.suppress(OSError):
        if os.path.samefile(source, path):
            return Path(path)
    with open(source, "rb") as reader:
        staged = StagedFile(path)
        try:
            while chunk := reader.read(_CHUNK):
                staged.write(chunk)
            return staged.commit()
        finally:
            staged.discard()


def stage(target: Path, fill: Callable[[IO[bytes]], None]) -> Path:
    """A complete temporary file next to ``target`` (same folder: the rename is atomic),
    written by ``fill`` and flushed to disk; removed again if anything fails."""
    staged = StagedFile(target)
    try:
        fill(staged.sink)
        return staged.complete()
    except BaseException as exc:
        staged.discard()
        if isinstance(exc, OSError):
            raise FileWriteError(str(target), exc) from exc
        raise


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
