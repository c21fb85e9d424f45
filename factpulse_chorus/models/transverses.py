"""Transverses: upload an attachment (native endpoint 13)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import attrs

from .._exceptions import RequestValidationError
from .._validation import MAX_ATTACHMENT_BYTES, check_attachment_size, check_text, required
from .._wire import extra_field, wire
from .common import ChorusProCredentials, NativeResponse


def _check_extension(field: str, value: object) -> str:
    text = check_text(field, value)
    if text.startswith("."):
        raise RequestValidationError(field, "must be given without the dot, e.g. 'PDF'")
    return text


@attrs.frozen(kw_only=True)
class TransversesAjouterFichierRequest:
    """Body of ``transverses/ajouter-fichier``.

    ``file_base64`` (wire ``pieceJointeFichier``) is the base64 content, at most 10 MiB
    once decoded; :meth:`from_bytes` builds the request from raw bytes. ``name``,
    ``mime_type`` and ``extension`` are ``pieceJointeNom``, ``pieceJointeTypeMime`` and
    ``pieceJointeExtension``.
    """

    file_base64: str = attrs.field(
        repr=False, validator=required(check_attachment_size), metadata=wire("pieceJointeFichier")
    )
    name: str = attrs.field(validator=required(check_text), metadata=wire("pieceJointeNom"))
    mime_type: str = attrs.field(
        validator=required(check_text), metadata=wire("pieceJointeTypeMime")
    )
    extension: str = attrs.field(
        validator=required(_check_extension), metadata=wire("pieceJointeExtension")
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    @classmethod
    def from_bytes(
        cls,
        content: bytes,
        *,
        name: str,
        mime_type: str | None = None,
        extension: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: ChorusProCredentials | None = None,
    ) -> TransversesAjouterFichierRequest:
        """Encode ``content``; the MIME type and extension default to the file name's."""
        mime_type, extension = file_fields(content, name, mime_type, extension)
        return cls(
            file_base64=base64.b64encode(content).decode("ascii"),
            name=name,
            mime_type=mime_type,
            extension=extension,
            extra=extra or {},
            credentials=credentials,
        )


def file_fields(
    content: object, name: str, mime_type: str | None, extension: str | None
) -> tuple[str, str]:
    """The checks of :meth:`~TransversesAjouterFichierRequest.from_bytes` on its file and
    name (before the model's own), and the MIME type and extension it defaults to.

    An upload sent in parts (``_upload``) makes them without encoding the file."""
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise RequestValidationError("file", "must be bytes")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise RequestValidationError(
            "file", f"the decoded file must be at most {MAX_ATTACHMENT_BYTES} bytes (10 MiB)"
        )
    check_text("name", name)
    suffix = name.rpartition(".")[2] if "." in name else ""
    if mime_type is None:
        import mimetypes  # only here: it reads system tables on first use

        guessed, _ = mimetypes.guess_type(name, strict=False)
        mime_type = guessed or "application/octet-stream"
    if extension is None:
        if not suffix:
            raise RequestValidationError(
                "extension", "is required when the file name has no extension"
            )
        extension = suffix.upper()
    if not len(content):
        # What the model's validator says of the empty base64 text an empty file makes.
        check_attachment_size("file_base64", "")
    return mime_type, extension


@attrs.frozen(kw_only=True)
class TransversesAjouterFichierResponse(NativeResponse):
    """200 body of ``transverses/ajouter-fichier``.

    ``attachment_id`` is ``pieceJointeIdFichier``, or the native ``pieceJointeId``: the
    value ``factures.soumettre`` and ``factures.completer`` take as ``attachment_id``.
    A success always carries it: a body without it is a :class:`ResponseDecodeError`.
    """

    attachment_id: int = attrs.field(
        metadata=wire("pieceJointeIdFichier", fallback=("pieceJointeId",))
    )
