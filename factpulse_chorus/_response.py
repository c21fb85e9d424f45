"""``RawResponse``: what the server sent, below the models and the transport alike.

The transport builds it; response models carry it as ``raw``; ``on_response`` hooks
receive it. It is plain data and imports nothing of the SDK at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._types import RequestInfo  # _types needs this module only while type checking

__all__ = ["NO_RESPONSE", "RawResponse"]


@attrs.frozen
class RawResponse:
    """What the server sent: status, headers, decoded JSON, request id, timing.

    Its repr shows only the status, URL and request id.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False, hash=False)
    json: Any = attrs.field(repr=False, hash=False)
    request_id: str | None
    method: str = attrs.field(repr=False)
    url: str
    elapsed: float = attrs.field(repr=False)
    request: RequestInfo | None = attrs.field(default=None, repr=False, eq=False)
    """The attempt's :class:`RequestInfo`, the very object ``on_request`` received; ``None``
    when the client has no hook (none is built then)."""


#: The ``raw`` of a model built by hand rather than decoded from an answer: status 0.
NO_RESPONSE = RawResponse(
    status=0, headers={}, json=None, request_id=None, method="", url="", elapsed=0.0
)
