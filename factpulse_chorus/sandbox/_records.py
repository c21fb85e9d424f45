"""The bottom floor of the sandbox: invoice and attachment records, statuses, error codes.

Every other piece of the domain (store, life cycle, search, views, handlers) works on these
plain records and constants; this module imports nothing of the sandbox.

Error codes (``codeRetour`` / ``returnCode``); 20000-20003 are native Chorus Pro codes, the
others are the sandbox's own:

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

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

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
    "Attachment",
    "Invoice",
    "Options",
    "Refusal",
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

# --- Statuses ------------------------------------------------------------------------------

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

PAYMENT_RANK: dict[str, int] = {
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
"""Rank along the payment path."""
RECIPIENT_TARGETS: frozenset[str] = frozenset([*PAYMENT_RANK, "SUSPENDUE", "REJETEE", "A_RECYCLER"])
"""Every status a recipient may request through ``traiter-facture-recue`` (the documented list)."""
REASON_REQUIRED = frozenset({"SUSPENDUE", "REJETEE"})
FINAL_STATUSES: frozenset[str] = frozenset(
    {"REJETEE", "MISE_EN_PAIEMENT", "REFUSEE_1", "REFUSEE_2"}
)
"""States nothing can leave."""
VALIDATION_RANK = {"A_VALIDER_1": 1, "A_VALIDER_2": 2}
SOUMISE_ALIASED = frozenset(
    {
        "DEPOSEE", "EN_COURS_ACHEMINEMENT", "A_VALIDER_1", "A_VALIDER_2", "VALIDEE_1",
        "VALIDEE_2", "ABSENCE_VALIDATION_1_HORS_DELAI", "ABSENCE_VALIDATION_2_HORS_DELAI",
        "MISE_A_DISPOSITION", "COMPLETEE", "PRISE_EN_COMPTE_DESTINATAIRE", "TRANSMISE_MOA",
    }
)  # fmt: skip
"""The statuses the FactPulse vocabulary reports as ``SOUMISE``."""
DELIVERED_STATES = frozenset([*PAYMENT_RANK, "SUSPENDUE", "A_RECYCLER"])
"""States where the invoice sits with its recipient (it has been made available)."""


def _build_recipient_matrix() -> dict[str, frozenset[str]]:
    matrix: dict[str, frozenset[str]] = {}
    for state, rank in PAYMENT_RANK.items():
        targets = {other for other, other_rank in PAYMENT_RANK.items() if other_rank > rank}
        if rank <= 4:  # R-decide: before the payment order only
            targets |= {"SUSPENDUE", "REJETEE", "A_RECYCLER"}
        matrix[state] = frozenset(targets)
    matrix["SUSPENDUE"] = frozenset({"MISE_A_DISPOSITION", "COMPLETEE", "REJETEE"})
    return matrix


_RECIPIENT_MATRIX = _build_recipient_matrix()


def recipient_targets(current: str) -> frozenset[str]:
    """Statuses a recipient may set from ``current``."""
    return _RECIPIENT_MATRIX.get(current, frozenset())


# --- Formats -------------------------------------------------------------------------------

_CENT = Decimal("0.01")


def iso(ts: float) -> str:
    """A timestamp as an ISO date-time of the sandbox zone, to the second."""
    return datetime.fromtimestamp(ts, SANDBOX_TZ).isoformat(timespec="seconds")


def day(ts: float) -> str:
    """A timestamp as an ISO date of the sandbox zone."""
    return datetime.fromtimestamp(ts, SANDBOX_TZ).date().isoformat()


def minute(ts: float) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` (the native API's ``dateTraitement`` of some calls)."""
    return datetime.fromtimestamp(ts, SANDBOX_TZ).strftime("%Y-%m-%d %H:%M")


def money(amount: Decimal) -> str:
    """An amount as text with two decimals (the typed API's form)."""
    return f"{amount.quantize(_CENT)}"


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out unset (None) keys, as the native API does."""
    return {key: value for key, value in data.items() if value is not None}


def plays(ids: frozenset[int] | None, structure_id: int) -> bool:
    """Whether an account acting for ``ids`` (``None``: every structure) plays this structure."""
    return ids is None or structure_id in ids


# --- Options -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The domain's options, checked once (see :class:`~._domain.Domain`)."""

    routing_delay: tuple[float, float]
    platform_reject_rate: float
    auto_process: bool
    auto_process_delay: tuple[float, float]
    completer_status: str
    vocabulary: str
    auto_reject_rate: float
    auto_suspend_rate: float
    max_group_ids: int
    max_group_bytes: int
    max_attachment_bytes: int

    def __post_init__(self) -> None:
        for name in ("routing_delay", "auto_process_delay"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high")
            object.__setattr__(self, name, (float(low), float(high)))
        for name in ("platform_reject_rate", "auto_reject_rate", "auto_suspend_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.auto_reject_rate + self.auto_suspend_rate > 1.0:
            raise ValueError("auto_reject_rate + auto_suspend_rate must not exceed 1")
        if self.completer_status not in ("MISE_A_DISPOSITION", "COMPLETEE"):
            raise ValueError("completer_status must be MISE_A_DISPOSITION or COMPLETEE")
        if self.vocabulary not in ("native", "factpulse"):
            raise ValueError("vocabulary must be 'native' or 'factpulse'")


# --- Records -------------------------------------------------------------------------------

Step = tuple[float, str, str | None, str]
"""A planned transition: (due timestamp, status, comment, actor)."""
HistoryEntry = tuple[str, float, str | None, str, str | None]
"""A status reached: (code, timestamp, comment, actor, login)."""


@dataclass(slots=True, eq=False)
class Attachment:
    """A file stored by ``transverses/ajouter-fichier`` for one account (``owner``)."""

    attachment_id: int
    name: str
    mime: str
    extension: str
    owner: str
    data: bytes


@dataclass(slots=True, eq=False)
class Invoice:
    """One invoice: its routing, amounts, status, history and planned transitions."""

    invoice_id: int
    number: str
    supplier_structure_id: int
    recipient_structure_id: int
    service_code: str | None
    service_id: int | None
    engagement_number: str | None
    invoice_date: str
    due_date: str | None
    net: Decimal
    vat: Decimal
    gross: Decimal
    attachment_id: int | None
    attachment_label: str | None
    comment: str | None
    purchase_order: str | None
    contract: str | None
    flow_number: str
    created_ts: float
    deposit_ts: float
    validators: tuple[int, ...]
    billing_framework: str
    owner_login: str | None
    status: str = ""
    status_ts: float = 0.0
    status_comment: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    extra_attachments: list[tuple[int, str]] = field(default_factory=list)
    downloaded: bool = False
    delivered: bool = False
    mandate_number: str | None = None
    validation_dates: dict[int, str] = field(default_factory=dict)
    plan: deque[Step] = field(default_factory=deque)
    plan_count: int = 0
    auto_suspended: bool = False

    @property
    def deposit_date(self) -> str:
        """``dateDepot``: the day of the (latest) deposit."""
        return day(self.deposit_ts)

    def validation_rank(self) -> int | None:
        """1 or 2 while the invoice awaits that validator, else ``None``."""
        rank = VALIDATION_RANK.get(self.status)
        return rank if rank is not None and rank <= len(self.validators) else None

    def current_validator(self) -> int | None:
        """The validator structure the invoice awaits, if any."""
        rank = self.validation_rank()
        return None if rank is None else self.validators[rank - 1]


# --- Business errors -----------------------------------------------------------------------


class Refusal(Exception):
    """A business error: ``body`` is the HTTP 200 reply."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


def native(code: int, libelle: str) -> Refusal:
    """A refusal in the native envelope (``codeRetour`` / ``libelle``)."""
    return Refusal({"codeRetour": code, "libelle": libelle})


def typed(code: int, message: str) -> Refusal:
    """A refusal in the typed envelope (``returnCode`` / ``message``)."""
    return Refusal({"returnCode": code, "message": message})


def unknown_invoice() -> Refusal:
    return native(ERR_UNKNOWN_INVOICE, "GDP_MSG_11.008")


def forbidden() -> Refusal:
    return native(ERR_FORBIDDEN, "GDP_MSG_11.005")


def bad_param(message: str) -> Refusal:
    return native(ERR_INVALID_PARAMETER, message)


def unknown_attachment(attachment_id: int) -> Refusal:
    return native(
        ERR_UNKNOWN_ATTACHMENT,
        f"Attachment {attachment_id} does not exist or belongs to another account",
    )
