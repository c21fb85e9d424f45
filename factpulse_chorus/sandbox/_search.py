"""The search engine of the three searches: who sees what, filters, sort keys and pages.

``role`` is the search's point of view: ``"fournisseur"`` (invoices the caller issued),
``"destinataire"`` (invoices made available to the caller) or ``"valideur"`` (invoices
awaiting the caller's validation). Unknown filter keys are ignored, as the API does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from ._directory import Directory, Structure
from ._lifecycle import Lifecycle
from ._parse import (
    as_int,
    filter_amount,
    optional_bool,
    optional_int,
    optional_str,
    parse_date,
    parse_datetime,
    required_int,
    status_key,
)
from ._records import Invoice, bad_param, plays
from ._store import Store

__all__ = ["Role", "search"]

Role = Literal["fournisseur", "destinataire", "valideur"]
Predicate = Callable[[Invoice], bool]

_PAGE_KEYS: dict[Role, str] = {
    "fournisseur": "rechercheFactureParFournisseur",
    "destinataire": "paramRecherche",
    "valideur": "pagination",
}


def search(
    store: Store,
    directory: Directory,
    lifecycle: Lifecycle,
    *,
    login: str,
    body: dict[str, Any],
    role: Role,
    now: float,
) -> tuple[list[Invoice], dict[str, int]]:
    """One page of the invoices ``login`` sees in ``role`` and match ``body``'s filters."""
    predicates = _filters(body, role)
    page, size, sort_key, descending = _pagination(body.get(_PAGE_KEYS[role]), directory)
    ids = directory.account_structures(login)
    matches: list[Invoice] = []
    for invoice in store.invoices.values():
        if invoice.plan and invoice.plan[0][0] <= now:
            lifecycle.settle(invoice, now)
        if role == "fournisseur":
            visible = plays(ids, invoice.supplier_structure_id)
        elif role == "destinataire":
            visible = invoice.delivered and plays(ids, invoice.recipient_structure_id)
        else:
            validator = invoice.current_validator()
            visible = validator is not None and plays(ids, validator)
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


def _pagination(
    request: Any, directory: Directory
) -> tuple[int, int, Callable[[Invoice], Any], bool]:
    if not isinstance(request, dict):
        request = {}
    page = as_int(request.get("pageResultatDemandee"))
    page = page if page is not None and page >= 1 else 1
    size = as_int(request.get("nbResultatsParPage"))
    size = 10 if size is None or size < 1 else min(size, 200)
    column = request.get("triColonne")
    keys = _sort_keys(directory)
    key = keys.get(column.strip().lower() if isinstance(column, str) else "", keys["datedepot"])
    direction = request.get("triSens")
    descending = not (isinstance(direction, str) and direction.strip().lower() == "ascendant")
    return page, size, key, descending


def _sort_keys(directory: Directory) -> dict[str, Callable[[Invoice], Any]]:
    """``triColonne`` (lower-cased) -> the sort key of an invoice."""

    def recipient(inv: Invoice) -> Structure:
        return directory.require(inv.recipient_structure_id)

    def supplier(inv: Invoice) -> Structure:
        return directory.require(inv.supplier_structure_id)

    def service_label(inv: Invoice) -> str:
        structure = directory.get(inv.recipient_structure_id)
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


def _compare(get: Callable[[Invoice], Any], op: str, bound: Any) -> Predicate:
    """A filter predicate ``get(invoice) <op> bound`` (a closure per filter, bound early)."""
    if op == "==":
        return lambda inv: bool(get(inv) == bound)
    if op == ">=":
        return lambda inv: bool(get(inv) >= bound)
    return lambda inv: bool(get(inv) <= bound)


def _filters(body: dict[str, Any], role: Role) -> list[Predicate]:
    """The filters of the supplier, recipient and validator searches that the sandbox applies."""
    preds = _status_filters(body)
    preds += _text_filters(body, role)
    preds += _date_filters(body)
    preds += _amount_filters(body, role)
    preds += _party_filters(body, role)
    return preds


def _status_filters(body: dict[str, Any]) -> list[Predicate]:
    statuses = body.get("statutCourant")
    if isinstance(statuses, str):
        statuses = [statuses]
    if statuses is None:
        return []
    if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
        raise bad_param("statutCourant must be a list of status codes")
    if not statuses:
        return []
    wanted = frozenset(status_key(s) for s in statuses)
    return [lambda inv: status_key(inv.status) in wanted]


def _text_filters(body: dict[str, Any], role: Role) -> list[Predicate]:
    texts: list[tuple[str, Callable[[Invoice], str | None]]] = [
        ("numeroFacture", lambda inv: inv.number),
        ("numeroBonCommande", lambda inv: inv.purchase_order),
        ("numeroMarche", lambda inv: inv.contract),
    ]
    if role == "fournisseur":
        texts.append(("numeroFluxDepot", lambda inv: inv.flow_number))
    if role == "valideur":
        texts.append(("numeroEngagement", lambda inv: inv.engagement_number))
    preds: list[Predicate] = []
    for name, text_of in texts:
        value = optional_str(body, name)
        if value is not None:
            preds.append(_compare(text_of, "==", value))
    return preds


def _date_filters(body: dict[str, Any]) -> list[Predicate]:
    preds: list[Predicate] = []
    dates: list[tuple[str, Callable[[Invoice], str]]] = [
        ("periodeDateFacture", lambda inv: inv.invoice_date),
        ("periodeDateDepot", lambda inv: inv.deposit_date),
    ]
    for prefix, date_of in dates:
        for suffix in ("Du", "Au"):
            raw = body.get(prefix + suffix)
            if raw is None:
                continue
            bound = parse_date(raw)
            if bound is None:
                raise bad_param(f"{prefix}{suffix} must be a YYYY-MM-DD date")
            preds.append(_compare(date_of, ">=" if suffix == "Du" else "<=", bound))
    for suffix in ("Du", "Au"):
        name = "periodeDateHeureEtatCourant" + suffix
        if body.get(name) is None:
            continue
        moment = parse_datetime(body[name], end_of_day=suffix == "Au")
        if moment is None:
            raise bad_param(f"{name} must be an ISO 8601 date-time")
        preds.append(_compare(lambda inv: inv.status_ts, ">=" if suffix == "Du" else "<=", moment))
    return preds


def _amount_filters(body: dict[str, Any], role: Role) -> list[Predicate]:
    to_pay = "montantAPayer" if role == "valideur" else "montantApayer"
    amounts: list[tuple[str, Callable[[Invoice], Decimal]]] = [
        ("montantHT", lambda inv: inv.net),
        ("montantTTC", lambda inv: inv.gross),
        (to_pay, lambda inv: inv.gross),
    ]
    preds: list[Predicate] = []
    for prefix, amount_of in amounts:
        for suffix in ("Min", "Max"):
            raw = body.get(prefix + suffix)
            if raw is None:
                continue
            limit = filter_amount(raw, prefix + suffix)
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
    return preds


def _party_filters(body: dict[str, Any], role: Role) -> list[Predicate]:
    preds: list[Predicate] = []
    service = optional_int(body, "idServiceExecutant")
    if service is not None:
        preds.append(lambda inv: inv.service_id == service)
    validator = optional_int(body, "idStructureValideur")
    if validator is not None:
        if role == "valideur":
            preds.append(lambda inv: inv.current_validator() == validator)
        else:
            preds.append(lambda inv: validator in inv.validators)
    if role in ("fournisseur", "valideur"):
        supplier = optional_int(body, "idFournisseur")
        if supplier is not None:
            preds.append(lambda inv: inv.supplier_structure_id == supplier)
    if role in ("destinataire", "valideur"):
        recipient = optional_int(body, "idDestinataire")
        if recipient is not None:
            preds.append(lambda inv: inv.recipient_structure_id == recipient)
    if role == "fournisseur" and body.get("listeDestinataire") is not None:
        preds.append(_recipient_list_filter(body["listeDestinataire"]))
    if role == "destinataire":
        downloaded = optional_bool(body, "factureTelechargeeParDestinataire")
        if downloaded is not None:
            preds.append(lambda inv: inv.downloaded == downloaded)
        if body.get("listeFournisseurs") is not None:
            preds.append(_supplier_list_filter(body["listeFournisseurs"]))
    return preds


def _recipient_list_filter(raw: Any) -> Predicate:
    if not isinstance(raw, list):
        raise bad_param("listeDestinataire must be a list of objects")
    wanted: list[tuple[int, frozenset[int]]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_param("listeDestinataire items must be objects")
        recipient = required_int(item, "idDestinataire")
        services = item.get("listeIdServiceExecutant") or []
        if not isinstance(services, list) or any(as_int(s) is None for s in services):
            raise bad_param("listeIdServiceExecutant must be a list of integers")
        wanted.append((recipient, frozenset(as_int(s) or 0 for s in services)))
    if not wanted:
        return lambda inv: True
    return lambda inv: any(
        inv.recipient_structure_id == recipient and (not services or inv.service_id in services)
        for recipient, services in wanted
    )


def _supplier_list_filter(raw: Any) -> Predicate:
    if not isinstance(raw, list):
        raise bad_param("listeFournisseurs must be a list of objects")
    suppliers: set[int] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise bad_param("listeFournisseurs items must be objects")
        # listeIdService names supplier services; sandbox suppliers have none: ignored.
        suppliers.add(required_int(item, "idFournisseur"))
    if not suppliers:
        return lambda inv: True
    return lambda inv: inv.supplier_structure_id in suppliers
