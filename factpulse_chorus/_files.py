"""Files in and out: reading what ``ajouter_fichier`` uploads, decoding what
``telecharger_groupe`` downloads (base64, PDF/ZIP/XML detection, ZIP members).

The models stay plain data: the download response's methods call the functions here.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Literal

from ._exceptions import RequestValidationError, ResponseDecodeError
from ._validation import MAX_ATTACHMENT_BYTES

__all__ = [
    "ContentKind",
    "FileInput",
    "content_kind",
    "decode_file",
    "extract_zip",
    "read_file",
    "read_zip_member",
    "zip_members",
]

FileInput = bytes | str | os.PathLike[str] | IO[bytes]
"""What ``ajouter_fichier`` accepts: the bytes, a path, or a binary file object."""

ContentKind = Literal["pdf", "zip", "xml", "unknown"]


# --- uploads ---------------------------------------------------------------------------------


def read_file(file: str | os.PathLike[str] | IO[bytes]) -> tuple[bytes, str | None]:
    """Read a path or file object, refusing anything over the limit before reading it all."""
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            raise RequestValidationError("file", f"cannot read {path!r}: {exc.strerror}") from None
        if size > MAX_ATTACHMENT_BYTES:
            raise RequestValidationError(
                "file", f"the file is {size} bytes; at most {MAX_ATTACHMENT_BYTES} (10 MiB)"
            )
        with open(path, "rb") as handle:
            return handle.read(), os.path.basename(path)
    # One byte past the limit is enough to know the file is too big.
    content = file.read(MAX_ATTACHMENT_BYTES + 1)
    if not isinstance(content, bytes):
        raise RequestValidationError("file", "must be opened in binary mode")
    name = getattr(file, "name", None)
    return content, os.path.basename(name) if isinstance(name, str) else None


# --- downloads -------------------------------------------------------------------------------


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
        raise ResponseDecodeError("the response carries no fichierBase64", status_code=status)
    try:
        return _b64decode(file_base64)
    except (binascii.Error, ValueError):
        raise ResponseDecodeError("fichierBase64 is not valid base64", status_code=status) from None


def content_kind(file_base64: str | None) -> ContentKind:
    """``"pdf"``, ``"zip"``, ``"xml"`` or ``"unknown"``, from the first decoded bytes."""
    if not file_base64:
        return "unknown"
    head = "".join(file_base64[:128].split())
    head = head[: len(head) // 4 * 4]
    try:
        return _kind(base64.b64decode(head, validate=True))
    except (binascii.Error, ValueError):
        return "unknown"


def _open_zip(content: bytes, status: int) -> zipfile.ZipFile:
    if _kind(content[:8]) != "zip":
        raise ResponseDecodeError(
            f"the file is not a ZIP archive (it looks like {_kind(content[:64])!r})",
            status_code=status,
        )
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise ResponseDecodeError(
            f"the ZIP archive is damaged: {exc}", status_code=status
        ) from None


def _read(archive: zipfile.ZipFile, member: str | zipfile.ZipInfo, status: int) -> bytes:
    """One member's bytes; a damaged member is a ResponseDecodeError, not zlib's error."""
    try:
        return archive.read(member)
    except KeyError:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError) as exc:
        raise ResponseDecodeError(
            f"the ZIP archive is damaged: {type(exc).__name__}: {exc}", status_code=status
        ) from None


def zip_members(content: bytes, status: int) -> list[str]:
    """The file names inside the ZIP archive ``content`` (folders left out), in order."""
    with _open_zip(content, status) as archive:
        return [info.filename for info in archive.infolist() if not info.is_dir()]


def read_zip_member(content: bytes, name: str, status: int) -> bytes:
    """The content of one member of the ZIP archive (``KeyError`` if absent)."""
    with _open_zip(content, status) as archive:
        return _read(archive, name, status)


def extract_zip(content: bytes, directory: str | os.PathLike[str], status: int) -> list[Path]:
    """Extract the ZIP archive into ``directory`` (created if needed); return the files.

    Members whose name is absolute or climbs out of ``directory`` (``..``) are refused
    with ResponseDecodeError before anything is written.
    """
    root = Path(directory).resolve()
    with _open_zip(content, status) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        targets: list[Path] = []
        for info in members:
            name = info.filename.replace("\\", "/")
            target = (root / name).resolve()
            if name.startswith("/") or not target.is_relative_to(root):
                raise ResponseDecodeError(
                    f"unsafe ZIP member name {info.filename!r}", status_code=status
                )
            targets.append(target)
        # Every member is read (and checked) before anything is written.
        contents = [_read(archive, info, status) for info in members]
    for target, data in zip(targets, contents, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return targets
