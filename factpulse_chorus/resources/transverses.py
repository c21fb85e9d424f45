"""``client.transverses``: cross-cutting operations (``/transverses/ajouter-fichier``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

import anyio.to_thread

from .._exceptions import RequestValidationError
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from .._validation import MAX_ATTACHMENT_BYTES
from ..models.transverses import AjouterFichierRequest, AjouterFichierResponse
from ._base import AsyncResource

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials

FileInput = bytes | str | os.PathLike[str] | IO[bytes]
"""What ``ajouter_fichier`` accepts: the bytes, a path, or a binary file object."""


def _read_file(file: str | os.PathLike[str] | IO[bytes]) -> tuple[bytes, str | None]:
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


class AsyncTransverses(AsyncResource):
    """Upload attachments (invoice PDFs, supporting documents)."""

    __slots__ = ()

    async def ajouter_fichier(
        self,
        file: FileInput,
        *,
        nom: str | None = None,
        type_mime: str | None = None,
        extension: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> AjouterFichierResponse:
        """Upload a file (at most 10 MiB) and return its attachment id.

        ``POST /transverses/ajouter-fichier``. ``file`` is the content, a path or a
        binary file object; the name (``pieceJointeNom``) defaults to the file's, the
        MIME type and the extension are inferred from the name. Files over the limit are
        refused before anything is read in full or sent. Never resent once the request
        may have reached the server (it would store the file twice).
        """
        if isinstance(file, (bytes, bytearray, memoryview)):
            content, file_name = bytes(file), None
        else:
            content, file_name = await anyio.to_thread.run_sync(_read_file, file)
        name = nom or file_name
        if not name:
            raise RequestValidationError("nom", "is required when the file has no name")
        request = AjouterFichierRequest.from_bytes(
            content,
            piece_jointe_nom=name,
            piece_jointe_type_mime=type_mime,
            piece_jointe_extension=extension,
            credentials=self._credentials(credentials),
        )
        if extra:
            request = AjouterFichierRequest(
                piece_jointe_fichier=request.piece_jointe_fichier,
                piece_jointe_nom=request.piece_jointe_nom,
                piece_jointe_type_mime=request.piece_jointe_type_mime,
                piece_jointe_extension=request.piece_jointe_extension,
                extra=extra,
                credentials=request.credentials,
            )
        return await self._post(
            "/transverses/ajouter-fichier",
            request,
            AjouterFichierResponse,
            operation="transverses.ajouter_fichier",
            idempotent=False,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
        )
