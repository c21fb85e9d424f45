"""What every command of ``factpulse-chorus`` shares: options, parameter types, error handling.

Each API command builds one :class:`AsyncChorusClient` from the ``--base-url``/``--email``/...
flags, or, when a flag is left out, from the client's ``FACTPULSE_*`` environment variables
(the client reads them itself, so the rules of the README's Configuration apply), runs one
coroutine with ``asyncio.run`` and prints the result. Expected errors end the command with
one ``error: ...`` line on stderr naming the flag or argument the user typed, and exit code
1 (the API or Chorus Pro said no, or the server could not be reached) or 2 (bad arguments,
refused before anything was sent).

``--help`` lists a command's arguments and options in the order they are written in the
source (its own first), then ``--json``, then the connection options, then ``--help``;
every default is shown (``[default: ...]``), none of them read from the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from rich.console import RenderableType

from .._client import AsyncChorusClient
from .._config import ENV_EMAIL, ENV_PASSWORD
from .._exceptions import FactPulseError, RequestValidationError
from ._output import EXIT_API_ERROR, EXIT_USAGE, Output, Shown

T = TypeVar("T")

CONTEXT: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "show_default": True,
}

ONE_OBJECT = "Print one JSON object."


def json_option(help_text: str = ONE_OBJECT) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--json``; ``help_text`` says whether it prints one object or JSON lines."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


# Defaults are never shown: they come from the environment and may be secrets.
_CONNECTION_OPTIONS = (
    click.option("--base-url", metavar="URL", help="API root [env: FACTPULSE_BASE_URL]."),
    click.option("--email", metavar="EMAIL", help="Account e-mail [env: FACTPULSE_EMAIL]."),
    click.option(
        "--password", metavar="PASSWORD", help="Account password [env: FACTPULSE_PASSWORD]."
    ),
    click.option(
        "--password-stdin", is_flag=True, help="Read the password from stdin (for scripts)."
    ),
    click.option(
        "--client-uid", metavar="UID", help="Client UUID at login [env: FACTPULSE_CLIENT_UID]."
    ),
    click.option("--token", metavar="JWT", help="A ready access token [env: FACTPULSE_TOKEN]."),
    click.option("--api-key", metavar="KEY", help="An API key [env: FACTPULSE_API_KEY]."),
)
_CONNECTION_NAMES = ("base_url", "email", "password", "client_uid", "token", "api_key")
_SHARED_NAMES = frozenset({*_CONNECTION_NAMES, "password_stdin", "as_json"})

ApiCommand = Callable[..., Awaitable["Shown | None"]]


class ApiCommandClass(click.Command):
    """A command whose ``--help`` lists its own parameters as written, then the shared ones.

    The decorators written above :func:`api_command` add their parameters to the built
    command, last written first: they are put back in the written order here.
    """

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        own = [p for p in self.params if p.name not in _SHARED_NAMES]
        shared = [p for p in self.params if p.name in _SHARED_NAMES]
        shared.sort(key=lambda p: p.name != "as_json")  # --json, then the connection options
        return [*reversed(own), *shared, *params[len(self.params) :]]


def read_ids(source: IO[str]) -> Iterator[int]:
    """Invoice ids, one a line (blank lines and ``#`` comments skipped), as ``invoices poll``
    and ``invoices track`` read them from a file or stdin."""
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


def read_password(stream: IO[str]) -> str:
    """The password of ``--password-stdin``: typed without echo at a terminal, else all of
    ``stream`` without its line end. Never printed."""
    if stream.isatty():
        return str(click.prompt("Password", hide_input=True, err=True))
    return stream.read().rstrip("\r\n")


def _password_from_stdin(out: Output, settings: dict[str, Any]) -> None:
    """Put the password read from stdin in ``settings``, and the e-mail of ``--email`` or
    else FACTPULSE_EMAIL. Two passwords (``--password``, FACTPULSE_PASSWORD) are refused
    as a usage error rather than one silently chosen."""
    if settings["password"] is not None:
        out.fail("--password and --password-stdin cannot be used together", EXIT_USAGE)
    if os.environ.get(ENV_PASSWORD):
        out.fail(f"--password-stdin: {ENV_PASSWORD} is set too, unset one of them", EXIT_USAGE)
    if settings["email"] is None:
        settings["email"] = os.environ.get(ENV_EMAIL) or None
    if settings["email"] is None:
        out.fail(f"--password-stdin needs --email or {ENV_EMAIL}", EXIT_USAGE)
    password = read_password(sys.stdin)
    if not password:
        out.fail("--password-stdin: stdin held no password", EXIT_USAGE)
    settings["password"] = password


def flag_of(param: click.Parameter) -> str:
    """What the user types for ``param``: its long option, or an argument's metavar."""
    if isinstance(param, click.Option):
        long = [opt for opt in param.opts if opt.startswith("--")]
        return (long or param.opts)[0]
    return param.metavar or (param.name or "").upper()


def api_command(
    group: click.Group,
    name: str,
    *,
    flags: Mapping[str, str] | None = None,
    json_help: str = ONE_OBJECT,
) -> Callable[[ApiCommand], click.Command]:
    """Register ``async def command(client, out, **arguments)`` as ``group name``.

    Adds the connection options and ``--json``, builds the client, runs the coroutine,
    prints the :data:`Shown` it returns (a command that streams prints itself and returns
    None) and turns the SDK's errors into a message and an exit code. The command's own
    arguments and options are the click decorators stacked *above* this one.
    A :class:`RequestValidationError` names an SDK parameter: it is shown with the flag
    of the command parameter of the same name, or the one ``flags`` (SDK name -> flag) gives.
    """

    def decorate(function: ApiCommand) -> click.Command:
        @functools.wraps(function)
        def command(**arguments: Any) -> None:
            out = Output(as_json=arguments.pop("as_json"))
            settings = {key: arguments.pop(key) for key in _CONNECTION_NAMES}
            # The parameters as the user typed them (the decorators above this one are
            # applied after it, so they are read here); a setting left to the environment
            # is named by the client itself.
            params = click.get_current_context().command.params
            names = {p.name: flag_of(p) for p in params if p.name and settings.get(p.name, 1)}
            if arguments.pop("password_stdin"):
                # A credential flag like --password: the credential variables are ignored.
                _password_from_stdin(out, settings)
                names["password"] = "--password-stdin"
            names.update(flags or {})

            async def run() -> None:
                async with AsyncChorusClient(**settings) as client:
                    shown = await function(client, out, **arguments)
                    if shown is not None:
                        out.show(shown)

            def call() -> None:
                with renamed(names):
                    asyncio.run(run())

            guarded(out, call)

        wrapped: Callable[..., Any] = json_option(json_help)(command)
        for option in reversed(_CONNECTION_OPTIONS):
            wrapped = option(wrapped)
        return group.command(name, cls=ApiCommandClass, context_settings=CONTEXT)(wrapped)

    return decorate


def lookup(
    group: click.Group,
    name: str,
    argument: str,
    method: Callable[[AsyncChorusClient], Callable[[int], Awaitable[T]]],
) -> Callable[[Callable[[T, int], RenderableType]], click.Command]:
    """Register ``group name ARGUMENT``: one call ``method(client)(id)``, then the view.

    The decorated ``view(result, id)`` gives the table or line for a person (``--json``
    prints the result) and the command's help text.
    """

    def decorate(view: Callable[[T, int], RenderableType]) -> click.Command:
        @functools.wraps(view)
        async def command(client: AsyncChorusClient, out: Output, **arguments: int) -> Shown:
            value = arguments[argument]
            found = await method(client)(value)
            return found, view(found, value)

        return click.argument(argument, type=int)(api_command(group, name)(command))

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
    except click.exceptions.Exit:  # out.fail inside the command: already said
        raise
    except Exception as exc:  # a bug: still the documented one line, with what to report
        out.fail(f"internal error, please report it: {type(exc).__name__}: {exc}", EXIT_API_ERROR)


_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@contextlib.contextmanager
def renamed(flags: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a RequestValidationError naming an SDK parameter with the command's flag
    (``flags``: parameter -> flag), so that the message names what the user typed."""
    try:
        yield
    except RequestValidationError as exc:
        head = _HEAD.match(exc.field)
        flag = flags.get(head.group(0)) if head else None
        if flag is None or head is None:
            raise
        rest = exc.field[head.end() :]
        # "invoice_ids[3]" -> "INVOICE_IDS[3]"; a nested attribute means nothing on the line.
        field = flag + (rest if rest.startswith("[") else "")
        # A rule may name another parameter ("when new_status is ..."): the flag too. Plain
        # words ("comment") stay: only snake_case names are unmistakably parameters.
        rule = _SNAKE.sub(lambda found: flags.get(found.group(0), found.group(0)), exc.rule)
        raise RequestValidationError(field, rule) from None


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


def _file_to_read(_ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A file that must exist and be readable, checked before anything is sent."""
    if value is None:
        return None
    if not value.exists():
        raise click.BadParameter(f"no such file: {value}")
    if not value.is_file():
        raise click.BadParameter(f"not a regular file: {value}")
    if not os.access(value, os.R_OK):
        raise click.BadParameter(f"cannot read the file {value}")
    return value


def _file_to_write(_ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A file to create or replace: its folder must exist and be writable, checked before
    anything is sent (a download is not made to be thrown away)."""
    if value is None:
        return None
    folder = value.parent
    if value.is_dir():
        raise click.BadParameter(f"{value} is a folder, not a file")
    if not folder.is_dir():
        raise click.BadParameter(f"no such folder: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.BadParameter(f"cannot write in the folder {folder}")
    if value.exists() and not os.access(value, os.W_OK):
        raise click.BadParameter(f"cannot replace the file {value}")
    return value


AMOUNT: dict[str, Any] = {"metavar": "AMOUNT", "callback": _amount}
DATE: dict[str, Any] = {"metavar": "YYYY-MM-DD", "callback": _date}
FILE_TO_READ: dict[str, Any] = {
    "type": click.Path(path_type=Path),
    "callback": _file_to_read,
}
FILE_TO_WRITE: dict[str, Any] = {
    "type": click.Path(path_type=Path),
    "callback": _file_to_write,
}
