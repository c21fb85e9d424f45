"""Transverses: upload an attachment (native endpoint 13)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import attrs

from .._exceptions import RequestValidationError
from .._validation import MAX_ATTACHMENT_BYTES, check_attachment_size, check_text, required
from .common import ChorusProCredentials, NativeResponse, extra_field, wire

__all__ = ["AjouterFichierRequest", "AjouterFichierResponse"]


def _check_extension(field: str, value: object) -> str:
    text = check_text(field, value)
    if text.startswith("."):
        raise RequestValidationError(field, "must be given without the dot, e.g. 'PDF'")
    return text


@attrs.frozen(kw_only=True)
class AjouterFichierRequest:
    """Body of ``transverses/ajouter-fichier`` (§6.7).

    ``piece_jointe_fichier`` is the base64 content (at most 10 MiB once decoded);
    :meth:`from_bytes` builds the request from raw bytes.
    """

    piece_jointe_fichier: str = attrs.field(repr=False, validator=required(check_attachment_size))
    piece_jointe_nom: str = attrs.field(validator=required(check_text))
    piece_jointe_type_mime: str = attrs.field(validator=required(check_text))
    piece_jointe_extension: str = attrs.field(validator=required(_check_extension))
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    @classmethod
    def from_bytes(
        cls,
        content: bytes,
        *,
        piece_jointe_nom: str,
        piece_jointe_type_mime: str | None = None,
        piece_jointe_extension: str | None = None,
        credentials: ChorusProCredentials | None = None,
    ) -> AjouterFichierRequest:
        """Encode ``content``; the MIME type and extension default to the file name's."""
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise RequestValidationError("piece_jointe_fichier", "must be bytes")
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise RequestValidationError(
                "piece_jointe_fichier",
                f"the decoded file must be at most {MAX_ATTACHMENT_BYTES} bytes (10 MiB)",
            )
        check_text("piece_jointe_nom", piece_jointe_nom)
        suffix = piece_jointe_nom.rpartition(".")[2] if "." in piece_jointe_nom else ""
        if piece_jointe_type_mime is None:
            import mimetypes  # only here: it reads system tables on first use

            guessed, _ = mimetypes.guess_type(piece_jointe_nom, strict=False)
            piece_jointe_type_mime = guessed or "application/octet-stream"
        if piece_jointe_extension is None:
            if not suffix:
                raise RequestValidationError(
                    "piece_jointe_extension", "is required when the file name has no extension"
                )
            piece_jointe_extension = suffix.upper()
        return cls(
            piece_jointe_fichier=base64.b64encode(content).decode("ascii"),
            piece_jointe_nom=piece_jointe_nom,
            piece_jointe_type_mime=piece_jointe_type_mime,
            piece_jointe_extension=piece_jointe_extension,
            credentials=credentials,
        )


@attrs.frozen(kw_only=True)
class AjouterFichierResponse(NativeResponse):
    """200 body of ``transverses/ajouter-fichier``.

    ``attachment_id`` is ``pieceJointeIdFichier``, or the native ``pieceJointeId``: the
    value for ``main_attachment_id`` (soumettre) and ``piece_jointe_id_fichier`` (completer).
    """

    attachment_id: int | None = attrs.field(
        default=None, metadata=wire("pieceJointeIdFichier", fallback=("pieceJointeId",))
    )
