"""A serializer's representation written by the database: one SQL expression that builds a record's JSON.

The serializer is the declaration of what a record's representation holds (its fields, their order, the
records it embeds in brief, its links); this module reads that declaration and compiles it into SQL that
gives, for each row, the very bytes ``orjson`` would give for ``serializer.data``: the keys in the
serializer's order, strings escaped as orjson escapes them, dates and times as DRF writes them (ISO 8601,
UTC as ``Z``), links as ``DetailURLField`` makes them. A list page is then one statement: the page's ids
and sort keys (the paginator's keyset query, unchanged) joined to the expression, and Python only puts the
rows' JSON text between ``[`` and ``]`` (``orjson.Fragment``) without decoding it.

What a field becomes, by the kind of serializer field (``_field_sql``):

- a model column: a string (``to_json()`` / ``json_quote()``), a number, a date, a time, a UUID, a boolean,
  ``null`` for a NULL;
- ``DetailURLField``: the view's URL prefix (``api.fields.detail_url_prefix``, a parameter) and the id;
- a brief record (``BriefRelatedField`` or a nested serializer over a foreign key): its serializer
  compiled over the related table, ``null`` when the key is NULL;
- a list of brief records (``many=True`` over a many-to-many or a reverse foreign key): their objects
  aggregated in the order the selector prefetches them in (``ordering``), ``[]`` for none;
- ``SlugRelatedField``: the related row's column;
- what no column holds (a model property such as ``Claim.span`` or ``Source.display_title``, a field of
  its own such as ``ClaimRelationsField``): a compiler registered for it (``register``), next to nothing
  else; a field with none makes the whole serializer unsupported (``Unsupported``), and the view then
  uses the serializer.

PostgreSQL and SQLite have each a dialect (``PostgresDialect``, ``SqliteDialect``): the same expression
with their functions. ``tests/api/v1/test_readers.py`` holds the bytes to the serializer's for every
shape of record, ordering, filter and selection (``?fields=``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import orjson
from django.conf import settings
from rest_framework import ISO_8601, serializers
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from api.fields import BriefRelatedField, DetailURLField, FilteredListURLField, detail_url_prefix


class Unsupported(Exception):
    """The serializer holds a field this module cannot write in SQL: the serializer must do the work."""


def literal(text: str) -> str:
    """A SQL string literal (with ``%`` doubled: the statement is run with parameters)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def json_literal(text: str) -> str:
    """A SQL literal of a piece of JSON text already written (``{"id":``, ``,"url":``)."""
    return literal(text)


class Dialect:
    """The SQL of one database for each kind of JSON value (each takes and gives an SQL expression)."""

    vendor = ""

    def param(self) -> str:
        return "%s"

    def string(self, expr: str) -> str:
        raise NotImplementedError

    def integer(self, expr: str) -> str:
        raise NotImplementedError

    def date(self, expr: str) -> str:
        raise NotImplementedError

    def date_text(self, expr: str) -> str:
        """A date as ``YYYY-MM-DD`` text (not quoted)."""
        raise NotImplementedError

    def datetime(self, expr: str) -> str:
        raise NotImplementedError

    def uuid(self, expr: str) -> str:
        raise NotImplementedError

    def boolean(self, expr: str) -> str:
        return f"(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"

    def aggregate(self, item: str, tables: str, where: str, order: str) -> str:
        """A JSON array of ``item`` over the rows of ``tables`` that ``where`` keeps, in ``order``."""
        raise NotImplementedError


class PostgresDialect(Dialect):
    vendor = "postgresql"

    def param(self) -> str:
        return "(%s)::text"

    def string(self, expr: str) -> str:
        return f"to_json(({expr})::text)::text"

    def integer(self, expr: str) -> str:
        return f"({expr})::text"

    def date(self, expr: str) -> str:
        return f"to_json({expr})::text"

    def date_text(self, expr: str) -> str:
        return f"to_char({expr}, 'YYYY-MM-DD')"

    def datetime(self, expr: str) -> str:
        # DRF: isoformat() in UTC, "+00:00" written "Z", the microseconds only when there are some.
        # (The colons are quoted text of the pattern, so that no ":MI" reads as a pgbench variable when
        # `make bench` replays the statement.)
        utc = f"(({expr}) AT TIME ZONE 'UTC')"
        return (f"('\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24\":\"MI\":\"SS') || CASE WHEN "
                f"extract(microseconds FROM {utc})::bigint %% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END "
                f"|| 'Z\"')")

    def uuid(self, expr: str) -> str:
        return f"to_json({expr})::text"

    def aggregate(self, item: str, tables: str, where: str, order: str) -> str:
        return f"(SELECT '[' || COALESCE(string_agg({item}, ',' ORDER BY {order}), '') || ']' FROM {tables} WHERE {where})"


class SqliteDialect(Dialect):
    vendor = "sqlite"

    def string(self, expr: str) -> str:
        return f"json_quote(CAST({expr} AS TEXT))"

    def integer(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def date(self, expr: str) -> str:
        return f"json_quote({expr})"

    def date_text(self, expr: str) -> str:
        return expr

    def datetime(self, expr: str) -> str:
        # Django stores a time as str() of the naive UTC time, "2022-01-05 10:00:00[.123456]"; rows loaded in
        # bulk (factbase.bulk) as str() of the aware one, with "+00:00".
        return f"('\"' || replace(replace({expr}, '+00:00', ''), ' ', 'T') || 'Z\"')"

    def uuid(self, expr: str) -> str:
        # Django stores a UUID as its 32 hex digits.
        return (f"('\"' || substr({expr}, 1, 8) || '-' || substr({expr}, 9, 4) || '-' || substr({expr}, 13, 4) "
                f"|| '-' || substr({expr}, 17, 4) || '-' || substr({expr}, 21, 12) || '\"')")

    def aggregate(self, item: str, tables: str, where: str, order: str) -> str:
        # SQLite 3.40 has no ORDER BY inside group_concat: an ordered subquery (an aggregate over a subquery
        # with ORDER BY is never flattened, so the rows come in that order).
        return (f"(SELECT '[' || COALESCE(group_concat(item, ','), '') || ']' FROM "
                f"(SELECT {item} AS item FROM {tables} WHERE {where} ORDER BY {order}))")


class RequestParam:
    """A parameter of the compiled SQL whose value comes from the request (its scheme, host, API version):
    ``value(request, host)`` gives it, written as JSON text without its closing quote."""

    __slots__ = ("view_name", "param")

    def __init__(self, view_name: str, param: str | None = None):
        self.view_name, self.param = view_name, param

    def value(self, request, host: str) -> str:
        if self.param is None:  # a record's URL: the prefix, then its id
            url = detail_url_prefix(self.view_name, request, host)
            if url is None:
                raise Unsupported(f"{self.view_name}: a URL of another shape")
        else:  # a list filtered to the record (FilteredListURLField): the list's URL, "?param=", then its id
            url = f"{reverse(self.view_name, request=request).split('?', 1)[0]}?{urlencode({self.param: ''})}"
        return orjson.dumps(url).decode()[:-1]


DIALECTS = {"postgresql": PostgresDialect(), "sqlite": SqliteDialect()}

#: (model, attribute) or field class -> compiler of what no column holds: ``(compiler, field, alias) -> sql``
_registry: dict[object, Callable] = {}


def register(key):
    """Register the SQL of a model property (``(Model, "name")``) or of a serializer field class."""
    def decorate(function):
        _registry[key] = function
        return function
    return decorate


class Compiler:
    """Compiles serializers to SQL expressions for one database and one request.

    ``orderings`` maps (model, field name) of a list of brief records to the ORM ordering the selector
    prefetches it in. Parameters are collected in ``params`` in the order the SQL names them: values, or
    ``RequestParam``s, whose value each request gives (so the SQL is compiled once, not per request).
    """

    def __init__(self, connection, orderings: dict | None = None):
        self.connection = connection
        dialect = DIALECTS.get(connection.vendor)
        if dialect is None:
            raise Unsupported(f"no JSON dialect for {connection.vendor}")
        self.dialect = dialect
        self.orderings = orderings or {}
        self.params: list = []
        self._aliases = 0
        self.check_settings()

    @staticmethod
    def check_settings():
        if not settings.USE_TZ or settings.TIME_ZONE != "UTC":
            raise Unsupported("times are written in UTC only")
        if api_settings.DATETIME_FORMAT.lower() != ISO_8601 or api_settings.DATE_FORMAT.lower() != ISO_8601:
            raise Unsupported("dates and times are written in ISO 8601 only")

    def alias(self) -> str:
        self._aliases += 1
        return f"j{self._aliases}"

    def q(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def column(self, alias: str, model, name: str) -> str:
        return f"{alias}.{self.q(model._meta.get_field(name).column)}"

    def param(self, value) -> str:
        self.params.append(value)
        return self.dialect.param()

    # --- a serializer as an object -------------------------------------------------------------------

    def object(self, serializer, alias: str, names: list[str] | None = None) -> str:
        """``serializer`` (its readable fields, or those of ``names``) as a JSON object, over the row of its
        model's table named ``alias``."""
        model = serializer.Meta.model
        parts = []
        for name, field in serializer.fields.items():
            if field.write_only or (names is not None and name not in names):
                continue
            opening = "{" if not parts else ","
            parts.append(json_literal(opening + orjson.dumps(name).decode() + ":"))
            parts.append(self.field(field, model, alias))
        if not parts:
            return "'{}'"
        return "(" + " || ".join(parts) + " || '}')"

    def field(self, field, model, alias: str) -> str:
        special = _registry.get(type(field)) or _registry.get((model, field.source))
        if special is not None:
            return special(self, field, model, alias)
        if isinstance(field, DetailURLField):
            return self.detail_url(field, alias, model)
        if isinstance(field, FilteredListURLField):
            return self.filtered_list_url(field, alias, model)
        if isinstance(field, serializers.ManyRelatedField):
            child = field.child_relation
            if isinstance(child, BriefRelatedField):
                return self.many(field.source, child.brief_serializer(context=field.context), model, alias)
            raise Unsupported(f"{field.field_name}: a list of {type(child).__name__}")
        if isinstance(field, serializers.ListSerializer):
            return self.many(field.source, field.child, model, alias)
        if isinstance(field, BriefRelatedField):
            return self.one(field.source, field.brief_serializer(context=field.context), model, alias)
        if isinstance(field, serializers.SlugRelatedField):
            return self.slug(field, model, alias)
        if isinstance(field, serializers.BaseSerializer):
            if not isinstance(field, serializers.ModelSerializer):
                raise Unsupported(f"{field.field_name}: a nested {type(field).__name__} with no compiler")
            return self.one(field.source, field, model, alias)
        return self.value(field, model, alias)

    # --- values of a column --------------------------------------------------------------------------

    def value(self, field, model, alias: str) -> str:
        try:
            model_field = model._meta.get_field(field.source)
        except Exception:
            raise Unsupported(f"{model.__name__}.{field.source} is not a column") from None
        if not getattr(model_field, "concrete", False) or model_field.is_relation:
            raise Unsupported(f"{model.__name__}.{field.source} is not a plain column")
        expr = f"{alias}.{self.q(model_field.column)}"
        d = self.dialect
        if isinstance(field, serializers.BooleanField):
            sql = d.boolean(expr)
        elif isinstance(field, serializers.IntegerField):
            sql = d.integer(expr)
        elif isinstance(field, serializers.DateTimeField):
            if str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() != ISO_8601:
                raise Unsupported(f"{field.field_name}: a time format")
            sql = d.datetime(expr)
        elif isinstance(field, serializers.DateField):
            if str(getattr(field, "format", api_settings.DATE_FORMAT)).lower() != ISO_8601:
                raise Unsupported(f"{field.field_name}: a date format")
            sql = d.date(expr)
        elif isinstance(field, serializers.UUIDField):
            if field.uuid_format != "hex_verbose":
                raise Unsupported(f"{field.field_name}: a UUID format")
            sql = d.uuid(expr)
        elif isinstance(field, serializers.ChoiceField):
            sql = d.string(expr)
        elif isinstance(field, serializers.CharField):  # URLField, SlugField, EmailField...
            sql = d.string(expr)
        else:
            raise Unsupported(f"{field.field_name}: {type(field).__name__}")
        if model_field.null:
            sql = f"COALESCE({sql}, 'null')"
        return sql

    def detail_url(self, field, alias: str, model) -> str:
        if field.lookup_field != "pk" or field.lookup_url_kwarg != "pk":
            raise Unsupported(f"{field.field_name}: a URL of another shape")
        head = self.param(RequestParam(field.detail_view_name))
        tail = orjson.dumps(f"/{field.suffix}").decode()[1:]
        return f"({head} || {self.dialect.integer(self.column(alias, model, model._meta.pk.name))} || {literal(tail)})"

    def filtered_list_url(self, field, alias: str, model) -> str:
        if field.attribute != "pk":
            raise Unsupported(f"{field.field_name}: a list filtered by {field.attribute}")
        head = self.param(RequestParam(field.view_name, field.param))
        return f"({head} || {self.dialect.integer(self.column(alias, model, model._meta.pk.name))} || '\"')"

    # --- related records -----------------------------------------------------------------------------

    def one(self, source: str, serializer, model, alias: str) -> str:
        """A brief record over the foreign key ``source``; ``null`` when it is NULL."""
        fk = model._meta.get_field(source)
        if not (fk.many_to_one or fk.one_to_one) or not fk.concrete:
            raise Unsupported(f"{model.__name__}.{source} is not a foreign key")
        related = fk.related_model
        if serializer.Meta.model is not related:
            raise Unsupported(f"{source}: a {serializer.Meta.model.__name__} over a {related.__name__}")
        inner = self.alias()
        target = fk.target_field
        body = self.object(serializer, inner)
        return (f"COALESCE((SELECT {body} FROM {self.q(related._meta.db_table)} {inner} WHERE "
                f"{inner}.{self.q(target.column)} = {alias}.{self.q(fk.column)}), 'null')")

    def slug(self, field, model, alias: str) -> str:
        fk = model._meta.get_field(field.source)
        if not fk.many_to_one or not fk.concrete:
            raise Unsupported(f"{field.field_name}: a slug of no foreign key")
        related = fk.related_model
        inner = self.alias()
        slug_field = related._meta.get_field(field.slug_field)
        return (f"COALESCE((SELECT {self.dialect.string(f'{inner}.{self.q(slug_field.column)}')} FROM "
                f"{self.q(related._meta.db_table)} {inner} WHERE {inner}.{self.q(fk.target_field.column)} = "
                f"{alias}.{self.q(fk.column)}), 'null')")

    def many(self, source: str, serializer, model, alias: str) -> str:
        """A list of brief records over the many-to-many or reverse foreign key ``source``, in the order the
        selector reads them in (``orderings``)."""
        relation = model._meta.get_field(source)
        related = relation.related_model
        if serializer.Meta.model is not related:
            raise Unsupported(f"{source}: a list of {serializer.Meta.model.__name__} over {related.__name__}")
        ordering = self.orderings.get((model, source))
        if ordering is None:
            raise Unsupported(f"{source}: no ordering declared for the list")
        inner = self.alias()
        table = f"{self.q(related._meta.db_table)} {inner}"
        if relation.many_to_many and relation.concrete:  # tags = ManyToManyField
            through = relation.remote_field.through
            link = self.alias()
            own = relation.m2m_column_name()
            other = relation.m2m_reverse_name()
            tables = (f"{self.q(through._meta.db_table)} {link} JOIN {table} ON {inner}.{self.q(related._meta.pk.column)} "
                      f"= {link}.{self.q(other)}")
            where = f"{link}.{self.q(own)} = {alias}.{self.q(model._meta.pk.column)}"
        elif relation.one_to_many:  # reviews: the reverse of Review.claim
            fk = relation.field
            tables = table
            where = f"{inner}.{self.q(fk.column)} = {alias}.{self.q(fk.target_field.column)}"
        else:
            raise Unsupported(f"{source}: a relation of another kind")
        order = self.order_sql(related, ordering, inner)
        return self.dialect.aggregate(self.object(serializer, inner), tables, where, order)

    def order_sql(self, model, ordering, alias: str) -> str:
        """The ORM ordering ``ordering`` of ``model``'s rows as SQL over the table named ``alias``."""
        queryset = model._default_manager.order_by(*ordering)
        compiler = queryset.query.get_compiler(connection=self.connection)
        compiler.setup_query()
        parts = []
        table = self.q(model._meta.db_table) + "."
        for _, (sql, params, _) in compiler.get_order_by():
            if params:
                raise Unsupported("an ordering with parameters")
            parts.append(sql.replace(table, f"{alias}.").replace("%", "%%"))
        return ", ".join(parts)


def string_case(compiler: Compiler, expr: str, mapping: dict[str, str]) -> str:
    """``expr`` mapped by ``mapping`` (values it does not name as they are)."""
    if not mapping:
        return expr
    whens = " ".join(f"WHEN {literal(key)} THEN {literal(value)}" for key, value in mapping.items())
    return f"(CASE {expr} {whens} ELSE {expr} END)"
