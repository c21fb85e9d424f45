"""What every sub-client shares: turning a request model into a call and its answer into a model.

Data flows one way: arguments → request model (validated on construction) → converter →
transport (auth, retries, timeouts, error mapping) → converter → response model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import attrs

from .._arguments import wrap_public_methods
from .._converter import from_wire, to_wire
from .._exceptions import OutcomeUnknownError, ResponseDecodeError
from .._types import NOT_GIVEN, Headers, NotGiven, NotGivenOr, RequestOptions, TimeoutTypes

if TYPE_CHECKING:
    from .._response import RawResponse
    from ..models.common import ChorusProCredentials

T = TypeVar("T")
R = TypeVar("R", bound="AsyncResource")

API_ROOT: Final = "/api/v1/chorus-pro"
"""Path prefix of every Chorus Pro endpoint."""


SendRequest = Callable[..., Awaitable["RawResponse"]]
"""The client's ``Transport.request``, bound once per sub-client: ``(method, path, *, json,
idempotent, operation, options, invoice_number)``."""

DefaultCredentials = Callable[[], "ChorusProCredentials | None"]
"""Returns the client's default zero-trust credentials (read at each call)."""


class AsyncResource:
    """Base of the sub-clients: what they need from their client, bound once."""

    __slots__ = ("_default_credentials", "_request")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every public method of a sub-client checks its arguments' types first (issue 13).
        super().__init_subclass__(**kwargs)
        wrap_public_methods(cls)

    def __init__(self, request: SendRequest, default_credentials: DefaultCredentials) -> None:
        self._request = request
        self._default_credentials = default_credentials

    def _sibling(self, cls: type[R]) -> R:
        """Another sub-client of the same client (a call that spans groups, like ``deposer``)."""
        return cls(self._request, self._default_credentials)

    def _credentials(
        self, credentials: NotGivenOr[ChorusProCredentials | None]
    ) -> ChorusProCredentials | None:
        """The zero-trust credentials of this call: the argument, else the client's default."""
        if isinstance(credentials, NotGiven):
            return self._default_credentials()
        return credentials

    async def _post(
        self,
        path: str,
        request: Any,
        response_cls: type[T],
        *,
        operation: str,
        idempotent: bool,
        timeout: NotGivenOr[TimeoutTypes],
        max_retries: NotGivenOr[int],
        extra_headers: Headers | None,
        invoice_number: str | None = None,
    ) -> T:
        """POST ``request`` (a request model) to ``API_ROOT + path`` and structure the answer."""
        options = RequestOptions.build(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        raw = await self._request(
            "POST",
            API_ROOT + path,
            json=to_wire(request),
            idempotent=idempotent,
            operation=operation,
            options=options,
            invoice_number=invoice_number,
        )
        try:
            return from_wire(raw.json, response_cls, raw=raw)
        except ResponseDecodeError as exc:
            if idempotent:
                raise
            # A write answered 2xx was processed even if its body is not what the API
            # documents: the caller must not resend it as if it had failed.
            raise OutcomeUnknownError(
                f"{operation}: the server accepted the request but its answer could not be "
                f"read ({exc.message}); it was probably processed: check before resending",
                method="POST",
                url=raw.url,
                operation=operation,
                invoice_number=invoice_number,
            ) from exc

    async def _get(
        self,
        path: str,
        response_cls: type[T],
        *,
        operation: str,
        timeout: NotGivenOr[TimeoutTypes],
        max_retries: NotGivenOr[int],
        extra_headers: Headers | None,
    ) -> T:
        """GET ``API_ROOT + path`` (always a read) and structure the answer."""
        options = RequestOptions.build(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        raw = await self._request(
            "GET", API_ROOT + path, idempotent=True, operation=operation, options=options
        )
        return from_wire(raw.json, response_cls, raw=raw)


def build_request(cls: type[T], arguments: Mapping[str, Any], **fixed: Any) -> T:
    """Build the request model ``cls`` from a method's arguments.

    Only the names that are fields of ``cls`` are taken, so a search method can pass its
    ``locals()`` without listing thirty filters twice; ``fixed`` adds computed fields.
    """
    names = {a.name for a in attrs.fields(cast(Any, cls))}
    values = {k: v for k, v in arguments.items() if k in names and v is not None}
    values.update(fixed)
    return cls(**values)


def forward_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A method's ``locals()`` without ``self``: the keyword arguments to pass on unchanged."""
    return {k: v for k, v in arguments.items() if k != "self"}


__all__ = [
    "API_ROOT",
    "NOT_GIVEN",
    "AsyncResource",
    "DefaultCredentials",
    "SendRequest",
    "build_request",
    "forward_arguments",
]
