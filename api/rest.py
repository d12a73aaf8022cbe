"""Helpers every REST resource shares: JSON bodies, query arguments, pagination."""
from __future__ import annotations

import weakref
from collections.abc import Callable

import sqlalchemy as sa
from flask import request
from marshmallow import Schema, fields, missing, validate
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from sqlalchemy import RowMapping, Select, func
from werkzeug.exceptions import BadRequest

from api.db import read_only, read_only_ends, select_rows
from api.extensions import db


#: Methods that only read (RFC 9110 §9.2.1).
SAFE_METHODS = frozenset({"GET", "HEAD"})


def begin_safe_request() -> None:
    """A ``before_request`` hook: a GET or HEAD only reads (:func:`api.db.read_only`)."""
    if request.method in SAFE_METHODS:
        read_only(db.session())  # the request's session itself, not its proxy


def end_safe_request(error: BaseException | None = None) -> None:
    """The ``teardown_request`` hook undoing :func:`begin_safe_request`."""
    if request.method in SAFE_METHODS:
        read_only_ends(db.session())


def load_body(schema: Schema, partial: bool = False) -> dict:
    """The request's JSON object, validated by ``schema``.

    Anything else is a 400: another content type, or JSON that does not parse or that
    :class:`api.edge.StrictJSONProvider` refuses (the problem's detail says why).
    """
    data = request.get_json() if request.is_json else None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return schema.load(data, partial=partial)


def load_args(schema: Schema) -> dict:
    """The query string, validated by ``schema``."""
    return schema.load(request.args.to_dict())


class CommaList(fields.List):
    """A query argument holding several values separated by commas (``?action=a,b``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [item for item in value.split(",") if item]
        return super()._deserialize(value, attr, data, **kwargs)


class PageArgs(Schema):
    """``?page=&per_page=``; list endpoints extend it with their filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def count_rows(statement: Select) -> int:
    """How many rows ``statement`` yields.

    Counting the same statement keeps its entities, so tenant scoping applies
    to the count too.
    """
    entity = statement.column_descriptions[0]["entity"]
    counted = func.count(sa.inspect(entity).primary_key[0]) if entity is not None else func.count()
    return db.session.scalar(statement.with_only_columns(counted, maintain_column_froms=True)
                             .order_by(None))


def rows_page(statement: Select, page: int, per_page: int) -> list:
    return db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()


def paginate(statement: Select, page: int, per_page: int) -> tuple[list, int]:
    """One page of ``statement``'s entities (or, when it selects columns, its rows as
    mappings) and the total count, in one query: the count is a window over the whole
    result (``count(*) OVER ()``, computed before LIMIT). A page past the end has no row
    to carry it, so there the count is a query of its own.

    A page of columns is read with :func:`api.db.select_rows` (the tenant's criteria, no
    ORM execution around them); one that selects an entity goes through the session."""
    described = statement.column_descriptions
    paged = (statement.add_columns(func.count().over())
             .limit(per_page).offset((page - 1) * per_page))
    if _only_columns(described):
        rows = select_rows(db.session(), paged)
        items = [row._mapping for row in rows]
    else:
        rows = db.session.execute(paged).all()
        items = [row[0] for row in rows] if _entity(described) is not None else [
            row._mapping for row in rows]
    if not rows:
        return [], count_rows(statement) if page > 1 else 0
    return items, rows[0][-1]


def page_of(schema: Schema, items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": dump_many(schema, items), "page": page, "per_page": per_page,
            "total": total}


#: schema -> how each of its fields is dumped (``_plan``), or None: marshmallow's own
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def dump_many(schema: Schema, items: list) -> list[dict]:
    """``schema.dump(items, many=True)``, with less of marshmallow around each value.

    A page of 20 items is 120 values; marshmallow reaches each through five calls
    (``serialize``, ``get_value``, the schema's accessor, ``utils.get_value``, ...). Here
    each plain field's value is read off the item as marshmallow reads it (a key of a
    mapping, else an attribute) and formatted by the field's own ``_serialize``, so the
    output is the same. Fields that compute their value (``Method``, ``Function``), read
    a dotted path, or find no value (their ``dump_default``) go through
    ``field.serialize``; schemas with dump hooks go through ``schema.dump``. Rows of one
    statement (mappings with the same keys, as :func:`paginate` returns) that hold every
    field of a flat schema are dumped a row at a time, each value read by its key.
    """
    plan = _plans.get(schema, missing)
    if plan is missing:
        plan = _plans[schema] = _plan(schema)
    if plan is None:
        return schema.dump(items, many=True)
    steps, by_key = plan
    if by_key and items and isinstance(items[0], RowMapping) and all(
            attribute in items[0] for _, attribute, _, _ in by_key):
        return [{key: serialize(row[attribute], name, row)
                 for key, attribute, serialize, name in by_key} for row in items]
    return [_dump_one(steps, item) for item in items]


def _dump_one(steps: list[tuple[str, Callable]], item) -> dict:
    dumped = {}
    for key, dump_value in steps:
        value = dump_value(item)
        if value is not missing:  # as marshmallow: no value and no dump_default, no key
            dumped[key] = value
    return dumped


def _plain_attributes(schema: Schema) -> list[str] | None:
    """The attributes ``schema`` dumps, when each is read as it is (no dump hooks, no
    computed or dotted fields); else None."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    attributes = [field.attribute or name for name, field in schema.dump_fields.items()]
    plain = all(field._CHECK_ATTRIBUTE for field in schema.dump_fields.values())
    return attributes if plain and not any("." in name for name in attributes) else None


def _plan(schema: Schema) -> tuple[list, list] | None:
    """How ``dump_many`` dumps with ``schema``: a step per field, and, for a flat schema
    (:func:`_plain_attributes`), each field's key, attribute, formatter and name."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    steps, by_key = [], []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        key = field.data_key if field.data_key is not None else name
        if field._CHECK_ATTRIBUTE and "." not in attribute:
            steps.append((key, _plain(schema, name, field, attribute)))
            by_key.append((key, attribute, field._serialize, name))
        else:
            steps.append((key, _through_marshmallow(schema, name, field)))
    return steps, by_key if _plain_attributes(schema) is not None else []


def _plain(schema: Schema, name: str, field: fields.Field, attribute: str) -> Callable:
    serialize, fallback = field._serialize, _through_marshmallow(schema, name, field)

    def dump_value(item):
        if not hasattr(item, "__getitem__"):  # as marshmallow.utils.get_value
            value = getattr(item, attribute, missing)
        else:
            try:
                value = item[attribute]
            except (KeyError, IndexError, TypeError, AttributeError):
                value = getattr(item, attribute, missing)
        return fallback(item) if value is missing else serialize(value, name, item)
    return dump_value


def _through_marshmallow(schema: Schema, name: str, field: fields.Field) -> Callable:
    return lambda item: field.serialize(name, item, accessor=schema.get_attribute)


def listing(args_schema: Schema, item_schema: Schema, query) -> dict:
    """A list endpoint's whole answer: load ``?page=&per_page=`` and the filters, run
    ``query(**filters)``, and return ``{items, page, per_page, total}``."""
    args = load_args(args_schema)
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = paginate(columns_only(query(**args), item_schema), page, per_page)
    return page_of(item_schema, items, total, page, per_page)


def columns_only(statement: Select, schema: Schema) -> Select:
    """``statement`` selecting the columns ``schema`` dumps instead of its one entity,
    when the schema dumps nothing but that entity's columns: a page then builds no ORM
    objects. It stays an ORM statement of that entity, so the tenant scope applies to it
    as to any other (:mod:`api.db`)."""
    entity = _one_entity(statement)
    attributes = _plain_attributes(schema)
    if entity is None or attributes is None or statement._with_options:
        return statement  # loader options need the entity
    columns = sa.inspect(entity).column_attrs
    if not all(attribute in columns for attribute in attributes):
        return statement
    return statement.with_only_columns(*(getattr(entity, name) for name in attributes))


def _one_entity(statement: Select):
    """The mapped class ``statement`` selects, when it selects just that; else None."""
    return _entity(statement.column_descriptions)


def _entity(described: list[dict]):
    if len(described) == 1 and described[0]["expr"] is described[0]["entity"]:
        return described[0]["entity"]
    return None


def _only_columns(described: list[dict]) -> bool:
    """Whether a statement so described selects columns only (its rows hold no ORM object)."""
    return all(isinstance(column["type"], sa.types.TypeEngine) for column in described)
