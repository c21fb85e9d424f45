"""Files in and out: reading what ``ajouter_fichier`` uploads, decoding what
``telecharger_groupe`` downloads (base64, PDF/ZIP/XML detection, ZIP members streamed
within size limits), and writing them (to a temporary file renamed over the target).

The models stay plain data: the download response's methods call the functions here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final, Literal

import attrs

from ._exceptions import (
    ArchiveTooLargeError,
    FileWriteError,
    RequestValidationError,
    ResponseDecodeError,
)
from ._filewrite import copy_file, remove_quietly, save_file, stage
from ._validation import MAX_ATTACHMENT_BYTES

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "ContentKind",
    "DownloadedFile",
    "FileInput",
    "content_kind",
    "decode_file",
    "downloaded",
    "extract_zip",
    "read_file",
    "read_zip_member",
    "save_download",
    "save_file",
    "zip_members",
]

FileInput = bytes | str | os.PathLike[str] | IO[bytes]
"""What ``ajouter_fichier`` accepts: the bytes, a path, or a binary file object."""

ContentKind = Literal["pdf", "zip", "xml", "unknown"]


# --- uploads ---------------------------------------------------------------------------------


_CHUNK = 1024 * 1024


def _read_bounded(read: Callable[[int], object], limit: int) -> bytes:
    """At most ``limit + 1`` bytes from ``read``: enough to know the file is too big, whatever
    it says of its size (a pipe, ``/dev/zero`` or a file object have none to trust).

    A regular file comes in one read: its bytes are returned as read, never copied.
    """
    chunks: list[bytes | bytearray] = []
    size = 0
    while size <= limit:
        chunk = read(limit + 1 - size)
        if chunk is None:
            raise RequestValidationError("file", "returned no data (a non-blocking file?)")
        if not isinstance(chunk, (bytes, bytearray)):
            raise RequestValidationError("file", "must be opened in binary mode")
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise RequestValidationError(
            "file", f"the file is larger than {limit} bytes (at most 10 MiB)"
        )
    if len(chunks) == 1 and isinstance(chunks[0], bytes):
        return chunks[0]
    return b"".join(chunks)


def read_file(
    file: str | os.PathLike[str] | IO[bytes], *, limit: int = MAX_ATTACHMENT_BYTES
) -> tuple[bytes, str | None]:
    """Read a path or a binary file object: at most ``limit + 1`` bytes, then refuse.

    A path that cannot be read (missing, a directory, no permission) is a
    RequestValidationError naming ``file``, as is a file object that fails to read.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(file))
        try:
            info = os.stat(path)
            size = info.st_size
            if stat.S_ISREG(info.st_mode) and size > limit:
                # A regular file says its size: refuse it without reading it.
                raise RequestValidationError(
                    "file", f"the file is {size} bytes; at most {limit} (10 MiB)"
                )
            with open(path, "rb") as handle:
                return _read_bounded(handle.read, limit), os.path.basename(path)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise RequestValidationError("file", f"cannot read {path!r}: {reason}") from None
    try:
        content = _read_bounded(file.read, limit)
    except (OSError, ValueError) as exc:
        if isinstance(exc, RequestValidationError):
            raise
        # A closed file raises ValueError; a broken device OSError.
        raise RequestValidationError(
            "file", f"cannot be read: {type(exc).__name__}: {exc}"
        ) from None
    name = getattr(file, "name", None)
    return content, os.path.basename(name) if isinstance(name, str) else None


# --- downloads -------------------------------------------------------------------------------


NO_FILE_MESSAGE: Final = "the response carries no fichierBase64"
NOT_BASE64_MESSAGE: Final = "fichierBase64 is not valid base64"


@attrs.frozen
class DownloadedFile:
    """A downloaded file the client decoded as it arrived (``raw.file`` of the response):
    held in memory (``content``), or written to ``path`` (the call's ``dest``)."""

    size: int
    """Its length in bytes."""
    head: bytes = attrs.field(repr=False)
    """Its first bytes (up to 64), to tell its kind."""
    content: bytes | None = attrs.field(default=None, repr=False)
    path: Path | None = None


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=True)


def _kind(head: bytes) -> ContentKind:
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<?xml"):
        return "xml"
    return "unknown"


def decode_file(file_base64: str | None, status: int) -> bytes:
    """The downloaded file's bytes; ResponseDecodeError when missing or not base64."""
    if file_base64 is None:
        raise ResponseDecodeError(NO_FILE_MESSAGE, status_code=status)
    try:
        return _b64decode(file_base64)
    except (binascii.Error, ValueError):
        raise ResponseDecodeError(NOT_BASE64_MESSAGE, status_code=status) from None


def _streamed(raw: object) -> DownloadedFile | None:
    file = getattr(raw, "file", None)
    return file if isinstance(file, DownloadedFile) else None


def downloaded(file_base64: str | None, raw: object, status: int) -> bytes | Path:
    """A download's file: its bytes, or the path it was streamed to (``dest``); else
    ``file_base64`` decoded (a response built by hand). ResponseDecodeError as
    :func:`decode_file`."""
    file = _streamed(raw)
    if file is None:
        return decode_file(file_base64, status)
    if file.path is not None:
        return file.path
    return file.content if file.content is not None else b""


def read_back(source: bytes | Path, status: int) -> bytes:
    """The bytes of :func:`downloaded`'s result (a file read back from disk)."""
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError as exc:
        raise _unreadable(source, exc, status) from None


def _unreadable(path: Path, exc: OSError, status: int) -> ResponseDecodeError:
    reason = exc.strerror or type(exc).__name__
    return ResponseDecodeError(
        f"the file downloaded to {str(path)!r} cannot be read back: {reason}", status_code=status
    )


def save_download(source: bytes | Path, path: str | os.PathLike[str], status: int) -> Path:
    """:func:`save_file` of :func:`downloaded`'s result; a file on disk is copied in chunks."""
    if isinstance(source, bytes):
        return save_file(source, path)
    try:
        return copy_file(source, path)
    except FileWriteError:
        raise
    except OSError as exc:
        raise _unreadable(source, exc, status) from None


def content_kind(file_base64: str | None, raw: object = None) -> ContentKind:
    """``"pdf"``, ``"zip"``, ``"xml"`` or ``"unknown"``, from the first decoded bytes."""
    file = _streamed(raw)
    if file is not None:
        return _kind(file.head)
    if not file_base64:
        return "unknown"
    head = "".join(file_base64[:128].split())
    head = head[: len(head) // 4 * 4]
    try:
        return _kind(base64.b64decode(head, validate=True))
    except (binascii.Error, ValueError):
        return "unknown"


def _open_zip(content: bytes | Path, status: int) -> zipfile.ZipFile:
    """The archive, from its bytes or from the file it was downloaded to (read in place)."""
    try:
        if isinstance(content, Path):
            with open(content, "rb") as handle:
                head = handle.read(64)
        else:
            head = content[:64]
        if _kind(head[:8]) != "zip":
            raise ResponseDecodeError(
                f"the file is not a ZIP archive (it looks like {_kind(head)!r})",
                status_code=status,
            )
        return zipfile.ZipFile(content if isinstance(content, Path) else io.BytesIO(content))
    except OSError as exc:
        if isinstance(content, Path):
            raise _unreadable(content, exc, status) from None
        damaged = f"the ZIP archive is damaged: {exc}"
        raise ResponseDecodeError(damaged, status_code=status) from None
    except zipfile.BadZipFile as exc:
        raise ResponseDecodeError(
            f"the ZIP archive is damaged: {exc}", status_code=status
        ) from None


MAX_MEMBER_BYTES: Final = 128 * 1024 * 1024
"""Default ``max_member_bytes`` / ``max_bytes``: one ZIP member, decompressed (the API's
largest answer, a group download, is 120 MB of base64: about 90 MB of files)."""
MAX_TOTAL_BYTES: Final = 1024 * 1024 * 1024
"""Default ``max_total_bytes``: all the members ``extract`` writes, decompressed."""
MAX_MEMBERS: Final = 10_000
"""At most this many members in an archive ``extract`` writes (ten invoices hold a few)."""
_ZIP_CHUNK: Final = 1024 * 1024


def _check_limit(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestValidationError(name, "an integer >= 0 (bytes)")
    return value


class _Budget:
    """The bytes all members may still take (``max_total_bytes``)."""

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit


def _copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    sink: IO[bytes],
    limit: int,
    budget: _Budget | None,
    status: int,
) -> None:
    """Decompress one member into ``sink`` chunk by chunk, stopping past the limits.

    The sizes the archive declares are not trusted: bytes are counted as they come.
    A damaged member is a ResponseDecodeError, not zlib's error.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # zipfile decompresses bzip2/LZMA input without an output bound: a few bytes in
        # could be gigabytes out before any count. Chorus Pro archives use deflate.
        raise ResponseDecodeError(
            f"ZIP member {info.filename!r} uses an unsupported compression method "
            f"({info.compress_type}); only stored and deflate are read",
            status_code=status,
        )
    written = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(_ZIP_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise ArchiveTooLargeError(
                        member=info.filename,
                        limit=limit,
                        parameter="max_member_bytes",
                        status_code=status,
                    )
                if budget is not None:
                    budget.left -= len(chunk)
                    if budget.left < 0:
                        raise ArchiveTooLargeError(
                            member=None,
                            limit=budget.limit,
                            parameter="max_total_bytes",
                            status_code=status,
                        )
                sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError) as exc:
        raise ResponseDecodeError(
            f"the ZIP archive is damaged: {type(exc).__name__}: {exc}", status_code=status
        ) from None


def zip_members(content: bytes | Path, status: int) -> list[str]:
    """The file names inside the ZIP archive ``content`` (folders left out), in order."""
    with _open_zip(content, status) as archive:
        return [info.filename for info in archive.infolist() if not info.is_dir()]


def read_zip_member(
    content: bytes | Path, name: str, status: int, *, max_bytes: int = MAX_MEMBER_BYTES
) -> bytes:
    """The content of one member of the ZIP archive (``KeyError`` if absent).

    ArchiveTooLargeError when it decompresses past ``max_bytes``: at most that much is
    ever held in memory.
    """
    limit = _check_limit("max_bytes", max_bytes)
    with _open_zip(content, status) as archive:
        info = archive.getinfo(name)
        if info.file_size > limit:  # declared: refused before decompressing anything
            raise ArchiveTooLargeError(
                member=name, limit=limit, parameter="max_bytes", status_code=status
            )
        sink = io.BytesIO()
        _copy_member(archive, info, sink, limit, None, status)
        return sink.getvalue()


def extract_zip(
    content: bytes | Path,
    directory: str | os.PathLike[str],
    status: int,
    *,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> list[Path]:
    """Extract the ZIP archive into ``directory`` (created if needed); return the files.

    Members are refused with ResponseDecodeError before anything is written when a name
    is absolute, climbs out of ``directory`` (``..``) or clashes with another, and with
    ArchiveTooLargeError past ``max_member_bytes`` / ``max_total_bytes`` (decompressed)
    or :data:`MAX_MEMBERS`. Each member is streamed to a temporary file next to its
    target; only when all are complete are they renamed into place. On any failure the
    temporary files (and the folders made for them) are removed: no file is ever left
    half-written, and existing files stay as they were.
    """
    member_limit = _check_limit("max_member_bytes", max_member_bytes)
    budget = _Budget(_check_limit("max_total_bytes", max_total_bytes))
    with _open_zip(content, status) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise ArchiveTooLargeError(
                member=None, limit=MAX_MEMBERS, parameter="members", status_code=status
            )
        root = _make_root(directory)
        targets = _plan(members, root, status)
        declared = 0
        for info in members:  # what the archive declares, refused before any work
            declared += info.file_size
            if info.file_size > member_limit:
                raise ArchiveTooLargeError(
                    member=info.filename,
                    limit=member_limit,
                    parameter="max_member_bytes",
                    status_code=status,
                )
        if declared > budget.limit:
            raise ArchiveTooLargeError(
                member=None, limit=budget.limit, parameter="max_total_bytes", status_code=status
            )
        staged: list[Path] = []
        made: list[Path] = []
        try:
            for info, target in zip(members, targets, strict=True):
                made += _make_folders(target.parent, root)
                staged.append(
                    stage(
                        target,
                        lambda sink, info=info: _copy_member(  # type: ignore[misc]
                            archive, info, sink, member_limit, budget, status
                        ),
                    )
                )
        except BaseException:
            for temporary in staged:
                remove_quietly(temporary)
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
    for index, (temporary, target) in enumerate(zip(staged, targets, strict=True)):
        try:
            os.replace(temporary, target)
        except OSError as exc:
            for left in staged[index:]:
                remove_quietly(left)
            raise FileWriteError(str(target), exc) from exc
    return targets


def _make_root(directory: str | os.PathLike[str]) -> Path:
    try:
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        return root.resolve()
    except OSError as exc:
        raise FileWriteError(os.fspath(directory), exc) from exc


def _plan(members: list[zipfile.ZipInfo], root: Path, status: int) -> list[Path]:
    """Where each member goes; unsafe or clashing names are refused."""
    targets: list[Path] = []
    for info in members:
        name = info.filename.replace("\\", "/")
        target = (root / name).resolve()
        if name.startswith("/") or not target.is_relative_to(root) or target == root:
            raise ResponseDecodeError(
                f"unsafe ZIP member name {info.filename!r}", status_code=status
            )
        if target.is_dir():
            raise FileWriteError(str(target), IsADirectoryError(21, "is a directory"))
        targets.append(target)
    folders = {parent for target in targets for parent in target.parents}
    for info, target in zip(members, targets, strict=True):
        if target in folders:
            raise ResponseDecodeError(
                f"ZIP member {info.filename!r} is also a folder of another member",
                status_code=status,
            )
    return targets


def _make_folders(folder: Path, root: Path) -> list[Path]:
    """Create ``folder`` (inside ``root``) and its missing parents; return those made."""
    missing: list[Path] = []
    current = folder
    while current != root and not current.is_dir():
        missing.append(current)
        current = current.parent
    made: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except OSError as exc:
            for done in reversed(made):
                with contextlib.suppress(OSError):
                    done.rmdir()
            raise FileWriteError(str(path), exc) from exc
        made.append(path)
    return made
