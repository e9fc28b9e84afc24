"""The change feed's row: one version written to the history of any record (``factbase.changes``)."""

from django.db import models


class Change(models.Model):
    """One entry of the change feed: a version written to the history of any record (created, changed or
    deleted), in the order the feed lists them.

    Rows are written by the database itself, by a trigger on each history table (``factbase.changes``), so every
    path that writes history (a service, ``bulk.insert_history``, the importer's COPY, a tag's delete) is in the
    feed. ``txid`` is the writing transaction's id on PostgreSQL (``pg_current_xact_id()``; 0 on SQLite, whose
    writes are serialised): the feed lists only the changes of transactions that every snapshot sees as
    finished, in ``(txid, id)`` order (see ``factbase.changes``).
    """

    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(default=0)
    model = models.CharField(max_length=100, help_text="The model whose history holds the version (its model_name).")
    history_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["txid", "id"], name="change_txid_id"),
            models.Index(fields=["model", "txid", "id"], name="change_model_txid_id"),
        ]

    def __str__(self):
        return f"{self.model} version {self.history_id}"
