"""Records read as JSON written by the database, for the two hot paths: a list page and one record.

A view with a ``reader_class`` (``DatabaseReader``) serves a JSON read without building a value in Python:
its serializer, the declaration of the representation, is compiled to SQL (``api.sqljson``; once for each
serializer, choice of fields and database, the request's scheme and host being parameters), and one
statement gives the page: the paginator's keyset query (ids and sort keys,
filtered, ordered and sliced as always) joined to that expression. Python reads the sort keys of the last
row for the next cursor and puts the rows' JSON between ``[`` and ``]`` as an ``orjson.Fragment``, which the
renderer writes as it is. The bytes are those the serializer gives (``tests/api/v1/test_readers.py``).

A read the compiler cannot write (another format than JSON, the browsable API, a field with no SQL) is the
serializer's, as for every other view.
"""

from __future__ import annotations

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.urls import get_script_prefix

from api import sqljson


#: compiled expressions kept (serializer, selection, database); past it they are compiled again
MAX_COMPILED = 256


class PageRow:
    """A record of a page: its JSON text, and the page's sort-key values as attributes (for the cursor)."""

    __slots__ = ("__dict__", "json")

    def __init__(self, json: str):
        self.json = json


class DatabaseReader:
    """Reads the records of ``model`` as ``serializer_class`` represents them for ``request`` (only the
    ``fields`` of ``?fields=``/``?omit=``, when given), the JSON written by the database.

    ``orderings`` are the ORM orderings of the lists of brief records the representation embeds, by
    (model, field name): the order the selector prefetches them in, for the serializer's path.
    """

    #: (model, field name) -> ordering of an embedded list (set by a subclass)
    orderings: dict = {}

    _supported: dict = {}

    @classmethod
    def supports(cls, serializer_class) -> bool:
        """Whether every readable field of ``serializer_class`` compiles to SQL (for the default database)."""
        key = (cls, serializer_class, connections["default"].vendor)
        found = cls._supported.get(key)
        if found is None:
            try:
                compiler = sqljson.Compiler(connections["default"], cls.orderings)
                compiler.object(serializer_class(), "t0")
                found = True
            except sqljson.Unsupported:
                found = False
            cls._supported[key] = found
        return found

    def __init__(self, serializer_class, request, fields: list[str] | None = None):
        self.serializer_class = serializer_class
        self.request = request
        self.fields = fields
        self.host = request.get_host()
        self.model = serializer_class.Meta.model

    def usable(self) -> bool:
        """Whether this request can be read so: every link of the representation has the shape the SQL writes
        (a prefix and the id; not so under an unusual URL configuration), then the serializer does the work."""
        try:
            self._expression(connections[self.model._default_manager.all().db])
        except sqljson.Unsupported:
            return False
        return True

    #: (class, serializer class, fields, database vendor) -> (SQL, its parameters: a ``RequestParam`` or a value)
    _compiled: dict = {}
    #: (that key, API version, scheme, host, script prefix) -> the parameters' values
    _values: dict = {}

    def _expression(self, connection) -> tuple[str, list]:
        """The JSON of a record of table ``t0``, and its parameters. The SQL is compiled once for each
        serializer, selection and database; the URL prefixes (scheme, host, version) are this request's."""
        memo = self.__dict__.get("_memo")
        if memo is not None and memo[0] == connection.vendor:
            return memo[1]
        key = (type(self), self.serializer_class, tuple(self.fields) if self.fields is not None else None,
               connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiler = sqljson.Compiler(connection, self.orderings)
            sql = compiler.object(self.serializer_class(), "t0", self.fields)
            if len(self._compiled) >= MAX_COMPILED:  # each ?fields= choice is a form: keep their number bounded
                self._compiled.clear()
            compiled = self._compiled[key] = (sql, compiler.params)
        sql, params = compiled
        request = self.request
        # The request's values depend on what a URL is made of alone: the API version, scheme, host and script prefix.
        values_key = (key, getattr(request, "version", None), request.scheme, self.host, get_script_prefix())
        values = self._values.get(values_key)
        if values is None:
            values = [param.value(request, self.host) if isinstance(param, sqljson.RequestParam) else param
                      for param in params]
            if len(self._values) >= MAX_COMPILED * 4:  # a bound, should clients send many different Host headers
                self._values.clear()
            self._values[values_key] = values
        found = (sql, values)
        self._memo = (connection.vendor, found)
        return found

    def _table(self, connection) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    def read_one(self, pk: int):
        """The record ``pk`` as an ``orjson.Fragment``, or None."""
        using = self.model._default_manager.all().db  # the database router's choice (a replica, for a read)
        connection = connections[using]
        expression, params = self._expression(connection)
        q = connection.ops.quote_name
        sql = f"SELECT {expression} FROM {self._table(connection)} t0 WHERE t0.{q(self.model._meta.pk.column)} = %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, pk])
            row = cursor.fetchone()
        return None if row is None else orjson.Fragment(row[0])

    def read(self, queryset: QuerySet, keys: tuple[str, ...] = ()) -> list[PageRow]:
        """The records of ``queryset`` (filtered, ordered and sliced by the paginator): its ids and the sort
        keys ``keys`` are read by its own SQL, and the JSON of those rows by the same statement."""
        using = queryset.db
        connection = connections[using]
        inner = queryset.prefetch_related(None).values_list("pk", *keys)
        compiler = inner.query.get_compiler(using=using)
        try:
            inner_sql, inner_params = compiler.as_sql()
        except EmptyResultSet:  # a filter that can match nothing ("?outlet_name=%"): no query to run
            return []
        width = 1 + len(keys)
        directions = self._directions(inner, keys)
        expression, params = self._expression(connection)
        q = connection.ops.quote_name
        pk_column = q(self.model._meta.pk.column)
        order = ", ".join(f"{i} {'DESC' if descending else 'ASC'}" for i, descending in enumerate(directions, start=2))
        sql = (f"SELECT p.*, {expression} FROM ({inner_sql}) p JOIN {self._table(connection)} t0 "
               f"ON t0.{pk_column} = p.{q(self._pk_alias(compiler))}" + (f" ORDER BY {order}" if order else ""))
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *inner_params])
            fetched = cursor.fetchall()
        converters = compiler.get_converters([expression for expression, _, _ in compiler.select[:width]])
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        rows = []
        for values in fetched:
            row = PageRow(values[width])
            for i, name in enumerate(keys, start=1):
                setattr(row, name, values[i])
            rows.append(row)
        return rows

    def _pk_alias(self, compiler) -> str:
        """The name of the ids' column in the page's query (its first)."""
        expression, _, alias = compiler.select[0]
        return alias or expression.target.column

    @staticmethod
    def _directions(queryset: QuerySet, keys) -> list[bool]:
        """Whether each sort key (in ``keys``' order) is descending in ``queryset``'s ordering."""
        directions = {}
        for item in queryset.query.order_by:
            expression = getattr(item, "expression", None)
            name = getattr(expression, "name", None)
            if name is None:
                raise sqljson.Unsupported("an ordering by something else than the sort keys")
            directions[name] = item.descending
        if set(directions) != set(keys):
            raise sqljson.Unsupported("an ordering by something else than the sort keys")
        return [directions[name] for name in keys]

    @staticmethod
    def results(rows: list[PageRow]):
        """The page's records as one JSON array, written as it is."""
        return orjson.Fragment("[" + ",".join(row.json for row in rows) + "]")
