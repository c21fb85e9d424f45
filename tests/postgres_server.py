"""A real PostgreSQL server for the tests: FACTPULSE_TEST_POSTGRES_URL if set, else a
throw-away cluster started here (``initdb`` + ``pg_ctl``), and an empty database per test
(:class:`DatabasePool`: a new one, or one emptied since).

The cluster lives in a temporary folder, listens on 127.0.0.1 only (a free port; its unix
socket in that folder) and requires a password, so the store is tested the way it is
deployed. initdb refuses to run as root: as root, the server runs as ``nobody``.
Nothing is skipped: without a server or binaries, the tests fail saying what to install.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

URL_VARIABLE = "FACTPULSE_TEST_POSTGRES_URL"
HOW_TO_INSTALL = (
    "the PostgreSQL tests need a server: set FACTPULSE_TEST_POSTGRES_URL to a "
    "postgresql:// URL of a role that may CREATE DATABASE, or install PostgreSQL's server "
    "binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: "
    "`apt-get install postgresql` (Debian, Ubuntu), `dnf install postgresql-server`, "
    "`brew install postgresql`; and the driver: pip install 'factpulse-chorus[postgres]'"
)
USER = "factpulse"  # the cluster's superuser


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: PATH first, else the newest Debian-style one."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl", path=str(Path(found).parent)):
        return Path(found).parent
    folders = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(Path(f).parent.name or 0)
    )
    for folder in reversed(folders):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def as_nobody() -> list[str]:
    """The command prefix running a program as ``nobody`` (``runuser`` lives in sbin, which
    a root shell's PATH may lack)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    runuser = shutil.which("runuser", path=search)
    if runuser is None:
        raise RuntimeError(
            "running PostgreSQL as root needs runuser (util-linux) to drop to nobody"
        )
    return [runuser, "-u", "nobody", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A throw-away PostgreSQL cluster: ``url`` (the superuser's, with its password)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="factpulse-pg-"))
        self.data = self.folder / "data"
        self.bin = folder
        self.password = secrets.token_urlsafe(18)
        # initdb refuses root: the server's files and processes belong to nobody then.
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            self.prefix = as_nobody()
            shutil.chown(self.folder, "nobody")
        self.url = ""

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.prefix, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        if self.prefix:
            shutil.chown(password_file, "nobody")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
        )
        for attempt in range(3):  # a free port may be taken between the probe and the start
            port = _free_port()
            # A throw-away cluster: no fsync (nothing outlives the run), small buffers (one
            # cluster per xdist worker).
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} "
                f"-c unix_socket_directories={self.folder} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB "
                "-c max_connections=200"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.folder / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
            except RuntimeError:
                if attempt == 2:
                    log = (self.folder / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"the PostgreSQL server did not start:\n{log}") from None
                continue
            self.url = f"postgresql://{USER}:{self.password}@127.0.0.1:{port}/postgres"
            return

    @classmethod
    def at(cls, folder: Path) -> Cluster:
        """The cluster started earlier in ``folder`` (by ``start``: see :func:`main`)."""
        cluster = cls.__new__(cls)
        cluster.folder, cluster.data = folder, folder / "data"
        cluster.bin = binaries() or Path("/nonexistent")
        cluster.prefix = as_nobody() if os.geteuid() == 0 else []
        cluster.password = cluster.url = ""
        return cluster

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def server_url() -> Iterator[str]:
    """The URL of a server to create databases on, for the time of the ``with``."""
    import pytest

    import_driver()
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    folder = binaries()
    if folder is None:
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    cluster = Cluster(folder)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()


def import_driver() -> None:
    import pytest

    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(HOW_TO_INSTALL, pytrace=False)


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def create_database(url: str) -> str:
    """A new empty database on the server at ``url``; returns its URL."""
    import psycopg

    name = f"store_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return with_database(url, name)


def drop_database(url: str, database_url: str) -> None:
    """Drop the database of ``database_url`` (its connections too, PostgreSQL 13+)."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DatabasePool:
    """Empty databases on the server at ``url``, reused from test to test: creating one
    copies a template (about 0.2 s of the server's time), emptying one takes a millisecond.

    :meth:`take` gives a database with nothing in it, as a new one; :meth:`give_back`
    empties it (closing what is still connected to it) for the next; :meth:`close` drops
    them all.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._free: list[str] = []
        self._made: list[str] = []

    def take(self) -> str:
        if self._free:
            return self._free.pop()
        self._made.append(create_database(self.url))
        return self._made[-1]

    def give_back(self, database: str) -> None:
        try:
            empty_database(database)
        except Exception:  # left as it is for no one: dropped now instead
            self._made.remove(database)
            drop_database(self.url, database)
            raise
        self._free.append(database)

    def close(self) -> None:
        while self._made:
            drop_database(self.url, self._made.pop())
        self._free.clear()


def empty_database(database_url: str) -> None:
    """Leave the database of ``database_url`` as CREATE DATABASE makes it: every other
    connection to it closed, every schema dropped and ``public`` made again."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        schemas = admin.execute(
            "SELECT nspname FROM pg_namespace"
            " WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        ).fetchall()
        for (schema,) in schemas:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.execute("CREATE SCHEMA public")


def main(argv: list[str]) -> int:
    """``start``: a cluster for a whole CI run (.ci/run), printing its folder then its URL;
    ``stop FOLDER``: stop it and remove its files."""
    if argv[:1] == ["start"]:
        folder = binaries()
        if folder is None:
            print(HOW_TO_INSTALL, file=sys.stderr)
            return 1
        cluster = Cluster(folder)
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        print(cluster.folder)
        print(cluster.url)
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        Cluster.at(Path(argv[1])).stop()
        return 0
    print("usage: postgres_server.py start | stop FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new empty database on the server at ``url`` for the time of the ``with``."""
    database = create_database(url)
    try:
        yield database
    finally:
        drop_database(url, database)
