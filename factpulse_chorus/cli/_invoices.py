"""``factpulse-chorus invoices``: submit, show, search, download, poll (the supplier's side)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from rich.console import Group

from .._client import AsyncChorusClient
from .._exceptions import RequestValidationError
from ..models.common import FileFormat, InvoiceStatusCode
from ._base import (
    AMOUNT,
    CONTEXT,
    DATE,
    FILE_TO_READ,
    FILE_TO_WRITE,
    api_command,
    lookup,
    read_ids,
)
from ._output import (
    EXIT_API_ERROR,
    EXIT_DEADLINE,
    EXIT_USAGE,
    Output,
    Shown,
    fields_view,
    table_view,
)
from ._store_commands import STORE_COMMANDS, db_option, ledger

if TYPE_CHECKING:
    from rich.table import Table

    from ..models.factures import FacturesConsulterResponse, FacturesRechercherFournisseurFilters

SEARCH_JSON = "Print one JSON object (the page); with --all, JSON lines: one object an invoice."


def ids_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--ids``: only the invoice ids, one a line (what ``invoices poll`` reads)."""
    return click.option("--ids", "ids_only", is_flag=True, help=help_text)


def print_ids(out: Output, invoice_ids: Iterable[int | None]) -> None:
    """The ids one a line on stdout (``--ids``, which ``--json`` contradicts); an item
    without an id has no line."""
    if out.as_json:
        out.fail("--ids and --json cannot be used together", EXIT_USAGE)
    for invoice_id in invoice_ids:
        if invoice_id is not None:
            click.echo(invoice_id)


@click.group(context_settings=CONTEXT)
def invoices() -> None:
    """Invoices: submit, show, search, download, poll; with a store: track, watch, status,
    reconcile."""


for _command in STORE_COMMANDS:
    invoices.add_command(_command)


@click.argument("pdf", **FILE_TO_READ)
@click.option("--recipient-siret", required=True, metavar="SIRET", help="The public buyer.")
@click.option("--number", required=True, metavar="TEXT", help="Invoice number.")
@click.option("--date", "invoice_date", required=True, **DATE, help="Invoice date.")
@click.option("--net", required=True, **AMOUNT, help="Total without VAT.")
@click.option("--vat", required=True, **AMOUNT, help="VAT amount.")
@click.option("--gross", required=True, **AMOUNT, help="Total with VAT (net + VAT).")
@click.option("--service-code", metavar="CODE", help="Recipient service code.")
@click.option("--engagement-number", metavar="TEXT", help="Engagement (order) number.")
@click.option("--due-date", **DATE, help="Payment due date.")
@click.option("--comment", metavar="TEXT", help="A comment.")
@db_option(create=True, help_text="Submit through this store's ledger (created if missing).")
@ids_option("Print only the invoice id (e.g. for invoice=$(...)).")
@api_command(
    invoices,
    "submit",
    flags={
        "pdf": "PDF",
        "file": "PDF",
        "siret": "--recipient-siret",
        "invoice_number": "--number",
        "total_net_amount": "--net",
        "vat_amount": "--vat",
        "total_gross_amount": "--gross",
        "payment_due_date": "--due-date",
    },
)
async def invoices_submit(
    client: AsyncChorusClient,
    out: Output,
    pdf: Path,
    recipient_siret: str,
    number: str,
    invoice_date: date,
    net: Decimal,
    vat: Decimal,
    gross: Decimal,
    service_code: str | None,
    engagement_number: str | None,
    due_date: date | None,
    comment: str | None,
    db: Path | str | None,
    ids_only: bool,
) -> Shown | None:
    """Deposit an invoice: resolve the SIRET, check the recipient's needs, upload, submit.
    With --db, exit code 5 if the store's ledger holds the number already (nothing sent)."""
    if ids_only and out.as_json:  # refused before anything is sent
        print_ids(out, ())
    async with ledger(out, db) as store:
        result = await client.factures.deposer(
            pdf,
            recipient_siret=recipient_siret,
            invoice_number=number,
            invoice_date=invoice_date,
            total_net_amount=net,
            vat_amount=vat,
            total_gross_amount=gross,
            service_code=service_code,
            engagement_number=engagement_number,
            payment_due_date=due_date,
            comment=comment,
            store=store,
        )
    if ids_only:
        print_ids(out, [result.invoice_id])
        return None
    return result, fields_view(
        f"Invoice {number} submitted",
        (
            ("invoice id", result.invoice_id),
            ("deposit flow", result.deposit_flow_number),
            ("attachment id", result.attachment_id),
            ("recipient", f"{result.structure_id} {result.structure_name or ''}"),
        ),
    )


@lookup(invoices, "show", "invoice_id", lambda client: client.factures.consulter)
def invoices_show(found: FacturesConsulterResponse, invoice_id: int) -> Table:
    """Status and main data of an invoice."""
    return fields_view(
        f"Invoice {invoice_id}",
        (
            ("number", found.invoice_number),
            ("date", found.invoice_date),
            ("total", found.total_gross_amount),
            ("status", found.status.code),
            ("status label", found.status.label),
            ("recipient", f"{found.recipient_structure_id} {found.recipient_name}"),
        ),
    )


@click.option("--number", metavar="TEXT", help="Invoice number.")
@click.option("--status", "statuses", multiple=True, metavar="STATUS", help="Current status.")
@click.option("--from", "date_from", **DATE, help="Invoice date from.")
@click.option("--to", "date_to", **DATE, help="Invoice date to.")
@click.option("--page", type=click.IntRange(1), default=1, help="The page to read.")
@click.option("--page-size", type=click.IntRange(1), help="Results per page.")
@click.option("--all", "every_page", is_flag=True, help="Every page (JSON lines with --json).")
@ids_option("Print only the invoice ids, one a line (what `invoices poll` reads).")
@api_command(
    invoices,
    "search",
    flags={
        "invoice_number": "--number",
        "status": "--status",
        "invoice_date_from": "--from",
        "invoice_date_to": "--to",
    },
    json_help=SEARCH_JSON,
)
async def invoices_search(
    client: AsyncChorusClient,
    out: Output,
    number: str | None,
    statuses: tuple[str, ...],
    date_from: date | None,
    date_to: date | None,
    page: int,
    page_size: int | None,
    every_page: bool,
    ids_only: bool,
) -> Shown | None:
    """Search the invoices you issued, as a supplier."""
    if ids_only and out.as_json:  # refused before anything is sent
        print_ids(out, ())
    filters: FacturesRechercherFournisseurFilters = {
        "invoice_number": number,
        "status": [InvoiceStatusCode(s) for s in statuses] or None,
        "invoice_date_from": date_from,
        "invoice_date_to": date_to,
        "page_size": page_size,
    }
    columns = ("id", "number", "date", "status", "recipient", "total")

    def row(f: Any) -> tuple[Any, ...]:
        return (
            f.invoice_id, f.invoice_number, f.invoice_date, f.status,
            f.recipient_name, f.total_gross_amount,
        )  # fmt: skip

    if every_page:
        rows = []
        async for invoice in client.factures.iter_fournisseur(**filters):
            if ids_only:
                print_ids(out, [invoice.invoice_id])
            elif out.as_json:
                out.json(invoice)
            else:
                rows.append(row(invoice))
        if not (out.as_json or ids_only):
            out.table(f"{len(rows)} invoices", columns, rows)
        return None
    found = await client.factures.rechercher_fournisseur(page=page, **filters)
    if ids_only:
        print_ids(out, (f.invoice_id for f in found.invoices))
        return None
    info = found.page_info
    title = (
        f"Page {info.page} of {info.page_count}, {info.total} invoices"
        if info and info.total
        else "No invoices"
    )
    return found, table_view(title, columns, (row(f) for f in found.invoices))


@click.argument("invoice_ids", type=int, nargs=-1, required=True)
@click.option(
    "--format", "file_format", type=click.Choice(["ZIP", "PDF", "XML"], case_sensitive=False),
    default="ZIP", show_default=True,
)  # fmt: skip
@click.option(
    "--output", "-o", required=True, **FILE_TO_WRITE,
    help="Where to write the file (its folder must exist).",
)  # fmt: skip
@click.option("--with-attachments", is_flag=True, help="Include the attachments.")
@api_command(
    invoices,
    "download",
    flags={"dest": "--output", "include_attachments": "--with-attachments"},
)
async def invoices_download(
    client: AsyncChorusClient,
    out: Output,
    invoice_ids: tuple[int, ...],
    file_format: str,
    output: Path,
    with_attachments: bool,
) -> Shown:
    """Download at most 10 invoices as one file."""
    found = await client.factures.telecharger_groupe(
        invoice_ids,
        file_format=FileFormat(file_format),
        include_attachments=with_attachments or None,
        dest=output,
    )
    size = len(found.content())
    members = found.zip_members() if found.content_kind == "zip" else []
    written = {"path": str(output), "bytes": size, "kind": found.content_kind, "members": members}
    lines = [f"Wrote {output} ({size} bytes, {found.content_kind})"]
    return written, Group(*lines, *(f"  {member}" for member in members))


def _seconds(
    flag: str, default: float | None, help_text: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option taking a number of seconds > 0; its default (if any) shown in the help."""
    shown: dict[str, Any] = {} if default is None else {"default": default, "show_default": True}
    return click.option(flag, type=click.FloatRange(min=0, min_open=True), help=help_text, **shown)


@click.argument("source", metavar="[FILE]", type=click.File("r"), default="-")
@_seconds("--interval", 60.0, "Seconds between reads of a changing invoice.")
@_seconds("--max-interval", 3600.0, "Longest wait while nothing changes.")
@click.option(
    "--concurrency", type=click.IntRange(1), default=32, help="Invoices read at the same time."
)
@_seconds("--deadline", None, "Stop after this many seconds (then exit code 3).")
@api_command(
    invoices,
    "poll",
    flags={"invoice_ids": "FILE"},
    json_help="Print JSON lines: one object a final invoice, then one with the summary.",
)
async def invoices_poll(
    client: AsyncChorusClient,
    out: Output,
    source: IO[str],
    interval: float,
    max_interval: float,
    concurrency: int,
    deadline: float | None,
) -> None:
    """Follow invoices to a final status: ids one a line, from FILE or stdin (FILE - or
    left out). Exit code 1 if an invoice could not be read, 3 if the deadline came first."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .._poll_events import FinalStatus, PollError
    from .._polling import InvoicePoller

    reads_stdin = getattr(source, "name", None) == "<stdin>"
    if click.get_current_context().params.get("password_stdin") and reads_stdin:
        raise RequestValidationError("invoice_ids", "stdin holds the password: give a FILE")
    ids = list(read_ids(source))
    if not ids:
        raise RequestValidationError("invoice_ids", "no invoice id given")
    progress = Progress(
        TextColumn("Polling"), BarColumn(), MofNCompleteColumn(),
        console=out.errors, disable=out.as_json and not out.errors.is_terminal,
    )  # fmt: skip
    results: list[tuple[int, Any, str | None]] = []
    poller = InvoicePoller(
        lambda invoice_id: client.factures.consulter(invoice_id, max_retries=0),
        ids, interval=interval, max_interval=max_interval, concurrency=concurrency,
        deadline=deadline,
    )  # fmt: skip
    async with poller:
        with progress:
            task = progress.add_task("poll", total=len(ids))
            async for event in poller:
                if isinstance(event, FinalStatus):
                    results.append((event.invoice_id, event.status, None))
                elif isinstance(event, PollError) and event.gave_up:
                    results.append((event.invoice_id, None, str(event.error)))
                else:
                    continue
                progress.advance(task)
                if out.as_json:
                    invoice_id, status, error = results[-1]
                    out.json({"invoice_id": invoice_id, "status": status, "error": error})
    summary = poller.summary
    if out.as_json:
        out.json({"summary": summary})
    else:
        not_final = [(invoice_id, "not final", None) for invoice_id in summary.pending]
        out.table("Final statuses", ("invoice", "status", "error"), [*results, *not_final])
        out.line(f"{summary.requests} requests in {summary.elapsed:.1f} s")
    if summary.pending or summary.failed:
        # A read that failed is an API error; only waiting longer could end the others.
        out.fail(
            f"{len(summary.pending)} invoices not final, {len(summary.failed)} given up"
            + ("" if summary.failed else ": deadline reached"),
            EXIT_API_ERROR if summary.failed else EXIT_DEADLINE,
        )
