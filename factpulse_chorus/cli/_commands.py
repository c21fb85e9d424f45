"""The click commands of ``factpulse-chorus``: the root, demo, sandbox and the API groups.

The shared machinery (connection options, ``--json``, errors as one line naming the flag)
is in :mod:`._base`; the invoices group in :mod:`._invoices`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from .. import __version__
from .._client import AsyncChorusClient
from ..models.common import InvoiceStatusCode
from ._base import (
    CONTEXT,
    FILE_TO_READ,
    FILE_TO_WRITE,
    api_command,
    guarded,
    json_option,
    lookup,
)
from ._doctor import doctor
from ._invoices import SEARCH_JSON, invoices
from ._output import Output, Shown, fields_view, table_view

if TYPE_CHECKING:
    from rich.table import Table

    from ..models.common import TargetStatusInput
    from ..models.structures import StructuresConsulterResponse, StructuresListerServicesResponse
    from ..models.valideur import (
        ValidatorInvoice,
        ValideurConsulterResponse,
        ValideurRechercherFilters,
    )


# --- the root ----------------------------------------------------------------------------------


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="factpulse-chorus")
def cli() -> None:
    """Chorus Pro through the FactPulse API, and an offline demo.

    Start with `factpulse-chorus demo` (no account, no network). The other commands use
    the FACTPULSE_* environment variables or the --base-url/--email/... flags (a
    credential flag makes the credential variables ignored, as in code).
    Errors are one line on stderr, `error: ...`, naming the flag or argument at fault.
    Exit codes: 0 done; 1 refused by the API or Chorus Pro, server unreachable, or (sandbox)
    cannot listen; 2 bad arguments, refused before anything was sent; 3 not done yet, run
    it again later (invoices poll: deadline reached before every invoice was final; watch:
    --max-requests reached; reconcile: still uncertain); 4 (doctor) a check failed;
    5 (invoices submit --db) the number was already submitted, nothing sent; 130 interrupted.
    Each --help lists the command's own options first, then --json, then the connection
    options.
    """


DEMO_JSON = "Print JSON lines: one object a step of the story, the summary last."


@cli.command(context_settings=CONTEXT)
@click.option(
    "--invoices", type=click.IntRange(1, 100_000), default=1000, show_default=True,
    help="Invoices in the batch poll.",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Sandbox seed.")
@click.option("--faults", is_flag=True, help="Inject 3% HTTP 503 and 1% 429 so retries show.")
@json_option(DEMO_JSON)
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
    context_settings={**CONTEXT, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def sandbox(arguments: Sequence[str]) -> None:
    """Serve the offline sandbox (see `factpulse-chorus sandbox --help`)."""
    from ..sandbox.__main__ import main as sandbox_main

    try:
        code = sandbox_main(arguments, prog="factpulse-chorus sandbox")
    except SystemExit as exc:  # argparse: --help (0) or a bad argument (2, one line printed)
        code = exc.code if isinstance(exc.code, int) else 2
    raise click.exceptions.Exit(code)


@cli.command("sample-pdf", context_settings=CONTEXT)
@click.argument("path", **FILE_TO_WRITE)
def sample_pdf(path: Path) -> None:
    """Write a small one-page PDF to PATH, to submit as an invoice (replaces PATH)."""
    from ._demo import tiny_pdf

    out = Output(as_json=False)
    data = tiny_pdf(f"Sample invoice {path.stem}"[:80])
    guarded(out, lambda: path.write_bytes(data))
    click.echo(f"Wrote {path} ({len(data)} bytes)")


cli.add_command(invoices)
cli.add_command(doctor)


# --- structures --------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def structures() -> None:
    """Public structures: search, details, services, SIRET -> id."""


@click.option("--identifier", metavar="SIRET", help="A SIRET (or another identifier).")
@click.option("--identifier-type", metavar="TYPE", help="SIRET (default with --identifier), ...")
@click.option("--name", "company_name", metavar="TEXT", help="Company name.")
@api_command(
    structures,
    "search",
    flags={
        "structure_identifier": "--identifier",
        "structure_identifier_type": "--identifier-type",
    },
)
async def structures_search(
    client: AsyncChorusClient,
    out: Output,
    identifier: str | None,
    identifier_type: str | None,
    company_name: str | None,
) -> Shown:
    """Search structures (the API returns the first 10 matches and the total)."""
    if identifier and not identifier_type:
        identifier_type = "SIRET"
    found = await client.structures.rechercher(
        structure_identifier=identifier,
        structure_identifier_type=identifier_type,
        company_name=company_name,
    )
    return found, table_view(
        f"{len(found.structures)} of {found.total} structures",
        ("id", "identifier", "type", "name", "status"),
        (
            (s.structure_id, s.structure_identifier, s.structure_identifier_type,
             s.structure_name, s.status)
            for s in found.structures
        ),
    )  # fmt: skip


@lookup(structures, "show", "structure_id", lambda client: client.structures.consulter)
def structures_show(found: StructuresConsulterResponse, structure_id: int) -> Table:
    """A structure and what its invoices need (service code, engagement number)."""
    parameters = found.parameters
    return fields_view(
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


@lookup(structures, "services", "structure_id", lambda client: client.structures.lister_services)
def structures_services(found: StructuresListerServicesResponse, structure_id: int) -> Table:
    """The services of a structure, active or not."""
    return table_view(
        f"Services of structure {structure_id}",
        ("id", "code", "label", "active"),
        ((s.service_id, s.service_code, s.service_label, s.is_active) for s in found.services),
    )


@click.argument("siret")
@api_command(structures, "id")
async def structures_id(client: AsyncChorusClient, out: Output, siret: str) -> Shown:
    """The Chorus Pro structure id of a SIRET."""
    found = await client.structures.obtenir_id_depuis_siret(siret)
    return found, f"{found.structure_id}\t{found.structure_name or ''}"


# --- attachments -------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def attachments() -> None:
    """Attachments (invoice PDFs, supporting documents)."""


@click.argument("path", **FILE_TO_READ)
@click.option("--name", metavar="NAME", help="File name to send (default: the file's).")
@api_command(attachments, "upload", flags={"file": "PATH"})
async def attachments_upload(
    client: AsyncChorusClient, out: Output, path: Path, name: str | None
) -> Shown:
    """Upload a file (at most 10 MiB); prints its attachment id."""
    found = await client.transverses.ajouter_fichier(path, name=name)
    return found, str(found.attachment_id)


# --- validator ---------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def validator() -> None:
    """The validator: invoices awaiting your validation."""


def _validator_table(items: Sequence[ValidatorInvoice]) -> Table:
    return table_view(
        f"{len(items)} invoices",
        ("id", "number", "status", "supplier", "total"),
        ((f.invoice_id, f.invoice_number, f.status, f.supplier_name, f.total_gross_amount)
         for f in items),
    )  # fmt: skip


@click.option("--status", "statuses", multiple=True, metavar="STATUS", help="Current status.")
@click.option("--number", metavar="TEXT", help="Invoice number.")
@click.option("--all", "every_page", is_flag=True, help="Every page (JSON lines with --json).")
@api_command(
    validator,
    "search",
    flags={"status": "--status", "invoice_number": "--number"},
    json_help=SEARCH_JSON,
)
async def validator_search(
    client: AsyncChorusClient,
    out: Output,
    statuses: tuple[str, ...],
    number: str | None,
    every_page: bool,
) -> Shown | None:
    """Invoices awaiting your validation."""
    filters: ValideurRechercherFilters = {
        "status": [InvoiceStatusCode(s) for s in statuses] or None,
        "invoice_number": number,
    }
    if not every_page:
        found = await client.valideur.rechercher(**filters)
        return found, _validator_table(found.invoices)
    items = [item async for item in client.valideur.iter_rechercher(**filters)]
    if not out.as_json:
        return items, _validator_table(items)
    for item in items:  # JSON lines, not one object
        out.json(item)
    return None


@lookup(validator, "show", "invoice_id", lambda client: client.valideur.consulter)
def validator_show(found: ValideurConsulterResponse, invoice_id: int) -> Table:
    """The full detail of an invoice, for its validator."""
    totals = found.invoice.totals
    return fields_view(
        f"Invoice {invoice_id}",
        (
            ("number", found.invoice.invoice_number),
            ("status", found.invoice.status),
            ("total", totals and totals.total_gross_amount),
            ("comment", found.invoice.comment),
        ),
    )


@click.argument("invoice_id", type=int)
@click.option("--comment", metavar="TEXT", help="Additional information.")
@api_command(validator, "approve")
async def validator_approve(
    client: AsyncChorusClient, out: Output, invoice_id: int, comment: str | None
) -> Shown:
    """Approve an invoice (VALIDATION)."""
    result = await client.valideur.traiter(invoice_id, "VALIDATION", comment=comment)
    return result, f"{invoice_id}: {result.status}"


@click.argument("invoice_id", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why it is refused.")
@api_command(validator, "refuse")
async def validator_refuse(
    client: AsyncChorusClient, out: Output, invoice_id: int, reason: str
) -> Shown:
    """Refuse an invoice (REFUS)."""
    result = await client.valideur.traiter(invoice_id, "REFUS", reason=reason)
    return result, f"{invoice_id}: {result.status}"


# --- recipient ---------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
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
@api_command(recipient, "process", flags={"new_status": "--status"})
async def recipient_process(
    client: AsyncChorusClient,
    out: Output,
    invoice_id: int,
    status: str,
    reason: str | None,
    comment: str | None,
) -> Shown:
    """Move a received invoice to a new status."""
    new_status = cast("TargetStatusInput", status)  # the SDK checks it: shown as --status
    result = await client.factures.traiter_facture_recue(
        invoice_id, new_status, reason=reason, comment=comment
    )
    return result, f"{invoice_id}: {result.new_status}"
