"""Decoding and encoding costs against the standard library's json (issue #14, goals a-c).

    python benchmarks/bench_decode.py [--rounds 15] [--inner 10]

(a) ``json.loads`` + ``from_wire(StructuresRechercherResponse)`` of the 1,000-structure
    body, standard library reader forced: <= 2.0x ``json.loads``;
(b) the same with the orjson reader (``factpulse-chorus[speedups]``): <= 1.5x ``json.loads``;
(c) encoding a request body (``_transport._encode``: the JSON text, Decimals from their
    digits, as bytes) <= 2.0x ``json.dumps`` of the same dict (Decimals as floats there,
    the only way ``json.dumps`` takes them).

Every variant runs once per round, interleaved, ``inner`` calls each; each figure is a
ratio to its baseline in the same round; printed: the median over the rounds and the
spread (lowest-highest). Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _payloads import structures

from factpulse_chorus import _json
from factpulse_chorus._converter import from_wire, to_wire
from factpulse_chorus._transport import _encode
from factpulse_chorus.models.factures import FacturesRechercherFournisseurRequest
from factpulse_chorus.models.structures import StructuresRechercherResponse

GOALS = {"a": 2.0, "b": 1.5, "c": 2.0, "c2": 2.0}


def _request_body() -> dict[str, Any]:
    request = FacturesRechercherFournisseurRequest(
        total_net_amount_min=Decimal("1000.00"),
        total_gross_amount_max=Decimal("1234567890123.45"),
        invoice_number="FAC-2025-00042",
        status=["DEPOSEE", "MISE_A_DISPOSITION"],
    )
    return to_wire(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", type=int, default=10)
    options = parser.parse_args()

    body = structures(1000)
    request = _request_body()
    plain = {k: v for k, v in request.items() if not isinstance(v, Decimal)}
    orjson = None if _json.BACKEND != "orjson" else _json.loads_orjson
    cls = StructuresRechercherResponse
    stdlib_result = from_wire(_json.loads_stdlib(body), cls)
    assert len(stdlib_result.structures) == 1000
    if orjson is not None:
        assert from_wire(orjson(body), cls) == stdlib_result

    variants: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(body),
        "a": lambda: from_wire(_json.loads_stdlib(body), cls),
        "json.dumps": lambda: json.dumps(request, default=float),
        "c": lambda: _encode(request),
        "json.dumps plain": lambda: json.dumps(plain),
        "c2": lambda: _encode(plain),
    }
    if orjson is not None:
        variants["b"] = lambda: from_wire(orjson(body), cls)
    baselines = {"a": "json.loads", "b": "json.loads", "c": "json.dumps", "c2": "json.dumps plain"}
    ratios: dict[str, list[float]] = {name: [] for name in baselines if name in variants}
    names = list(variants)
    for round_number in range(options.rounds):
        seconds: dict[str, float] = {}
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:  # interleaved, order rotated
            function = variants[name]
            started = time.perf_counter()
            for _ in range(options.inner):
                function()
            seconds[name] = (time.perf_counter() - started) / options.inner
        for name in ratios:
            ratios[name].append(seconds[name] / seconds[baselines[name]])

    labels = {
        "a": "(a) json.loads + from_wire, stdlib reader   vs json.loads",
        "b": "(b) orjson reader + from_wire               vs json.loads",
        "c": "(c) encode a request body with Decimals     vs json.dumps",
        "c2": "(c) encode a request body without Decimals  vs json.dumps",
    }
    print(f"{options.rounds} rounds x {options.inner} calls; backend {_json.BACKEND}")
    for name in ("a", "b", "c", "c2"):
        if name not in ratios:
            print(f"{labels[name]}: not measured (orjson is not installed)")
            continue
        values = ratios[name]
        verdict = "PASS" if statistics.median(values) <= GOALS[name] else "MISS"
        print(
            f"{labels[name]}: {statistics.median(values):.2f}x "
            f"(spread {min(values):.2f}-{max(values):.2f}; goal <= {GOALS[name]}) {verdict}"
        )


if __name__ == "__main__":
    main()
