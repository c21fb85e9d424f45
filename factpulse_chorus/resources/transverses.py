"""``client.transverses``: cross-cutting operations (``/transverses/ajouter-fichier``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
import attrs

from .._converter import to_wire
from .._exceptions import RequestValidationError
from .._files import FileInput, read_file
from .._types import NOT_GIVEN, Headers, NotGivenOr, TimeoutTypes
from .._upload import PLACEHOLDER, FileUpload
from .._wire import wire_name
from ..models.transverses import (
    TransversesAjouterFichierRequest,
    TransversesAjouterFichierResponse,
    file_fields,
)
from ._base import AsyncResource

if TYPE_CHECKING:
    from ..models.common import ChorusProCredentials

_FILE_FIELD: Final = wire_name(attrs.fields(TransversesAjouterFichierRequest).file_base64)


class AsyncTransverses(AsyncResource):
    """Upload attachments (invoice PDFs, supporting documents)."""

    __slots__ = ()

    async def ajouter_fichier(
        self,
        file: FileInput,
        *,
        name: str | None = None,
        mime_type: str | None = None,
        extension: str | None = None,
        extra: Mapping[str, Any] | None = None,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Headers | None = None,
    ) -> TransversesAjouterFichierResponse:
        """Upload a file (at most 10 MiB) and return its ``attachment_id``.

        ``POST /transverses/ajouter-fichier``. ``file`` is the content, a path or a
        binary file object; ``name`` (wire ``pieceJointeNom``) defaults to the file's,
        ``mime_type`` and ``extension`` are inferred from the name. Files over the limit
        are refused before anything is read in full or sent. Only the file's bytes are
        held: its base64 is made as the request is written. Never resent once the
        request may have reached the server (it would store the file twice).
        """
        if isinstance(file, (bytes, bytearray, memoryview)):
            content, file_name = bytes(file), None
        else:
            content, file_name = await anyio.to_thread.run_sync(read_file, file)
        file_name = name or file_name
        if not file_name:
            raise RequestValidationError("name", "is required when the file has no name")
        mime_type, extension = file_fields(content, file_name, mime_type, extension)
        # The model holds a placeholder for the file's base64: the body is sent in parts,
        # the base64 made as it is written, so that only the file's bytes are held.
        request = self._build(
            TransversesAjouterFichierRequest,
            {**locals(), "name": file_name, "file_base64": PLACEHOLDER},
        )
        return await self._send(
            "/transverses/ajouter-fichier",
            FileUpload(to_wire(request), _FILE_FIELD, content),
            TransversesAjouterFichierResponse,
            locals(),
            idempotent=False,
        )
