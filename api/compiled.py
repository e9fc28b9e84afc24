"""A queryset compiled to SQL once for each database connection, then run again with new values.

Building a queryset and compiling it to SQL costs the ORM more than PostgreSQL spends running it,
for the small queries a record's page makes (one claim by id, the tags of a page of claims): about
1.5 ms of Python each, against a third of a millisecond in the database. ``CompiledQuery`` builds
the queryset once, with placeholder values, keeps the SQL, the parameters and the ORM's converters
for the results (dates on SQLite, say), and afterwards only puts the real values in the
placeholders' places. The rows are those ``values_list()`` gives; the query is the same SQL.

The compiled form is kept on the connection object (one a thread and database alias), since the
ORM's converters are bound to it; a queryset whose SQL does not carry each placeholder exactly once
as a parameter is not kept, and runs through the ORM every time.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections

#: placeholder values: negative ids, which no row has
_PLACEHOLDER_BASE = -7_361_902_553_000
#: compiled forms kept a connection at most (a list's length makes a form: page sizes 1 to 500)
MAX_FORMS = 64


class CompiledQuery:
    """``build(*values)`` returns a ``values_list()`` queryset; ``run(using, *values)`` its rows.

    ``values`` are each a whole number or a list of whole numbers (for ``__in``); a list's length is
    part of the compiled form (one form for each length met).
    """

    def __init__(self, name: str, build: Callable[..., object]):
        self.name = name
        self.build = build

    def _shape(self, values) -> tuple:
        return tuple(len(v) if isinstance(v, (list, tuple)) else None for v in values)

    def _compile(self, connection, shape: tuple):
        placeholders, flat = [], []
        for length in shape:
            if length is None:
                value = _PLACEHOLDER_BASE - len(flat)
                flat.append(value)
                placeholders.append(value)
            else:
                values = [_PLACEHOLDER_BASE - len(flat) - i for i in range(length)]
                flat.extend(values)
                placeholders.append(values)
        queryset = self.build(*placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = []
        for value in flat:
            found = [i for i, param in enumerate(params) if param == value and type(param) is int]
            if len(found) != 1:
                return None  # the ORM rewrote a value: run this one through the ORM
            positions.append(found[0])
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        converters = compiler.get_converters(fields)
        return sql, params, positions, compiler, converters

    def run(self, using: str, *values) -> list[tuple]:
        connection = connections[using]
        cache = connection.__dict__.setdefault("_factbase_compiled", {})
        shape = self._shape(values)
        key = (self.name, shape)
        compiled = cache.get(key, False)
        if compiled is False:
            compiled = self._compile(connection, shape)
            if len(cache) < MAX_FORMS:
                cache[key] = compiled
        if compiled is None:
            return list(self.build(*values).using(using))
        sql, template, positions, compiler, converters = compiled
        params = list(template)
        flat = [v for value in values for v in (value if isinstance(value, (list, tuple)) else (value,))]
        for position, value in zip(positions, flat):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
