"""The store's SQL, all of it, and its schema versions.

The statements are portable between SQLite and PostgreSQL: ``?`` placeholders (a
PostgreSQL backend swaps them for its driver's), plain types, ``ON CONFLICT DO NOTHING``,
partial indexes, no ``RETURNING``. Booleans are ``INTEGER`` 0/1 so the same comparisons
work on both. What only SQLite has (pragmas, ``BEGIN IMMEDIATE``, ``sqlite_master``) is
grouped at the end under ``SQLITE_``, what only PostgreSQL has (row locks, arrays, the
catalog, advisory locks) under ``PG_``, still written with ``?``.
"""

from __future__ import annotations

from typing import Final

# Version 1 is the first release. Each entry: (version, statements); a migration runs in
# one transaction with the version update. Never edit a released entry: append one.
MIGRATIONS: Final[tuple[tuple[int, tuple[str, ...]], ...]] = (
    (
        1,
        (
            "CREATE TABLE schema_version (version INTEGER NOT NULL)",
            """CREATE TABLE tracked_invoice (
                invoice_id BIGINT PRIMARY KEY,
                status TEXT,
                status_date TEXT,
                next_check DOUBLE PRECISION NOT NULL,
                errors INTEGER NOT NULL DEFAULT 0,
                checks INTEGER NOT NULL DEFAULT 0,
                final INTEGER NOT NULL DEFAULT 0,
                gave_up INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                tracked_at DOUBLE PRECISION NOT NULL,
                lease_owner TEXT,
                lease_until DOUBLE PRECISION
            )""",
            # claim_due and next_due walk only the invoices still watched, in due order.
            """CREATE INDEX tracked_invoice_due ON tracked_invoice (next_check, invoice_id)
                WHERE final = 0 AND gave_up = 0""",
            """CREATE TABLE status_history (
                invoice_id BIGINT NOT NULL,
                seq INTEGER NOT NULL,
                status TEXT NOT NULL,
                status_date TEXT,
                seen_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (invoice_id, seq)
            )""",
            """CREATE TABLE submission (
                supplier TEXT NOT NULL,
                invoice_number TEXT NOT NULL,
                state TEXT NOT NULL,
                invoice_id BIGINT,
                owner TEXT,
                lease_until DOUBLE PRECISION,
                attempts INTEGER NOT NULL,
                reserved_at DOUBLE PRECISION NOT NULL,
                sent_at DOUBLE PRECISION,
                updated_at DOUBLE PRECISION NOT NULL,
                last_error TEXT,
                PRIMARY KEY (supplier, invoice_number)
            )""",
            "CREATE INDEX submission_state ON submission (state)",
        ),
    ),
    (
        2,
        (
            # The fleet's rate budgets (store/_bucket.py): one row per budget name. tokens
            # NULL: never taken from (a full bucket); day: the UTC day number of day_count.
            """CREATE TABLE rate_budget (
                name TEXT PRIMARY KEY,
                tokens DOUBLE PRECISION,
                refilled_at DOUBLE PRECISION,
                day BIGINT NOT NULL,
                day_count INTEGER NOT NULL,
                paused_until DOUBLE PRECISION NOT NULL
            )""",
        ),
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1][0]

READ_VERSION: Final = "SELECT MAX(version) FROM schema_version"
CLEAR_VERSION: Final = "DELETE FROM schema_version"
WRITE_VERSION: Final = "INSERT INTO schema_version (version) VALUES (?)"

# Tracked invoices.
_INVOICE_COLUMNS = (
    "invoice_id, status, status_date, next_check, errors, checks, final, gave_up, "
    "last_error, tracked_at"
)
_WATCHED: Final = "final = 0 AND gave_up = 0"  # matches the partial index's predicate

TRACK: Final = (
    "INSERT INTO tracked_invoice (invoice_id, next_check, tracked_at) VALUES (?, ?, ?) "
    "ON CONFLICT (invoice_id) DO NOTHING"
)
# When the current status was first seen: the seen_at of the invoice's last history row
# (claim_due returns it, so a watcher started by cron knows how long the status has lasted).
_STATUS_SEEN_AT = (
    "(SELECT h.seen_at FROM status_history AS h WHERE h.invoice_id = {table}.invoice_id "
    "ORDER BY h.seq DESC LIMIT 1)"
)
SELECT_DUE: Final = (
    f"SELECT {_INVOICE_COLUMNS}, {_STATUS_SEEN_AT.format(table='tracked_invoice')} "
    "FROM tracked_invoice "
    f"WHERE {_WATCHED} AND next_check <= ? AND (lease_until IS NULL OR lease_until <= ?) "
    "ORDER BY next_check, invoice_id LIMIT ?"
)
COUNT_DUE: Final = (
    f"SELECT COUNT(*) FROM tracked_invoice "
    f"WHERE {_WATCHED} AND next_check <= ? AND (lease_until IS NULL OR lease_until <= ?)"
)
# A batch's rows at once (one statement per up to RECORD_CHUNK ids, not one per invoice).
SELECT_FOR_RECORD_IN: Final = (
    "SELECT invoice_id, lease_owner, status FROM tracked_invoice WHERE invoice_id IN ({marks})"
)
RECORD_CHUNK: Final = 500  # ids bound in one statement: under SQLite's oldest limit (999)
SET_LEASE_IN: Final = (
    "UPDATE tracked_invoice SET lease_owner = ?, lease_until = ? WHERE invoice_id IN ({marks})"
)
RECORD_FAILURE: Final = (
    "UPDATE tracked_invoice SET errors = errors + 1, last_error = ?, next_check = ?, "
    "final = ?, gave_up = ?, lease_owner = NULL, lease_until = NULL WHERE invoice_id = ?"
)
RECORD_SUCCESS: Final = (
    "UPDATE tracked_invoice SET status = ?, status_date = ?, errors = 0, checks = checks + 1, "
    "last_error = ?, next_check = ?, final = ?, gave_up = ?, lease_owner = NULL, "
    "lease_until = NULL WHERE invoice_id = ?"
)
APPEND_HISTORY: Final = (
    "INSERT INTO status_history (invoice_id, seq, status, status_date, seen_at) "
    "SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM status_history WHERE invoice_id = ?"
)
RELEASE: Final = (
    "UPDATE tracked_invoice SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?"
)
# The earliest time claim_due could hand an invoice out: a leased one not before its lease ends.
NEXT_DUE: Final = (
    "SELECT MIN(CASE WHEN lease_until > next_check THEN lease_until ELSE next_check END) "
    f"FROM tracked_invoice WHERE {_WATCHED}"
)
SELECT_INVOICE: Final = f"SELECT {_INVOICE_COLUMNS} FROM tracked_invoice WHERE invoice_id = ?"
SELECT_HISTORY: Final = (
    "SELECT status, status_date, seen_at FROM status_history WHERE invoice_id = ? ORDER BY seq"
)
STATUS_COUNTS: Final = "SELECT status, COUNT(*) FROM tracked_invoice GROUP BY status"
WATCHED_COUNT: Final = f"SELECT COUNT(*) FROM tracked_invoice WHERE {_WATCHED}"

# The submission ledger.
_SUBMISSION_COLUMNS = (
    "supplier, invoice_number, state, invoice_id, owner, lease_until, attempts, "
    "reserved_at, sent_at, updated_at, last_error"
)
SELECT_SUBMISSION: Final = (
    f"SELECT {_SUBMISSION_COLUMNS} FROM submission WHERE supplier = ? AND invoice_number = ?"
)
SELECT_SUBMISSIONS: Final = (
    f"SELECT {_SUBMISSION_COLUMNS} FROM submission ORDER BY supplier, invoice_number"
)
SELECT_SUBMISSIONS_IN: Final = (
    f"SELECT {_SUBMISSION_COLUMNS} FROM submission WHERE state IN ({{marks}}) "
    "ORDER BY supplier, invoice_number"
)
INSERT_SUBMISSION: Final = (
    f"INSERT INTO submission ({_SUBMISSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_SUBMISSION: Final = (
    "UPDATE submission SET state = ?, invoice_id = ?, owner = ?, lease_until = ?, "
    "attempts = ?, reserved_at = ?, sent_at = ?, updated_at = ?, last_error = ? "
    "WHERE supplier = ? AND invoice_number = ?"
)

# The fleet's rate budgets: a row is made on first use, then read and written under a lock
# (SQLite's write lock, PostgreSQL's row lock: PG_LOCK_BUDGET) by one transaction at a time.
INSERT_BUDGET: Final = (
    "INSERT INTO rate_budget (name, tokens, refilled_at, day, day_count, paused_until) "
    "VALUES (?, NULL, NULL, ?, 0, 0) ON CONFLICT (name) DO NOTHING"
)
_BUDGET_COLUMNS = "tokens, refilled_at, day, day_count, paused_until"
SELECT_BUDGET: Final = f"SELECT {_BUDGET_COLUMNS} FROM rate_budget WHERE name = ?"
UPDATE_BUDGET: Final = (
    "UPDATE rate_budget SET tokens = ?, refilled_at = ?, day = ?, day_count = ? WHERE name = ?"
)
# One statement: the later of the two pauses wins, whoever writes first.
PAUSE_BUDGET: Final = (
    "UPDATE rate_budget SET paused_until = CASE WHEN paused_until > ? THEN paused_until "
    "ELSE ? END WHERE name = ?"
)

# SQLite only. FULL synchronous (SQLite's default, said aloud): a SENT mark must be on disk
# before the request leaves, even across a power cut.
SQLITE_PRAGMAS: Final = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL")
SQLITE_BUSY_TIMEOUT: Final = "PRAGMA busy_timeout = {milliseconds:d}"
# The watcher's own writes (claims, results, releases) at NORMAL, set outside the transaction
# and FULL again after it: WAL + NORMAL survives a process crash (kill -9); only an OS crash
# or a power cut can lose the last commits, and for the watcher that means reading again.
# A later FULL commit (a ledger mark) syncs the WAL, the NORMAL commits before it included.
SQLITE_SYNC_RELAXED: Final = "PRAGMA synchronous = NORMAL"
SQLITE_SYNC_FULL: Final = "PRAGMA synchronous = FULL"
SQLITE_BEGIN_WRITE: Final = "BEGIN IMMEDIATE"  # takes the write lock now: no lost claims
SQLITE_BEGIN_READ: Final = "BEGIN"
# (tables, of which schema_version) in one statement: read in two, a process that creates
# the schema in between would make a fresh store look like another application's.
SQLITE_TABLES: Final = (
    "SELECT COUNT(*), COALESCE(SUM(name = 'schema_version'), 0) FROM sqlite_master "
    "WHERE type = 'table'"
)
SQLITE_INTEGRITY_CHECK: Final = "PRAGMA integrity_check"

# PostgreSQL only (``?`` too: the backend swaps them for psycopg's ``%s``).
PG_LOCK_TIMEOUT: Final = "SELECT set_config('lock_timeout', ?, false)"
# One key for every store: two processes opening a fresh database migrate one after the other.
PG_MIGRATION_LOCK: Final = "SELECT pg_advisory_xact_lock(4730851911482201315)"
PG_TABLES: Final = (  # as SQLITE_TABLES
    "SELECT COUNT(*), COUNT(*) FILTER (WHERE tablename = 'schema_version') "
    "FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
)
# One statement for a whole batch (a round trip per id would dominate a large track).
PG_TRACK: Final = (
    "INSERT INTO tracked_invoice (invoice_id, next_check, tracked_at) "
    "SELECT id, ?, ? FROM unnest(?::bigint[]) AS id ON CONFLICT (invoice_id) DO NOTHING"
)
# SKIP LOCKED: a claim passes over the rows another transaction holds instead of waiting,
# and the lease is set in the same statement (RETURNING's order is not the claim's: the
# backend sorts).
PG_CLAIM_DUE: Final = (
    "WITH due AS (SELECT invoice_id FROM tracked_invoice "
    f"WHERE {_WATCHED} AND next_check <= ? AND (lease_until IS NULL OR lease_until <= ?) "
    "ORDER BY next_check, invoice_id LIMIT ? FOR UPDATE SKIP LOCKED) "
    "UPDATE tracked_invoice AS t SET lease_owner = ?, lease_until = ? FROM due "
    "WHERE t.invoice_id = due.invoice_id RETURNING "
    + ", ".join(f"t.{column}" for column in _INVOICE_COLUMNS.split(", "))
    + ", "
    + _STATUS_SEEN_AT.format(table="t")
)
# record locks its rows in one order (by id) so two batches never deadlock.
PG_LOCK_FOR_RECORD: Final = (
    "SELECT invoice_id, lease_owner, status FROM tracked_invoice "
    "WHERE invoice_id = ANY(?::bigint[]) ORDER BY invoice_id FOR UPDATE"
)
# A batch of results in three statements, whatever its size: each column as an array.
_PG_RECORDED = (
    "lease_owner = NULL, lease_until = NULL FROM unnest(?::text[], ?::double precision[], "
    "?::integer[], ?::integer[], ?::bigint[]{more}) AS r(last_error, next_check, final, "
    "gave_up, invoice_id{names}) WHERE t.invoice_id = r.invoice_id"
)
PG_RECORD_FAILURES: Final = (
    "UPDATE tracked_invoice AS t SET errors = t.errors + 1, last_error = r.last_error, "
    "next_check = r.next_check, final = r.final, gave_up = r.gave_up, "
    + _PG_RECORDED.format(more="", names="")
)
PG_RECORD_SUCCESSES: Final = (
    "UPDATE tracked_invoice AS t SET status = r.status, status_date = r.status_date, "
    "errors = 0, checks = t.checks + 1, last_error = r.last_error, next_check = r.next_check, "
    "final = r.final, gave_up = r.gave_up, "
    + _PG_RECORDED.format(more=", ?::text[], ?::text[]", names=", status, status_date")
)
# One row per invoice in a batch (record keeps one result per invoice), so MAX(seq) holds.
PG_APPEND_HISTORY: Final = (
    "INSERT INTO status_history (invoice_id, seq, status, status_date, seen_at) "
    "SELECT r.invoice_id, COALESCE((SELECT MAX(h.seq) FROM status_history AS h "
    "WHERE h.invoice_id = r.invoice_id), 0) + 1, r.status, r.status_date, ? "
    "FROM unnest(?::bigint[], ?::text[], ?::text[]) AS r(invoice_id, status, status_date)"
)
PG_LOCK_SUBMISSION: Final = f"{SELECT_SUBMISSION} FOR UPDATE"
PG_LOCK_BUDGET: Final = f"{SELECT_BUDGET} FOR UPDATE"
# Two first reservations of one number at once: one inserts, the other finds the row.
PG_INSERT_SUBMISSION: Final = (
    f"{INSERT_SUBMISSION} ON CONFLICT (supplier, invoice_number) DO NOTHING"
)
# PostgreSQL keeps its own files consistent; what check_integrity looks at is the store's
# rules: (description, count of rows that break it).
PG_INTEGRITY_CHECKS: Final = (
    (
        "status history of an invoice that is not tracked",
        "SELECT COUNT(*) FROM status_history AS h WHERE NOT EXISTS "
        "(SELECT 1 FROM tracked_invoice AS t WHERE t.invoice_id = h.invoice_id)",
    ),
    (
        "created submission without an invoice id",
        "SELECT COUNT(*) FROM submission WHERE state = 'created' AND invoice_id IS NULL",
    ),
    (
        "lease without an owner",
        "SELECT COUNT(*) FROM tracked_invoice "
        "WHERE lease_until IS NOT NULL AND lease_owner IS NULL",
    ),
)
