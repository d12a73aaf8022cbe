"""Helpers every REST resource shares: JSON bodies, query arguments, pagination."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func
from werkzeug.exceptions import BadRequest

from api.db import read_only, read_only_ends
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
    """One page of ``statement``'s entities and the total count, in one query: the count is
    a window over the whole result (``count(*) OVER ()``, computed before LIMIT). A page
    past the end has no row to carry it, so there the count is a query of its own."""
    rows = db.session.execute(statement.add_columns(func.count().over())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return [row[0] for row in rows], rows[0][-1]
    return [], count_rows(statement) if page > 1 else 0


def page_of(schema: Schema, items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": schema.dump(items, many=True), "page": page, "per_page": per_page,
            "total": total}


def listing(args_schema: Schema, item_schema: Schema, query) -> dict:
    """A list endpoint's whole answer: load ``?page=&per_page=`` and the filters, run
    ``query(**filters)``, and return ``{items, page, per_page, total}``."""
    args = load_args(args_schema)
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = paginate(query(**args), page, per_page)
    return page_of(item_schema, items, total, page, per_page)
