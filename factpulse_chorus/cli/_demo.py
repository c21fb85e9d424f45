"""``factpulse-chorus demo``: the whole Chorus Pro story, offline, with the async client.

It starts the embedded sandbox in this process and plays every party with the demo
account: a supplier finds a public structure, reads what its invoices need, uploads a
PDF and submits invoices; a validator approves one invoice and refuses another; the
recipient suspends an invoice, the supplier completes it and the recipient takes the
invoices to payment; last, a batch of invoices is polled to a final status with a live
progress bar, and a summary says what happened.

The story runs on a frozen simulated clock that the demo advances by hand, so the
simulated recipients never act in the middle of it; the batch runs on a fast clock
(hours of Chorus Pro processing per real millisecond).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any, Final

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._client import AsyncChorusClient
from .._config import RetryPolicy
from .._poll_events import FinalStatus, PollError, PollSummary, StatusChanged
from .._polling import InvoicePoller
from .._types import RequestInfo
from ..models.common import RawResponse, TargetStatusLiteral
from ..sandbox import Fault, Sandbox
from ._output import Output, money

CLOCK_SPEED: Final = 1_000_000.0
"""Simulated seconds per real second during the batch."""
RECIPIENT_SIRET: Final = "21999012400014"
"""COMMUNE DE SAINT-EXEMPLE, a public structure of the sandbox's directory."""
ROUTING_SECONDS: Final = 1300.0
"""Simulated time for Chorus Pro to route an invoice (two steps of at most 600 s)."""
DEMO_RETRIES: Final = RetryPolicy(base_delay=0.02, max_delay=0.2, max_retry_after=1.0)
"""Retry waits scaled to the sandbox's fast clock (the defaults suit the real API)."""


def tiny_pdf(title: str) -> bytes:
    """A small but well-formed one-page PDF showing ``title`` (ASCII letters, digits and
    `` .,_-`` kept, anything else shown as ``_``, so no character can break the PDF string)."""
    shown = "".join(c if c.isascii() and (c.isalnum() or c in " .,_-") else "_" for c in title)
    stream = f"BT /F1 18 Tf 72 720 Td ({shown}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class _Traffic:
    """Counts what the client sent and received (through the client's hooks)."""

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.statuses: Counter[int] = Counter()

    def on_request(self, info: RequestInfo) -> None:
        self.requests += 1
        if info.attempt > 1:
            self.retries += 1

    def on_response(self, raw: RawResponse) -> None:
        self.statuses[raw.status] += 1


class _Story:
    """Reports the steps: a line each for a person, a JSON object each with ``--json``."""

    def __init__(self, out: Output) -> None:
        self.out = out

    def step(self, step: str, message: str, /, **data: Any) -> None:
        if self.out.as_json:
            self.out.json({"step": step, **data})
        else:
            self.out.console.print(f"[green]✓[/green] {escape(message)}")


async def _story(client: AsyncChorusClient, sb: Sandbox, story: _Story) -> None:
    sb.clock.speed = 0  # frozen: nothing moves unless the story says so
    structures, factures = client.structures, client.factures

    found = await structures.obtenir_id_depuis_siret(RECIPIENT_SIRET)
    story.step(
        "structure_found",
        f"Supplier: SIRET {RECIPIENT_SIRET} is structure {found.structure_id} "
        f"({found.structure_name})",
        siret=RECIPIENT_SIRET,
        structure_id=found.structure_id,
        name=found.structure_name,
    )
    structure = await structures.consulter(found.structure_id)
    services = await structures.lister_services(found.structure_id)
    parameters = structure.parameters
    service_required = bool(parameters and parameters.service_code_required)
    engagement_required = bool(parameters and parameters.engagement_number_required)
    active = [service.service_code for service in services.active_services]
    story.step(
        "parameters",
        f"Its invoices need a service code: {'yes' if service_required else 'no'}, "
        f"an engagement number: {'yes' if engagement_required else 'no'}; "
        f"active services: {', '.join(active)}",
        service_code_required=service_required,
        engagement_number_required=engagement_required,
        active_services=active,
    )

    invoice_ids: list[int] = []
    for number, net in enumerate((Decimal("1042.08"), Decimal("500.00"), Decimal("99.90")), 1):
        invoice_number = f"DEMO-{number:04d}"
        upload = await client.transverses.ajouter_fichier(
            tiny_pdf(invoice_number), name=f"{invoice_number}.pdf"
        )
        vat = (net * Decimal("0.20")).quantize(Decimal("0.01"))
        sent = await factures.soumettre(
            invoice_number=invoice_number,
            invoice_date=date.today(),
            structure_id=found.structure_id,
            service_code=active[0] if active else None,
            engagement_number="EJ-2025-0001" if engagement_required else None,
            total_net_amount=net,
            vat_amount=vat,
            total_gross_amount=net + vat,
            attachment_id=upload.attachment_id,
        )
        invoice_ids.append(sent.invoice_id)
        story.step(
            "submitted",
            f"Supplier: uploaded {invoice_number}.pdf (attachment {upload.attachment_id}) and "
            f"submitted invoice {invoice_number} for {money(net + vat)} EUR: id {sent.invoice_id}",
            invoice_number=invoice_number,
            invoice_id=sent.invoice_id,
            attachment_id=upload.attachment_id,
            total_gross_amount=net + vat,
        )

    sb.clock.advance(ROUTING_SECONDS)
    routed = [await factures.consulter(invoice_id) for invoice_id in invoice_ids]
    codes = [r.status.code for r in routed]
    story.step(
        "routed",
        f"Chorus Pro routed them to the recipient: {', '.join(map(str, codes))}",
        statuses=dict(zip(invoice_ids, codes, strict=True)),
    )

    # factures.soumettre has no validator field, so a submitted invoice never enters the
    # validation branch: the sandbox seeds two invoices awaiting validation instead.
    pending = [sb.domain.seed_invoice(status="A_VALIDER_1") for _ in range(2)]
    to_validate = await client.valideur.rechercher(status=["A_VALIDER_1"])
    story.step(
        "validation_seeded",
        f"Sandbox: seeded invoices {pending[0]} and {pending[1]} awaiting validation "
        "(the typed soumettre cannot enter the validation branch); the validator finds "
        f"{len(to_validate.invoices)} to validate",
        invoice_ids=pending,
        found=len(to_validate.invoices),
    )
    approved = await client.valideur.traiter(pending[0], "VALIDATION")
    refused = await client.valideur.traiter(
        pending[1], "REFUS", reason="Montant non conforme au devis"
    )
    story.step(
        "validated",
        f"Validator: approved {pending[0]} ({approved.status}), "
        f"refused {pending[1]} ({refused.status})",
        approved={"invoice_id": pending[0], "status": approved.status},
        refused={"invoice_id": pending[1], "status": refused.status},
    )

    first = invoice_ids[0]
    suspended = await factures.traiter_facture_recue(
        first, "SUSPENDUE", reason="Bon de commande manquant"
    )
    story.step(
        "suspended",
        f"Recipient: suspended {first} ({suspended.new_status}): purchase order missing",
        invoice_id=first,
        status=suspended.new_status,
    )
    await factures.completer(first, comment="Bon de commande joint")
    completed = await factures.consulter(first)
    story.step(
        "completed",
        f"Supplier: completed {first} with the purchase order ({completed.status.code})",
        invoice_id=first,
        status=completed.status.code,
    )
    steps: tuple[TargetStatusLiteral, ...] = ("SERVICE-FAIT", "MANDATEE", "MISE_EN_PAIEMENT")
    for status in steps:
        for invoice_id in invoice_ids:
            await factures.traiter_facture_recue(invoice_id, status)
    final = [await factures.consulter(invoice_id) for invoice_id in invoice_ids]
    codes = [r.status.code for r in final]
    story.step(
        "paid",
        "Recipient: SERVICE-FAIT, MANDATEE, MISE_EN_PAIEMENT: "
        f"{', '.join(f'{i} {c}' for i, c in zip(invoice_ids, codes, strict=True))}",
        statuses=dict(zip(invoice_ids, codes, strict=True)),
    )
    download = await factures.telecharger_groupe(invoice_ids, file_format="ZIP")
    members = download.zip_members()
    story.step(
        "downloaded",
        f"Supplier: downloaded the {len(invoice_ids)} invoices as a ZIP of "
        f"{len(download.content())} bytes ({len(members)} files)",
        members=members,
    )


async def _batch(
    client: AsyncChorusClient, sb: Sandbox, out: Output, story: _Story, count: int
) -> tuple[PollSummary, int]:
    sb.clock.speed = CLOCK_SPEED
    ids = [sb.domain.seed_invoice(status="DEPOSEE") for _ in range(count)]
    story.step(
        "batch_seeded",
        f"Sandbox: {count} invoices deposited; simulated recipients process them "
        "(some suspend, some reject)",
        invoices=count,
    )
    completed = 0
    progress = Progress(
        TextColumn("Polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("final · {task.fields[suspended]} completed after a suspension"),
        TimeElapsedColumn(),
        console=out.console,
        disable=out.as_json,
    )
    poller = InvoicePoller(
        client.factures.consulter, ids, interval=0.02, max_interval=0.2, concurrency=16
    )
    # Not even started with --json: a disabled rich 13.0 bar still ends with an empty line.
    live = contextlib.nullcontext() if out.as_json else progress
    async with poller:
        with live:
            task = progress.add_task("poll", total=count, suspended=0)
            async for event in poller:
                if isinstance(event, StatusChanged) and event.current == "SUSPENDUE":
                    # The recipient wants more: the supplier completes the invoice.
                    await client.factures.completer(event.invoice_id, comment="Piece jointe")
                    completed += 1
                    progress.update(task, suspended=completed)
                elif isinstance(event, FinalStatus) or (
                    isinstance(event, PollError) and event.gave_up
                ):
                    progress.advance(task)
    return poller.summary, completed


async def run_demo(out: Output, *, invoices: int, seed: int, faults: bool) -> int:
    """Play the story, then the batch; print the summary. Returns the exit code."""
    started = time.monotonic()
    traffic = _Traffic()
    story = _Story(out)
    injected = (
        [
            Fault("status", status=503, route="factures/consulter", probability=0.03),
            Fault(
                "status", status=429, route="factures/consulter", probability=0.01, retry_after=0.05
            ),
        ]
        if faults
        else []
    )
    async with (
        Sandbox(seed=seed, clock_speed=CLOCK_SPEED, auto_process=True, faults=injected) as sb,
        AsyncChorusClient(
            base_url=sb.url,
            email="demo",
            password="demo",
            retry_policy=DEMO_RETRIES,
            on_request=traffic.on_request,
            on_response=traffic.on_response,
        ) as client,
    ):
        story.step(
            "sandbox",
            f"Embedded sandbox at {sb.url} (seed {seed}"
            + (", 3% 503 and 1% 429 on factures/consulter" if faults else "")
            + ")",
            url=sb.url,
            seed=seed,
            faults=[fault.to_dict() for fault in injected],
        )
        await _story(client, sb, story)
        summary, completed = await _batch(client, sb, out, story, invoices)
    elapsed = time.monotonic() - started
    _print_summary(out, summary, completed, traffic, invoices, elapsed)
    return 0 if not summary.pending and not summary.failed else 1


def _print_summary(
    out: Output,
    summary: PollSummary,
    completed: int,
    traffic: _Traffic,
    invoices: int,
    elapsed: float,
) -> None:
    final = {str(code): count for code, count in sorted(summary.final.items())}
    data = {
        "invoices": invoices,
        "final": final,
        "completed_after_suspension": completed,
        "pending": len(summary.pending),
        "failed": len(summary.failed),
        "poll_requests": summary.requests,
        "poll_errors": summary.errors,
        "http_requests": traffic.requests,
        "retries": traffic.retries,
        "http_429": traffic.statuses[429],
        "http_5xx": sum(n for status, n in traffic.statuses.items() if status >= 500),
        "batch_seconds": round(summary.elapsed, 2),
        "total_seconds": round(elapsed, 2),
    }
    if out.as_json:
        out.json({"step": "summary", **data})
        return
    rows: list[tuple[str, Any]] = [
        *((f"final: {status}", count) for status, count in final.items()),
        ("completed after a suspension", completed),
        ("still pending / given up", f"{len(summary.pending)} / {len(summary.failed)}"),
        ("poll requests (factures/consulter)", summary.requests),
        ("HTTP requests in all", traffic.requests),
        ("retries", traffic.retries),
        ("HTTP 429 / 5xx answers", f"{data['http_429']} / {data['http_5xx']}"),
        ("batch time", f"{summary.elapsed:.2f} s"),
        ("total time", f"{elapsed:.2f} s"),
    ]
    out.fields(f"Summary: {invoices} invoices polled", rows)
