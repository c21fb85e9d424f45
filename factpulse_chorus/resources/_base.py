"""What every sub-client shares: turning a request model into a call and its answer into a model.

Data flows one way: arguments → request model (validated on construction) → converter →
transport (auth, retries, timeouts, error mapping) → converter → response model.

A request model's fields bear its method's parameter names, so an endpoint method hands its
``locals()`` to one helper instead of restating its parameters: ``_read``/``_write`` (build
the request, POST it with the per-call options), ``_search``/``_pages`` for the paged
searches; :func:`call_options` picks the options a method passes on to the calls it makes.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar, cast

import attrs

from .._arguments import wrap_public_methods
from .._converter import from_wire, to_wire
from .._exceptions import OutcomeUnknownError, ResponseDecodeError
from .._pagination import iterate_pages
from .._types import NOT_GIVEN, Headers, NotGiven, NotGivenOr, RequestOptions, TimeoutTypes
from .._upload import FileUpload
from ..models._fields import check_filter_names
from ..models.common import PageInfo, SearchPagination

if TYPE_CHECKING:
    from .._response import RawResponse
    from ..models.common import ChorusProCredentials

T = TypeVar("T")
R = TypeVar("R", bound="AsyncResource")
I_co = TypeVar("I_co", covariant=True)

Arguments = Mapping[str, Any]
"""A public method's ``locals()``: its parameters, under their own names."""

API_ROOT: Final = "/api/v1/chorus-pro"
"""Path prefix of every Chorus Pro endpoint."""

CALL_OPTIONS: Final = ("credentials", "timeout", "max_retries", "extra_headers")
"""The per-call options every public method takes, under these names."""

_PAGINATION: Final = ("page_size", "sort_column", "sort_direction")
"""The search filters that go, with ``page``, into the request's pagination object."""


class SearchPage(Protocol[I_co]):
    """One page of a search: its invoices and the server's pagination."""

    @property
    def invoices(self) -> Sequence[I_co]: ...

    @property
    def page_info(self) -> PageInfo | None: ...


P = TypeVar("P", bound=SearchPage[Any])
P_co = TypeVar("P_co", bound=SearchPage[Any], covariant=True)


@attrs.frozen
class Search(Generic[P_co]):
    """A paged search endpoint: its path, its request model, the ``TypedDict`` declaring
    its ``**filters``, and the model of one page of results."""

    path: str
    request: Callable[..., Any]
    filters: type
    page: type[P_co]


def call_options(arguments: Arguments) -> dict[str, Any]:
    """The per-call options among a method's ``locals()``: what a method that makes other
    calls passes on, unchanged, to each of them."""
    return {name: arguments[name] for name in CALL_OPTIONS}


@functools.cache
def operation_name(path: str) -> str:
    """The SDK method an endpoint's path names, as errors and logs say it: its last two
    segments, ``/factures/valideur/consulter`` -> ``valideur.consulter``."""
    group, method = path.split("/")[-2:]
    return f"{group}.{method.replace('-', '_')}"


SendRequest = Callable[..., Awaitable["RawResponse"]]
"""The client's ``Transport.request``, bound once per sub-client: ``(method, path, *, json,
idempotent, operation, options, invoice_number)``."""

DefaultCredentials = Callable[[], "ChorusProCredentials | None"]
"""Returns the client's default zero-trust credentials (read at each call)."""


class AsyncResource:
    """Base of the sub-clients: what they need from their client, bound once."""

    __slots__ = ("_default_credentials", "_max_in_flight", "_request")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every public method of a sub-client checks its arguments' types first (issue 13).
        super().__init_subclass__(**kwargs)
        wrap_public_methods(cls)

    def __init__(
        self,
        request: SendRequest,
        default_credentials: DefaultCredentials,
        max_in_flight: int | None,
    ) -> None:
        self._request = request
        self._default_credentials = default_credentials
        # The client's limit on requests in flight (its connection pool's; None: none).
        self._max_in_flight = max_in_flight

    def _sibling(self, cls: type[R]) -> R:
        """Another sub-client of the same client (a call that spans groups, like ``deposer``)."""
        return cls(self._request, self._default_credentials, self._max_in_flight)

    def _workers(self, concurrency: int) -> int:
        """How many worker tasks a batch asked to run ``concurrency`` calls at a time
        starts: never more than the requests the client lets be in flight at once (more
        would only queue for a connection, costing CPU)."""
        limit = self._max_in_flight
        return concurrency if limit is None else min(concurrency, limit)

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
        """POST ``request`` (a request model, or an upload's body already in its wire form:
        a :class:`FileUpload`) to ``API_ROOT + path`` and structure the answer."""
        options = RequestOptions.build(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        raw = await self._request(
            "POST",
            API_ROOT + path,
            json=request if isinstance(request, FileUpload) else to_wire(request),
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

    def _send(
        self,
        path: str,
        request: Any,
        response_cls: type[T],
        arguments: Arguments,
        *,
        idempotent: bool,
        invoice_number: str | None = None,
    ) -> Awaitable[T]:
        """:meth:`_post` a built ``request`` with the transport options among ``arguments``
        (the method's ``locals()``); the operation is named after the path."""
        # Plain functions handing on _post's coroutine down to here: one coroutine per call.
        return self._post(
            path,
            request,
            response_cls,
            operation=operation_name(path),
            idempotent=idempotent,
            timeout=arguments["timeout"],
            max_retries=arguments["max_retries"],
            extra_headers=arguments["extra_headers"],
            invoice_number=invoice_number,
        )

    def _build(self, cls: type[T], arguments: Arguments) -> T:
        """The request model ``cls`` from a method's ``locals()``, with the credentials of
        this call (see :func:`build_request`)."""
        return build_request(
            cls, arguments, credentials=self._credentials(arguments["credentials"])
        )

    def _read(self, path: str, cls: type, response: type[T], args: Arguments) -> Awaitable[T]:
        """An endpoint that only reads, so is resent on a transient failure: its request
        ``cls`` built from the method's ``locals()`` (``args``), POSTed to ``path``."""
        return self._send(path, self._build(cls, args), response, args, idempotent=True)

    def _write(self, path: str, cls: type, response: type[T], args: Arguments) -> Awaitable[T]:
        """Likewise for an endpoint that changes something: never resent once the request
        may have reached the server."""
        return self._send(path, self._build(cls, args), response, args, idempotent=False)

    async def _search(self, search: Search[P], arguments: Arguments) -> P:
        """One page of ``search``; ``arguments``: the method's ``locals()`` (``page``,
        ``filters``, the per-call options).

        An unknown filter is a :class:`RequestValidationError` naming it; ``None`` means
        "not filtered"; ``page_size``/``sort_*`` go with ``page`` into the pagination.
        """
        check_filter_names(arguments["filters"], search.filters, operation_name(search.path))
        values = {k: v for k, v in arguments["filters"].items() if v is not None}
        pagination = SearchPagination(
            page=arguments["page"], **{k: values.pop(k, None) for k in _PAGINATION}
        )
        credentials = self._credentials(arguments["credentials"])
        request = search.request(**values, pagination=pagination, credentials=credentials)
        return await self._send(search.path, request, search.page, arguments, idempotent=True)

    def _pages(self, search: Search[P], arguments: Arguments) -> AsyncGenerator[P, None]:
        """Every page of ``search`` for a method's ``locals()``, fetched as they are wanted
        (see :func:`iterate_pages`)."""
        return iterate_pages(
            lambda page: self._search(search, {**arguments, "page": page}),
            operation_name(search.path),
        )

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

    Only the names that are fields of ``cls`` and not ``None`` are taken (a request model's
    fields bear its method's parameter names), so a method passes its ``locals()`` instead of
    listing its parameters twice; ``fixed`` adds computed fields.
    """
    names = _field_names(cast(Any, cls))
    values = {k: v for k, v in arguments.items() if k in names and v is not None}
    values.update(fixed)
    return cls(**values)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(a.name for a in attrs.fields(cast(Any, cls)))


async def page_items(pages: AsyncGenerator[SearchPage[T], None]) -> AsyncGenerator[T, None]:
    """The invoices of ``pages``, page after page; stopping early closes ``pages``."""
    async with aclosing(pages):
        async for page in pages:
            for item in page.invoices:
                yield item


__all__ = [
    "API_ROOT",
    "CALL_OPTIONS",
    "NOT_GIVEN",
    "Arguments",
    "AsyncResource",
    "DefaultCredentials",
    "Search",
    "SearchPage",
    "SendRequest",
    "build_request",
    "call_options",
    "operation_name",
    "page_items",
]
