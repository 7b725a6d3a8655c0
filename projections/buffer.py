"""A batch's rows of one table: read once, changed in memory, written once at the batch's end.

A projection that reads a row, changes it and writes it back for every event pays two
statements per event, and building a statement costs more than running it. Within one batch
(one transaction) the same rows are touched again and again: a case's report, its supports and
its comments often fall in the same 500 events. A ``RowBuffer`` keeps the batch's rows as dicts:
the first read of a key fetches it (or ``prefetch`` fetches a whole batch's keys in one query),
later reads and changes are plain Python, and ``flush`` writes new rows with one multi-row
INSERT and changed rows with one executemany UPDATE. Nothing outlives the batch: ``clear`` runs
at its start, so a batch that rolled back leaves nothing behind.

The rule that comes with it: inside a batch, a projection reads a buffered table only through
its buffer. Rows not flushed yet are invisible to SQL, so a query by anything but the key
(all cases of a category, say) must ``flush`` first. Rows are written whole, every column
named, so a nullable JSON column must be declared ``JSON(none_as_null=True)``: otherwise its
``None`` is stored as the JSON text ``null`` instead of SQL NULL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, tuple_, update

#: Keys per ``IN (...)`` query: well under SQLite's limit of bound parameters.
PREFETCH_CHUNK = 400


class RowBuffer:
    """Rows of ``table`` by their primary key, for the length of one batch."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.key_columns = [column.name for column in table.primary_key.columns]
        self.columns = [column.name for column in table.columns]
        self._rows: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        self._new: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._changed: set[tuple[Any, ...]] = set()
        where = [table.c[name] == bindparam(f"key_{name}") for name in self.key_columns]
        self._update = update(table).where(*where)

    def clear(self) -> None:
        """Forget every row (at the start of a batch)."""
        self._rows.clear()
        self._new.clear()
        self._changed.clear()

    def _select(self, conn: Connection, keys: list[tuple[Any, ...]]) -> None:
        key = (
            self.table.c[self.key_columns[0]]
            if len(self.key_columns) == 1
            else tuple_(*(self.table.c[name] for name in self.key_columns))
        )
        values = [each[0] for each in keys] if len(self.key_columns) == 1 else keys
        for row in conn.execute(select(self.table).where(key.in_(values))).mappings():
            self._rows[tuple(row[name] for name in self.key_columns)] = dict(row)

    def prefetch(self, conn: Connection, keys: Iterable[tuple[Any, ...]]) -> None:
        """Fetch the rows of ``keys`` not held yet, a few hundred per query."""
        missing = list(dict.fromkeys(key for key in keys if key not in self._rows))
        for start in range(0, len(missing), PREFETCH_CHUNK):
            chunk = missing[start : start + PREFETCH_CHUNK]
            self._select(conn, chunk)
            for key in chunk:
                self._rows.setdefault(key, None)  # known to be absent

    def get(self, conn: Connection, *key: Any) -> dict[str, Any] | None:
        """The row with this key (a dict to change in place, then ``changed``), or None."""
        if key not in self._rows:
            self.prefetch(conn, [key])
        return self._rows[key]

    def insert(self, values: dict[str, Any]) -> dict[str, Any]:
        """A new row (every column not given is NULL); returns it for further changes."""
        row = dict.fromkeys(self.columns) | values
        key = tuple(row[name] for name in self.key_columns)
        if self._rows.get(key) is not None:
            raise ValueError(f"{self.table.name}: a row with key {key} exists already")
        self._rows[key] = row
        self._new[key] = row
        return row

    def changed(self, row: dict[str, Any]) -> None:
        """Note that ``row`` (from ``get``) was changed in place, so ``flush`` writes it."""
        key = tuple(row[name] for name in self.key_columns)
        if key not in self._new:
            self._changed.add(key)

    def flush(self, conn: Connection) -> None:
        """Write the new rows and the changed ones, then start afresh."""
        if self._new:
            conn.execute(self.table.insert(), list(self._new.values()))
        if self._changed:
            updates = []
            for key in self._changed:
                row = self._rows[key]
                assert row is not None, "only rows that exist are changed"
                values = {name: row[name] for name in self.columns if name not in self.key_columns}
                values |= {f"key_{name}": row[name] for name in self.key_columns}
                updates.append(values)
            conn.execute(self._update, updates)
        self.clear()
