"""``GET /projects``: pages, the name filter and the count, in the suite's sessions and, on
PostgreSQL, as the prepared statements a server runs (api.v1.projects.services)."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.db import tenant_scope, utcnow
from api.extensions import db as _db
from api.v1.projects import services
from api.v1.projects.models import Project
from api.v1.projects.schemas import ProjectSchema
from tests import factories
from tests.helpers import Callers
from tests.services import postgres_server_url

NAMES = ("Apollo", "50% off", "a_c", "abc", "Gemini")


def add_projects(tenant_id, names=NAMES) -> list[uuid.UUID]:
    """Projects named ``names``, the last the newest, committed; their ids."""
    start, ids = utcnow(), [uuid.uuid4() for _ in names]
    with tenant_scope(_db.session, tenant_id):
        _db.session.add_all(Project(id=id_, name=name, created_at=start + timedelta(seconds=n))
                            for n, (id_, name) in enumerate(zip(ids, names)))
        _db.session.commit()
    return ids


def check_listing(api, ids: list[uuid.UUID]) -> list[dict]:
    """Newest first, a page at a time, each as ``GET /projects/{id}`` shows it; the name
    filter matches its text (``%`` and ``_`` included) in any case; a page past the end is
    empty but counts them all; bad arguments are 422 problem documents."""
    newest_first = [api.get(f"/projects/{id_}").json for id_ in reversed(ids)]
    pages = [api.get("/projects", query_string={"per_page": 2, "page": page}).json
             for page in (1, 2, 3, 4)]
    assert [page["items"] for page in pages] == [newest_first[:2], newest_first[2:4],
                                                 newest_first[4:], []]
    assert [(page["page"], page["per_page"], page["total"]) for page in pages] == [
        (1, 2, 5), (2, 2, 5), (3, 2, 5), (4, 2, 5)]
    by_name = {name: api.get("/projects", query_string={"name": name}).json
               for name in ("%", "A_C", "apo", "/", "zzz")}
    assert {name: [item["name"] for item in page["items"]] for name, page in by_name.items()
            } == {"%": ["50% off"], "A_C": ["a_c"], "apo": ["Apollo"], "/": [], "zzz": []}
    assert by_name["A_C"]["total"] == 1 and by_name["zzz"]["total"] == 0
    past = api.get("/projects", query_string={"name": "a", "page": 9}).json
    assert (past["items"], past["total"]) == ([], 3)
    for bad in ({"page": 0}, {"per_page": 101}, {"page": "x"}, {"name": "x" * 201}):
        response = api.get("/projects", query_string=bad)
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
    return newest_first


def test_pages_filter_and_count(db, tenant, owner):
    check_listing(owner, add_projects(tenant.id))


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres")
def test_prepared_pages_list_the_same_and_name_their_tenant(committed_app):
    """As a server runs them (prepared statements outside the session): the same pages, and
    no statement through SQLAlchemy (no BEGIN, no ROLLBACK) once the tenant and the token
    are cached. The statements filter by the tenant themselves: run as a superuser, whom
    row-level security does not hold, one tenant's page still shows none of another's."""
    tenants = {slug: factories.tenant(slug, owner_email=f"owner@{slug}.io")[0]
               for slug in ("acme", "globex")}
    ids = add_projects(tenants["acme"].id)
    add_projects(tenants["globex"].id, ["Secret", "Apollo secret"])
    owner = Callers(committed_app.test_client(), factories, tenants["acme"]).as_user(
        "owner@acme.io")
    newest_first = check_listing(owner, ids)
    statements = []
    sa.event.listen(_db.engine, "before_cursor_execute", lambda *args: statements.append(1))
    pages = [owner.get("/projects", query_string=query).json
             for query in ({}, {"name": "a", "page": 2}, {"page": 9})]
    assert [page["total"] for page in pages] == [5, 3, 5] and statements == []
    superuser = sa.create_engine(make_url(postgres_server_url()).set(
        database=_db.engine.url.database))
    try:
        with Session(superuser) as session:
            items, total = services._PAGES[False].page(session, tenants["acme"].id, 1, 20)
            named, named_total = services._PAGES[True].page(session, tenants["acme"].id, 1,
                                                            20, name="secret")
        assert (named, named_total) == ([], 0)
        assert total == 5 and ProjectSchema().dump(items, many=True) == newest_first
    finally:
        superuser.dispose()
