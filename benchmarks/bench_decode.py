"""Decoding and encoding costs against the standard library's json (issue 14, goals 5-7).

    python benchmarks/bench_decode.py [--rounds 15] [--inner 10]

5. ``json.loads`` + ``from_wire(StructuresRechercherResponse)`` of the 1,000-structure
   body, standard library reader forced: <= 2.0x ``json.loads``;
6. the same with the orjson reader (``factpulse-chorus[speedups]``): <= 1.5x ``json.loads``;
7. encoding a request body (``_transport._encode``: the JSON text, Decimals from their
   digits, as bytes) <= 2.0x ``json.dumps`` of the same dict (Decimals as floats there,
   the only way ``json.dumps`` takes them); "7b": the same body without Decimals.

For comparison (no goal), when ``factpulse`` 4.4.0 is installed: its ``from_json`` (what
its ApiClient does) and pydantic's ``model_validate_json`` of the same body. Every variant
runs once per round, interleaved (order rotated), ``inner`` calls each; each figure is a
ratio to its baseline in the same round: the median over the rounds and the spread.
Not a test: the figures depend on the machine.
"""

from __future__ import annotations

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

from _common import goal, rotated, standalone

# variant: (its baseline, the goal's number and limit, or None for a comparison only)
MEASURED: dict[str, tuple[str, tuple[str, float] | None]] = {
    "json.loads + from_wire, stdlib reader": ("json.loads", ("5", 2.0)),
    "orjson reader + from_wire": ("json.loads", ("6", 1.5)),
    "encode a request body with Decimals": ("json.dumps", ("7", 2.0)),
    "encode a request body without Decimals": ("json.dumps plain", ("7b", 2.0)),
    "factpulse: SearchStructureResponse.from_json": ("json.loads", None),
    "factpulse: pydantic model_validate_json": ("json.loads", None),
}


def _request_body() -> dict[str, Any]:
    from factpulse_chorus._converter import to_wire
    from factpulse_chorus.models.factures import FacturesRechercherFournisseurRequest

    request = FacturesRechercherFournisseurRequest(
        total_net_amount_min=Decimal("1000.00"),
        total_gross_amount_max=Decimal("1234567890123.45"),
        invoice_number="FAC-2025-00042",
        status=["DEPOSEE", "MISE_A_DISPOSITION"],
    )
    return to_wire(request)


def _official(body: bytes) -> dict[str, Callable[[], object]]:
    """The official SDK's decoders of the same body, when it is installed."""
    try:
        from factpulse.models.search_structure_response import SearchStructureResponse
    except ImportError:
        return {}
    text = body.decode()
    decoded = SearchStructureResponse.from_json(text)
    assert decoded is not None
    assert decoded.structures is not None
    assert len(decoded.structures) == 1000
    return {
        "factpulse: SearchStructureResponse.from_json": lambda: SearchStructureResponse.from_json(
            text
        ),
        "factpulse: pydantic model_validate_json": lambda: (
            SearchStructureResponse.model_validate_json(body)
        ),
    }


def variants() -> dict[str, Callable[[], object]]:
    from _payloads import structures

    from factpulse_chorus import _json
    from factpulse_chorus._converter import from_wire
    from factpulse_chorus._transport import _encode
    from factpulse_chorus.models.structures import StructuresRechercherResponse

    body = structures(1000)
    request = _request_body()
    plain = {k: v for k, v in request.items() if not isinstance(v, Decimal)}
    cls = StructuresRechercherResponse
    stdlib_result = from_wire(_json.loads_stdlib(body), cls)
    assert len(stdlib_result.structures) == 1000
    found: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(body),
        "json.loads + from_wire, stdlib reader": lambda: from_wire(_json.loads_stdlib(body), cls),
        "json.dumps": lambda: json.dumps(request, default=float),
        "encode a request body with Decimals": lambda: _encode(request),
        "json.dumps plain": lambda: json.dumps(plain),
        "encode a request body without Decimals": lambda: _encode(plain),
    }
    if _json.BACKEND == "orjson":
        orjson = _json.loads_orjson
        assert from_wire(orjson(body), cls) == stdlib_result
        found["orjson reader + from_wire"] = lambda: from_wire(orjson(body), cls)
    return found | _official(body)


def run(rounds: int, inner: int) -> dict[str, Any]:
    """Per round, each measured variant's time over its baseline's; ms per call too."""
    from factpulse_chorus import _json

    functions = variants()
    names = list(functions)
    ratios: dict[str, list[float]] = {name: [] for name in MEASURED if name in functions}
    times: dict[str, list[float]] = {name: [] for name in names}
    for function in functions.values():  # warm-up: first calls fill caches, build hooks
        function()
    for number in range(rounds):
        seconds: dict[str, float] = {}
        for name in rotated(names, number):
            function = functions[name]
            started = time.perf_counter()
            for _ in range(inner):
                function()
            seconds[name] = (time.perf_counter() - started) / inner
            times[name].append(seconds[name] * 1e3)
        for name in ratios:
            ratios[name].append(seconds[name] / seconds[MEASURED[name][0]])
    ms = {name: statistics.median(values) for name, values in times.items()}
    return {"rounds": rounds, "inner": inner, "backend": _json.BACKEND, "ms": ms, "ratios": ratios}


def goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, (baseline, target) in MEASURED.items():
        if target is None:
            continue
        number, limit = target
        values = figures["ratios"].get(name)
        if values is None:  # orjson is not installed: a MISS, saying why
            found.append(
                goal(
                    number,
                    f"{name} vs {baseline}",
                    [float("inf")],
                    limit,
                    detail="not measured: orjson missing",
                )
            )
            continue
        found.append(goal(number, f"{name} vs {baseline}", values, limit))
    return found


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"\nDecoding 1,000 structures, encoding a request: ms per call, medians of "
        f"{figures['rounds']} rounds x {figures['inner']} calls; reader {figures['backend']}"
    )
    for name, ms in figures["ms"].items():
        ratio = ""
        if name in figures["ratios"]:
            baseline = MEASURED[name][0]
            ratio = f"{statistics.median(figures['ratios'][name]):>7.2f}x {baseline}"
        print(f"{name:<48}{ms:>8.3f} ms{ratio}")


if __name__ == "__main__":
    standalone(
        __doc__, run, table=print_table, goals=goals, workers={"run": run}, rounds=15, inner=10
    )
