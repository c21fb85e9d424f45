"""The sandbox's business domain: invoices, their life cycle, attachments, searches, a clock.

Every endpoint is a method ``(login, body) -> dict``: the body is the request JSON with
``credentials`` already stripped, the result is the HTTP 200 body, business errors included
(REFERENCE.md §4.2). The HTTP layer authenticates and validates; nothing here knows HTTP.

Time is simulated (:class:`SimClock`). Automatic transitions (platform routing, simulated
recipients) are *planned* with their due times when an invoice enters a state, and applied
lazily whenever the invoice is read or listed, so there is no background task and no sleep:
a fast clock (or :meth:`SimClock.advance`) moves thousands of invoices in an instant. All
randomness comes from RNGs seeded by ``(seed, invoice id, plan number)``, so a seed replays
exactly.

Error codes (``codeRetour`` / ``returnCode``), beyond the native ones of §4.2:

=====  ======================================================================
20000  unknown invoice (``GDP_MSG_11.008``)
20001  the caller does not play the needed role (``GDP_MSG_11.005``)
20002  ``completer`` on an invoice that is not SUSPENDUE (``GDP_MSG_11.033``)
20003  attachment over 10 MiB
20004  transition or action not allowed from the current status
20005  a reason is required (``motifRejet`` / ``motifRefus``)
20006  group download limits (number of invoices, total size)
20007  missing or invalid request parameter
20008  unknown attachment, or one that belongs to another account
1      structure not found / missing id (typed structure endpoints)
1000x  synchronous checks of ``soumettre`` (and of ``recycler``'s new routing)
=====  ======================================================================
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from . import _files
from ._directory import DEMO_SUPPLIER_ID, SAINT_EXEMPLE_ID, VALIDATOR_ID, Directory, Structure

__all__ = [
    "ERR_ATTACHMENT_TOO_LARGE",
    "ERR_DOWNLOAD_LIMIT",
    "ERR_FORBIDDEN",
    "ERR_INVALID_PARAMETER",
    "ERR_NOT_SUSPENDED",
    "ERR_REASON_REQUIRED",
    "ERR_TRANSITION",
    "ERR_UNKNOWN_ATTACHMENT",
    "ERR_UNKNOWN_INVOICE",
    "FINAL_STATUSES",
    "RECIPIENT_TARGETS",
    "SANDBOX_TZ",
    "STATUS_LABELS",
    "Domain",
    "SimClock",
    "recipient_targets",
]

SANDBOX_TZ = timezone(timedelta(hours=1))
"""Offset of every sandbox date-time (Paris winter time, ``+01:00``; no DST on purpose)."""

OK = "GDP_MSG_00.000"
ERR_UNKNOWN_INVOICE = 20000
ERR_FORBIDDEN = 20001
ERR_NOT_SUSPENDED = 20002
ERR_ATTACHMENT_TOO_LARGE = 20003
ERR_TRANSITION = 20004
ERR_REASON_REQUIRED = 20005
ERR_DOWNLOAD_LIMIT = 20006
ERR_INVALID_PARAMETER = 20007
ERR_UNKNOWN_ATTACHMENT = 20008
ERR_STRUCTURE = 1
# Typed soumettre checks (lifecycle.md §7), also used for recycler's new routing.
ERR_RECIPIENT_UNKNOWN = 10001
ERR_RECIPIENT_INACTIVE = 10002
ERR_SERVICE_REQUIRED = 10003
ERR_SERVICE_INVALID = 10004
ERR_ENGAGEMENT_REQUIRED = 10005
ERR_DUPLICATE_NUMBER = 10006
ERR_INVALID_NUMBER = 10007
ERR_ATTACHMENT_INVALID = 10008
ERR_INVALID_AMOUNT = 10009
ERR_AMOUNTS_MISMATCH = 10010
ERR_INVALID_DATE = 10011
ERR_MISSING_FIELD = 10012
ERR_TOO_LONG = 10013

STATUS_LABELS: dict[str, str] = {
    "BROUILLON": "Brouillon",
    "SOUMISE": "Soumise",
    "DEPOSEE": "Déposée",
    "EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
    "A_VALIDER_1": "À valider par le premier valideur",
    "A_VALIDER_2": "À valider par le second valideur",
    "VALIDEE_1": "Validée par le premier valideur",
    "VALIDEE_2": "Validée par le second valideur",
    "REFUSEE_1": "Refusée par le premier valideur",
    "REFUSEE_2": "Refusée par le second valideur",
    "ABSENCE_VALIDATION_1_HORS_DELAI": "Absence de validation 1 hors délai",
    "ABSENCE_VALIDATION_2_HORS_DELAI": "Absence de validation 2 hors délai",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR": "Erreur du fournisseur sur le valideur",
    "ERREUR_COTRAITANT_SUR_VALIDEUR": "Erreur du cotraitant sur le valideur",
    "MISE_A_DISPOSITION": "Mise à disposition du destinataire",
    "COMPLETEE": "Complétée",
    "PRISE_EN_COMPTE_DESTINATAIRE": "Prise en compte par le destinataire",
    "TRANSMISE_MOA": "Transmise à la maîtrise d'ouvrage",
    "SUSPENDUE": "Suspendue",
    "A_RECYCLER": "À recycler",
    "REJETEE": "Rejetée",
    "VALIDEE": "Validée",
    "SERVICE-FAIT": "Service fait",
    "MANDATEE": "Mandatée",
    "MISE_A_DISPOSITION_COMPTABLE": "Mise à disposition du comptable",
    "COMPTABILISEE": "Comptabilisée",
    "MISE_EN_PAIEMENT": "Mise en paiement",
}
"""French label of every status code (``currentStatus.label``)."""

# Rank along the payment path (lifecycle.md §3).
_PAYMENT_RANK: dict[str, int] = {
    "MISE_A_DISPOSITION": 1,
    "COMPLETEE": 1,
    "PRISE_EN_COMPTE_DESTINATAIRE": 2,
    "TRANSMISE_MOA": 3,
    "SERVICE-FAIT": 4,
    "MANDATEE": 5,
    "MISE_A_DISPOSITION_COMPTABLE": 6,
    "COMPTABILISEE": 7,
    "MISE_EN_PAIEMENT": 8,
}
RECIPIENT_TARGETS: frozenset[str] = frozenset(
    [*_PAYMENT_RANK, "SUSPENDUE", "REJETEE", "A_RECYCLER"]
)
"""Every status a recipient may request through ``traiter-facture-recue`` (DOC list)."""
_REASON_REQUIRED = frozenset({"SUSPENDUE", "REJETEE"})
FINAL_STATUSES: frozenset[str] = frozenset(
    {"REJETEE", "MISE_EN_PAIEMENT", "REFUSEE_1", "REFUSEE_2"}
)
"""States nothing can leave."""
_VALIDATION_RANK = {"A_VALIDER_1": 1, "A_VALIDER_2": 2}
_SOUMISE_ALIASED = frozenset(
    {
        "DEPOSEE", "EN_COURS_ACHEMINEMENT", "A_VALIDER_1", "A_VALIDER_2", "VALIDEE_1",
        "VALIDEE_2", "ABSENCE_VALIDATION_1_HORS_DELAI", "ABSENCE_VALIDATION_2_HORS_DELAI",
        "MISE_A_DISPOSITION", "COMPLETEE", "PRISE_EN_COMPTE_DESTINATAIRE", "TRANSMISE_MOA",
    }
)  # fmt: skip
# States where the invoice sits with its recipient (it has been made available).
_DELIVERED_STATES = frozenset([*_PAYMENT_RANK, "SUSPENDUE", "A_RECYCLER"])

_PLATFORM_REJECT_REASONS = (
    "Rejet plateforme : SIRET du destinataire incoherent avec les donnees de la facture",
    "Rejet plateforme : fichier de facture illisible",
    "Rejet plateforme : doublon de facture detecte",
)
_AUTO_REJECT_REASONS = (
    "Facture non conforme au bon de commande",
    "Montant facture superieur a l'engagement juridique",
    "Prestation non realisee",
)
_AUTO_SUSPEND_REASONS = (
    "Bon de livraison manquant",
    "Bon de commande signe manquant",
    "Coordonnees bancaires a confirmer",
)

_INVOICE_NUMBER = re.compile(r"[A-Za-z0-9\-_/+]{1,20}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_CENT = Decimal("0.01")
_UNSAFE_PATH_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")


def recipient_targets(current: str) -> frozenset[str]:
    """Statuses a recipient may set from ``current`` (lifecycle.md §3 matrix)."""
    return _RECIPIENT_MATRIX.get(current, frozenset())


def _build_recipient_matrix() -> dict[str, frozenset[str]]:
    matrix: dict[str, frozenset[str]] = {}
    for state, rank in _PAYMENT_RANK.items():
        targets = {other for other, other_rank in _PAYMENT_RANK.items() if other_rank > rank}
        if rank <= 4:  # R-decide: before the payment order only
            targets |= {"SUSPENDUE", "REJETEE", "A_RECYCLER"}
        matrix[state] = frozenset(targets)
    matrix["SUSPENDUE"] = frozenset({"MISE_A_DISPOSITION", "COMPLETEE", "REJETEE"})
    return matrix


_RECIPIENT_MATRIX = _build_recipient_matrix()


# --- Clock ---------------------------------------------------------------------------------


class SimClock:
    """Simulated clock: sim_now = start + (monotonic()-t0)*speed + manual offset.

    ``speed`` may be changed at any time (time stays continuous); ``speed=0`` freezes the
    clock, which with :meth:`advance` gives fully reproducible timestamps.
    """

    def __init__(self, *, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        if start is None:
            start = datetime.now(SANDBOX_TZ).replace(microsecond=0)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=SANDBOX_TZ)
        self._start = start
        self._start_ts = start.timestamp()
        self._speed = float(speed)
        self._t0 = time.monotonic()
        self._base = 0.0  # simulated seconds accrued before _t0 (earlier speeds + advances)

    @property
    def start(self) -> datetime:
        """Simulated time at creation."""
        return self._start

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        now = time.monotonic()
        self._base += (now - self._t0) * self._speed
        self._t0 = now
        self._speed = float(value)

    def elapsed(self) -> float:
        """Simulated seconds since :attr:`start`."""
        return self._base + (time.monotonic() - self._t0) * self._speed

    def timestamp(self) -> float:
        """Simulated now as a POSIX timestamp (the cheap form used on hot paths)."""
        return self._start_ts + self._base + (time.monotonic() - self._t0) * self._speed

    def now(self) -> datetime:
        """Simulated now, timezone-aware (``+01:00``)."""
        return datetime.fromtimestamp(self.timestamp(), SANDBOX_TZ)

    def advance(self, seconds: float) -> None:
        """Jump forward by ``seconds`` of simulated time (never backwards)."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("seconds must be >= 0")
        self._base += seconds


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, SANDBOX_TZ)


def _iso(ts: float) -> str:
    return _dt(ts).isoformat(timespec="seconds")


def _day(ts: float) -> str:
    return _dt(ts).date().isoformat()


def _minute(ts: float) -> str:
    return _dt(ts).strftime("%Y-%m-%d %H:%M")


# --- Records -------------------------------------------------------------------------------

_Step = tuple[float, str, str | None, str]  # (due timestamp, status, comment, actor)
_HistoryEntry = tuple[str, float, str | None, str, str | None]  # code, ts, comment, actor, login


@dataclass(slots=True, eq=False)
class _Attachment:
    attachment_id: int
    name: str
    mime: str
    extension: str
    owner: str
    data: bytes


@dataclass(slots=True, eq=False)
class _Invoice:
    invoice_id: int
    number: str
    supplier_id: int
    recipient_id: int
    service_code: str | None
    service_id: int | None
    engagement_number: str | None
    invoice_date: str
    due_date: str | None
    net: Decimal
    vat: Decimal
    gross: Decimal
    main_attachment_id: int | None
    main_attachment_label: str | None
    comment: str | None
    purchase_order: str | None
    contract: str | None
    flow_number: str
    created_ts: float
    deposit_ts: float
    deposit_date: str
    validators: tuple[int, ...]
    billing_frame: str
    owner_login: str | None
    status: str = ""
    status_ts: float = 0.0
    status_comment: str | None = None
    history: list[_HistoryEntry] = field(default_factory=list)
    extra_attachments: list[tuple[int, str]] = field(default_factory=list)
    downloaded: bool = False
    delivered: bool = False
    mandate_number: str | None = None
    validation_dates: dict[int, str] = field(default_factory=dict)
    plan: deque[_Step] = field(default_factory=deque)
    plan_count: int = 0
    auto_suspended: bool = False


class _Refusal(Exception):
    """A business error: ``body`` is the HTTP 200 reply."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


def _native(code: int, libelle: str) -> _Refusal:
    return _Refusal({"codeRetour": code, "libelle": libelle})


def _typed(code: int, message: str) -> _Refusal:
    return _Refusal({"returnCode": code, "message": message})


def _unknown_invoice() -> _Refusal:
    return _native(ERR_UNKNOWN_INVOICE, "GDP_MSG_11.008")


def _forbidden() -> _Refusal:
    return _native(ERR_FORBIDDEN, "GDP_MSG_11.005")


def _bad_param(message: str) -> _Refusal:
    return _native(ERR_INVALID_PARAMETER, message)


_Handler = Callable[["Domain", str, dict[str, Any]], dict[str, Any]]


def _endpoint(method: _Handler) -> _Handler:
    """Turn a raised :class:`_Refusal` into its reply body."""

    @functools.wraps(method)
    def wrapper(self: Domain, login: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return method(self, login, body)
        except _Refusal as refusal:
            return refusal.body

    return wrapper


# --- Parsing helpers (bodies are untrusted JSON) -------------------------------------------


def _as_int(value: Any) -> int | None:
    """An integer from JSON: ints, integral floats and digit strings (pydantic lax mode)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _first_present(body: Mapping[str, Any], names: Sequence[str]) -> tuple[str, Any]:
    for name in names:
        if body.get(name) is not None:
            return name, body[name]
    return names[0], None


def _required_int(body: Mapping[str, Any], *names: str) -> int:
    name, value = _first_present(body, names)
    number = _as_int(value)
    if number is None:
        raise _bad_param(f"{name} is required and must be an integer")
    return number


def _optional_int(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    number = _as_int(value)
    if number is None:
        raise _bad_param(f"{name} must be an integer")
    return number


def _optional_str(body: Mapping[str, Any], *names: str, limit: int | None = None) -> str | None:
    """A string parameter; blank counts as absent."""
    name, value = _first_present(body, names)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_param(f"{name} must be a string")
    if limit is not None and len(value) > limit:
        raise _bad_param(f"{name} exceeds {limit} characters")
    return value if value.strip() else None


def _optional_bool(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _bad_param(f"{name} must be a boolean")


def _parse_amount(value: Any) -> Decimal | None:
    """A non-negative amount with at most 2 decimals, from a JSON number or string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        amount = Decimal(repr(value))  # the shortest text that round-trips, not binary noise
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        return None
    try:
        if amount != amount.quantize(_CENT) or amount < 0:
            return None
    except InvalidOperation:
        return None
    return amount


def _parse_date(value: Any) -> str | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _parse_datetime(value: Any, *, end_of_day: bool) -> float | None:
    """A filter bound: ISO date-time (offset optional, sandbox zone assumed) or plain date."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        day = _parse_date(text)
        if day is None:
            return None
        moment = datetime.fromisoformat(day).replace(tzinfo=SANDBOX_TZ)
        if end_of_day:
            moment += timedelta(days=1) - timedelta(microseconds=1)
        return moment.timestamp()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SANDBOX_TZ)
    return moment.timestamp()


def _canonical_status(value: str) -> str:
    """Upper-case code; ``SERVICE_FAIT`` becomes the documented ``SERVICE-FAIT``."""
    code = value.strip().upper()
    return "SERVICE-FAIT" if code in ("SERVICE_FAIT", "SERVICE-FAIT") else code


def _status_key(code: str) -> str:
    return code.strip().upper().replace("-", "_")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT)}"


def _number(amount: Decimal) -> float:
    return float(amount)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out unset (None) keys, as the native API does."""
    return {key: value for key, value in data.items() if value is not None}


def _safe_name(text: str) -> str:
    return _UNSAFE_PATH_CHARS.sub("_", text).strip("._") or "fichier"


def _compare(get: Callable[[_Invoice], Any], op: str, bound: Any) -> Callable[[_Invoice], bool]:
    """A filter predicate ``get(invoice) <op> bound`` (a closure per filter, bound early)."""
    if op == "==":
        return lambda inv: bool(get(inv) == bound)
    if op == ">=":
        return lambda inv: bool(get(inv) >= bound)
    return lambda inv: bool(get(inv) <= bound)


def _plays(ids: frozenset[int] | None, structure_id: int) -> bool:
    return ids is None or structure_id in ids


# --- The domain ----------------------------------------------------------------------------


class Domain:
    """In-memory Chorus Pro: structures, invoices and attachments, driven by a :class:`SimClock`.

    Options beyond the contract: ``auto_reject_rate`` / ``auto_suspend_rate`` (share of
    invoices the simulated recipients reject or suspend), ``max_group_ids`` /
    ``max_group_bytes`` (``telecharger-groupe`` limits) and ``max_attachment_bytes``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: SimClock | None = None,
        routing_delay: tuple[float, float] = (60.0, 600.0),
        platform_reject_rate: float = 0.0,
        auto_process: bool = False,
        auto_process_delay: tuple[float, float] = (3600.0, 86400.0),
        completer_status: str = "MISE_A_DISPOSITION",
        vocabulary: str = "native",
        directory: Directory | None = None,
        auto_reject_rate: float = 0.1,
        auto_suspend_rate: float = 0.1,
        max_group_ids: int = 10,
        max_group_bytes: int = 120 * 1024 * 1024,
        max_attachment_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        for name, (low, high) in (
            ("routing_delay", routing_delay),
            ("auto_process_delay", auto_process_delay),
        ):
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high")
        for name, rate in (
            ("platform_reject_rate", platform_reject_rate),
            ("auto_reject_rate", auto_reject_rate),
            ("auto_suspend_rate", auto_suspend_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if auto_reject_rate + auto_suspend_rate > 1.0:
            raise ValueError("auto_reject_rate + auto_suspend_rate must not exceed 1")
        if completer_status not in ("MISE_A_DISPOSITION", "COMPLETEE"):
            raise ValueError("completer_status must be MISE_A_DISPOSITION or COMPLETEE")
        if vocabulary not in ("native", "factpulse"):
            raise ValueError("vocabulary must be 'native' or 'factpulse'")
        self.seed = seed
        self.clock = clock if clock is not None else SimClock()
        self.directory = directory if directory is not None else Directory(seed)
        self.routing_delay = (float(routing_delay[0]), float(routing_delay[1]))
        self.platform_reject_rate = platform_reject_rate
        self.auto_process = auto_process
        self.auto_process_delay = (float(auto_process_delay[0]), float(auto_process_delay[1]))
        self.auto_reject_rate = auto_reject_rate
        self.auto_suspend_rate = auto_suspend_rate
        self.completer_status = completer_status
        self.vocabulary = vocabulary
        self.max_group_ids = max_group_ids
        self.max_group_bytes = max_group_bytes
        self.max_attachment_bytes = max_attachment_bytes
        self.counters: dict[str, int] = {
            "invoices_created": 0,
            "invoices_seeded": 0,
            "attachments_created": 0,
        }
        self._invoices: dict[int, _Invoice] = {}
        self._numbers: dict[tuple[int, str], int] = {}
        self._attachments: dict[int, _Attachment] = {}
        ids = random.Random(f"factpulse-sandbox-ids:{seed}")
        self._next_invoice_id = 7_500_000 + ids.randrange(0, 400_000)
        self._next_attachment_id = 4_800_000 + ids.randrange(0, 100_000)
        self._next_flow = ids.randrange(1_000, 9_000)

    # == structures ==========================================================================

    @_endpoint
    def structures_rechercher(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``structures/rechercher``: first 10 matches and the real total (§5.1)."""
        identifier = body.get("structureIdentifier")
        identifier_type = body.get("structureIdentifierType")
        company = body.get("companyName")
        found = self.directory.search(
            identifier=identifier.strip() if isinstance(identifier, str) else None,
            identifier_type=identifier_type if isinstance(identifier_type, str) else None,
            company_name=company if isinstance(company, str) else None,
            private_only=body.get("restrictPrivateStructures") is True,
        )
        total = len(found)
        return {
            "returnCode": 0,
            "message": f"{total} structure found" if total == 1 else f"{total} structures found",
            "structures": [
                {
                    "structureId": s.structure_id,
                    "structureIdentifier": s.identifier,
                    "structureName": s.name,
                    "structureIdentifierType": s.identifier_type,
                    "status": s.status,
                }
                for s in found[:10]
            ],
            "total": total,
        }

    @_endpoint
    def structures_consulter(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``structures/consulter``: identity and submission parameters (§5.2)."""
        structure_id = _as_int(body.get("structureId"))
        if structure_id is None:
            raise _typed(ERR_STRUCTURE, "structureId is required and must be an integer")
        structure = self.directory.get(structure_id)
        if structure is None:
            raise _typed(ERR_STRUCTURE, f"Structure {structure_id} not found")
        return {
            "returnCode": 0,
            "message": "Structure details retrieved",
            "structureId": structure.structure_id,
            "structureIdentifier": structure.identifier,
            "structureLabel": structure.name,
            "companyName": structure.name,
            "vatNumber": structure.vat,
            "structureEmail": structure.email,
            "parameters": {
                "serviceCodeRequired": structure.service_code_required,
                "engagementNumberRequired": structure.engagement_number_required,
                "engagementOrServiceManagement": structure.engagement_or_service_management,
            },
        }

    def structures_services(self, login: str, structure_id: int) -> dict[str, Any]:
        """``GET structures/{id}/services``: every service, active or not (§5.3)."""
        structure = self.directory.get(structure_id)
        if structure is None:
            return {
                "returnCode": ERR_STRUCTURE,
                "message": f"Structure {structure_id} not found",
                "total": 0,
            }
        total = len(structure.services)
        return {
            "returnCode": 0,
            "message": f"{total} service found" if total == 1 else f"{total} services found",
            "services": [
                {
                    "serviceId": s.service_id,
                    "serviceCode": s.code,
                    "serviceLabel": s.label,
                    "isActive": s.active,
                }
                for s in structure.services
            ],
            "total": total,
        }

    @_endpoint
    def structures_obtenir_id(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``structures/obtenir-id-depuis-siret``: id when exactly one structure matches."""
        raw = body.get("siret")
        identifier = raw.strip() if isinstance(raw, str) else ""
        kind = body.get("identifierType")
        kind = kind if isinstance(kind, str) and kind else "SIRET"
        found = self.directory.find_by_identifier(identifier, kind) if identifier else []
        if len(found) == 1:
            return {
                "structureId": found[0].structure_id,
                "structureIdentifier": raw,
                "structureName": found[0].name,
                "message": "Structure found",
            }
        if found:
            message = (
                f"Several structures ({len(found)}) match {kind} {identifier}: "
                "use structures/rechercher to choose one"
            )
        else:
            message = f"No structure found for {kind} {identifier}"
        return {
            "structureId": 0,
            "structureIdentifier": raw if isinstance(raw, str) else "",
            "structureName": None,
            "message": message,
        }

    # == supplier: submit and consult ========================================================

    @_endpoint
    def factures_soumettre(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/soumettre``: synchronous checks of lifecycle.md §7, then DEPOSEE."""
        now = self.clock.timestamp()
        number = body.get("invoiceNumber")
        if not isinstance(number, str) or not number:
            raise _typed(ERR_MISSING_FIELD, "invoiceNumber is required")
        if body.get("invoiceDate") is None:
            raise _typed(ERR_MISSING_FIELD, "invoiceDate is required")
        recipient_id = _as_int(body.get("structureId"))
        if recipient_id is None:
            raise _typed(ERR_MISSING_FIELD, "structureId is required and must be an integer")
        for name in ("totalNetAmount", "vatAmount", "totalGrossAmount"):
            if body.get(name) is None:
                raise _typed(ERR_MISSING_FIELD, f"{name} is required")
        texts: dict[str, str | None] = {}
        for name, limit in (
            ("serviceCode", 100),
            ("engagementNumber", 50),
            ("mainAttachmentLabel", 100),
            ("comment", 2000),
            ("purchaseOrderReference", 50),
            ("contractReference", 50),
        ):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise _typed(ERR_MISSING_FIELD, f"{name} must be a string")
            if value is not None and len(value) > limit:
                raise _typed(ERR_TOO_LONG, f"{name} exceeds {limit} characters")
            texts[name] = value if value is not None and value.strip() else None
        attachment_id: int | None = None
        if body.get("mainAttachmentId") is not None:
            attachment_id = _as_int(body["mainAttachmentId"])
            if attachment_id is None:
                raise _typed(ERR_MISSING_FIELD, "mainAttachmentId must be an integer")

        supplier_id = self.directory.supplier_for(login)
        recipient, service_id = self._check_routing(
            recipient_id, texts["serviceCode"], texts["engagementNumber"], _typed
        )
        if not _INVOICE_NUMBER.fullmatch(number):
            raise _typed(
                ERR_INVALID_NUMBER,
                "invoiceNumber must be 1 to 20 characters: letters, digits and - _ / + only",
            )
        existing = self._numbers.get((supplier_id, number))
        if existing is not None:
            raise _typed(
                ERR_DUPLICATE_NUMBER,
                f"invoiceNumber {number} is already used by supplier {supplier_id} "
                f"(invoice {existing})",
            )
        if attachment_id is not None and not self._owns_attachment(login, attachment_id):
            raise _typed(
                ERR_ATTACHMENT_INVALID,
                f"mainAttachmentId {attachment_id} does not exist or belongs to another account",
            )
        amounts: dict[str, Decimal] = {}
        for name in ("totalNetAmount", "vatAmount", "totalGrossAmount"):
            amount = _parse_amount(body[name])
            if amount is None:
                raise _typed(
                    ERR_INVALID_AMOUNT,
                    f"{name} must be a non-negative decimal amount with at most 2 decimals",
                )
            amounts[name] = amount
        if amounts["totalNetAmount"] + amounts["vatAmount"] != amounts["totalGrossAmount"]:
            raise _typed(
                ERR_AMOUNTS_MISMATCH, "totalNetAmount + vatAmount must equal totalGrossAmount"
            )
        invoice_date = _parse_date(body["invoiceDate"])
        if invoice_date is None:
            raise _typed(ERR_INVALID_DATE, "invoiceDate must be a valid YYYY-MM-DD date")
        due_date: str | None = None
        if body.get("paymentDueDate") is not None:
            due_date = _parse_date(body["paymentDueDate"])
            if due_date is None:
                raise _typed(ERR_INVALID_DATE, "paymentDueDate must be a valid YYYY-MM-DD date")

        invoice = self._create_invoice(
            number=number,
            supplier_id=supplier_id,
            recipient=recipient,
            service_code=texts["serviceCode"],
            service_id=service_id,
            engagement_number=texts["engagementNumber"],
            invoice_date=invoice_date,
            due_date=due_date,
            net=amounts["totalNetAmount"],
            vat=amounts["vatAmount"],
            gross=amounts["totalGrossAmount"],
            main_attachment_id=attachment_id,
            main_attachment_label=texts["mainAttachmentLabel"],
            comment=texts["comment"],
            purchase_order=texts["purchaseOrderReference"],
            contract=texts["contractReference"],
            validators=(),
            billing_frame="A1_FACTURE_FOURNISSEUR",
            owner_login=login,
            now=now,
        )
        self.counters["invoices_created"] += 1
        self._transition(invoice, "DEPOSEE", now, None, "supplier", login)
        return {
            "returnCode": 0,
            "message": "Invoice submitted to Chorus Pro",
            "chorusInvoiceId": invoice.invoice_id,
            "depositFlowNumber": invoice.flow_number,
        }

    def factures_consulter(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/consulter``: status of one invoice, supplier view (§5.6)."""
        invoice_id = _as_int(body.get("chorusInvoiceId"))
        if invoice_id is None:
            return {"returnCode": ERR_MISSING_FIELD, "message": "chorusInvoiceId is required"}
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            return {
                "returnCode": ERR_UNKNOWN_INVOICE,
                "message": "GDP_MSG_11.008: the invoice does not exist",
            }
        if not self.directory.acts_for(login, invoice.supplier_id):
            return {
                "returnCode": ERR_FORBIDDEN,
                "message": "GDP_MSG_11.005: this account is not the supplier of the invoice",
            }
        self._settle(invoice, self.clock.timestamp())
        code = invoice.status
        if self.vocabulary == "factpulse":
            if code in _SOUMISE_ALIASED:
                code = "SOUMISE"
            elif code == "SERVICE-FAIT":
                code = "VALIDEE"
        recipient = self._structure(invoice.recipient_id)
        return {
            "returnCode": 0,
            "message": "Invoice retrieved",
            "chorusInvoiceId": invoice.invoice_id,
            "invoiceNumber": invoice.number,
            "invoiceDate": invoice.invoice_date,
            "totalGrossAmount": _money(invoice.gross),
            "currentStatus": {
                "code": code,
                "label": STATUS_LABELS.get(code, code),
                "date": _day(invoice.status_ts),
            },
            "recipientStructureId": recipient.structure_id,
            "recipientStructureName": recipient.name,
        }

    # == searches ============================================================================

    @_endpoint
    def factures_rechercher_fournisseur(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/rechercher-fournisseur``: invoices issued by the caller's structures."""
        page, pagination = self._search(login, body, "fournisseur")
        return {
            "codeRetour": 0,
            "libelle": OK,
            "listeFactures": [self._supplier_item(inv) for inv in page],
            "parametresRetour": pagination,
        }

    @_endpoint
    def factures_rechercher_destinataire(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/rechercher-destinataire``: invoices made available to the caller.

        Pagination is at the top level for this endpoint (§6.1).
        """
        page, pagination = self._search(login, body, "destinataire")
        return {
            "codeRetour": 0,
            "libelle": OK,
            "listeFactures": [self._recipient_item(inv) for inv in page],
            **pagination,
        }

    @_endpoint
    def valideur_rechercher(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/valideur/rechercher``: invoices awaiting the caller's validation."""
        page, pagination = self._search(login, body, "valideur")
        return {
            "codeRetour": 0,
            "libelle": OK,
            "listeFactures": [self._validator_item(inv) for inv in page],
            "parametresRetour": pagination,
        }

    # == downloads and attachments ===========================================================

    @_endpoint
    def factures_telecharger_groupe(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/telecharger-groupe``: PDF, XML or ZIP of up to ``max_group_ids`` invoices."""
        raw_ids = body.get("listeIdentifiantsFactureCPP")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise _bad_param("listeIdentifiantsFactureCPP is required: a non-empty list of ids")
        invoice_ids: list[int] = []
        for raw in raw_ids:
            invoice_id = _as_int(raw)
            if invoice_id is None:
                raise _bad_param("listeIdentifiantsFactureCPP must hold integer invoice ids")
            if invoice_id not in invoice_ids:
                invoice_ids.append(invoice_id)
        if len(invoice_ids) > self.max_group_ids:
            raise _native(
                ERR_DOWNLOAD_LIMIT,
                f"Too many invoices in one download: {len(invoice_ids)} "
                f"(at most {self.max_group_ids})",
            )
        fmt = body.get("formatFichier")
        if not isinstance(fmt, str) or fmt.strip().upper() not in ("PDF", "XML", "ZIP"):
            raise _bad_param("formatFichier is required: PDF, XML or ZIP")
        fmt = fmt.strip().upper()
        include = _optional_bool(body, "inclurePiecesJointes")
        if include is None:
            include = fmt == "ZIP"  # a ZIP is "PDF + XML + attachments" unless told otherwise
        now = self.clock.timestamp()
        ids = self.directory.account_structures(login)
        invoices: list[_Invoice] = []
        for invoice_id in invoice_ids:
            invoice = self._get_invoice(invoice_id, now)
            if not (
                _plays(ids, invoice.supplier_id)
                or _plays(ids, invoice.recipient_id)
                or any(_plays(ids, v) for v in invoice.validators)
            ):
                raise _forbidden()
            invoices.append(invoice)

        attachments = {
            invoice.invoice_id: self._stored_attachments(invoice) if include else []
            for invoice in invoices
        }
        attachment_bytes = sum(len(a.data) for group in attachments.values() for a in group)
        if attachment_bytes > self.max_group_bytes:
            raise self._too_large()
        files: list[tuple[_Invoice, str, bytes]] = []
        for invoice in invoices:
            document = self._document(invoice)
            stem = _safe_name(invoice.number)
            if fmt in ("PDF", "ZIP"):
                files.append((invoice, f"{stem}.pdf", _files.invoice_pdf(document)))
            if fmt in ("XML", "ZIP"):
                files.append((invoice, f"{stem}.xml", _files.invoice_xml(document)))
            for attachment in attachments[invoice.invoice_id]:
                name = f"pieces_jointes/{attachment.attachment_id}_{_safe_name(attachment.name)}"
                files.append((invoice, name, attachment.data))
        if fmt != "ZIP" and len(files) == 1:
            payload = files[0][2]  # native rule: one file for one invoice comes bare
        else:
            payload = _files.build_zip(
                (f"{inv.invoice_id}_{_safe_name(inv.number)}/{name}", data)
                for inv, name, data in files
            )
        if len(payload) > self.max_group_bytes:
            raise self._too_large()
        for invoice in invoices:
            if invoice.delivered and _plays(ids, invoice.recipient_id):
                invoice.downloaded = True
        return {
            "codeRetour": 0,
            "libelle": OK,
            "fichierBase64": base64.b64encode(payload).decode("ascii"),
        }

    def _too_large(self) -> _Refusal:
        return _native(
            ERR_DOWNLOAD_LIMIT,
            f"The download exceeds {self.max_group_bytes} bytes "
            f"({self.max_group_bytes / (1024 * 1024):g} MB): request fewer invoices",
        )

    @_endpoint
    def transverses_ajouter_fichier(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``transverses/ajouter-fichier``: store a base64 file for the caller's account."""
        values: dict[str, str] = {}
        for name in (
            "pieceJointeFichier",
            "pieceJointeNom",
            "pieceJointeTypeMime",
            "pieceJointeExtension",
        ):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                raise _bad_param(f"{name} is required (a non-empty string)")
            values[name] = value
        try:
            data = base64.b64decode(values["pieceJointeFichier"], validate=True)
        except (binascii.Error, ValueError):
            raise _bad_param("pieceJointeFichier is not valid base64") from None
        if len(data) > self.max_attachment_bytes:
            return {
                "codeRetour": ERR_ATTACHMENT_TOO_LARGE,
                "libelle": (
                    f"The file is {len(data)} bytes: attachments are limited to 10 MB "
                    f"({self.max_attachment_bytes} bytes)"
                ),
            }
        attachment_id = self._next_attachment_id
        if attachment_id > 9_999_999:
            raise RuntimeError("attachment id space exhausted")  # pragma: no cover
        self._next_attachment_id += 1
        self._attachments[attachment_id] = _Attachment(
            attachment_id=attachment_id,
            name=values["pieceJointeNom"],
            mime=values["pieceJointeTypeMime"],
            extension=values["pieceJointeExtension"].strip().lstrip(".").upper(),
            owner=login,
            data=data,
        )
        self.counters["attachments_created"] += 1
        return {"codeRetour": 0, "libelle": "TRA_MSG_00.000", "pieceJointeIdFichier": attachment_id}

    # == recipient ===========================================================================

    @_endpoint
    def factures_traiter_facture_recue(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/traiter-facture-recue``: recipient transitions of lifecycle.md §3."""
        invoice_id = _required_int(body, "identifiantFactureCPP", "idFacture")
        now = self.clock.timestamp()
        invoice = self._get_invoice(invoice_id, now)
        if not self.directory.acts_for(login, invoice.recipient_id):
            raise _forbidden()
        raw = body.get("nouveauStatut")
        if not isinstance(raw, str) or not raw.strip():
            raise _bad_param("nouveauStatut is required")
        target = _canonical_status(raw)
        if target not in RECIPIENT_TARGETS:
            raise _bad_param(f"nouveauStatut {raw} is not a status a recipient can set")
        if target == invoice.status:
            raise _native(ERR_TRANSITION, f"The invoice is already in status {target}")
        if target not in recipient_targets(invoice.status):
            raise _native(
                ERR_TRANSITION,
                f"Transition from {invoice.status} to {target} is not allowed",
            )
        reason = _optional_str(body, "motifRejet", "motif", limit=2000)
        if target in _REASON_REQUIRED and reason is None:
            raise _native(ERR_REASON_REQUIRED, f"motifRejet is required for {target}")
        comment = _optional_str(body, "commentaire", limit=2000)
        mandate = body.get("numeroDPMandat")
        if mandate is not None and not isinstance(mandate, (str, int)):
            raise _bad_param("numeroDPMandat must be a string")
        if mandate is not None and str(mandate).strip():
            invoice.mandate_number = str(mandate).strip()
        self._transition(invoice, target, now, reason or comment, "recipient", login)
        return {
            "codeRetour": 0,
            "libelle": OK,
            "idFacture": invoice.invoice_id,
            "numeroFacture": invoice.number,
            "nouveauStatut": target,
            "dateTraitement": _day(now),
        }

    # == supplier loops ======================================================================

    @_endpoint
    def factures_completer(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/completer``: the supplier answers a suspension (lifecycle.md §4)."""
        invoice_id = _required_int(body, "identifiantFactureCPP", "idFacture")
        now = self.clock.timestamp()
        invoice = self._get_invoice(invoice_id, now)
        if not self.directory.acts_for(login, invoice.supplier_id):
            raise _forbidden()
        if invoice.status != "SUSPENDUE":
            raise _native(ERR_NOT_SUSPENDED, "GDP_MSG_11.033")
        comment = _optional_str(body, "commentaire", limit=2000)
        pieces = body.get("listePiecesJointes")
        if pieces is None:
            pieces = []
        if not isinstance(pieces, list):
            raise _bad_param("listePiecesJointes must be a list")
        added: list[tuple[int, str]] = []
        for piece in pieces:
            if not isinstance(piece, dict):
                raise _bad_param("listePiecesJointes items must be objects")
            attachment_id = _required_int(piece, "pieceJointeIdFichier", "pieceJointeId")
            attachment = self._attachments.get(attachment_id)
            if attachment is None or attachment.owner != login:
                raise _native(
                    ERR_UNKNOWN_ATTACHMENT,
                    f"Attachment {attachment_id} does not exist or belongs to another account",
                )
            label = _optional_str(piece, "pieceJointeNom", limit=100) or attachment.name
            added.append((attachment_id, label))
        if comment is None and not added:
            raise _bad_param("commentaire or a non-empty listePiecesJointes is required")
        if comment is not None:
            invoice.comment = comment
        invoice.extra_attachments.extend(added)
        self._transition(invoice, self.completer_status, now, comment, "supplier", login)
        return {
            "codeRetour": 0,
            "libelle": OK,
            "identifiantFactureCPP": invoice.invoice_id,
            "numeroFacture": invoice.number,
            "dateTraitement": _minute(now),
        }

    @_endpoint
    def factures_recycler(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/recycler``: new routing for an A_RECYCLER invoice (lifecycle.md §5)."""
        invoice_id = _required_int(body, "identifiantFactureCPP", "idFacture")
        now = self.clock.timestamp()
        invoice = self._get_invoice(invoice_id, now)
        if not self.directory.acts_for(login, invoice.supplier_id):
            raise _forbidden()
        if invoice.status != "A_RECYCLER":
            raise _native(
                ERR_TRANSITION,
                f"The invoice is in status {invoice.status}: recycler requires A_RECYCLER",
            )
        new_recipient = _optional_int(body, "idStructureCPP")
        new_service = _optional_str(body, "codeService", limit=100)
        new_engagement = _optional_str(body, "numeroEngagement", limit=50)
        if new_recipient is None and new_service is None and new_engagement is None:
            raise _bad_param(
                "At least one of idStructureCPP, codeService, numeroEngagement is required"
            )
        recipient_id = new_recipient if new_recipient is not None else invoice.recipient_id
        service_code = new_service
        if service_code is None and recipient_id == invoice.recipient_id:
            service_code = invoice.service_code  # a service code belongs to its recipient
        engagement = new_engagement if new_engagement is not None else invoice.engagement_number
        recipient, service_id = self._check_routing(recipient_id, service_code, engagement, _native)
        invoice.recipient_id = recipient.structure_id
        invoice.service_code = service_code
        invoice.service_id = service_id
        invoice.engagement_number = engagement
        invoice.downloaded = False
        invoice.delivered = False
        invoice.deposit_ts = now
        invoice.deposit_date = _day(now)
        self._transition(invoice, "DEPOSEE", now, None, "supplier", login)
        return {
            "codeRetour": 0,
            "libelle": OK,
            "identifiantFactureCPP": invoice.invoice_id,
            "numeroFacture": invoice.number,
            "dateDepot": invoice.deposit_date,
            "statutFacture": "DEPOSEE",
        }

    # == validator ===========================================================================

    @_endpoint
    def valideur_consulter(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/valideur/consulter``: the native invoice detail object (§8)."""
        invoice_id = _required_int(body, "idFacture", "identifiantFactureCPP")
        invoice = self._get_invoice(invoice_id, self.clock.timestamp())
        ids = self.directory.account_structures(login)
        if ids is not None and not any(v in ids for v in invoice.validators):
            raise _forbidden()
        return {"codeRetour": 0, "libelle": OK, "facture": self._detail(invoice)}

    @_endpoint
    def valideur_traiter(self, login: str, body: dict[str, Any]) -> dict[str, Any]:
        """``factures/valideur/traiter``: VALIDATION, REFUS or REJET (lifecycle.md §6)."""
        invoice_id = _required_int(body, "idFacture", "identifiantFactureCPP")
        now = self.clock.timestamp()
        invoice = self._get_invoice(invoice_id, now)
        ids = self.directory.account_structures(login)
        if ids is not None and not any(v in ids for v in invoice.validators):
            raise _forbidden()
        rank = _VALIDATION_RANK.get(invoice.status)
        if rank is None or rank > len(invoice.validators):
            raise _native(
                ERR_TRANSITION,
                f"The invoice is in status {invoice.status}: it is not awaiting validation",
            )
        validator = invoice.validators[rank - 1]
        requested_validator = _optional_int(body, "idValideur")
        if not _plays(ids, validator) or requested_validator not in (None, validator):
            raise _forbidden()
        raw_action = body.get("action")
        if not isinstance(raw_action, str) or not raw_action.strip():
            raise _bad_param("action is required: VALIDATION, REFUS or REJET")
        action = raw_action.strip().upper()
        reason = _optional_str(body, "motifRefus", limit=2000)
        info = _optional_str(body, "complementInfo", limit=2000)
        piece = _optional_int(body, "idPieceJointe")
        if piece is not None and not self._owns_attachment(login, piece):
            raise _native(
                ERR_UNKNOWN_ATTACHMENT,
                f"Attachment {piece} does not exist or belongs to another account",
            )
        if action == "VALIDATION":
            reached = f"VALIDEE_{rank}"
        elif action == "REFUS":
            reached = f"REFUSEE_{rank}"
        elif action == "REJET":
            reached = "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
        else:
            raise _native(
                ERR_TRANSITION,
                f"action {raw_action} is not supported here: use VALIDATION, REFUS or REJET",
            )
        if action != "VALIDATION" and reason is None:
            raise _native(ERR_REASON_REQUIRED, f"motifRefus is required for {action}")
        if piece is not None:
            invoice.extra_attachments.append((piece, self._attachments[piece].name))
        self._transition(invoice, reached, now, reason or info, "validator", login)
        if action == "VALIDATION":
            invoice.validation_dates[rank] = _day(now)
            # The platform moves a validated invoice on at once (lifecycle.md §7).
            following = "A_VALIDER_2" if rank == 1 and len(invoice.validators) > 1 else "DEPOSEE"
            self._transition(invoice, following, now, None, "platform", None)
        return {
            "codeRetour": 0,
            "libelle": OK,
            "idFacture": invoice.invoice_id,
            "numeroFacture": invoice.number,
            "statutFacture": reached,
            "dateTraitement": _day(now),
        }

    # == test and demo helpers ===============================================================

    _SEED_FIELDS = frozenset(
        {
            "invoice_id", "invoice_date", "payment_due_date", "service_code",
            "engagement_number", "total_net_amount", "vat_amount", "total_gross_amount",
            "main_attachment_id", "main_attachment_label", "comment",
            "purchase_order_reference", "contract_reference", "billing_frame", "downloaded",
            "status_comment", "owner_login",
        }
    )  # fmt: skip

    def seed_invoice(
        self,
        *,
        supplier_id: int = DEMO_SUPPLIER_ID,
        recipient_id: int = SAINT_EXEMPLE_ID,
        status: str = "A_VALIDER_1",
        validators: Sequence[int] = (VALIDATOR_ID,),
        invoice_number: str | None = None,
        **fields: Any,
    ) -> int:
        """Create an invoice directly in ``status`` (no submission checks); return its id.

        ``fields`` (snake_case): invoice_id, invoice_date, payment_due_date, service_code,
        engagement_number, total_net_amount, vat_amount, total_gross_amount,
        main_attachment_id, main_attachment_label, comment, purchase_order_reference,
        contract_reference, billing_frame, downloaded, status_comment, owner_login. Missing
        amounts, dates and routing values get plausible seeded defaults. Raises ``TypeError``
        for an unknown field and ``ValueError`` for inconsistent values.
        """
        unknown = sorted(set(fields) - self._SEED_FIELDS)
        if unknown:
            raise TypeError(f"unknown seed_invoice field(s): {', '.join(unknown)}")
        supplier_id = self._seed_int(supplier_id, "supplier_id")
        recipient_id = self._seed_int(recipient_id, "recipient_id")
        if self.directory.get(supplier_id) is None:
            raise ValueError(f"unknown supplier structure {supplier_id}")
        recipient = self.directory.get(recipient_id)
        if recipient is None:
            raise ValueError(f"unknown recipient structure {recipient_id}")
        if isinstance(validators, (str, bytes)) or not isinstance(validators, Iterable):
            raise TypeError("validators must be a list of structure ids")
        validator_ids = tuple(self._seed_int(v, "validators") for v in validators)
        for validator in validator_ids:
            if self.directory.get(validator) is None:
                raise ValueError(f"unknown validator structure {validator}")
        if not isinstance(status, str) or not status.strip():
            raise TypeError("status must be a status code")
        code = _canonical_status(status)
        needed = _VALIDATION_RANK.get(code, 0)
        if len(validator_ids) < needed:
            raise ValueError(f"status {code} needs at least {needed} validator(s)")

        now = self.clock.timestamp()
        if fields.get("invoice_id") is not None:
            invoice_id = self._seed_int(fields["invoice_id"], "invoice_id")
            if not 1_000_000 <= invoice_id <= 9_999_999:
                raise ValueError("invoice_id must have 7 digits")
            if invoice_id in self._invoices:
                raise ValueError(f"invoice {invoice_id} already exists")
        else:
            invoice_id = self._allocate_invoice_id()
        rng = random.Random(f"factpulse-sandbox-seed-invoice:{self.seed}:{invoice_id}")
        number = invoice_number if invoice_number is not None else f"SEED-{invoice_id}"
        if not isinstance(number, str) or not _INVOICE_NUMBER.fullmatch(number):
            raise ValueError(f"invalid invoice number {number!r}")
        if (supplier_id, number) in self._numbers:
            raise ValueError(f"invoice number {number} already used by supplier {supplier_id}")
        net, vat, gross = self._seed_amounts(fields, rng)
        service_code = fields.get("service_code")
        if service_code is None and recipient.service_code_required:
            service_code = next((s.code for s in recipient.services if s.active), None)
        service = recipient.service(service_code) if isinstance(service_code, str) else None
        engagement = fields.get("engagement_number")
        if engagement is None and recipient.engagement_number_required:
            engagement = f"EJ{invoice_id}"
        invoice_date = _parse_date(fields.get("invoice_date", _day(now)))
        if invoice_date is None:
            raise ValueError("invoice_date must be YYYY-MM-DD")
        due_date = None
        if fields.get("payment_due_date") is not None:
            due_date = _parse_date(fields["payment_due_date"])
            if due_date is None:
                raise ValueError("payment_due_date must be YYYY-MM-DD")
        main_attachment = fields.get("main_attachment_id")
        invoice = self._create_invoice(
            number=number,
            supplier_id=supplier_id,
            recipient=recipient,
            service_code=service_code,
            service_id=service.service_id if service is not None else None,
            engagement_number=engagement,
            invoice_date=invoice_date,
            due_date=due_date,
            net=net,
            vat=vat,
            gross=gross,
            main_attachment_id=(
                self._seed_int(main_attachment, "main_attachment_id")
                if main_attachment is not None
                else None
            ),
            main_attachment_label=fields.get("main_attachment_label"),
            comment=fields.get("comment"),
            purchase_order=fields.get("purchase_order_reference"),
            contract=fields.get("contract_reference"),
            validators=validator_ids,
            billing_frame=fields.get("billing_frame")
            or ("A9_FACTURE_SOUSTRAITANT" if validator_ids else "A1_FACTURE_FOURNISSEUR"),
            owner_login=fields.get("owner_login"),
            now=now,
            invoice_id=invoice_id,
        )
        invoice.downloaded = bool(fields.get("downloaded", False))
        self.counters["invoices_seeded"] += 1
        invoice.delivered = code in _DELIVERED_STATES or code == "REJETEE"
        self._apply(invoice, code, now, fields.get("status_comment"), "sandbox", None)
        self._plan_next(invoice, now)
        return invoice.invoice_id

    @staticmethod
    def _seed_int(value: Any, name: str) -> int:
        number = _as_int(value)
        if number is None:
            raise TypeError(f"{name} must be an integer")
        return number

    @staticmethod
    def _seed_amounts(
        fields: Mapping[str, Any], rng: random.Random
    ) -> tuple[Decimal, Decimal, Decimal]:
        given = {
            name: fields.get(name)
            for name in ("total_net_amount", "vat_amount", "total_gross_amount")
        }
        parsed: dict[str, Decimal | None] = {}
        for name, value in given.items():
            if value is None:
                parsed[name] = None
                continue
            amount = _parse_amount(value)
            if amount is None:
                raise ValueError(f"{name} must be an amount with at most 2 decimals")
            parsed[name] = amount
        net = parsed["total_net_amount"]
        vat = parsed["vat_amount"]
        gross = parsed["total_gross_amount"]
        if net is None:
            if gross is not None and vat is not None:
                net = gross - vat
            elif gross is not None:
                net = (gross / Decimal("1.2")).quantize(_CENT)
            else:
                net = Decimal(rng.randrange(10_000, 1_000_000)) / 100
        if vat is None:
            vat = gross - net if gross is not None else (net * Decimal("0.2")).quantize(_CENT)
        if gross is None:
            gross = net + vat
        if net + vat != gross or min(net, vat, gross) < 0:
            raise ValueError("amounts must satisfy net + vat == gross, all >= 0")
        return net, vat, gross

    def invoice_count(self) -> int:
        """Number of invoices (submitted and seeded)."""
        return len(self._invoices)

    def invoice_ids(self) -> list[int]:
        """Every invoice id, in creation order."""
        return list(self._invoices)

    def invoice_snapshot(self, invoice_id: int) -> dict[str, Any] | None:
        """JSON-ready view of one invoice (status, history, routing, flags), or ``None``."""
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            return None
        self._settle(invoice, self.clock.timestamp())
        return {
            "invoice_id": invoice.invoice_id,
            "invoice_number": invoice.number,
            "status": invoice.status,
            "status_label": STATUS_LABELS.get(invoice.status, invoice.status),
            "status_date_time": _iso(invoice.status_ts),
            "status_comment": invoice.status_comment,
            "supplier_id": invoice.supplier_id,
            "recipient_id": invoice.recipient_id,
            "service_code": invoice.service_code,
            "engagement_number": invoice.engagement_number,
            "invoice_date": invoice.invoice_date,
            "payment_due_date": invoice.due_date,
            "total_net_amount": _money(invoice.net),
            "vat_amount": _money(invoice.vat),
            "total_gross_amount": _money(invoice.gross),
            "deposit_date": invoice.deposit_date,
            "deposit_flow_number": invoice.flow_number,
            "main_attachment_id": invoice.main_attachment_id,
            "attachments": [attachment_id for attachment_id, _ in invoice.extra_attachments],
            "comment": invoice.comment,
            "validators": list(invoice.validators),
            "downloaded_by_recipient": invoice.downloaded,
            "delivered": invoice.delivered,
            "numero_dp_mandat": invoice.mandate_number,
            "history": [
                {
                    "code": code,
                    "dateTime": _iso(ts),
                    "comment": comment,
                    "actor": actor,
                    "login": who,
                }
                for code, ts, comment, actor, who in invoice.history
            ],
            "pending": [
                {"code": code, "dueAt": _iso(ts), "actor": actor}
                for ts, code, _, actor in invoice.plan
            ],
        }

    # == internals: invoices and the life cycle ==============================================

    def _allocate_invoice_id(self) -> int:
        while self._next_invoice_id in self._invoices:
            self._next_invoice_id += 1
        invoice_id = self._next_invoice_id
        if invoice_id > 9_999_999:
            raise RuntimeError("invoice id space exhausted")  # pragma: no cover
        self._next_invoice_id += 1
        return invoice_id

    def _create_invoice(
        self,
        *,
        number: str,
        supplier_id: int,
        recipient: Structure,
        service_code: str | None,
        service_id: int | None,
        engagement_number: str | None,
        invoice_date: str,
        due_date: str | None,
        net: Decimal,
        vat: Decimal,
        gross: Decimal,
        main_attachment_id: int | None,
        main_attachment_label: str | None,
        comment: str | None,
        purchase_order: str | None,
        contract: str | None,
        validators: tuple[int, ...],
        billing_frame: str,
        owner_login: str | None,
        now: float,
        invoice_id: int | None = None,
    ) -> _Invoice:
        if invoice_id is None:
            invoice_id = self._allocate_invoice_id()
        deposit_date = _day(now)
        flow = f"CPP{deposit_date.replace('-', '')}{self._next_flow % 100_000_000:08d}"
        self._next_flow += 1
        invoice = _Invoice(
            invoice_id=invoice_id,
            number=number,
            supplier_id=supplier_id,
            recipient_id=recipient.structure_id,
            service_code=service_code,
            service_id=service_id,
            engagement_number=engagement_number,
            invoice_date=invoice_date,
            due_date=due_date,
            net=net,
            vat=vat,
            gross=gross,
            main_attachment_id=main_attachment_id,
            main_attachment_label=main_attachment_label,
            comment=comment,
            purchase_order=purchase_order,
            contract=contract,
            flow_number=flow,
            created_ts=now,
            deposit_ts=now,
            deposit_date=deposit_date,
            validators=validators,
            billing_frame=billing_frame,
            owner_login=owner_login,
        )
        self._invoices[invoice_id] = invoice
        self._numbers[(supplier_id, number)] = invoice_id
        return invoice

    def _check_routing(
        self,
        recipient_id: int,
        service_code: str | None,
        engagement: str | None,
        error: Callable[[int, str], _Refusal],
    ) -> tuple[Structure, int | None]:
        """Checks 1-3 of lifecycle.md §7; returns the recipient and the service id."""
        recipient = self.directory.get(recipient_id)
        if recipient is None:
            raise error(ERR_RECIPIENT_UNKNOWN, f"Recipient structure {recipient_id} not found")
        if not recipient.active:
            raise error(ERR_RECIPIENT_INACTIVE, f"Recipient structure {recipient_id} is inactive")
        service_id: int | None = None
        if service_code is None:
            if recipient.service_code_required:
                raise error(
                    ERR_SERVICE_REQUIRED,
                    f"A service code is required by recipient structure {recipient_id}",
                )
        else:
            service = recipient.service(service_code)
            if service is None or not service.active:
                raise error(
                    ERR_SERVICE_INVALID,
                    f"Service code {service_code} is not an active service of structure "
                    f"{recipient_id}",
                )
            service_id = service.service_id
        if engagement is None and recipient.engagement_number_required:
            raise error(
                ERR_ENGAGEMENT_REQUIRED,
                f"An engagement number is required by recipient structure {recipient_id}",
            )
        return recipient, service_id

    def _owns_attachment(self, login: str, attachment_id: int) -> bool:
        attachment = self._attachments.get(attachment_id)
        return attachment is not None and attachment.owner == login

    def _structure(self, structure_id: int) -> Structure:
        structure = self.directory.get(structure_id)
        if structure is None:  # pragma: no cover - invoices only reference known structures
            raise RuntimeError(f"structure {structure_id} vanished from the directory")
        return structure

    def _get_invoice(self, invoice_id: int, now: float) -> _Invoice:
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise _unknown_invoice()
        self._settle(invoice, now)
        return invoice

    def _apply(
        self,
        invoice: _Invoice,
        code: str,
        ts: float,
        comment: str | None,
        actor: str,
        login: str | None,
    ) -> None:
        invoice.status = code
        invoice.status_ts = ts
        invoice.status_comment = comment
        invoice.history.append((code, ts, comment, actor, login))
        if code == "MISE_A_DISPOSITION":
            invoice.delivered = True

    def _transition(
        self,
        invoice: _Invoice,
        code: str,
        now: float,
        comment: str | None,
        actor: str,
        login: str | None,
    ) -> None:
        """A state change made by a caller: it overrides whatever was planned."""
        invoice.plan.clear()
        self._apply(invoice, code, now, comment, actor, login)
        self._plan_next(invoice, now)

    def _settle(self, invoice: _Invoice, now: float) -> None:
        """Apply every planned transition that is due (the lazy clock)."""
        plan = invoice.plan
        while plan and plan[0][0] <= now:
            ts, code, comment, actor = plan.popleft()
            self._apply(invoice, code, ts, comment, actor, None)
            if not plan:
                self._plan_next(invoice, ts)

    def _rng(self, invoice: _Invoice) -> random.Random:
        invoice.plan_count += 1
        return random.Random(
            f"factpulse-sandbox:{self.seed}:{invoice.invoice_id}:{invoice.plan_count}"
        )

    def _plan_next(self, invoice: _Invoice, start: float) -> None:
        """Plan what the platform (or a simulated recipient) does next from this state."""
        status = invoice.status
        if status == "DEPOSEE":
            self._plan_routing(invoice, start)
        elif self.auto_process and status in _PAYMENT_RANK and status != "MISE_EN_PAIEMENT":
            self._plan_recipient(invoice, start)

    def _plan_routing(self, invoice: _Invoice, start: float) -> None:
        rng = self._rng(invoice)
        first = start + rng.uniform(*self.routing_delay)
        second = first + rng.uniform(*self.routing_delay)
        draw = rng.random()
        reason = rng.choice(_PLATFORM_REJECT_REASONS)
        invoice.plan.append((first, "EN_COURS_ACHEMINEMENT", None, "platform"))
        if draw < self.platform_reject_rate:
            invoice.plan.append((second, "REJETEE", reason, "platform"))
        else:
            invoice.plan.append((second, "MISE_A_DISPOSITION", None, "platform"))

    def _plan_recipient(self, invoice: _Invoice, start: float) -> None:
        """Simulated recipient: reject, suspend (once) or walk the payment path."""
        rng = self._rng(invoice)
        rank = _PAYMENT_RANK[invoice.status]
        when = start + rng.uniform(*self.auto_process_delay)
        if rank == 1 and not invoice.auto_suspended:
            draw = rng.random()
            if draw < self.auto_reject_rate:
                reason = rng.choice(_AUTO_REJECT_REASONS)
                invoice.plan.append((when, "REJETEE", reason, "recipient"))
                return
            if draw < self.auto_reject_rate + self.auto_suspend_rate:
                invoice.auto_suspended = True  # suspend at most once, so every path ends
                reason = rng.choice(_AUTO_SUSPEND_REASONS)
                invoice.plan.append((when, "SUSPENDUE", reason, "recipient"))
                return
        steps = ["SERVICE-FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
        if rng.random() < 0.5:
            steps.insert(0, "PRISE_EN_COMPTE_DESTINATAIRE")
        if rng.random() < 0.5:
            steps.insert(-1, "MISE_A_DISPOSITION_COMPTABLE")
        if rng.random() < 0.5:
            steps.insert(-1, "COMPTABILISEE")
        for step in steps:
            if _PAYMENT_RANK[step] > rank:
                invoice.plan.append((when, step, None, "recipient"))
                when += rng.uniform(*self.auto_process_delay)

    # == internals: searches =================================================================

    def _search(
        self, login: str, body: dict[str, Any], role: str
    ) -> tuple[list[_Invoice], dict[str, int]]:
        page_key = {
            "fournisseur": "rechercheFactureParFournisseur",
            "destinataire": "paramRecherche",
            "valideur": "pagination",
        }[role]
        predicates = self._filters(body, role)
        page, size, sort_key, descending = self._pagination(body.get(page_key))
        ids = self.directory.account_structures(login)
        now = self.clock.timestamp()
        matches: list[_Invoice] = []
        for invoice in self._invoices.values():
            if invoice.plan and invoice.plan[0][0] <= now:
                self._settle(invoice, now)
            if role == "fournisseur":
                visible = _plays(ids, invoice.supplier_id)
            elif role == "destinataire":
                visible = invoice.delivered and _plays(ids, invoice.recipient_id)
            else:
                rank = _VALIDATION_RANK.get(invoice.status)
                visible = (
                    rank is not None
                    and rank <= len(invoice.validators)
                    and _plays(ids, invoice.validators[rank - 1])
                )
            if visible and all(predicate(invoice) for predicate in predicates):
                matches.append(invoice)
        # The id breaks ties, so the order is total and pages never overlap.
        matches.sort(key=lambda inv: (sort_key(inv), inv.invoice_id), reverse=descending)
        total = len(matches)
        start = (page - 1) * size
        return matches[start : start + size], {
            "pageCourante": page,
            "pages": math.ceil(total / size),
            "nbResultatsParPage": size,
            "total": total,
        }

    def _pagination(self, request: Any) -> tuple[int, int, Callable[[_Invoice], Any], bool]:
        if not isinstance(request, dict):
            request = {}
        page = _as_int(request.get("pageResultatDemandee"))
        page = page if page is not None and page >= 1 else 1
        size = _as_int(request.get("nbResultatsParPage"))
        size = 10 if size is None or size < 1 else min(size, 200)
        column = request.get("triColonne")
        key = self._sort_keys().get(column.strip().lower() if isinstance(column, str) else "")
        if key is None:
            key = self._sort_keys()["datedepot"]
        direction = request.get("triSens")
        descending = not (isinstance(direction, str) and direction.strip().lower() == "ascendant")
        return page, size, key, descending

    def _sort_keys(self) -> dict[str, Callable[[_Invoice], Any]]:
        directory = self.directory

        def recipient(inv: _Invoice) -> Structure:
            return self._structure(inv.recipient_id)

        def supplier(inv: _Invoice) -> Structure:
            return self._structure(inv.supplier_id)

        def service_label(inv: _Invoice) -> str:
            structure = directory.get(inv.recipient_id)
            service = structure.service(inv.service_code or "") if structure else None
            return service.label if service else ""

        return {
            "datedepot": lambda inv: inv.deposit_ts,
            "datefacture": lambda inv: inv.invoice_date,
            "numerofacture": lambda inv: inv.number,
            "montantttc": lambda inv: inv.gross,
            "montantht": lambda inv: inv.net,
            "montantapayer": lambda inv: inv.gross,
            "statut": lambda inv: inv.status,
            "devise": lambda inv: "EUR",
            "typefacture": lambda inv: "FACTURE",
            "typedemandepaiement": lambda inv: "FACTURE",
            "codedestinataire": lambda inv: recipient(inv).identifier,
            "designationdestinataire": lambda inv: recipient(inv).name,
            "codefournisseur": lambda inv: supplier(inv).identifier,
            "typeidentifiantfournisseur": lambda inv: supplier(inv).identifier_type,
            "fournisseur": lambda inv: supplier(inv).name,
            "designationfournisseur": lambda inv: supplier(inv).name,
            "codeserviceexecutant": lambda inv: inv.service_code or "",
            "nomserviceexecutant": service_label,
            "numeromarche": lambda inv: inv.contract or "",
            "numeroboncommande": lambda inv: inv.purchase_order or "",
            "identifiantfacturecpp": lambda inv: inv.invoice_id,
            "idfacture": lambda inv: inv.invoice_id,
            "dateheureetatcourant": lambda inv: inv.status_ts,
        }

    def _filters(self, body: dict[str, Any], role: str) -> list[Callable[[_Invoice], bool]]:
        """The filters of §6.2 / §6.3 / §6.9 that matter; unknown keys are ignored."""
        preds: list[Callable[[_Invoice], bool]] = []

        statuses = body.get("statutCourant")
        if isinstance(statuses, str):
            statuses = [statuses]
        if statuses is not None:
            if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
                raise _bad_param("statutCourant must be a list of status codes")
            if statuses:
                wanted = frozenset(_status_key(s) for s in statuses)
                preds.append(lambda inv: _status_key(inv.status) in wanted)

        texts: list[tuple[str, Callable[[_Invoice], str | None]]] = [
            ("numeroFacture", lambda inv: inv.number),
            ("numeroBonCommande", lambda inv: inv.purchase_order),
            ("numeroMarche", lambda inv: inv.contract),
        ]
        if role == "fournisseur":
            texts.append(("numeroFluxDepot", lambda inv: inv.flow_number))
        if role == "valideur":
            texts.append(("numeroEngagement", lambda inv: inv.engagement_number))
        for name, text_of in texts:
            value = _optional_str(body, name)
            if value is not None:
                preds.append(_compare(text_of, "==", value))

        dates: list[tuple[str, Callable[[_Invoice], str]]] = [
            ("periodeDateFacture", lambda inv: inv.invoice_date),
            ("periodeDateDepot", lambda inv: inv.deposit_date),
        ]
        for prefix, date_of in dates:
            for suffix in ("Du", "Au"):
                raw = body.get(prefix + suffix)
                if raw is None:
                    continue
                bound = _parse_date(raw)
                if bound is None:
                    raise _bad_param(f"{prefix}{suffix} must be a YYYY-MM-DD date")
                preds.append(_compare(date_of, ">=" if suffix == "Du" else "<=", bound))
        for suffix in ("Du", "Au"):
            name = "periodeDateHeureEtatCourant" + suffix
            if body.get(name) is None:
                continue
            moment = _parse_datetime(body[name], end_of_day=suffix == "Au")
            if moment is None:
                raise _bad_param(f"{name} must be an ISO 8601 date-time")
            preds.append(
                _compare(lambda inv: inv.status_ts, ">=" if suffix == "Du" else "<=", moment)
            )

        to_pay = "montantAPayer" if role == "valideur" else "montantApayer"
        amounts: list[tuple[str, Callable[[_Invoice], Decimal]]] = [
            ("montantHT", lambda inv: inv.net),
            ("montantTTC", lambda inv: inv.gross),
            (to_pay, lambda inv: inv.gross),
        ]
        for prefix, amount_of in amounts:
            for suffix in ("Min", "Max"):
                raw = body.get(prefix + suffix)
                if raw is None:
                    continue
                limit = self._filter_amount(raw, prefix + suffix)
                preds.append(_compare(amount_of, ">=" if suffix == "Min" else "<=", limit))

        types: list[Any] = []
        if body.get("typeFacture") is not None:
            types.append(body["typeFacture"])
        if isinstance(body.get("listeTypeFacture"), list):
            types.extend(body["listeTypeFacture"])
        if types:
            # Submissions through FactPulse are always plain invoices.
            matches_type = any(isinstance(t, str) and t.upper() == "FACTURE" for t in types)
            preds.append(lambda inv: matches_type)

        service = _optional_int(body, "idServiceExecutant")
        if service is not None:
            preds.append(lambda inv: inv.service_id == service)

        validator = _optional_int(body, "idStructureValideur")
        if validator is not None:
            if role == "valideur":
                preds.append(lambda inv: self._current_validator(inv) == validator)
            else:
                preds.append(lambda inv: validator in inv.validators)

        if role in ("fournisseur", "valideur"):
            supplier = _optional_int(body, "idFournisseur")
            if supplier is not None:
                preds.append(lambda inv: inv.supplier_id == supplier)
        if role in ("destinataire", "valideur"):
            recipient = _optional_int(body, "idDestinataire")
            if recipient is not None:
                preds.append(lambda inv: inv.recipient_id == recipient)

        if role == "fournisseur" and body.get("listeDestinataire") is not None:
            preds.append(self._recipient_list_filter(body["listeDestinataire"]))
        if role == "destinataire":
            downloaded = _optional_bool(body, "factureTelechargeeParDestinataire")
            if downloaded is not None:
                preds.append(lambda inv: inv.downloaded == downloaded)
            if body.get("listeFournisseurs") is not None:
                preds.append(self._supplier_list_filter(body["listeFournisseurs"]))
        return preds

    @staticmethod
    def _filter_amount(raw: Any, name: str) -> Decimal:
        if isinstance(raw, bool):
            raise _bad_param(f"{name} must be a number")
        try:
            if isinstance(raw, (int, float)):
                value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
            elif isinstance(raw, str) and _DECIMAL_TEXT.fullmatch(raw.strip()):
                value = Decimal(raw.strip())
            else:
                raise _bad_param(f"{name} must be a number")
        except InvalidOperation:
            raise _bad_param(f"{name} must be a number") from None
        if not value.is_finite():
            raise _bad_param(f"{name} must be a number")
        return value

    @staticmethod
    def _recipient_list_filter(raw: Any) -> Callable[[_Invoice], bool]:
        if not isinstance(raw, list):
            raise _bad_param("listeDestinataire must be a list of objects")
        wanted: list[tuple[int, frozenset[int]]] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad_param("listeDestinataire items must be objects")
            recipient = _required_int(item, "idDestinataire")
            services = item.get("listeIdServiceExecutant") or []
            if not isinstance(services, list) or any(_as_int(s) is None for s in services):
                raise _bad_param("listeIdServiceExecutant must be a list of integers")
            wanted.append((recipient, frozenset(_as_int(s) or 0 for s in services)))
        if not wanted:
            return lambda inv: True
        return lambda inv: any(
            inv.recipient_id == recipient and (not services or inv.service_id in services)
            for recipient, services in wanted
        )

    @staticmethod
    def _supplier_list_filter(raw: Any) -> Callable[[_Invoice], bool]:
        if not isinstance(raw, list):
            raise _bad_param("listeFournisseurs must be a list of objects")
        suppliers: set[int] = set()
        for item in raw:
            if not isinstance(item, dict):
                raise _bad_param("listeFournisseurs items must be objects")
            # listeIdService names supplier services; sandbox suppliers have none: ignored.
            suppliers.add(_required_int(item, "idFournisseur"))
        if not suppliers:
            return lambda inv: True
        return lambda inv: inv.supplier_id in suppliers

    @staticmethod
    def _current_validator(invoice: _Invoice) -> int | None:
        rank = _VALIDATION_RANK.get(invoice.status)
        if rank is None or rank > len(invoice.validators):
            return None
        return invoice.validators[rank - 1]

    # == internals: response bodies ==========================================================

    def _service_fields(self, invoice: _Invoice, recipient: Structure) -> tuple[str | None, ...]:
        service = recipient.service(invoice.service_code) if invoice.service_code else None
        return (
            invoice.service_code,
            service.label if service is not None else None,
        )

    def _item_common(self, invoice: _Invoice) -> dict[str, Any]:
        recipient = self._structure(invoice.recipient_id)
        supplier = self._structure(invoice.supplier_id)
        code, label = self._service_fields(invoice, recipient)
        return {
            "numeroFacture": invoice.number,
            "typeFacture": "FACTURE",
            "typeDemandePaiement": "FACTURE",
            "dateFacture": invoice.invoice_date,
            "dateDepot": invoice.deposit_date,
            "dateHeureEtatCourant": _iso(invoice.status_ts),
            "statut": invoice.status,
            "commentaireEtatCourant": invoice.status_comment,
            "idDestinataire": recipient.structure_id,
            "codeDestinataire": recipient.identifier,
            "designationDestinataire": recipient.name,
            "idServiceExecutant": invoice.service_id,
            "codeServiceExecutant": code,
            "nomServiceExecutant": label,
            "codeFournisseur": supplier.identifier,
            "designationFournisseur": supplier.name,
            "typeIdentifiantFournisseur": supplier.identifier_type,
            "montantHT": _number(invoice.net),
            "montantTTC": _number(invoice.gross),
            "montantAPayer": _number(invoice.gross),
            "devise": "EUR",
            "numeroBonCommande": invoice.purchase_order,
            "numeroMarche": invoice.contract,
        }

    def _supplier_item(self, invoice: _Invoice) -> dict[str, Any]:
        item: dict[str, Any] = {"identifiantFactureCPP": invoice.invoice_id}
        item.update(self._item_common(invoice))
        item.update(
            numeroFluxDepot=invoice.flow_number,
            modeDepot="SAISIE_API",
            rejetTraite=False,
        )
        for rank, validator_id in enumerate(invoice.validators[:2], start=1):
            validator = self._structure(validator_id)
            item[f"codeValideur{rank}"] = validator.identifier
            item[f"raisonSocialeValideur{rank}"] = validator.name
            item[f"typeIdentifiantValideur{rank}"] = validator.identifier_type
            item[f"dateValidation{rank}"] = invoice.validation_dates.get(rank)
        return _compact(item)

    def _recipient_item(self, invoice: _Invoice) -> dict[str, Any]:
        item: dict[str, Any] = {"idFacture": invoice.invoice_id}
        item.update(self._item_common(invoice))
        item["factureTelechargeeParDestinataire"] = invoice.downloaded
        return _compact(item)

    def _validator_item(self, invoice: _Invoice) -> dict[str, Any]:
        recipient = self._structure(invoice.recipient_id)
        supplier = self._structure(invoice.supplier_id)
        code, label = self._service_fields(invoice, recipient)
        validator_id = self._current_validator(invoice)
        validator = self.directory.get(validator_id) if validator_id is not None else None
        return _compact(
            {
                "idFacture": invoice.invoice_id,
                "numeroFacture": invoice.number,
                "dateFacture": invoice.invoice_date,
                "dateDepot": invoice.deposit_date,
                "dateHeureEtatCourant": _iso(invoice.status_ts),
                "statut": invoice.status,
                "commentaireEtatCourant": invoice.status_comment,
                "typeFacture": "FACTURE",
                "typeDemandePaiement": "FACTURE",
                "montantHT": _number(invoice.net),
                "montantTTC": _number(invoice.gross),
                "montantAPayer": _number(invoice.gross),
                "devise": "EUR",
                "idFournisseur": supplier.structure_id,
                "identifiantFournisseur": supplier.identifier,
                "designationFournisseur": supplier.name,
                "typeIdentifiantFournisseur": supplier.identifier_type,
                "idDestinataire": recipient.structure_id,
                "identifiantDestinataire": recipient.identifier,
                "designationDestinataire": recipient.name,
                "typeIdentifiantDestinataire": recipient.identifier_type,
                "idServiceExecutant": invoice.service_id,
                "codeServiceExecutant": code,
                "nomServiceExecutant": label,
                "idValideur": validator.structure_id if validator else None,
                "identifiantValideur": validator.identifier if validator else None,
                "designationValideur": validator.name if validator else None,
                "typeIdentifiantValideur": validator.identifier_type if validator else None,
                "numeroEngagement": invoice.engagement_number,
                "numeroMarche": invoice.contract,
            }
        )

    def _stored_attachments(self, invoice: _Invoice) -> list[_Attachment]:
        """The invoice's attachments whose bytes the sandbox holds, main one first."""
        ids = [invoice.main_attachment_id] if invoice.main_attachment_id is not None else []
        ids += [attachment_id for attachment_id, _ in invoice.extra_attachments]
        found: list[_Attachment] = []
        for attachment_id in dict.fromkeys(ids):
            attachment = self._attachments.get(attachment_id)
            if attachment is not None:
                found.append(attachment)
        return found

    def _document(self, invoice: _Invoice) -> _files.InvoiceDocument:
        supplier = self._structure(invoice.supplier_id)
        recipient = self._structure(invoice.recipient_id)
        return _files.InvoiceDocument(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            invoice_date=invoice.invoice_date,
            deposit_date=invoice.deposit_date,
            status=invoice.status,
            supplier_name=supplier.name,
            supplier_identifier=supplier.identifier,
            supplier_vat=supplier.vat,
            recipient_name=recipient.name,
            recipient_identifier=recipient.identifier,
            net_amount=invoice.net,
            vat_amount=invoice.vat,
            gross_amount=invoice.gross,
            due_date=invoice.due_date,
            service_code=invoice.service_code,
            engagement_number=invoice.engagement_number,
            purchase_order=invoice.purchase_order,
            contract=invoice.contract,
            comment=invoice.comment,
        )

    @staticmethod
    def _link_id(invoice_id: int, attachment_id: int) -> int:
        """A stable ``idLiaison...`` for an (invoice, attachment) pair."""
        return 9_000_000 + (invoice_id * 31 + attachment_id) % 1_000_000

    def _detail(self, invoice: _Invoice) -> dict[str, Any]:
        recipient = self._structure(invoice.recipient_id)
        supplier = self._structure(invoice.supplier_id)
        service_code, service_label = self._service_fields(invoice, recipient)
        frame: dict[str, Any] = {"codeCadreFacturation": invoice.billing_frame}
        for rank, validator_id in enumerate(invoice.validators[:2], start=1):
            validator = self._structure(validator_id)
            frame[f"idValideur{rank}"] = validator.structure_id
            frame[f"codeValideur{rank}"] = validator.identifier
            frame[f"typeIdentifiantValideur{rank}"] = validator.identifier_type
            frame[f"raisonSocialeValideur{rank}"] = validator.name
            frame[f"dateValidation{rank}"] = invoice.validation_dates.get(rank)
        pieces: list[dict[str, Any]] = []
        if invoice.main_attachment_id is not None:
            main = self._attachments.get(invoice.main_attachment_id)
            pieces.append(
                {
                    "pieceJointeId": invoice.main_attachment_id,
                    "pieceJointeIdLiaison": self._link_id(
                        invoice.invoice_id, invoice.main_attachment_id
                    ),
                    "pieceJointeDesignation": invoice.main_attachment_label
                    or (main.name if main else f"{invoice.number}.pdf"),
                    "pieceJointeExtension": main.extension if main else "PDF",
                    "pieceJointeTypeCode": "FACTURE",
                    "pieceJointeTypeLibelle": "Facture",
                }
            )
        for attachment_id, designation in invoice.extra_attachments:
            extra = self._attachments.get(attachment_id)
            pieces.append(
                _compact(
                    {
                        "pieceJointeId": attachment_id,
                        "pieceJointeIdLiaison": self._link_id(invoice.invoice_id, attachment_id),
                        "pieceJointeDesignation": designation,
                        "pieceJointeExtension": extra.extension if extra else None,
                        "pieceJointeTypeCode": "PIECE_JOINTE_COMPLEMENTAIRE",
                        "pieceJointeTypeLibelle": "Pièce jointe complémentaire",
                    }
                )
            )
        attachments_size = sum(len(a.data) for a in self._stored_attachments(invoice))
        rate = (
            (invoice.vat * 100 / invoice.net).quantize(Decimal("0.1"))
            if invoice.net
            else Decimal(0)
        )
        rate_text = f"{rate.normalize():f}"
        bank_id = (
            551203
            if supplier.structure_id == DEMO_SUPPLIER_ID
            else (500_000 + supplier.structure_id % 100_000)
        )
        return {
            "identifiantFactureCPP": invoice.invoice_id,
            "numeroFacture": invoice.number,
            "statutFacture": invoice.status,
            "modeDepot": "SAISIE_API",
            **_compact({"commentaire": invoice.comment}),
            "destinataire": _compact(
                {
                    "idDestinataire": recipient.structure_id,
                    "codeDestinataire": recipient.identifier,
                    "libelleDestinataire": recipient.name,
                    "idServiceExecutant": invoice.service_id,
                    "codeServiceExecutant": service_code,
                    "libelleServiceExecutant": service_label,
                    "destinataireEtat": recipient.status,
                    "adresseDestinataireDetail": recipient.address.detail,
                    "adresseDestinataireCodePostal": recipient.address.postal_code,
                    "adresseDestinataireVille": recipient.address.city,
                    "adresseDestinataireCodePays": recipient.address.country_code,
                    "adresseDestinataireLibellePays": recipient.address.country_label,
                }
            ),
            "fournisseur": {
                "idFournisseur": supplier.structure_id,
                "codeFournisseur": supplier.identifier,
                "typeIdentifiantFournisseur": supplier.identifier_type,
                "designationFournisseur": supplier.name,
                "adresseFournisseurDetail": supplier.address.detail,
                "adresseFournisseurCodePostal": supplier.address.postal_code,
                "adresseFournisseurVille": supplier.address.city,
                "adresseFournisseurCodePays": supplier.address.country_code,
                "adresseFournisseurLibellePays": supplier.address.country_label,
                "coordBancairesFournisseurId": bank_id,
                "coordBancairesFournisseurType": "IBAN",
                "coordBancairesFournisseurCodePays": "FR",
            },
            "cadreDeFacturation": _compact(frame),
            "references": _compact(
                {
                    "typeFacture": "FACTURE",
                    "typeTva": "TVA_SUR_DEBIT",
                    "codeDeviseFacture": "EUR",
                    "libelleDeviseFacture": "Euro",
                    "dateFacture": invoice.invoice_date,
                    "dateDepot": invoice.deposit_date,
                    "dateCreationFacture": _minute(invoice.created_ts),
                    "dateEcheancePaiement": invoice.due_date,
                    "numeroBonCommande": invoice.purchase_order,
                    "numeroMarche": invoice.contract,
                    "numeroDpMandat": invoice.mandate_number,
                    "tailleTotalePiecesJointes": attachments_size,
                }
            ),
            "montantTotal": {
                "montantHtTotal": _number(invoice.net),
                "montantTVA": _number(invoice.vat),
                "montantTtcAvantRemiseGlobalTTC": _number(invoice.gross),
                "montantRemiseGlobaleTTC": 0.0,
                "montantTtcTotal": _number(invoice.gross),
                "montantAPayer": _number(invoice.gross),
            },
            **(
                {
                    "pieceJointePrincipale": {
                        "idPieceJointePrincipale": invoice.main_attachment_id,
                        "idLiaisonPieceJointePrincipale": self._link_id(
                            invoice.invoice_id, invoice.main_attachment_id
                        ),
                    }
                }
                if invoice.main_attachment_id is not None
                else {}
            ),
            "listeDesPiecesJointes": {
                "pieceJointe": pieces,
                "pageCouranteListePiecesJointe": 1,
                "pagesListePiecesJointe": 1 if pieces else 0,
                "nbResultatsParPageListePiecesJointe": max(10, len(pieces)),
                "totalListePiecesJointe": len(pieces),
            },
            "lignesDePoste": {
                "lignePoste": [
                    {
                        "lignePosteNumero": 1,
                        "lignePosteReference": invoice.purchase_order or invoice.number,
                        "lignePosteDenomination": invoice.comment or f"Facture {invoice.number}",
                        "lignePosteQuantite": 1,
                        "lignePosteUniteLibelle": "forfait",
                        "lignePosteMontantUnitaireHT": _number(invoice.net),
                        "lignePosteMontantRemiseHT": 0.0,
                        "lignePosteMontantHtApresRemise": _number(invoice.net),
                        "lignePosteTauxTva": f"TVA{rate_text}",
                        "lignePosteMontantTva": _number(invoice.vat),
                        "lignePosteMontantTtcApresRemise": _number(invoice.gross),
                    }
                ],
                "pageCouranteLignesPoste": 1,
                "pagesLignesPoste": 1,
                "nbResultatsParPageLignesPoste": 10,
                "totalLignesPoste": 1,
            },
            "recapitulatifDeTva": {
                "ligneTva": [
                    {
                        "ligneTvaTauxRefCode": f"TVA{rate_text}",
                        "ligneTvaTauxRefLibelle": f"TVA {rate_text.replace('.', ',')} %",
                        "ligneTvaTauxRefValeur": float(rate),
                        "ligneTvaMontantBaseHtParTaux": _number(invoice.net),
                        "ligneTvaMontantTvaParTaux": _number(invoice.vat),
                    }
                ],
                "pageCouranteLignesRecapitulativesTVA": 1,
                "pagesLignesRecapitulativesTVA": 1,
                "nbResultatsParPageLignesRecapitulativesTVA": 10,
                "totalLignesRecapitulativesTVA": 1,
            },
        }
