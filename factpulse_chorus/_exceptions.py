"""The exception tree of factpulse-chorus.

Every error the SDK raises derives from :class:`FactPulseError`::

    FactPulseError
    ├── RequestValidationError          bad input, refused before sending (also a ValueError)
    ├── ClientClosedError               the client was closed, or is in another loop (RuntimeError)
    ├── SyncInAsyncContextError         ChorusClient called from a thread running an event loop
    ├── APIConnectionError              the server could not be reached, or the connection broke
    │   ├── APITimeoutError             the request timed out
    │   └── OutcomeUnknownError         a state-changing request may or may not have been processed
    ├── APIStatusError                  the server answered with a 4xx/5xx status
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404
    │   ├── UnprocessableEntityError    422 (``errors``: the parsed ``{loc, msg, type}`` list)
    │   ├── RateLimitError              429 (``retry_after`` in seconds, when the server said)
    │   └── ServerError                 5xx
    ├── ChorusProBusinessError          HTTP 200 with a non-zero ``returnCode``/``codeRetour``
    │   └── StructureNotFoundError      ``obtenir-id-depuis-siret`` found no (or several) structures
    ├── ResponseDecodeError             the body is not the JSON we expect
    │   ├── ResponseTooLargeError       the body passed ``max_response_size`` (``limit``)
    │   └── ArchiveTooLargeError        a downloaded ZIP decompresses past a size limit
    ├── FileWriteError                  a downloaded file could not be written (``path``);
    │                                   nothing half-written is left, an old file is intact
    ├── StoreError                      the store cannot be opened, read or written (``path``)
    └── DuplicateSubmissionError        the ledger holds this invoice number: created, or in
                                        flight in another process; nothing was sent

Messages never contain secrets: request bodies are not echoed, and the server's
text is cut short.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .store._records import SubmissionState

# No __all__: the package's export map (``factpulse_chorus._EXPORTS``) lists the public names.

_SNIPPET = 200


def _snippet(text: str, limit: int = _SNIPPET) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= limit else text[:limit] + "…"


class FactPulseError(Exception):
    """Base class of every error raised by factpulse-chorus."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestValidationError(FactPulseError, ValueError):
    """An argument breaks a rule of the API; raised before anything is sent.

    ``field`` is the Python argument name (``invoice_number``, ``credentials.chorus_pro_login``)
    and ``rule`` says what is expected.
    """

    field: str
    rule: str

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class ClientClosedError(FactPulseError, RuntimeError):
    """The client has been closed and cannot send requests any more, or it is called
    from an event loop other than its own while that one is still open. Nothing was sent."""


class SyncInAsyncContextError(FactPulseError, RuntimeError):
    """A blocking :class:`ChorusClient` method was called from a thread running an event loop.

    It would block that loop; use :class:`AsyncChorusClient` there, or run the blocking
    call in a worker thread.
    """


class APIConnectionError(FactPulseError):
    """The request did not get a complete HTTP response (connection refused, reset, ...)."""

    method: str
    url: str

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class _Request(TypedDict):
    """The keyword arguments of :class:`APIConnectionError`, for a subclass that adds some."""

    method: str
    url: str


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read or total timeout)."""


class OutcomeUnknownError(APIConnectionError):
    """A state-changing request was sent but its outcome is unknown.

    The connection broke or timed out after the request had left, so the server
    may have processed it. The SDK never resends such a request blindly: check
    first (for a submission, look ``invoice_number`` up with
    ``factures.rechercher_fournisseur``), or use the safe submission path.
    """

    operation: str
    invoice_number: str | None
    invoice_id: int | None

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        invoice_number: str | None = None,
        invoice_id: int | None = None,
        **request: Unpack[_Request],
    ) -> None:
        super().__init__(message, **request)
        self.operation = operation
        self.invoice_number = invoice_number
        self.invoice_id = invoice_id


class APIStatusError(FactPulseError):
    """The server answered with an error status (4xx or 5xx).

    ``body`` is the decoded JSON body (or the text when it was not JSON),
    ``headers`` the response headers and ``request_id`` the server's request id, if any.
    """

    status_code: int
    body: Any
    headers: Mapping[str, str]
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})
        self.request_id = request_id


class _StatusCode(TypedDict):
    status_code: int


class _StatusArguments(_StatusCode, total=False):
    """The keyword arguments of :class:`APIStatusError`, for the subclasses that add some."""

    body: Any
    headers: Mapping[str, str] | None
    request_id: str | None


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing, invalid or expired credentials (after one re-login)."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the server refused the request body.

    ``errors`` holds the parsed ``detail`` list: dicts with ``loc``, ``msg`` and ``type``.
    """

    errors: Sequence[Mapping[str, Any]]

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        **status: Unpack[_StatusArguments],
    ) -> None:
        super().__init__(message, **status)
        self.errors = list(errors)


class RateLimitError(APIStatusError):
    """HTTP 429. ``retry_after`` is the delay the server asked for, in seconds, if any."""

    retry_after: float | None

    def __init__(
        self, message: str, *, retry_after: float | None = None, **status: Unpack[_StatusArguments]
    ) -> None:
        super().__init__(message, **status)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """HTTP 5xx."""


class ChorusProBusinessError(FactPulseError):
    """Chorus Pro refused the request: HTTP 200 with a non-zero return code.

    ``return_code`` is ``returnCode`` (typed endpoints) or ``codeRetour`` (native ones),
    ``server_message`` the server's ``message``/``libelle``, ``body`` the whole decoded
    body and ``request_id`` the server's request id (quote it in a support ticket).
    """

    return_code: int
    server_message: str
    body: Any
    request_id: str | None

    def __init__(
        self,
        return_code: int,
        server_message: str,
        *,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        text = f"Chorus Pro business error {return_code}: {_snippet(server_message)}"
        if request_id:
            text += f" [request id {_snippet(request_id, 80)}]"
        super().__init__(text)
        self.return_code = return_code
        self.server_message = server_message
        self.body = body
        self.request_id = request_id


class _BusinessAnswer(TypedDict, total=False):
    """The keyword arguments of :class:`ChorusProBusinessError`, for its subclass."""

    body: Any
    request_id: str | None


class StructureNotFoundError(ChorusProBusinessError):
    """No structure, or more than one, matches the identifier (``structureId == 0``)."""

    identifier: str

    def __init__(
        self, identifier: str, server_message: str, **answer: Unpack[_BusinessAnswer]
    ) -> None:
        super().__init__(0, server_message, **answer)
        self.identifier = identifier
        self.message = f"no single structure matches {identifier!r}: {_snippet(server_message)}"
        self.args = (self.message,)


class ResponseDecodeError(FactPulseError):
    """The response body is not the JSON the API documents.

    Carries the HTTP status, the content type and a short snippet of the body.
    """

    status_code: int
    content_type: str
    snippet: str

    def __init__(
        self, reason: str, *, status_code: int, content_type: str = "", snippet: str = ""
    ) -> None:
        short = _snippet(snippet, 120)
        tail = f"; body starts with {short!r}" if short else ""
        super().__init__(
            f"could not decode the response (HTTP {status_code}, "
            f"{content_type or 'no content type'}): {reason}{tail}"
        )
        self.status_code = status_code
        self.content_type = content_type
        self.snippet = short


class ResponseTooLargeError(ResponseDecodeError):
    """The response body (decompressed) passed the client's ``max_response_size``.

    Reading stopped there; ``limit`` is that size in bytes. Not retried: the same body
    would come back. On a write, :class:`OutcomeUnknownError` is raised instead (chained
    to this error): the server answered, so it may have processed the request.
    """

    limit: int

    def __init__(self, *, limit: int, status_code: int, content_type: str = "") -> None:
        super().__init__(
            f"the body is larger than max_response_size ({limit} bytes); reading stopped",
            status_code=status_code,
            content_type=content_type,
        )
        self.limit = limit


class ArchiveTooLargeError(ResponseDecodeError):
    """A downloaded ZIP archive decompresses past a limit (a "ZIP bomb", or a limit set low).

    ``member`` is the member's name (``None``: all members together, or their number),
    ``limit`` the limit and ``parameter`` the argument that sets it (``max_member_bytes``,
    ``max_total_bytes``, ``max_bytes``; ``members`` for the fixed member count). Nothing
    past the limit was decompressed, nothing of it was written.
    """

    member: str | None
    limit: int
    parameter: str

    def __init__(self, *, member: str | None, limit: int, parameter: str, status_code: int) -> None:
        if parameter == "members":
            reason = f"the ZIP archive has more than {limit} members"
        elif member is None:
            reason = f"the ZIP members decompress to more than {limit} bytes ({parameter})"
        else:
            reason = f"ZIP member {member!r} decompresses to more than {limit} bytes ({parameter})"
        super().__init__(reason, status_code=status_code)
        self.member = member
        self.limit = limit
        self.parameter = parameter


class FileWriteError(FactPulseError):
    """A downloaded file could not be written to ``path`` (disk full, no permission, ...).

    It was written to a temporary file next to ``path`` and renamed over it only when
    complete: nothing half-written is left and a file already at ``path`` is unchanged.
    ``reason`` is the system's message and ``errno`` its code (``None`` if unknown); the
    ``OSError`` is chained as ``__cause__``.
    """

    path: str
    reason: str
    errno: int | None

    def __init__(self, path: str, error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(
            f"cannot write {path!r}: {reason}; nothing was left half-written "
            "(a file already there is unchanged)"
        )
        self.path = path
        self.reason = reason
        self.errno = error.errno


class StoreError(FactPulseError):
    """The store at ``path`` cannot be opened, read or written (not a database, a schema
    newer than this version knows, locked past ``busy_timeout``, disk full, closed, ...).

    The driver's error (``sqlite3``'s, psycopg's), if any, is chained as ``__cause__``;
    with PostgreSQL, ``path`` is the URL with its password masked.
    """

    path: str

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(f"store {path!r}: {message}")
        self.path = path


class DuplicateSubmissionError(FactPulseError):
    """The submission ledger refuses ``invoice_number``: it was already created (as
    ``invoice_id``), or another process holds it (``state`` says where it stands).
    Nothing was sent."""

    supplier: str
    invoice_number: str
    state: SubmissionState
    invoice_id: int | None

    def __init__(
        self,
        *,
        supplier: str,
        invoice_number: str,
        state: SubmissionState,
        invoice_id: int | None = None,
    ) -> None:
        # ``state`` is a str enum: compared by value so this module imports no store code.
        if state == "created":
            where = f"already created as invoice {invoice_id}"
        elif state == "absent":
            where = "not held by this process (absent: known not created)"
        else:
            where = f"in flight in another process ({state.value})"
        super().__init__(f"invoice number {invoice_number!r} is {where}")
        self.supplier = supplier
        self.invoice_number = invoice_number
        self.state = state
        self.invoice_id = invoice_id
