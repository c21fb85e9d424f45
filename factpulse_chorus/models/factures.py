"""Factures: submit, status, searches, download, recipient decision, complete, recycle.

Every name is English (issue 11); the wire names, typed (``chorusInvoiceId``) or native
(``identifiantFactureCPP``, ``periodeDateFactureDu``), live in the fields' metadata.
Every response exposes the invoice id as ``invoice_id``, whichever of
``identifiantFactureCPP`` / ``idFacture`` the server sent. The search filters are
declared once, as a ``TypedDict`` per search, beside the request model they fill.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import _files
from .._exceptions import FactPulseError, RequestValidationError
from .._files import ContentKind as ContentKind
from .._validation import (
    MAX_LABEL_LENGTH,
    all_unset,
    check_amount,
    check_date,
    check_enum,
    check_id,
    check_id_list,
    check_invoice_number,
    check_text,
    check_totals,
    optional,
    required,
)
from .._wire import extra_field, wire

# The searches live in ._factures_search (for size); this module is their public home.
from ._factures_search import *  # noqa: F403
from ._factures_search import items_of, tuple_or_none
from ._fields import (
    filter_field,
    int_tuple,
    opt_bool,
    opt_comment,
    opt_date,
    opt_id,
    opt_text,
    reason_field,
    req_id,
    wire_field,
)
from .common import (
    ChorusProCredentials,
    FileFormat,
    InvoiceStatusCode,
    NativeResponse,
    TargetStatus,
    TypedResponse,
)

if TYPE_CHECKING:
    from .._poll_events import FinalStatus as FinalStatus
    from .._poll_events import PollError as PollError
    from .._poll_events import PollEvent as PollEvent
    from .._poll_events import PollFinished as PollFinished
    from .._poll_events import PollSummary as PollSummary
    from .._poll_events import StatusChanged as StatusChanged

_POLL_EVENTS = frozenset(
    ("FinalStatus", "PollError", "PollEvent", "PollFinished", "PollSummary", "StatusChanged")
)


# Response invoice ids: one attribute whatever the source calls it.
_ID_CPP = wire("identifiantFactureCPP", fallback=("idFacture",))
_ID_FACTURE = wire("idFacture", fallback=("identifiantFactureCPP",))


# --- 5. factures/soumettre ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FacturesSoumettreRequest:
    """Body of ``factures/soumettre`` (``SubmitInvoiceRequest``).

    Amounts are Decimals with at most 2 decimals, sent as strings with exactly two
    (``"1250.50"``); ``total_net_amount + vat_amount`` must equal ``total_gross_amount``.
    ``attachment_id`` / ``attachment_label`` are ``mainAttachmentId`` / ``mainAttachmentLabel``.
    """

    invoice_number: str = attrs.field(validator=required(check_invoice_number))
    invoice_date: date = attrs.field(validator=required(check_date))
    payment_due_date: date | None = attrs.field(default=None, validator=opt_date)
    structure_id: int = attrs.field(validator=req_id)
    service_code: str | None = attrs.field(default=None, validator=opt_text)
    engagement_number: str | None = attrs.field(default=None, validator=opt_text)
    total_net_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    vat_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    total_gross_amount: Decimal = attrs.field(
        validator=required(check_amount), metadata=wire(money="fixed2")
    )
    attachment_id: int | None = attrs.field(
        default=None, validator=opt_id, metadata=wire("mainAttachmentId")
    )
    attachment_label: str | None = attrs.field(
        default=None,
        validator=optional(check_text, max_length=MAX_LABEL_LENGTH),
        metadata=wire("mainAttachmentLabel"),
    )
    comment: str | None = attrs.field(default=None, validator=opt_comment)
    purchase_order_reference: str | None = attrs.field(default=None, validator=opt_text)
    contract_reference: str | None = attrs.field(default=None, validator=opt_text)
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        check_totals(self.total_net_amount, self.vat_amount, self.total_gross_amount)


@attrs.frozen(kw_only=True)
class FacturesSoumettreResponse(TypedResponse):
    """200 body of ``factures/soumettre`` (``SubmitInvoiceResponse``).

    ``invoice_id`` (wire ``chorusInvoiceId``) is always there on success: a body without
    it is a :class:`ResponseDecodeError`.
    """

    invoice_id: int = attrs.field(metadata=wire("chorusInvoiceId"))
    deposit_flow_number: str | None = None


@attrs.frozen(kw_only=True)
class FacturesDeposerResult:
    """What ``factures.deposer`` did: the invoice, its deposit flow, the PDF's attachment
    id and the recipient structure resolved from its SIRET (``submission``: the raw
    ``soumettre`` response)."""

    invoice_id: int
    deposit_flow_number: str | None
    attachment_id: int
    structure_id: int
    structure_name: str | None = None
    submission: FacturesSoumettreResponse = attrs.field(repr=False)


# --- 6. factures/consulter ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FacturesConsulterRequest:
    """Body of ``factures/consulter`` (``GetInvoiceRequest``); ``invoice_id`` is
    ``chorusInvoiceId``."""

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("chorusInvoiceId"))
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class InvoiceStatus:
    """Current status of an invoice (``InvoiceStatus``).

    ``date`` is a :class:`~datetime.date`, or a :class:`~datetime.datetime` when the
    server sent a time.
    """

    code: InvoiceStatusCode
    label: str
    date: dt.date | None = attrs.field(default=None, metadata=wire(lenient=True))


@attrs.frozen(kw_only=True)
class FacturesConsulterResponse(TypedResponse):
    """200 body of ``factures/consulter`` (``GetInvoiceResponse``).

    ``invoice_id`` (wire ``chorusInvoiceId``) and ``status`` (``currentStatus``) are always
    there on success: a body without them is a :class:`ResponseDecodeError`.
    """

    invoice_id: int = attrs.field(metadata=wire("chorusInvoiceId"))
    invoice_number: str | None = None
    invoice_date: date | None = attrs.field(default=None, metadata=wire(lenient=True))
    total_gross_amount: Decimal | None = attrs.field(
        default=None, metadata=wire(money="string", lenient=True)
    )
    status: InvoiceStatus = attrs.field(metadata=wire("currentStatus"))
    recipient_structure_id: int | None = None
    recipient_name: str | None = wire_field("recipientStructureName")


@attrs.frozen(kw_only=True)
class FacturesConsulterManyResult:
    """One answer of ``factures.consulter_many``: the response, or the error for that id."""

    invoice_id: int
    response: FacturesConsulterResponse | None = attrs.field(default=None, repr=False)
    error: FactPulseError | None = None

    @property
    def ok(self) -> bool:
        """Whether the invoice was read (``response`` is set)."""
        return self.error is None


# --- 9. factures/telecharger-groupe ------------------------------------------------------------


def _to_file_format(value: FileFormat | str) -> FileFormat:
    return check_enum("file_format", FileFormat, value)


@attrs.frozen(kw_only=True)
class FacturesTelechargerGroupeRequest:
    """Body of ``factures/telecharger-groupe``.

    ``invoice_ids`` (wire ``listeIdentifiantsFactureCPP``): at least one invoice id (10 at
    most is recommended); ``include_attachments`` / ``file_format`` are
    ``inclurePiecesJointes`` / ``formatFichier``.
    """

    invoice_ids: tuple[int, ...] = attrs.field(
        converter=int_tuple,
        validator=required(check_id_list),
        metadata=wire("listeIdentifiantsFactureCPP"),
    )
    include_attachments: bool | None = filter_field("inclurePiecesJointes", opt_bool)
    file_format: FileFormat = attrs.field(converter=_to_file_format, metadata=wire("formatFichier"))
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class FacturesTelechargerGroupeResponse(NativeResponse):
    """200 body of ``factures/telecharger-groupe``.

    The client decodes the file (wire ``fichierBase64``, or the native
    ``fichierResultat``) as it arrives and keeps it decoded: in memory, or only in the
    file ``dest`` named (``raw.file`` says which). ``file_base64`` is then None; it holds
    the base64 text of a response built by hand. :meth:`content` gives the bytes;
    :attr:`content_kind` tells PDF, ZIP or XML apart from the magic bytes, whatever
    ``file_format`` was asked for.
    """

    file_base64: str | None = attrs.field(
        default=None, repr=False, metadata=wire("fichierBase64", fallback=("fichierResultat",))
    )

    @property
    def _status(self) -> int:
        return self.raw.status or 200  # 0: built by hand, not decoded

    def _file(self) -> bytes | Path:
        return _files.downloaded(self.file_base64, self.raw, self._status)

    def content(self) -> bytes:
        """The decoded file. Downloaded with ``dest``: read back from that file at each
        call (keep the result); else held by the response (built by hand: decoded at
        each call).

        Raises ResponseDecodeError when the file is missing, not base64, or can no
        longer be read back.
        """
        return _files.read_back(self._file(), self._status)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the decoded file to ``path`` (replacing it) and return the path.

        Written to a temporary file in the same folder, then renamed over ``path``:
        :class:`FileWriteError` (naming the path) when it cannot be written, and then
        nothing is left half-written and a file already at ``path`` is unchanged.
        Downloaded with ``dest``: that file is copied chunk by chunk (nothing if ``path``
        is that file). Blocking file I/O: from async code, pass ``dest=path`` to
        ``telecharger_groupe``, which writes as the answer arrives.
        """
        return _files.save_download(self._file(), path, self._status)

    def zip_members(self) -> list[str]:
        """The file names inside the ZIP archive (folders left out), in archive order.

        Raises ResponseDecodeError when the file is not a ZIP archive.
        """
        return _files.zip_members(self._file(), self._status)

    def read_member(self, name: str, *, max_bytes: int = _files.MAX_MEMBER_BYTES) -> bytes:
        """The content of one member of the ZIP archive (``KeyError`` if absent).

        Decompressed chunk by chunk: :class:`ArchiveTooLargeError` past ``max_bytes``
        (128 MiB by default), so no more than that is ever held in memory.
        """
        return _files.read_zip_member(self._file(), name, self._status, max_bytes=max_bytes)

    def extract(
        self,
        directory: str | os.PathLike[str],
        *,
        max_member_bytes: int = _files.MAX_MEMBER_BYTES,
        max_total_bytes: int = _files.MAX_TOTAL_BYTES,
    ) -> list[Path]:
        """Extract the ZIP archive into ``directory`` (created if needed); return the files.

        Members are streamed to disk. Refused before anything is written: names that are
        absolute, climb out of ``directory`` (``..``) or clash (ResponseDecodeError).
        :class:`ArchiveTooLargeError` when a member decompresses past
        ``max_member_bytes`` (128 MiB by default), all together past ``max_total_bytes``
        (1 GiB), or the archive has over 10,000 members; :class:`FileWriteError` when a
        file cannot be written. Files appear only once all are complete: on any error
        nothing is left half-written and existing files are unchanged.
        """
        return _files.extract_zip(
            self._file(),
            directory,
            self._status,
            max_member_bytes=max_member_bytes,
            max_total_bytes=max_total_bytes,
        )

    @property
    def content_kind(self) -> ContentKind:
        """``"pdf"``, ``"zip"``, ``"xml"`` or ``"unknown"``, from the first bytes."""
        return _files.content_kind(self.file_base64, self.raw)


# --- 10. factures/traiter-facture-recue ---------------------------------------------------------


def _to_target_status(value: TargetStatus | InvoiceStatusCode | str) -> TargetStatus:
    return check_enum("new_status", TargetStatus, value)


@attrs.frozen(kw_only=True)
class FacturesTraiterFactureRecueRequest:
    """Body of ``factures/traiter-facture-recue``: the recipient's decision.

    ``reason`` (wire ``motifRejet``) is required for SUSPENDUE and REJETEE;
    ``payment_mandate_number`` is the native ``numeroDPMandat``.
    """

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("identifiantFactureCPP"))
    new_status: TargetStatus = attrs.field(
        converter=_to_target_status, metadata=wire("nouveauStatut")
    )
    reason: str | None = reason_field("motifRejet", decided_by="new_status")
    comment: str | None = filter_field("commentaire", opt_comment)
    payment_mandate_number: str | None = filter_field("numeroDPMandat")
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None


@attrs.frozen(kw_only=True)
class FacturesTraiterFactureRecueResponse(NativeResponse):
    """200 body of ``factures/traiter-facture-recue``; ``invoice_id`` is ``idFacture``."""

    invoice_id: int = attrs.field(metadata=_ID_FACTURE)
    invoice_number: str | None = wire_field("numeroFacture")
    new_status: InvoiceStatusCode | None = wire_field("nouveauStatut")
    processing_date: date | None = wire_field("dateTraitement", lenient=True)


# --- 11. factures/completer ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AdditionalAttachment:
    """An attachment added by ``completer`` (wire ``listePiecesJointes[]``): the
    ``attachment_id`` ``transverses.ajouter_fichier`` returned, and its ``name``."""

    attachment_id: int = attrs.field(
        validator=required(check_id, prefix="attachments."), metadata=wire("pieceJointeIdFichier")
    )
    name: str = attrs.field(
        validator=required(check_text, prefix="attachments.", max_length=MAX_LABEL_LENGTH),
        metadata=wire("pieceJointeNom"),
    )


_check_attachments = items_of("attachments", AdditionalAttachment)


def _attachments(
    value: Iterable[AdditionalAttachment] | None,
) -> tuple[AdditionalAttachment, ...] | None:
    return tuple_or_none(value)


@attrs.frozen(kw_only=True)
class FacturesCompleterRequest:
    """Body of ``factures/completer``: complete a SUSPENDUE invoice.

    Give a ``comment`` (wire ``commentaire``, at most 2000 characters) and/or
    ``attachments`` (``listePiecesJointes``).
    """

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("identifiantFactureCPP"))
    comment: str | None = filter_field("commentaire", opt_comment)
    attachments: tuple[AdditionalAttachment, ...] | None = attrs.field(
        default=None,
        converter=_attachments,
        validator=_check_attachments,
        metadata=wire("listePiecesJointes"),
    )
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        if all_unset((self.comment, self.attachments)) and not self.extra:
            raise RequestValidationError("comment", "give a comment or at least one attachment")


@attrs.frozen(kw_only=True)
class FacturesCompleterResponse(NativeResponse):
    """200 body of ``factures/completer``; ``invoice_id`` is ``identifiantFactureCPP``."""

    invoice_id: int = attrs.field(metadata=_ID_CPP)
    invoice_number: str | None = wire_field("numeroFacture")
    processing_date: date | None = wire_field("dateTraitement", lenient=True)


# --- 12. factures/recycler ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FacturesRecyclerRequest:
    """Body of ``factures/recycler``: re-route an A_RECYCLER invoice.

    At least one of ``structure_id`` (wire ``idStructureCPP``), ``service_code``
    (``codeService``), ``engagement_number`` (``numeroEngagement``).
    """

    invoice_id: int = attrs.field(validator=req_id, metadata=wire("identifiantFactureCPP"))
    structure_id: int | None = filter_field("idStructureCPP", opt_id)
    service_code: str | None = filter_field("codeService")
    engagement_number: str | None = filter_field("numeroEngagement")
    extra: Mapping[str, Any] = extra_field()
    credentials: ChorusProCredentials | None = None

    def __attrs_post_init__(self) -> None:
        routing = (self.structure_id, self.service_code, self.engagement_number)
        if all_unset(routing) and not self.extra:
            raise RequestValidationError(
                "structure_id",
                "give at least one of structure_id, service_code, engagement_number",
            )


@attrs.frozen(kw_only=True)
class FacturesRecyclerResponse(NativeResponse):
    """200 body of ``factures/recycler``; ``invoice_id`` is ``identifiantFactureCPP``."""

    invoice_id: int = attrs.field(metadata=_ID_CPP)
    invoice_number: str | None = wire_field("numeroFacture")
    deposit_date: date | None = wire_field("dateDepot", lenient=True)
    status: InvoiceStatusCode | None = wire_field("statutFacture")


def __getattr__(name: str) -> Any:
    # The poll events live with the poller, which imports this module: re-exported lazily.
    if name in _POLL_EVENTS:
        from .. import _poll_events

        return getattr(_poll_events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
