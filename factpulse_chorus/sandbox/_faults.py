"""Fault injection: deterministic (seeded) network and gateway failures.

A :class:`Fault` says *what* goes wrong (``kind``), *where* (``route``, or every API route)
and *how often* (``probability`` drawn from the sandbox's seeded RNG and/or ``count``, the
next N matching requests). The :class:`FaultInjector` decides, per request, which faults
fire. The HTTP layer (``_app.py``) carries them out:

=================  =====================================================  =========
kind               what the client sees                                   processed
=================  =====================================================  =========
``latency``        the normal response, ``delay`` seconds late            yes
``status``         ``status`` (429/500/502/503/504) with a JSON APIError  no
                   body (``html=True``: an HTML error page); 429 carries
                   ``Retry-After: retry_after``
``reset``          TCP reset before any byte of response                  no
                   (aiohttp: ``ClientOSError`` ECONNRESET)
``drop_after``     the request is processed, then the connection is       yes
                   closed without a response (``ServerDisconnectedError``)
``truncated_json`` 200, JSON body cut in the middle                       yes
``malformed_json`` 200, ``application/json`` body that is not JSON        yes
``html``           200 ``text/html`` page (a proxy or maintenance page)   no
``slow_body``      the normal response trickled in ``chunks`` pieces,     yes
                   ``delay`` seconds apart
=================  =====================================================  =========
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

__all__ = [
    "API_ROUTES",
    "FAULT_KINDS",
    "ROUTE_NAMES",
    "STATUS_FAULT_CODES",
    "Fault",
    "FaultInjector",
]

# Route names: the path after /api/v1/chorus-pro/ (the GET services route is
# "structures/services"), plus "token" for /api/token/.
API_ROUTES: Final = (
    "structures/rechercher",
    "structures/consulter",
    "structures/services",
    "structures/obtenir-id-depuis-siret",
    "factures/soumettre",
    "factures/consulter",
    "factures/rechercher-fournisseur",
    "factures/rechercher-destinataire",
    "factures/telecharger-groupe",
    "factures/traiter-facture-recue",
    "factures/completer",
    "factures/recycler",
    "transverses/ajouter-fichier",
    "factures/valideur/rechercher",
    "factures/valideur/consulter",
    "factures/valideur/traiter",
)
ROUTE_NAMES: Final = frozenset((*API_ROUTES, "token"))

FAULT_KINDS: Final = frozenset(
    {
        "latency",
        "status",
        "reset",
        "drop_after",
        "truncated_json",
        "malformed_json",
        "html",
        "slow_body",
    }
)
STATUS_FAULT_CODES: Final = frozenset({429, 500, 502, 503, 504})
# Kinds that answer (or hang up) before the request reaches the domain.
PRE_PROCESSING_KINDS: Final = frozenset({"status", "reset", "html"})


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    ``route`` is the path after ``/api/v1/chorus-pro/`` (``"factures/soumettre"``,
    ``"structures/services"`` for the GET services route) or ``"token"`` for
    ``/api/token/``; ``None`` means every Chorus Pro route (not the token route).
    ``probability`` (default 1) is drawn from the sandbox's seeded RNG; ``count`` limits
    the fault to the next ``count`` requests where it fires. ``delay`` is the latency
    (``latency``) or the pause between the ``chunks`` pieces of the body (``slow_body``).
    """

    kind: str
    route: str | None = None
    probability: float = 1.0
    count: int | None = None
    status: int = 503
    retry_after: float = 1.0
    delay: float = 0.2
    html: bool = False
    chunks: int = 4

    def __post_init__(self) -> None:
        if self.route is not None and self.route not in ROUTE_NAMES:
            # Accept the SDK group spelling "valideur/traiter" for "factures/valideur/traiter".
            alias = f"factures/{self.route}"
            if self.route.startswith("valideur/") and alias in ROUTE_NAMES:
                object.__setattr__(self, "route", alias)
            else:
                raise ValueError(
                    f"unknown route {self.route!r}; expected one of {sorted(ROUTE_NAMES)}"
                )
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}"
            )
        if self.kind == "status" and self.status not in STATUS_FAULT_CODES:
            raise ValueError(f"status fault must be one of {sorted(STATUS_FAULT_CODES)}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if self.delay < 0 or self.retry_after < 0:
            raise ValueError("delay and retry_after must be >= 0")
        if self.chunks < 1:
            raise ValueError("chunks must be >= 1")

    @property
    def outcome(self) -> str:
        """The stats key counting this fault: ``fault:<kind>`` or ``fault:status:<code>``."""
        return f"fault:status:{self.status}" if self.kind == "status" else f"fault:{self.kind}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (the JSON of ``GET/PUT /_sandbox/faults``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build from a JSON object; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault needs a 'kind'")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    @classmethod
    def from_spec(cls, spec: str) -> Fault:
        """Parse the command-line form ``kind[:key=value,...]``.

        Example: ``status:status=503,route=factures/consulter,probability=0.1``.
        """
        kind, _, options = spec.partition(":")
        data: dict[str, Any] = {"kind": kind.strip()}
        for item in filter(None, (part.strip() for part in options.split(","))):
            key, sep, raw = item.partition("=")
            if not sep:
                raise ValueError(f"fault option {item!r} is not key=value")
            data[key.strip()] = _parse_scalar(key.strip(), raw.strip())
        return cls.from_dict(data)


def _parse_scalar(key: str, raw: str) -> Any:
    if key in ("kind", "route"):
        return None if raw in ("", "none", "None") else raw
    if key == "html":
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"html must be a boolean, not {raw!r}")
        return raw.lower() in ("1", "true", "yes")
    if key in ("count", "status", "chunks"):
        return int(raw)
    return float(raw)


class _ActiveFault:
    """A fault plus its remaining count (mutable; owned by the injector)."""

    __slots__ = ("fault", "remaining")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining = fault.count


class FaultInjector:
    """Decides which faults fire for a request. Not thread-safe: use it on the server loop.

    The RNG is drawn once per *matching* fault whose probability is strictly between 0
    and 1, so the same seed and the same sequence of requests give the same faults.
    """

    def __init__(self, faults: Iterable[Fault] = (), *, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._active: list[_ActiveFault] = [_ActiveFault(f) for f in faults]

    def __bool__(self) -> bool:
        return bool(self._active)

    @property
    def faults(self) -> list[Fault]:
        """The faults still armed (exhausted counted faults are dropped)."""
        return [a.fault for a in self._active if a.remaining != 0]

    def add(self, fault: Fault) -> None:
        """Arm one more fault (checked after those already armed)."""
        self._active.append(_ActiveFault(fault))

    def replace(self, faults: Iterable[Fault]) -> None:
        """Disarm everything, then arm ``faults``."""
        self._active = [_ActiveFault(f) for f in faults]

    def clear(self) -> None:
        """Disarm every fault."""
        self._active.clear()

    def pick(self, route: str) -> tuple[float, Fault | None]:
        """Return ``(latency_seconds, fault)`` for one request on ``route``.

        Latency faults add up and never stop the scan; the first other fault that fires
        wins. ``fault`` is ``None`` when only latency (or nothing) fired.
        """
        latency = 0.0
        chosen: Fault | None = None
        exhausted = False
        for active in self._active:
            fault = active.fault
            if active.remaining == 0:
                exhausted = True
                continue
            if fault.route != route and (fault.route is not None or route == "token"):
                continue
            if fault.kind != "latency" and chosen is not None:
                continue
            p = fault.probability
            if p < 1.0 and (p <= 0.0 or self._rng.random() >= p):
                continue
            if active.remaining is not None:
                active.remaining -= 1
            if fault.kind == "latency":
                latency += fault.delay
            else:
                chosen = fault
        if exhausted:
            self._active = [a for a in self._active if a.remaining != 0]
        return latency, chosen
