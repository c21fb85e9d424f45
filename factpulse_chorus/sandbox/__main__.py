"""Standalone sandbox server: ``python -m factpulse_chorus.sandbox --port 8080``.

Serves on loopback by default, prints the URL and the demo account, logs each request
(method, path, status, time) on stderr unless ``--quiet``, and stops cleanly (exit code 0)
on Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._faults import Fault


def _fault(spec: str) -> Fault:
    try:
        return Fault.from_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as every error of ``factpulse-chorus`` (argparse prints the usage too).
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser(prog: str = "python -m factpulse_chorus.sandbox") -> argparse.ArgumentParser:
    """The command-line interface (also ``factpulse-chorus sandbox``: ``prog`` names it)."""
    parser = _Parser(
        prog=prog,
        description="Offline emulator of the FactPulse Chorus Pro API.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="bind address (default: %(default)s, loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port, 0: any free port (default: %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the directory, ids, faults (default: %(default)s)",
    )
    parser.add_argument("--strict", action="store_true", help="422 on unknown keys")
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        metavar="X",
        help="simulated seconds per second (default: %(default)s)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="access token lifetime (default: %(default)s)",
    )
    parser.add_argument(
        "--routing-delay",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=(60.0, 600.0),
        help="simulated seconds per routing step; 0 0: invoices delivered at once "
        "(default: 60 600)",
    )
    parser.add_argument(
        "--auto-process", action="store_true", help="simulated recipients process invoices"
    )
    parser.add_argument(
        "--vocabulary",
        choices=("native", "factpulse"),
        default="native",
        help="status codes (default: %(default)s)",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="SPEC",
        help="kind[:key=value,...], e.g. status:status=503,route=factures/consulter,count=2",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request on stderr")
    return parser


def _log_requests_to_stderr() -> None:
    """One line a request on stderr (the sandbox's request logger, nothing else)."""
    from ._runner import REQUEST_LOGGER

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    REQUEST_LOGGER.addHandler(handler)
    REQUEST_LOGGER.setLevel(logging.INFO)
    REQUEST_LOGGER.propagate = False


async def _serve(args: argparse.Namespace) -> int:
    from ._runner import Sandbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available on Windows: Ctrl-C then arrives as KeyboardInterrupt (see main).
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    sandbox = Sandbox(
        seed=args.seed,
        strict=args.strict,
        token_lifetime=args.token_lifetime,
        clock_speed=args.clock_speed,
        faults=args.fault,
        auto_process=args.auto_process,
        routing_delay=tuple(args.routing_delay),
        host=args.host,
        port=args.port,
        vocabulary=args.vocabulary,
        log_requests=not args.quiet,
    )
    if not args.quiet:
        _log_requests_to_stderr()
    async with contextlib.AsyncExitStack() as stack:
        try:
            sb = await stack.enter_async_context(sandbox)
        except OSError as exc:  # the port is taken, the address is not this machine's, ...
            reason = exc.strerror or str(exc)
            print(f"error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
            return 1
        print(f"FactPulse Chorus Pro sandbox listening on {sb.url}", flush=True)
        print("Demo account: username 'demo', password 'demo', any client_uid", flush=True)
        if args.host not in ("127.0.0.1", "::1", "localhost"):
            print("Warning: not bound to loopback; the sandbox has no TLS.", file=sys.stderr)
        print(f"Press Ctrl-C to stop (or: kill {os.getpid()}).", flush=True)
        await stop.wait()
    print("Sandbox stopped.", flush=True)
    return 0


def main(
    argv: Sequence[str] | None = None, *, prog: str = "python -m factpulse_chorus.sandbox"
) -> int:
    """Run the server until SIGINT/SIGTERM; returns the exit code.

    ``--help`` and bad arguments leave through ``SystemExit`` (argparse), code 0 or 2 (one
    ``error: ...`` line); a port that cannot be listened on returns 1 (one line too).
    """
    args = build_parser(prog).parse_args(argv)
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
