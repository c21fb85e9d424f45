"""``AsyncChorusClient``: configuration, the shared aiohttp session, and the resources.

States: *unopened* (no session yet), *open* (the session exists; it is created on the
first request, inside the running event loop), *closed* (after :meth:`aclose`; any call
then raises :class:`ClientClosedError`).

:meth:`AsyncChorusClient.with_options` returns a *view*: a client with other defaults
that shares the parent's session, token and connection pool. Closing a view only
closes the view; closing the parent closes the session for every view.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp
import attrs

from ._arguments import checked
from ._config import (
    CLOSED_MESSAGE,
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_CONNECTION_LIMIT_PER_HOST,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES,
    AuthMode,
    ClientConfig,
    RetryPolicy,
    check_headers,
    check_max_retries,
)
from ._exceptions import ClientClosedError
from ._logging import configure_from_env
from ._transport import SharedState, Transport
from ._types import NOT_GIVEN, NotGiven, NotGivenOr, Timeout, TimeoutTypes

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._types import OnError, OnRequest, OnResponse, TracerProvider
    from .models.common import ChorusProCredentials
    from .resources._base import DefaultCredentials, SendRequest
    from .resources.factures import AsyncFactures
    from .resources.structures import AsyncStructures
    from .resources.transverses import AsyncTransverses
    from .resources.valideur import AsyncValideur

__all__ = ["AsyncChorusClient"]


class AsyncChorusClient:
    """Async client for the Chorus Pro endpoints of the FactPulse API.

    Authentication, first match wins: ``api_key`` (``X-API-Key`` header); ``email`` +
    ``password`` (+ ``client_uid``), logging in at ``/api/token/`` when needed (a ``token``
    given too is used until it expires); ``token`` alone, a ready access token that cannot
    be renewed. Arguments left out are read from ``FACTPULSE_BASE_URL``,
    ``FACTPULSE_EMAIL``, ``FACTPULSE_PASSWORD``, ``FACTPULSE_CLIENT_UID``,
    ``FACTPULSE_TOKEN`` and ``FACTPULSE_API_KEY``. Missing or inconsistent credentials
    raise :class:`RequestValidationError` here, at construction.

    ``credentials`` (Chorus Pro zero-trust credentials) are added by the resources to
    each request body; left out, FactPulse uses the credentials stored for the account.

    ``timeout``: seconds for the whole attempt, a :class:`Timeout`, or ``None`` for no
    limit; by default connect 10 s, read 60 s, total 120 s, per attempt.
    ``max_retries`` (default 2; 0 disables) applies to safe retries only (see
    ``_transport``). ``session``: an aiohttp session to use instead of ours; it is never
    closed by the client. ``on_request``/``on_response``/``on_error``: hooks (plain or
    async functions) called before each attempt with a :class:`RequestInfo`, after each
    response with its :class:`RawResponse` (errors included; its ``request`` is that very
    ``RequestInfo``), and after an attempt that got no response with
    ``(info, error)``. ``tracer_provider``: an OpenTelemetry ``TracerProvider``
    (``factpulse-chorus[otel]``) for a span per call and per attempt. ``max_response_size``: bytes
    of (decompressed) body read per response, default 256 MiB, ``None`` for no limit;
    past it, :class:`ResponseTooLargeError`. Header values (``api_key``, ``token``,
    ``default_headers``, ``extra_headers``) must be str without control characters.

    ``proxy``: an ``http://`` or ``https://`` proxy URL every request goes through, with
    ``user:password@`` if the proxy asks (never shown: masked in errors, logs and reprs).
    Left out, ``HTTPS_PROXY``/``HTTP_PROXY`` (for the base URL's scheme) and ``NO_PROXY``
    are read, unless ``trust_env=False``; ``~/.netrc`` is not read. Both are checked at
    construction; a ``session`` given keeps its own proxy settings and ignores these.

    The client belongs to the event loop it is first used in. Used again once that loop
    is closed (a second ``asyncio.run()``), it opens new connections in the new loop;
    from another loop while the first is still open, calls raise
    :class:`ClientClosedError`.

    Use it as ``async with AsyncChorusClient(...) as client:`` or call :meth:`aclose`.
    """

    _config: ClientConfig
    _shared: SharedState
    _transport: Transport
    _default_credentials: ChorusProCredentials | None
    _is_view: bool

    @checked  # every option's type, before anything is built (issue 13)
    def __init__(
        self,
        *,
        base_url: str | None = None,
        email: str | None = None,
        password: str | None = None,
        client_uid: str | None = None,
        token: str | None = None,
        api_key: str | None = None,
        credentials: ChorusProCredentials | None = None,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        connection_limit_per_host: int = DEFAULT_CONNECTION_LIMIT_PER_HOST,
        session: aiohttp.ClientSession | None = None,
        default_headers: Mapping[str, str] | None = None,
        retry_policy: RetryPolicy | None = None,
        on_request: OnRequest | None = None,
        on_response: OnResponse | None = None,
        on_error: OnError | None = None,
        tracer_provider: TracerProvider | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        configure_from_env()
        config = ClientConfig.from_arguments(
            base_url=base_url,
            email=email,
            password=password,
            client_uid=client_uid,
            token=token,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            connection_limit=connection_limit,
            connection_limit_per_host=connection_limit_per_host,
            default_headers=default_headers,
            retry_policy=retry_policy,
            on_request=on_request,
            on_response=on_response,
            on_error=on_error,
            max_response_size=max_response_size,
            proxy=proxy,
            trust_env=trust_env,
        )
        if tracer_provider is not None:
            from ._otel import with_tracing  # OpenTelemetry is imported only here

            config = with_tracing(config, tracer_provider)
        shared = SharedState(config, session)
        self._setup(config, shared, credentials, is_view=False)

    def _setup(
        self,
        config: ClientConfig,
        shared: SharedState,
        credentials: ChorusProCredentials | None,
        *,
        is_view: bool,
    ) -> None:
        self._config = config
        self._shared = shared
        self._transport = Transport(config, shared)
        self._default_credentials = credentials
        self._is_view = is_view

    # -- configuration --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root, without a trailing slash."""
        return self._config.base_url

    @property
    def auth_mode(self) -> AuthMode:
        """``password``, ``token`` or ``api_key``."""
        return self._config.auth.mode

    @property
    def timeout(self) -> Timeout:
        """The default per-attempt timeouts."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries."""
        return self._config.max_retries

    @property
    def is_closed(self) -> bool:
        """Whether this client (or view) has been closed."""
        return self._transport.closed or self._shared.closed

    @property
    def state(self) -> str:
        """``unopened`` (no session yet), ``open`` or ``closed``."""
        return "closed" if self.is_closed else self._shared.state

    def with_options(
        self,
        *,
        timeout: NotGivenOr[TimeoutTypes] = NOT_GIVEN,
        credentials: NotGivenOr[ChorusProCredentials | None] = NOT_GIVEN,
        max_retries: NotGivenOr[int] = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncChorusClient:
        """A view of this client with other defaults, sharing its session and token (so
        its proxy and connection pool: those are not per view).

        ``credentials=None`` removes the zero-trust credentials in the view;
        ``extra_headers`` are added to the default headers. Closing the view does not
        close this client; closing this client closes the view too.
        """
        if self.is_closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        config = self._config
        if not isinstance(timeout, NotGiven):
            config = attrs.evolve(config, timeout=Timeout.coerce(timeout))
        if not isinstance(max_retries, NotGiven):
            config = attrs.evolve(config, max_retries=check_max_retries(max_retries))
        if extra_headers:
            headers = {**config.default_headers, **check_headers("extra_headers", extra_headers)}
            config = attrs.evolve(config, default_headers=headers)
        view = object.__new__(type(self))
        view._setup(
            config,
            self._shared,
            self._default_credentials if isinstance(credentials, NotGiven) else credentials,
            is_view=True,
        )
        return view

    # -- resources ------------------------------------------------------------------------

    @functools.cached_property
    def structures(self) -> AsyncStructures:
        """Structure look-ups (``/structures/*``)."""
        from .resources.structures import AsyncStructures

        return AsyncStructures(*self._resource_bindings())

    @functools.cached_property
    def factures(self) -> AsyncFactures:
        """Invoices (``/factures/*`` except the validator ones)."""
        from .resources.factures import AsyncFactures

        return AsyncFactures(*self._resource_bindings())

    @functools.cached_property
    def transverses(self) -> AsyncTransverses:
        """Attachments (``/transverses/ajouter-fichier``)."""
        from .resources.transverses import AsyncTransverses

        return AsyncTransverses(*self._resource_bindings())

    @functools.cached_property
    def valideur(self) -> AsyncValideur:
        """Validator endpoints (``/factures/valideur/*``)."""
        from .resources.valideur import AsyncValideur

        return AsyncValideur(*self._resource_bindings())

    def _resource_bindings(self) -> tuple[SendRequest, DefaultCredentials, int | None]:
        """What a sub-client binds from this client (see ``AsyncResource``): the transport,
        the default credentials (read at each call) and the limit on requests in flight
        (the pool's, which views share)."""
        tracing, request = self._config.tracing, self._transport.request
        send = request if tracing is None else tracing.bind(request)
        return send, self._get_default_credentials, self._shared.max_in_flight

    def _get_default_credentials(self) -> ChorusProCredentials | None:
        # Given to the sub-clients, which read it at each call.
        return self._default_credentials

    # -- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the client: its session (unless given by the user) and a login in flight.

        Idempotent. On a ``with_options()`` view, only the view is closed.
        """
        self._transport.closed = True
        if not self._is_view:
            await self._shared.aclose()

    async def __aenter__(self) -> Self:
        if self.is_closed:
            raise ClientClosedError(CLOSED_MESSAGE)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        view = ", view=True" if self._is_view else ""
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth_mode!r}, "
            f"state={self.state!r}{view})"
        )
