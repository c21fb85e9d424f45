"""Fault soak: thousands of calls through a sandbox that fails often, at concurrency 32.

What is proven: reads always end with the right data; every failure a caller sees is a
FactPulseError; a submission is never processed twice (the invoices the sandbox holds are
exactly the successes plus the requests it processed and then hung up on); no invoice
number appears twice.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal

import pytest
from payloads import invoice

from factpulse_chorus import AsyncChorusClient
from factpulse_chorus._config import RetryPolicy
from factpulse_chorus._exceptions import FactPulseError, OutcomeUnknownError
from factpulse_chorus.sandbox import Fault, Sandbox

SEED = 20260125
CONCURRENCY = 32
READS = 5_500
SUBMISSIONS = 300
UPLOADS = 120
SEEDED_INVOICES = 40
COMMUNE = 25827464
COMMUNE_SIRET = "21999012400014"
FAULTS = [
    # The faults below share one random stream, drawn in the order requests arrive, which
    # concurrency shuffles: about one run in fifteen, no submission drew a drop_after. The
    # first three submissions always get one, so the write-once check below always bites.
    Fault("drop_after", route="factures/soumettre", count=3),
    Fault("status", status=503, probability=0.05),
    Fault("status", status=429, retry_after=0.01, probability=0.02),
    Fault("reset", probability=0.01),
    Fault("drop_after", probability=0.01),
]
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, jitter=0.5)

Op = Callable[[AsyncChorusClient], Awaitable[None]]


@pytest.fixture
def seeded_jitter() -> Iterator[None]:
    """Seed the global RNG (the backoff jitter) for this test only."""
    state = random.getstate()
    random.seed(SEED)
    yield
    random.setstate(state)


@pytest.mark.usefixtures("seeded_jitter")
async def test_fault_soak_reads_right_writes_never_duplicated() -> None:
    rng = random.Random(SEED)
    async with Sandbox(seed=SEED, faults=FAULTS) as sb:
        domain = sb.domain
        seeded = [
            domain.seed_invoice(invoice_number=f"SOAK-SEED-{i:03d}", status="DEPOSEE")
            for i in range(SEEDED_INVOICES)
        ]
        expected_invoices = {i: domain.invoice_snapshot(i) for i in seeded}
        structures = [s.structure_id for s in domain.directory.structures()[:30]]
        expected_structures = {
            s: domain.structures_consulter("omni", {"structureId": s}) for s in structures
        }
        services_count = len(domain.directory.get(COMMUNE).services)  # type: ignore[union-attr]
        invoices_before = sb.invoice_count()

        read_errors: list[BaseException] = []
        submitted: dict[str, int] = {}  # invoice number -> chorus id
        submit_outcomes: Counter[str] = Counter()
        upload_outcomes: Counter[str] = Counter()
        unexpected: list[BaseException] = []
        unknown_numbers: list[tuple[str | None, str]] = []

        async def read_invoice(client: AsyncChorusClient, invoice_id: int) -> None:
            got = await client.factures.consulter(invoice_id)
            want = expected_invoices[invoice_id]
            assert want is not None
            assert got.invoice_id == invoice_id
            assert got.invoice_number == want["invoice_number"]
            assert got.total_gross_amount == Decimal(want["total_gross_amount"])
            assert got.status is not None
            assert got.status.code.value == want["status"]

        async def read_structure(client: AsyncChorusClient, structure_id: int) -> None:
            got = await client.structures.consulter(structure_id)
            want = expected_structures[structure_id]
            assert got.structure_id == structure_id == want["structureId"]
            assert got.company_name == want["companyName"]
            assert got.structure_identifier == want["structureIdentifier"]

        async def read_siret(client: AsyncChorusClient) -> None:
            got = await client.structures.obtenir_id_depuis_siret(COMMUNE_SIRET)
            assert got.structure_id == COMMUNE

        async def read_services(client: AsyncChorusClient) -> None:
            got = await client.structures.lister_services(COMMUNE)
            assert len(got.services) == services_count

        async def submit(client: AsyncChorusClient, number: str) -> None:
            try:
                result = await client.factures.soumettre(**invoice(number))
            except FactPulseError as exc:
                submit_outcomes[type(exc).__name__] += 1
                if isinstance(exc, OutcomeUnknownError):
                    unknown_numbers.append((exc.invoice_number, number))
            else:
                submit_outcomes["ok"] += 1
                assert result.invoice_id is not None
                submitted[number] = result.invoice_id

        async def upload(client: AsyncChorusClient, n: int) -> None:
            try:
                await client.transverses.ajouter_fichier(b"%%PDF-1.4 soak %d" % n, name="f.pdf")
            except FactPulseError as exc:
                upload_outcomes[type(exc).__name__] += 1
            else:
                upload_outcomes["ok"] += 1

        def read_op(kind: int) -> Op:
            if kind < 50:
                invoice_id = rng.choice(seeded)
                return lambda c: read_invoice(c, invoice_id)
            if kind < 85:
                structure_id = rng.choice(structures)
                return lambda c: read_structure(c, structure_id)
            if kind < 93:
                return read_siret
            return read_services

        ops: list[tuple[bool, Op]] = [(True, read_op(rng.randrange(100))) for _ in range(READS)]
        ops += [(False, lambda c, n=f"SOAK-W-{i:04d}": submit(c, n)) for i in range(SUBMISSIONS)]
        ops += [(False, lambda c, n=i: upload(c, n)) for i in range(UPLOADS)]
        rng.shuffle(ops)
        queue = list(reversed(ops))

        async def worker(client: AsyncChorusClient) -> None:
            while queue:
                is_read, op = queue.pop()
                try:
                    await op(client)
                except AssertionError:
                    raise
                except FactPulseError as exc:
                    if is_read:
                        read_errors.append(exc)
                except Exception as exc:  # anything else is a bug in the SDK
                    unexpected.append(exc)

        started = time.perf_counter()
        async with AsyncChorusClient(
            base_url=sb.url,
            email="demo",
            password="demo",
            max_retries=6,
            retry_policy=FAST,
            timeout=15.0,  # bounded, whatever happens
        ) as client:
            await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - started

            # The client is still fine afterwards.
            sb.clear_faults()
            assert (await client.structures.consulter(COMMUNE)).structure_id == COMMUNE

        stats = sb.stats()
        requests = stats["requests"]
        total_http = sum(sum(outcomes.values()) for outcomes in requests.values())
        print(
            f"\nsoak: {len(ops)} calls, {total_http} HTTP requests in {elapsed:.1f} s; "
            f"soumettre {dict(submit_outcomes)}, ajouter-fichier {dict(upload_outcomes)}"
        )
        assert unexpected == []
        assert read_errors == []
        assert total_http >= 5_000
        assert sum(submit_outcomes.values()) == SUBMISSIONS
        assert sum(upload_outcomes.values()) == UPLOADS
        # Every kind of fault fired, on writes too (otherwise the test proves little).
        soumettre = requests["factures/soumettre"]
        for outcome in ("fault:status:503", "fault:status:429", "fault:reset", "fault:drop_after"):
            assert sum(r.get(outcome, 0) for r in requests.values()) > 0, outcome
        assert soumettre.get("fault:drop_after", 0) > 0

        # Writes: processed once at most. 429 is retried (never processed); 503 is not
        # retried for a write; reset and drop_after give OutcomeUnknownError.
        created = sb.invoice_count() - invoices_before
        dropped = soumettre.get("fault:drop_after", 0)
        assert created <= SUBMISSIONS
        # OutcomeUnknownError names the invoice to look up before submitting it again.
        assert all(got == sent for got, sent in unknown_numbers)
        assert created == submit_outcomes["ok"] + dropped
        assert submit_outcomes["OutcomeUnknownError"] == dropped + soumettre.get("fault:reset", 0)
        assert submit_outcomes["ServerError"] == soumettre.get("fault:status:503", 0)
        assert soumettre.get("ok", 0) == submit_outcomes["ok"]
        upload_route = requests["transverses/ajouter-fichier"]
        assert stats["attachments_created"] == upload_outcomes["ok"] + upload_route.get(
            "fault:drop_after", 0
        )

        numbers = [domain.invoice_snapshot(i)["invoice_number"] for i in domain.invoice_ids()]  # type: ignore[index]
        assert len(numbers) == len(set(numbers)), "an invoice number appears twice"
        for number, chorus_id in submitted.items():
            assert domain.invoice_snapshot(chorus_id)["invoice_number"] == number  # type: ignore[index]
