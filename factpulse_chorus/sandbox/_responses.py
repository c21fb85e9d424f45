"""The sandbox's HTTP replies: JSON bodies, the API's error shapes, and the faults' replies
(status pages, HTML instead of JSON, a hung-up connection, a broken or slow body).

``_app`` decides which reply a request gets; this module only builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import struct
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web

from ._faults import Fault

__all__ = [
    "Reply",
    "api_error",
    "dumps",
    "gone",
    "hang_up",
    "html_fault",
    "json_response",
    "post_fault",
    "status_fault",
    "unauthorized",
    "validation_error",
]

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data).encode("utf-8"),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def api_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return json_response({"errorCode": code, "errorMessage": message}, status, headers)


class Reply(Exception):
    """A JSON reply (status, body, stats outcome); raised to short-cut 401/422."""

    def __init__(
        self,
        status: int,
        data: Any,
        outcome: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.data = data
        self.outcome = outcome
        self.headers = headers


def unauthorized(code: str, message: str) -> Reply:
    return Reply(
        401, {"errorCode": code, "errorMessage": message}, "401", {"WWW-Authenticate": "Bearer"}
    )


def validation_error(errors: list[dict[str, Any]]) -> web.Response:
    return json_response({"detail": errors}, 422)


_STATUS_ERRORS: Final = {
    429: ("RATE_LIMITED", "Too many requests, retry later"),
    500: ("INTERNAL_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Chorus Pro gateway error"),
    503: ("SERVICE_UNAVAILABLE", "Chorus Pro is temporarily unavailable"),
    504: ("GATEWAY_TIMEOUT", "Chorus Pro did not answer in time"),
}

_HTML_PAGE: Final = (
    "<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>{text}</p><hr><address>nginx</address></body></html>\n"
)


def _format_seconds(seconds: float) -> str:
    # Retry-After is delta-seconds; keep fractions for fast tests (clients may round up).
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def status_fault(fault: Fault) -> web.Response:
    status = fault.status
    headers = {"Retry-After": _format_seconds(fault.retry_after)} if status == 429 else {}
    code, message = _STATUS_ERRORS[status]
    if fault.html:
        title = f"{status} {code.replace('_', ' ').title()}"
        return web.Response(
            text=_HTML_PAGE.format(title=title, text=message),
            status=status,
            content_type="text/html",
            headers=headers,
        )
    return api_error(status, code, message, headers)


def html_fault() -> web.Response:
    page = _HTML_PAGE.format(title="Maintenance", text="FactPulse is under maintenance.")
    return web.Response(text=page, status=200, content_type="text/html")


def hang_up(request: web.Request, *, reset: bool) -> web.Response:
    """Close the connection without a response.

    ``reset``: SO_LINGER 0 makes the kernel send a TCP RST, so aiohttp clients raise
    ``ClientOSError`` (ECONNRESET) whatever was buffered. Otherwise a plain close (FIN) after
    the body was read: aiohttp clients raise ``ServerDisconnectedError``. The response
    returned here is never written: aiohttp sees the closed transport and drops it quietly.
    """
    transport = request.transport
    if transport is not None:
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


async def post_fault(
    request: web.Request, fault: Fault, data: Any, status: int = 200
) -> web.StreamResponse:
    """Deliver an already processed reply through a post-processing fault."""
    kind = fault.kind
    if kind == "drop_after":
        return hang_up(request, reset=False)
    body = dumps(data).encode("utf-8")
    if kind == "truncated_json":
        return web.Response(
            body=body[: max(1, len(body) // 2)], status=status, content_type="application/json"
        )
    if kind == "malformed_json":
        # A classic server bug: the Python repr of the dict instead of JSON.
        text = repr(data)
        if text == dumps(data):
            text += ","
        return web.Response(text=text, status=status, content_type="application/json")
    # slow_body
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    step = max(1, math.ceil(len(body) / fault.chunks))
    try:
        await response.prepare(request)
        for start in range(0, len(body), step):
            if start:
                await asyncio.sleep(fault.delay)
            await response.write(body[start : start + step])
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away mid-body; nothing more to do
    return response


def gone() -> web.Response:
    # What a handler returns once the client is gone: aiohttp finds the transport closed
    # and drops it quietly (raising instead would log "Error handling request").
    return web.Response(status=499)
