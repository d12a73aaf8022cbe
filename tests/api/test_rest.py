"""api.rest.dump_many: the same output as marshmallow's own dump, faster."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, post_dump

from api.rest import columns_only, dump_many
from api.v1.projects.models import Project
from api.v1.projects.schemas import ProjectSchema


class Inner(Schema):
    label = fields.String()


class Everything(Schema):
    id = fields.UUID()
    name = fields.String()
    renamed = fields.String(data_key="shownAs")
    source = fields.String(attribute="elsewhere")
    count = fields.Integer(allow_none=True)
    flag = fields.Boolean()
    at = fields.AwareDateTime()
    absent = fields.String()
    defaulted = fields.String(dump_default="fallback")
    secret = fields.String(load_only=True)
    dotted = fields.String(attribute="inner.label")
    computed = fields.Method("compute")
    inner = fields.Nested(Inner, allow_none=True)
    tags = fields.List(fields.String())

    def compute(self, item) -> str:
        return f"computed from {item.name if hasattr(item, 'name') else item['name']}"


class Hooked(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {**data, "name": data["name"].upper()}


def _values(number: int) -> dict:
    return {"id": uuid.UUID(int=number), "name": f"item {number}", "renamed": "r",
            "elsewhere": "from elsewhere", "count": None if number % 2 else number,
            "flag": bool(number % 2), "at": datetime(2026, 1, number + 1, tzinfo=timezone.utc),
            "secret": "never dumped", "inner": SimpleNamespace(label=f"inner {number}"),
            "tags": ["a", "b"]}


@pytest.mark.parametrize("kind", ["object", "mapping"])
def test_same_output_as_marshmallow(kind):
    make = SimpleNamespace if kind == "object" else dict
    items = [make(**_values(number)) for number in range(3)]
    schema = Everything()

    dumped = dump_many(schema, items)

    assert dumped == schema.dump(items, many=True)
    assert dumped[0]["shownAs"] == "r" and dumped[0]["source"] == "from elsewhere"
    assert dumped[0]["id"] == str(uuid.UUID(int=0))
    assert dumped[1]["at"] == "2026-01-02T00:00:00+00:00"
    assert "absent" not in dumped[0] and dumped[0]["defaulted"] == "fallback"
    assert "secret" not in dumped[0]
    assert dumped[2]["dotted"] == "inner 2" and dumped[2]["inner"] == {"label": "inner 2"}


def test_rows_read_by_attribute():
    """SQLAlchemy rows: the key lookup fails (a row's index is a number), the attribute
    serves, as in marshmallow."""
    row = sa.engine.Row  # rows as a query returns them
    with sa.create_engine("sqlite://").connect() as connection:
        rows = connection.execute(sa.text("SELECT 'one' AS name UNION ALL SELECT 'two'")).all()
    assert isinstance(rows[0], row)
    assert dump_many(Schema.from_dict({"name": fields.String()})(), rows) == [
        {"name": "one"}, {"name": "two"}]


class Flat(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True)
    renamed = fields.String(data_key="shownAs")
    source = fields.String(attribute="elsewhere")
    count = fields.Integer()
    at = fields.AwareDateTime()


def test_rows_of_a_statement_are_dumped_by_key(monkeypatch):
    """A page's rows (mappings of one statement holding every field of a flat schema): the
    same output as marshmallow's, each value read by its key, a row at a time."""
    at = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=timezone.utc)
    with sa.create_engine("sqlite://").connect() as connection:
        rows = [row._mapping for row in connection.execute(sa.union_all(*(sa.select(
            sa.literal(uuid.UUID(int=number), sa.Uuid).label("id"),
            sa.literal(None if number else "first", sa.String).label("name"),
            sa.literal("r").label("renamed"), sa.literal("e").label("elsewhere"),
            sa.literal(number).label("count"), sa.literal(at, sa.DateTime).label("at"),
            sa.literal("unused").label("extra"))
            for number in range(3))))]
    schema = Flat()
    expected = schema.dump(rows, many=True)
    monkeypatch.setattr("api.rest._dump_one", None)  # the step-by-step path is not taken
    assert dump_many(schema, rows) == expected
    assert expected[0] == {"id": str(uuid.UUID(int=0)), "name": "first", "shownAs": "r",
                           "source": "e", "count": 0, "at": "2026-01-02T03:04:05.006000"}
    assert expected[1]["name"] is None


def test_dump_hooks_go_through_marshmallow():
    assert dump_many(Hooked(), [{"name": "quiet"}]) == [{"name": "QUIET"}]


def test_a_flat_schema_selects_only_its_columns():
    """A page of a flat schema builds no ORM objects: the entity becomes its columns (still
    Project's, so the tenant scope applies, tests/api/test_tenant_scope.py); a schema that
    computes a value keeps the entity."""
    statement = sa.select(Project).order_by(Project.created_at)
    narrowed = columns_only(statement, ProjectSchema())
    assert [column["name"] for column in narrowed.column_descriptions] == list(
        ProjectSchema().dump_fields)
    assert all(column["entity"] is Project for column in narrowed.column_descriptions)

    class Computed(ProjectSchema):
        shout = fields.Function(lambda project: project.name.upper())

    assert columns_only(statement, Computed()) is statement
