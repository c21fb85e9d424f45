"""The store's first released schema (version 1) with a few rows, as it shipped, for both
backends' migration tests (the DDL is portable between SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3

# The first release's schema, as it shipped: kept here so that a change to the code's
# version 1 cannot silently change what "a file written by version 1" means.
V1_DDL = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE tracked_invoice (
    invoice_id BIGINT PRIMARY KEY, status TEXT, status_date TEXT,
    next_check DOUBLE PRECISION NOT NULL, errors INTEGER NOT NULL DEFAULT 0,
    checks INTEGER NOT NULL DEFAULT 0, final INTEGER NOT NULL DEFAULT 0,
    gave_up INTEGER NOT NULL DEFAULT 0, last_error TEXT, tracked_at DOUBLE PRECISION NOT NULL,
    lease_owner TEXT, lease_until DOUBLE PRECISION
);
CREATE INDEX tracked_invoice_due ON tracked_invoice (next_check, invoice_id)
    WHERE final = 0 AND gave_up = 0;
CREATE TABLE status_history (
    invoice_id BIGINT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL, status_date TEXT,
    seen_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (invoice_id, seq)
);
CREATE TABLE submission (
    supplier TEXT NOT NULL, invoice_number TEXT NOT NULL, state TEXT NOT NULL,
    invoice_id BIGINT, owner TEXT, lease_until DOUBLE PRECISION, attempts INTEGER NOT NULL,
    reserved_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION,
    updated_at DOUBLE PRECISION NOT NULL, last_error TEXT,
    PRIMARY KEY (supplier, invoice_number)
);
CREATE INDEX submission_state ON submission (state);
INSERT INTO tracked_invoice (invoice_id, status, status_date, next_check, checks, tracked_at)
    VALUES (7512345, 'DEPOSEE', '2026-03-02T09:30:00+00:00', 50.0, 1, 10.0);
INSERT INTO status_history VALUES (7512345, 1, 'DEPOSEE', '2026-03-02T09:30:00+00:00', 20.0);
INSERT INTO submission VALUES ('', 'F-1', 'created', 7512345, NULL, NULL, 1, 1.0, 2.0, 3.0, NULL);
"""


def write_v1(target: str, version: int = 1) -> None:
    """A store at ``target`` (a file path, or an empty PostgreSQL database's URL) as
    version 1 wrote it, its schema_version row saying ``version``."""
    script = V1_DDL + f"INSERT INTO schema_version VALUES ({version});"
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as connection:
            connection.execute(script.encode())  # bytes: several statements at once
        return
    connection = sqlite3.connect(target)
    connection.executescript(script)
    connection.close()
