"""The change feed's rows (``models.Change``), written by the database: a trigger on every history table.

**Which changes, in which order.** A history row gets its id and date when it is written, not when its
transaction commits: a transaction that began earlier can commit a lower id after a reader has passed it, and a
feed read in id order would skip it. So each change records its transaction's id (PostgreSQL:
``pg_current_xact_id()``, an xid8, as bigint), and the feed:

- lists only the changes of transactions that every snapshot sees as finished, ``txid <
  pg_snapshot_xmin(pg_current_snapshot())`` (the oldest transaction still running), refined to the
  transactions that can write to this database (``selectors.FEED_HORIZON_SQL``: transaction ids are the
  server's, and a long write in another database must not hold this feed back); and
- orders them by ``(txid, id)``: by transaction, then in the order each transaction wrote them.

Why nothing is skipped: every change listed has ``txid < X``, the horizon of the reader's snapshot. A transaction
of this database that was running then, or began later, has a txid >= X (X is the smallest such txid still
running, or the snapshot's xmax, and txids only grow), so its changes sort after every change already listed, and a client that continues after the last one it
saw will meet them. Why nothing repeats: a change is listed only once its transaction has finished, so the set
of changes before any position never grows. Ordering by id alone with the same filter still loses rows: a
transaction with a low txid can write (take ids) after one with a higher txid, and both finish before the next
read. The price: a change waits to be listed until every older transaction of this database has finished, so
one long write transaction holds back the feed (not the writes; read-only transactions take no id and hold
nothing back).

This is not exactly commit order: transactions are ordered by when they were given their id (their first
write), not by when they committed. For one record the versions are always in the order they were made (a
write holds the record's row lock until it commits, so the later version has the greater ``history_id`` and,
written later, a txid that is not smaller); across records a client must not assume more than that.

On SQLite writes are serialised (``BEGIN IMMEDIATE``): ids are given in commit order; ``txid`` is 0.

**A new resource joins the feed** with one line in its migration, after its history table is made:
``changes.record_changes_of("claimrelation")`` (a ``RunPython`` operation; ``tests/api/v1/test_changes.py``
checks that every model with a history is in the feed). The API finds its resource name through its viewset.
"""

from __future__ import annotations

from django.db import migrations

FUNCTION = "factbase_record_changes"
CHANGE_TABLE = "factbase_change"

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One statement's new history rows, in the order they were written, stamped with the transaction's id.
    INSERT INTO {CHANGE_TABLE} (txid, model, history_id)
    SELECT pg_current_xact_id()::text::bigint, TG_ARGV[0], history_id FROM new_rows ORDER BY history_id;
    RETURN NULL;
END
$$
"""


def trigger_name(model_name: str) -> str:
    return f"factbase_change_{model_name}"


def _install(schema_editor, model_name: str, history_table: str) -> None:
    quote = schema_editor.quote_name
    name = trigger_name(model_name)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(history_table)}")
        # A statement trigger with a transition table: one INSERT for all the rows of a COPY or a bulk insert.
        schema_editor.execute(
            f"CREATE TRIGGER {quote(name)} AFTER INSERT ON {quote(history_table)} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{model_name}')"
        )
        txid = "pg_current_xact_id()::text::bigint"
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
        schema_editor.execute(
            f"CREATE TRIGGER {quote(name)} AFTER INSERT ON {quote(history_table)} FOR EACH ROW BEGIN "
            f"INSERT INTO {CHANGE_TABLE} (txid, model, history_id) VALUES (0, '{model_name}', NEW.history_id); END"
        )
        txid = "0"
    # The versions already written (a table made before this migration): in the feed too, as changes of this
    # transaction (so after every change a client may already have read), oldest first.
    schema_editor.execute(
        f"INSERT INTO {CHANGE_TABLE} (txid, model, history_id) SELECT {txid}, '{model_name}', history_id "
        f"FROM {quote(history_table)} ORDER BY history_date, history_id"
    )


def _uninstall(schema_editor, model_name: str, history_table: str) -> None:
    quote = schema_editor.quote_name
    name = trigger_name(model_name)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(history_table)}")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
    schema_editor.execute(f"DELETE FROM {CHANGE_TABLE} WHERE model = %s", [model_name])


def record_changes_of(*model_names: str, app_label: str = "factbase") -> migrations.RunPython:
    """A migration operation putting every version written to the history of each model in the feed (a
    trigger on its history table), and the versions already there."""

    def table(apps, model_name):
        return apps.get_model(app_label, f"historical{model_name}")._meta.db_table

    def forwards(apps, schema_editor):
        for model_name in model_names:
            _install(schema_editor, model_name, table(apps, model_name))

    def backwards(apps, schema_editor):
        for model_name in reversed(model_names):
            _uninstall(schema_editor, model_name, table(apps, model_name))

    return migrations.RunPython(forwards, backwards, elidable=False)
