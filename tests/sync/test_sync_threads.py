"""One ChorusClient shared by many threads: correct answers, and real concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from factpulse_chorus import ChorusClient
from factpulse_chorus._portal import THREAD_NAME
from factpulse_chorus.sandbox import Fault, ThreadedSandbox

THREADS = 32
CALLS_PER_THREAD = 50
# Each consulter waits this long in the sandbox: waiting is what threads can overlap, so
# the threaded run clearly wins however slow the machine (the assertion is a ratio).
LATENCY = 0.002


def test_threads_share_one_client(chorus_sandbox: ThreadedSandbox) -> None:
    baseline = set(threading.enumerate())
    invoices = [
        chorus_sandbox.domain.seed_invoice(invoice_number=f"SYNC-THREAD-{i:02}")
        for i in range(THREADS)
    ]
    expected = {invoice: f"SYNC-THREAD-{i:02}" for i, invoice in enumerate(invoices)}

    with ChorusClient(base_url=chorus_sandbox.url, email="demo", password="demo") as client:
        client.factures.consulter(invoices[0])  # log in and open the pool before timing
        chorus_sandbox.add_fault(Fault("latency", route="factures/consulter", delay=LATENCY))

        def worker(invoice: int) -> list[tuple[int | None, str | None]]:
            results = []
            for _ in range(CALLS_PER_THREAD):
                answer = client.factures.consulter(invoice)
                results.append((answer.invoice_id, answer.invoice_number))
            return results

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            threaded = list(pool.map(worker, invoices))
        threaded_time = time.perf_counter() - started

        started = time.perf_counter()
        sequential = [worker(invoice) for invoice in invoices]
        sequential_time = time.perf_counter() - started

        # Every thread got its own invoice back, every time.
        for invoice, results in zip(invoices, threaded, strict=True):
            assert results == [(invoice, expected[invoice])] * CALLS_PER_THREAD
        assert threaded == sequential
        # Only one portal thread served them all.
        assert [t.name for t in threading.enumerate()].count(THREAD_NAME) == 1

    stats = chorus_sandbox.stats()["requests"]["factures/consulter"]
    assert stats["ok"] == 1 + 2 * THREADS * CALLS_PER_THREAD
    assert stats["fault:latency"] == 2 * THREADS * CALLS_PER_THREAD
    assert chorus_sandbox.stats()["logins"] == 1  # one token shared by all threads
    assert threaded_time < sequential_time / 2, (threaded_time, sequential_time)
    assert set(threading.enumerate()) == baseline
