"""Multi-row INSERTs (and their UPDATE and DELETE) for the ingest hot path: the rows
``bulk_create`` and ``bulk_update`` write, for less work.

Why: a harvested page of a hundred records writes some seven hundred rows (items, creators,
status entries, first versions, provenance). ``bulk_create`` builds a model instance per row
and sends each value through the SQL compiler (pre-save, prepare, placeholder), which cost
about three times the database's own work in the harvest benchmark. Here each column is
looked at once per call: a value of the Python type the column stores as it is (a ``str`` for
a text column, an ``int`` for an integer or a foreign key to one...) goes to the driver
untouched, anything else through the field's own ``get_db_prep_save``, as Django would send
it. Defaults and ``auto_now``/``auto_now_add`` are filled as ``save()`` fills them.

:func:`update_objects` writes saved instances back by primary key (one statement, run for each
row through the driver's ``executemany``, where ``bulk_update`` builds a ``CASE ... WHEN`` per
field and row) and :func:`delete_where` deletes rows matching a column's values without loading
them (``QuerySet.delete`` fetches every row to send its signals).

The limits are ``bulk_create``'s: no ``save()``, no signals, no multi-table inheritance, and
the new ids come back only where the database returns rows from an INSERT (PostgreSQL, SQLite
3.35 and later); elsewhere asking for them raises ``NotSupportedError``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import NotSupportedError, connections, models, router
from django.utils import timezone

# The Python types each kind of column stores unconverted (``bool`` is not an ``int`` here:
# ``type(value) in ...`` is exact).
_INTEGER = (int,)
_AS_IS: dict[str, tuple[type, ...]] = {
    "CharField": (str,), "TextField": (str,), "SlugField": (str,), "EmailField": (str,),
    "BooleanField": (bool,), "FloatField": (float,),
    **dict.fromkeys(("AutoField", "BigAutoField", "SmallAutoField", "IntegerField",
                     "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
                     "PositiveBigIntegerField", "PositiveSmallIntegerField"), _INTEGER),
}

_TIMES = (datetime.datetime, datetime.date)
_JSON_CONTAINERS = (dict, list)


@dataclass(frozen=True)
class _Column:
    field: models.Field
    attname: str
    as_is: tuple[type, ...]
    auto_now: bool  # set on every insert, as ``pre_save(add=True)`` does
    on_update: bool  # ``auto_now``: set on every update too
    default: Callable[[], Any]  # what ``field.get_default()`` returns, for less per row
    json: bool  # a JSONField: a list or dict goes straight to the backend's JSON adapter


@cache
def _columns(model: type[models.Model]) -> tuple[_Column, ...]:
    """The columns an INSERT writes: every concrete field but an auto-incremented key."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField):
            continue
        if hasattr(field, "get_placeholder"):  # a custom SQL expression per value
            raise TypeError(f"{model.__name__}.{field.name} writes its own SQL per value: "
                            "use bulk_create for this model")
        stored = field.target_field if field.is_relation else field
        columns.append(_Column(
            field=field, attname=field.attname,
            as_is=_AS_IS.get(stored.get_internal_type(), ()),
            auto_now=bool(getattr(field, "auto_now", False)
                          or getattr(field, "auto_now_add", False)),
            on_update=bool(getattr(field, "auto_now", False)),
            default=_default_of(field),
            json=isinstance(field, models.JSONField),
        ))
    return tuple(columns)


def _default_of(field: models.Field) -> Callable[[], Any]:
    """``field.get_default`` where it may vary (a callable, a relation's default), else its
    one value (a column without a default: None or "")."""
    if field.is_relation or (field.has_default() and callable(field.default)):
        return field.get_default
    value = field.get_default()
    return lambda: value


def _times(columns: tuple[_Column, ...], *, update: bool = False) -> dict[str, datetime.date]:
    """The value of each ``auto_now`` column for one call (of each ``auto_now_add`` one too
    for an INSERT): one time for the lot."""
    now = timezone.now()
    return {c.attname: now if isinstance(c.field, models.DateTimeField) else now.date()
            for c in columns if (c.on_update if update else c.auto_now)}


def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]], *,
           returning: bool = False) -> list[Any]:
    """INSERT ``rows`` (each ``{attname: value}``; a missing column takes its default) and
    return the new primary keys in order when ``returning``, else ``[]``."""
    columns = _columns(model)
    known = {column.attname for column in columns}
    times = _times(columns)
    values = []
    for row in rows:
        if unknown := row.keys() - known:
            raise TypeError(f"{model.__name__} has no column {sorted(unknown)[0]!r}")
        values.append([
            times[c.attname] if c.auto_now
            else row[c.attname] if c.attname in row else c.default()
            for c in columns
        ])
    return _execute(model, columns, values, returning)


def new_objects(model: type[models.Model], rows: Iterable[Mapping[str, Any]]
                ) -> list[models.Model]:
    """Unsaved instances of ``model``, one per row (``{attname: value}``; a missing column
    takes its default), for :func:`insert_objects`.

    Why not ``model(**row)``: given keywords, ``Model.__init__`` looks every other field up
    and asks it for its default, a third of the time of storing a harvested page's items;
    given every value in field order, it only sets them."""
    fields = model._meta.concrete_fields
    by_attname = {c.attname: c for c in _columns(model)}
    known = {field.attname for field in fields}
    out = []
    for row in rows:
        if unknown := row.keys() - known:
            raise TypeError(f"{model.__name__} has no column {sorted(unknown)[0]!r}")
        out.append(model(*[
            row[field.attname] if field.attname in row
            else by_attname[field.attname].default() if field.attname in by_attname
            else None  # the auto-incremented key
            for field in fields]))
    return out


def insert_objects(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved model instances of one model and set their primary keys, as
    ``bulk_create`` does (``auto_now`` fields are set on the instances too, to one time for
    the lot)."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model)
    times = _times(columns)
    values = []
    for obj in objs:
        for attname, value in times.items():
            setattr(obj, attname, value)
        values.append([getattr(obj, c.attname) for c in columns])
    db = router.db_for_write(model)
    ids = _execute(model, columns, values, returning=True)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db


def update_objects(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE the columns ``fields`` (names or attnames) of saved instances of one model, by
    primary key, as ``bulk_update`` would; listed ``auto_now`` fields are set to now on the
    instances first (one time for the lot), as ``save(update_fields=...)`` sets them."""
    if not objs:
        return
    model = type(objs[0])
    by_name = {}
    for column in _columns(model):
        by_name[column.field.name] = by_name[column.attname] = column
    unknown = [name for name in fields if name not in by_name]
    if unknown or not fields:
        raise TypeError(f"{model.__name__} has no column {unknown[0]!r}" if unknown
                        else "update_objects needs at least one field")
    columns = tuple(dict.fromkeys(by_name[name] for name in fields))
    times = _times(columns, update=True)
    values = []
    for obj in objs:
        if obj.pk is None:
            raise ValueError(f"update_objects takes saved {model.__name__} instances")
        for attname, value in times.items():
            setattr(obj, attname, value)
        values.append([getattr(obj, c.attname) for c in columns])
    connection = connections[router.db_for_write(model)]
    _convert(columns, values, connection)
    pk = model._meta.pk
    for obj, row in zip(objs, values, strict=True):
        row.append(pk.get_db_prep_value(obj.pk, connection))
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} "  # noqa: S608 (names from the model)
           f"SET {', '.join(f'{quote(c.field.column)} = %s' for c in columns)} "
           f"WHERE {quote(pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def delete_where(model: type[models.Model], column: str, values: Iterable[Any],
                 **equal: Any) -> None:
    """DELETE the rows of ``model`` whose ``column`` (an attname) is one of ``values`` and
    whose other columns equal ``equal``'s, without loading them: no signals, no cascades, so
    only for rows nothing points to (the caller queues whatever the signals would have)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    for name in (column, *equal):
        if name not in fields:
            raise TypeError(f"{model.__name__} has no column {name!r}")
    values = list(values)
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    where = " AND ".join(f"{quote(fields[name].column)} = %s" for name in equal)
    fixed = [fields[name].get_db_prep_save(value, connection) for name, value in equal.items()]
    size = max(1, (connection.features.max_query_params or 1000) - len(fixed))
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start:start + size]
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608 (names from the model)
                f"WHERE {quote(fields[column].column)} IN ({', '.join(['%s'] * len(chunk))})"
                + (f" AND {where}" if where else ""),
                [fields[column].get_db_prep_value(v, connection) for v in chunk] + fixed)


def _convert(columns: tuple[_Column, ...], values: list[list[Any]], connection) -> None:
    """Each value in the form the driver takes, in place: as it is when the column stores its
    type, else through the field's ``get_db_prep_save``. The batch's rows share their
    timestamps: each converted once, not once per row."""
    times: dict[tuple[int, Any], Any] = {}
    for row in values:
        for i, column in enumerate(columns):
            value = row[i]
            if value is None or type(value) in column.as_is:
                continue
            if column.json and type(value) in _JSON_CONTAINERS:
                # What JSONField.get_db_prep_save ends with for a plain value, without the
                # three layers above it (a harvested page has eight JSON values per item).
                row[i] = connection.ops.adapt_json_value(value, column.field.encoder)
            elif type(value) in _TIMES:
                if (i, value) not in times:
                    times[i, value] = column.field.get_db_prep_save(value, connection)
                row[i] = times[i, value]
            else:
                row[i] = column.field.get_db_prep_save(value, connection)


def _execute(model: type[models.Model], columns: tuple[_Column, ...],
             values: list[list[Any]], returning: bool) -> list[Any]:
    if not values:
        return []
    connection = connections[router.db_for_write(model)]
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        # Neither does bulk_create return ids there: the caller takes the one-by-one path.
        raise NotSupportedError(f"{connection.display_name} returns no ids from an INSERT")
    _convert(columns, values, connection)
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (names from the model)
            f"({', '.join(quote(c.field.column) for c in columns)}) VALUES ")
    one = f"({', '.join(['%s'] * len(columns))})"
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    size = max(1, connection.ops.bulk_batch_size([c.field for c in columns], values))
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            batch = values[start:start + size]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail,
                           [value for row in batch for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids
