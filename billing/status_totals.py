"""The triggers that keep ``ClaimStatusTotal`` equal to a count of the claims by status.

Every INSERT, UPDATE and DELETE on the claim table adds its change to the totals in its own
transaction, whatever sent it (a service, a bulk update, the admin, a data migration), so the
totals are exact and the queue need not aggregate every open claim on each request. The
charge is counted in cents, ``CAST(ROUND(total_charge * 100) AS BIGINT)``: exact on both
databases (SQLite would add the decimals as floats).

PostgreSQL runs one trigger per statement, over the rows the statement changed (transition
tables): a bulk insert of a thousand claims is one update a status, not a thousand. A status
may have several rows (slots): a transaction adds to one that no other transaction holds
(``FOR UPDATE SKIP LOCKED``) and adds a row when every one is held, so that transactions
changing claims of the same statuses never wait for each other's totals, and cannot deadlock
over them in whatever order they change them. There are as many rows a status as
transactions ever changed it at the same moment.

SQLite has only row triggers and one writer, so one slot. There a claim's removal subtracts
from the row of its status without creating one: when a test flush empties the tables in
any order, whichever goes first, the totals end empty. SQLite also rebuilds a table to alter
it and loses the table's triggers on the way, so ``ensure`` (after every ``migrate``) puts
them back and counts the claims afresh.
"""

from __future__ import annotations

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "billing_claimstatustotal"

# A status's change, added to a row of that status that no other transaction holds: the
# lowest slot free (or one this transaction already holds, which FOR UPDATE SKIP LOCKED still
# returns), else a new row in a slot picked at random. So a trigger never waits for another
# transaction's totals, and two transactions changing claims of the same statuses in any
# order can neither block nor deadlock each other over them.
_PG_ADD_FUNCTION = "billing_claim_status_totals_add"
_PG_ADD_BODY = """
DECLARE
    found_id bigint;
BEGIN
    LOOP
        SELECT id INTO found_id FROM billing_claimstatustotal
        WHERE status = changed_status
        ORDER BY slot LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE billing_claimstatustotal
            SET claims = claims + added_claims, charge_cents = charge_cents + added_cents
            WHERE id = found_id;
            RETURN;
        END IF;
        INSERT INTO billing_claimstatustotal (status, slot, claims, charge_cents)
        VALUES (changed_status, floor(random() * 32768)::int, added_claims, added_cents)
        ON CONFLICT (status, slot) DO NOTHING;
        IF FOUND THEN
            RETURN;
        END IF;
    END LOOP;
END;
"""
# Each statement's changes by status (the rows it added less the rows it took away), in
# status order.
_PG_SUMS = """
    ) AS changes
    GROUP BY status
    HAVING SUM(claims) <> 0 OR SUM(cents) <> 0
    ORDER BY status
LOOP
    PERFORM billing_claim_status_totals_add(change.status, change.claims, change.cents);
END LOOP;
"""
_PG_CHANGES = """
FOR change IN
    SELECT status, SUM(claims) AS claims, CAST(SUM(cents) AS BIGINT) AS cents FROM (
"""
_PG_ADDED = """
        SELECT status, 1 AS claims, CAST(ROUND(total_charge * 100) AS BIGINT) AS cents
        FROM added
"""
_PG_REMOVED = """
        SELECT status, -1 AS claims, -CAST(ROUND(total_charge * 100) AS BIGINT) AS cents
        FROM removed
"""
# name: (the function's body, the trigger's event and transition tables)
_PG_TRIGGERS = {
    "billing_claim_status_totals_insert": (
        _PG_CHANGES + _PG_ADDED + _PG_SUMS,
        "AFTER INSERT ON billing_claim REFERENCING NEW TABLE AS added",
    ),
    "billing_claim_status_totals_update": (
        _PG_CHANGES + _PG_ADDED + "UNION ALL" + _PG_REMOVED + _PG_SUMS,
        "AFTER UPDATE ON billing_claim REFERENCING OLD TABLE AS removed NEW TABLE AS added",
    ),
    "billing_claim_status_totals_delete": (
        _PG_CHANGES + _PG_REMOVED + _PG_SUMS,
        "AFTER DELETE ON billing_claim REFERENCING OLD TABLE AS removed",
    ),
    "billing_claim_status_totals_truncate": (
        "DELETE FROM billing_claimstatustotal;",
        "AFTER TRUNCATE ON billing_claim",
    ),
}

_SQLITE_ADD = """
    INSERT INTO billing_claimstatustotal (status, slot, claims, charge_cents)
    VALUES (NEW.status, 0, 1, CAST(ROUND(NEW.total_charge * 100) AS BIGINT))
    ON CONFLICT (status, slot) DO UPDATE
    SET claims = claims + excluded.claims, charge_cents = charge_cents + excluded.charge_cents;
"""
_SQLITE_SUBTRACT = """
    UPDATE billing_claimstatustotal
    SET claims = claims - 1,
        charge_cents = charge_cents - CAST(ROUND(OLD.total_charge * 100) AS BIGINT)
    WHERE status = OLD.status AND slot = 0;
"""
_SQLITE_TRIGGERS = {
    "billing_claim_status_totals_insert": ("AFTER INSERT ON billing_claim", _SQLITE_ADD),
    "billing_claim_status_totals_update": (
        "AFTER UPDATE OF status, total_charge ON billing_claim "
        "WHEN OLD.status IS NOT NEW.status OR OLD.total_charge IS NOT NEW.total_charge",
        _SQLITE_SUBTRACT + _SQLITE_ADD,
    ),
    "billing_claim_status_totals_delete": ("AFTER DELETE ON billing_claim", _SQLITE_SUBTRACT),
}

_RECOUNT = [
    "DELETE FROM billing_claimstatustotal;",
    """
    INSERT INTO billing_claimstatustotal (status, slot, claims, charge_cents)
    SELECT status, 0, COUNT(*), SUM(CAST(ROUND(total_charge * 100) AS BIGINT))
    FROM billing_claim GROUP BY status;
    """,
]


def _install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = [
            "LOCK TABLE billing_claim IN SHARE ROW EXCLUSIVE MODE;",
            f"CREATE OR REPLACE FUNCTION {_PG_ADD_FUNCTION}("
            "changed_status varchar, added_claims bigint, added_cents bigint"
            f") RETURNS void AS $$\n{_PG_ADD_BODY}$$ LANGUAGE plpgsql;",
        ]
        for name, (body, event) in _PG_TRIGGERS.items():
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\n"
                f"DECLARE\n    change record;\nBEGIN\n{body}\nRETURN NULL;\nEND;\n"
                "$$ LANGUAGE plpgsql;",
                f"CREATE OR REPLACE TRIGGER {name} {event} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();",
            ]
        return statements
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name} {event}\nBEGIN{body}END;"
        for name, (event, body) in _SQLITE_TRIGGERS.items()
    ]


def _uninstall_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS {name} ON billing_claim;" for name in _PG_TRIGGERS),
            *(f"DROP FUNCTION IF EXISTS {name}();" for name in _PG_TRIGGERS),
            f"DROP FUNCTION IF EXISTS {_PG_ADD_FUNCTION}(varchar, bigint, bigint);",
        ]
    return [f"DROP TRIGGER IF EXISTS {name};" for name in _SQLITE_TRIGGERS]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers and count the claims there are (a migration: in its transaction,
    with the claims locked against writes on PostgreSQL until it commits)."""
    _run(connection, [*_install_sql(connection.vendor), *_RECOUNT])


def uninstall(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _uninstall_sql(connection.vendor))


def expected(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the triggers the claim table should have."""
    return set(_PG_TRIGGERS if connection.vendor == "postgresql" else _SQLITE_TRIGGERS)


def installed(connection: BaseDatabaseWrapper) -> set[str]:
    """The names of the totals triggers the claim table has."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'billing_claim'::regclass AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'billing_claim'"
            )
        return {name for (name,) in cursor.fetchall()} & expected(connection)


def ensure(connection: BaseDatabaseWrapper) -> None:
    """After ``migrate``: if a migration rebuilt the claim table on SQLite and so dropped the
    triggers, create them again and count the claims afresh (the rows that changed while they
    were missing counted nowhere). Nothing to do before the totals table exists."""
    if connection.vendor != "sqlite" or TABLE not in connection.introspection.table_names():
        return
    if installed(connection) != expected(connection):
        with transaction.atomic(using=connection.alias):
            install(connection)
