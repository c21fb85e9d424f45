"""The click commands of ``factpulse-chorus``.

Each API command builds one :class:`AsyncChorusClient` from the ``--base-url``/``--email``/...
flags, or, when a flag is left out, from the client's ``FACTPULSE_*`` environment variables
(the client reads them itself, so the rules of the README's Configuration apply), runs one
coroutine with ``asyncio.run`` and prints the result. Expected errors end the command with
one ``error: ...`` line on stderr and exit code 1 (the API or Chorus Pro said no, or the
server could not be reached) or 2 (bad arguments, refused before sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import click

from .. import __version__
from .._client import AsyncChorusClient
from .._exceptions import FactPulseError, RequestValidationError
from ..models.common import FileFormat, InvoiceStatusCode
from ._output import EXIT_API_ERROR, EXIT_USAGE, Output

if TYPE_CHECKING:
    from ..models.common import TargetStatusInput, ValidatorActionLiteral
    from ..models.factures import FacturesRechercherFournisseurFilters
    from ..models.valideur import ValideurRechercherFilters

T = TypeVar("T")

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --- shared options ------------------------------------------------------------------------


def _json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (one object, or JSON lines)."
    )(command)


# Defaults are never shown: they come from the environment and may be secrets.
_CONNECTION_OPTIONS = (
    click.option("--base-url", metavar="URL", help="API root [env: FACTPULSE_BASE_URL]."),
    click.option("--email", metavar="EMAIL", help="Account e-mail [env: FACTPULSE_EMAIL]."),
    click.option(
        "--password", metavar="PASSWORD", help="Account password [env: FACTPULSE_PASSWORD]."
    ),
    click.option(
        "--client-uid", metavar="UID", help="Client UUID at login [env: FACTPULSE_CLIENT_UID]."
    ),
    click.option("--token", metavar="JWT", help="A ready access token [env: FACTPULSE_TOKEN]."),
    click.option("--api-key", metavar="KEY", help="An API key [env: FACTPULSE_API_KEY]."),
)
_CONNECTION_NAMES = ("base_url", "email", "password", "client_uid", "token", "api_key")

ApiCommand = Callable[..., Awaitable[None]]


def api_command(group: click.Group, name: str) -> Callable[[ApiCommand], click.Command]:
    """Register ``async def command(client, out, **arguments)`` as ``group name``.

    Adds the connection options and ``--json``, builds the client, runs the coroutine
    and turns the SDK's errors into a message and an exit code. The command's own
    arguments and options are the click decorators stacked *above* this one.
    """

    def decorate(function: ApiCommand) -> click.Command:
        @functools.wraps(function)
        def command(**arguments: Any) -> None:
            out = Output(as_json=arguments.pop("as_json"))
            settings = {key: arguments.pop(key) for key in _CONNECTION_NAMES}

            async def run() -> None:
                async with AsyncChorusClient(**settings) as client:
                    await function(client, out, **arguments)

            guarded(out, lambda: asyncio.run(run()))

        wrapped: Callable[..., Any] = _json_option(command)
        for option in reversed(_CONNECTION_OPTIONS):
            wrapped = option(wrapped)
        return group.command(name, context_settings=_CONTEXT)(wrapped)

    return decorate


def guarded(out: Output, call: Callable[[], T]) -> T:
    """``call()``, with the expected errors turned into one line and an exit code."""
    try:
        return call()
    except RequestValidationError as exc:
        out.fail(str(exc), EXIT_USAGE)
    except FactPulseError as exc:
        out.fail(f"{type(exc).__name__}: {exc}", EXIT_API_ERROR)
    except OSError as exc:  # a file to read or write
        out.fail(f"{exc.strerror or exc}: {exc.filename or ''}", EXIT_API_ERROR)
    except KeyboardInterrupt:
        out.fail("interrupted", 130)


# --- parameter types -------------------------------------------------------------------------


def _amount(_ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a decimal amount, e.g. 1250.50") from None


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


AMOUNT: dict[str, Any] = {"metavar": "AMOUNT", "callback": _amount}
DATE: dict[str, Any] = {"metavar": "YYYY-MM-DD", "callback": _date}


@contextlib.contextmanager
def _flags(**flags: str) -> Iterator[None]:
    """Re-raise a RequestValidationError naming an SDK parameter with the command's flag
    (``flags``: parameter -> flag), so that the message names what the user typed."""
    try:
        yield
    except RequestValidationError as exc:
        flag = flags.get(exc.field.partition(".")[0])
        if flag is None:
            raise
        raise RequestValidationError(flag, exc.rule) from None


_SUBMIT_FLAGS: dict[str, str] = {
    "recipient_siret": "--recipient-siret",
    "invoice_number": "--number",
    "invoice_date": "--date",
    "total_net_amount": "--net",
    "vat_amount": "--vat",
    "total_gross_amount": "--gross",
    "service_code": "--service-code",
    "engagement_number": "--engagement-number",
    "payment_due_date": "--due-date",
    "comment": "--comment",
    "siret": "--recipient-siret",
}
_SEARCH_FLAGS: dict[str, str] = {
    "invoice_number": "--number",
    "status": "--status",
    "statut_courant": "--status",
    "invoice_date_from": "--from",
    "invoice_date_to": "--to",
    "page": "--page",
    "page_size": "--page-size",
    "pagination": "--page-size",
}


# --- the root ----------------------------------------------------------------------------------


@click.group(context_settings=_CONTEXT)
@click.version_option(__version__, prog_name="factpulse-chorus")
def cli() -> None:
    """Chorus Pro through the FactPulse API, and an offline demo.

    Start with `factpulse-chorus demo` (no account, no network). The other commands use
    the FACTPULSE_* environment variables or the --base-url/--email/... flags (a
    credential flag makes the credential variables ignored, as in code).
    Exit codes: 0 done, 1 refused by the API or unreachable, 2 bad arguments.
    """


@cli.command(context_settings=_CONTEXT)
@click.option(
    "--invoices", type=click.IntRange(1, 100_000), default=1000, show_default=True,
    help="Invoices in the batch poll.",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Sandbox seed.")
@click.option("--faults", is_flag=True, help="Inject 3% HTTP 503 and 1% 429 so retries show.")
@_json_option
def demo(invoices: int, seed: int, faults: bool, as_json: bool) -> None:
    """Run the whole Chorus Pro story against the embedded sandbox, offline.

    A supplier finds a public structure, uploads a PDF and submits invoices; a validator
    approves and refuses; the recipient suspends, the supplier completes, the recipient
    pays; then a batch of invoices is polled to a final status.
    """
    from ._demo import run_demo

    out = Output(as_json=as_json)
    code = guarded(
        out, lambda: asyncio.run(run_demo(out, invoices=invoices, seed=seed, faults=faults))
    )
    raise click.exceptions.Exit(code)


@cli.command(
    context_settings={**_CONTEXT, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def sandbox(arguments: Sequence[str]) -> None:
    """Serve the offline sandbox (see `factpulse-chorus sandbox --help`)."""
    from ..sandbox.__main__ import main as sandbox_main

    raise click.exceptions.Exit(sandbox_main(arguments, prog="factpulse-chorus sandbox"))


# --- structures --------------------------------------------------------------------------------


@cli.group(context_settings=_CONTEXT)
def structures() -> None:
    """Public structures: search, details, services, SIRET -> id."""


@click.option("--identifier", metavar="SIRET", help="A SIRET (or another identifier).")
@click.option("--identifier-type", metavar="TYPE", help="SIRET (default with --identifier), ...")
@click.option("--name", "company_name", metavar="TEXT", help="Company name.")
@api_command(structures, "search")
async def structures_search(
    client: AsyncChorusClient,
    out: Output,
    identifier: str | None,
    identifier_type: str | None,
    company_name: str | None,
) -> None:
    """Search structures (the API returns the first 10 matches and the total)."""
    if identifier and not identifier_type:
        identifier_type = "SIRET"
    found = await client.structures.rechercher(
        structure_identifier=identifier,
        structure_identifier_type=identifier_type,
        company_name=company_name,
    )
    if out.as_json:
        out.json(found)
        return
    out.table(
        f"{len(found.structures)} of {found.total} structures",
        ("id", "identifier", "type", "name", "status"),
        (
            (s.structure_id, s.structure_identifier, s.structure_identifier_type,
             s.structure_name, s.status)
            for s in found.structures
        ),
    )  # fmt: skip


@click.argument("structure_id", type=int)
@api_command(structures, "show")
async def structures_show(client: AsyncChorusClient, out: Output, structure_id: int) -> None:
    """A structure and what its invoices need (service code, engagement number)."""
    found = await client.structures.consulter(structure_id)
    if out.as_json:
        out.json(found)
        return
    parameters = found.parameters
    out.fields(
        f"Structure {structure_id}",
        (
            ("identifier", found.structure_identifier),
            ("name", found.company_name or found.structure_label),
            ("VAT number", found.vat_number),
            ("e-mail", found.structure_email),
            ("service code required", parameters and parameters.service_code_required),
            ("engagement number required", parameters and parameters.engagement_number_required),
        ),
    )


@click.argument("structure_id", type=int)
@api_command(structures, "services")
async def structures_services(client: AsyncChorusClient, out: Output, structure_id: int) -> None:
    """The services of a structure, active or not."""
    found = await client.structures.lister_services(structure_id)
    if out.as_json:
        out.json(found)
        return
    out.table(
        f"Services of structure {structure_id}",
        ("id", "code", "label", "active"),
        ((s.service_id, s.service_code, s.service_label, s.is_active) for s in found.services),
    )


@click.argument("siret")
@api_command(structures, "id")
async def structures_id(client: AsyncChorusClient, out: Output, siret: str) -> None:
    """The Chorus Pro structure id of a SIRET."""
    found = await client.structures.obtenir_id_depuis_siret(siret)
    if out.as_json:
        out.json(found)
        return
    out.line(f"{found.structure_id}\t{found.structure_name or ''}")


# --- invoices ----------------------------------------------------------------------------------


@cli.group(context_settings=_CONTEXT)
def invoices() -> None:
    """Invoices: submit, show, search, download, poll."""


@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
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
@api_command(invoices, "submit")
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
) -> None:
    """Deposit an invoice: resolve the SIRET, check the recipient's needs, upload, submit."""
    with _flags(**_SUBMIT_FLAGS):
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
        )
    if out.as_json:
        out.json(result)
        return
    out.fields(
        f"Invoice {number} submitted",
        (
            ("invoice id", result.invoice_id),
            ("deposit flow", result.deposit_flow_number),
            ("attachment id", result.attachment_id),
            ("recipient", f"{result.structure_id} {result.structure_name or ''}"),
        ),
    )


@click.argument("invoice_id", type=int)
@api_command(invoices, "show")
async def invoices_show(client: AsyncChorusClient, out: Output, invoice_id: int) -> None:
    """Status and main data of an invoice."""
    found = await client.factures.consulter(invoice_id)
    if out.as_json:
        out.json(found)
        return
    out.fields(
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
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1), help="Results per page.")
@click.option("--all", "every_page", is_flag=True, help="Every page (JSON lines with --json).")
@api_command(invoices, "search")
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
) -> None:
    """Search the invoices you issued, as a supplier."""
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
        with _flags(**_SEARCH_FLAGS):
            async for invoice in client.factures.iter_fournisseur(**filters):
                if out.as_json:
                    out.json(invoice)
                else:
                    rows.append(row(invoice))
        if not out.as_json:
            out.table(f"{len(rows)} invoices", columns, rows)
        return
    with _flags(**_SEARCH_FLAGS):
        found = await client.factures.rechercher_fournisseur(page=page, **filters)
    if out.as_json:
        out.json(found)
        return
    info = found.page_info
    title = (
        f"Page {info.page} of {info.page_count}, {info.total} invoices"
        if info and info.total
        else "No invoices"
    )
    out.table(title, columns, (row(f) for f in found.invoices))


@click.argument("invoice_ids", type=int, nargs=-1, required=True)
@click.option(
    "--format", "file_format", type=click.Choice(["ZIP", "PDF", "XML"], case_sensitive=False),
    default="ZIP", show_default=True,
)  # fmt: skip
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the file.",
)  # fmt: skip
@click.option("--with-attachments", is_flag=True, help="Include the attachments.")
@api_command(invoices, "download")
async def invoices_download(
    client: AsyncChorusClient,
    out: Output,
    invoice_ids: tuple[int, ...],
    file_format: str,
    output: Path,
    with_attachments: bool,
) -> None:
    """Download at most 10 invoices as one file."""
    with _flags(invoice_ids="INVOICE_IDS", file_format="--format"):
        found = await client.factures.telecharger_groupe(
            invoice_ids,
            file_format=FileFormat(file_format),
            include_attachments=with_attachments or None,
            dest=output,
        )
    size = len(found.content())
    members = found.zip_members() if found.content_kind == "zip" else []
    if out.as_json:
        out.json(
            {"path": str(output), "bytes": size, "kind": found.content_kind, "members": members}
        )
        return
    out.line(f"Wrote {output} ({size} bytes, {found.content_kind})")
    for member in members:
        out.line(f"  {member}")


def _read_ids(source: IO[str]) -> Iterator[int]:
    for number, raw in enumerate(source, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            yield int(line)
        except ValueError:
            raise RequestValidationError(
                "invoice_ids", f"line {number}: {line[:40]!r} is not an invoice id"
            ) from None


@click.argument("source", type=click.File("r"), default="-")
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds between reads of a changing invoice.",
)
@click.option(
    "--max-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="Longest wait while nothing changes.",
)
@click.option("--concurrency", type=click.IntRange(1), default=32, show_default=True)
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True),
              help="Stop after this many seconds.")  # fmt: skip
@api_command(invoices, "poll")
async def invoices_poll(
    client: AsyncChorusClient,
    out: Output,
    source: IO[str],
    interval: float,
    max_interval: float,
    concurrency: int,
    deadline: float | None,
) -> None:
    """Follow invoices (ids one per line, from FILE or stdin) to a final status."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .._polling import FinalStatus, InvoicePoller, PollError

    ids = list(_read_ids(source))
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
        out.fail(
            f"{len(summary.pending)} invoices not final, {len(summary.failed)} given up",
            EXIT_API_ERROR,
        )


# --- attachments -------------------------------------------------------------------------------


@cli.group(context_settings=_CONTEXT)
def attachments() -> None:
    """Attachments (invoice PDFs, supporting documents)."""


@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", metavar="NAME", help="File name to send (default: the file's).")
@api_command(attachments, "upload")
async def attachments_upload(
    client: AsyncChorusClient, out: Output, path: Path, name: str | None
) -> None:
    """Upload a file (at most 10 MiB); prints its attachment id."""
    found = await client.transverses.ajouter_fichier(path, name=name)
    if out.as_json:
        out.json(found)
        return
    out.line(str(found.attachment_id))


# --- validator ---------------------------------------------------------------------------------


@cli.group(context_settings=_CONTEXT)
def validator() -> None:
    """The validator: invoices awaiting your validation."""


@click.option("--status", "statuses", multiple=True, metavar="STATUS", help="Current status.")
@click.option("--number", metavar="TEXT", help="Invoice number.")
@click.option("--all", "every_page", is_flag=True, help="Every page (JSON lines with --json).")
@api_command(validator, "search")
async def validator_search(
    client: AsyncChorusClient,
    out: Output,
    statuses: tuple[str, ...],
    number: str | None,
    every_page: bool,
) -> None:
    """Invoices awaiting your validation."""
    filters: ValideurRechercherFilters = {
        "status": [InvoiceStatusCode(s) for s in statuses] or None,
        "invoice_number": number,
    }
    if every_page:
        items = [item async for item in client.valideur.iter_rechercher(**filters)]
        if out.as_json:
            for item in items:
                out.json(item)
            return
    else:
        found = await client.valideur.rechercher(**filters)
        if out.as_json:
            out.json(found)
            return
        items = list(found.invoices)
    out.table(
        f"{len(items)} invoices",
        ("id", "number", "status", "supplier", "total"),
        ((f.invoice_id, f.invoice_number, f.status, f.supplier_name, f.total_gross_amount)
         for f in items),
    )  # fmt: skip


@click.argument("invoice_id", type=int)
@api_command(validator, "show")
async def validator_show(client: AsyncChorusClient, out: Output, invoice_id: int) -> None:
    """The full detail of an invoice, for its validator."""
    found = await client.valideur.consulter(invoice_id)
    if out.as_json:
        out.json(found)
        return
    detail = found.invoice
    out.fields(
        f"Invoice {invoice_id}",
        (
            ("number", detail.invoice_number),
            ("status", detail.status),
            ("total", detail.totals and detail.totals.total_gross_amount),
            ("comment", detail.comment),
        ),
    )


async def _validate(
    client: AsyncChorusClient,
    out: Output,
    invoice_id: int,
    action: ValidatorActionLiteral,
    *,
    reason: str | None = None,
    comment: str | None = None,
) -> None:
    result = await client.valideur.traiter(invoice_id, action, reason=reason, comment=comment)
    if out.as_json:
        out.json(result)
        return
    out.line(f"{invoice_id}: {result.status}")


@click.argument("invoice_id", type=int)
@click.option("--comment", metavar="TEXT", help="Additional information.")
@api_command(validator, "approve")
async def validator_approve(
    client: AsyncChorusClient, out: Output, invoice_id: int, comment: str | None
) -> None:
    """Approve an invoice (VALIDATION)."""
    await _validate(client, out, invoice_id, "VALIDATION", comment=comment)


@click.argument("invoice_id", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why it is refused.")
@api_command(validator, "refuse")
async def validator_refuse(
    client: AsyncChorusClient, out: Output, invoice_id: int, reason: str
) -> None:
    """Refuse an invoice (REFUS)."""
    await _validate(client, out, invoice_id, "REFUS", reason=reason)


# --- recipient ---------------------------------------------------------------------------------


@cli.group(context_settings=_CONTEXT)
def recipient() -> None:
    """The recipient: process received invoices."""


@click.argument("invoice_id", type=int)
@click.option(
    "--status",
    required=True,
    metavar="STATUS",
    help="New status: SERVICE-FAIT, MANDATEE, MISE_EN_PAIEMENT, SUSPENDUE, REJETEE, ...",
)
@click.option("--reason", metavar="TEXT", help="Required for SUSPENDUE and REJETEE.")
@click.option("--comment", metavar="TEXT", help="A comment.")
@api_command(recipient, "process")
async def recipient_process(
    client: AsyncChorusClient,
    out: Output,
    invoice_id: int,
    status: str,
    reason: str | None,
    comment: str | None,
) -> None:
    """Move a received invoice to a new status."""
    new_status = cast("TargetStatusInput", status)  # the SDK checks it: shown as --status
    with _flags(new_status="--status", reason="--reason", comment="--comment"):
        result = await client.factures.traiter_facture_recue(
            invoice_id, new_status, reason=reason, comment=comment
        )
    if out.as_json:
        out.json(result)
        return
    out.line(f"{invoice_id}: {result.new_status}")
