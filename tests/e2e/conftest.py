"""A live API under uWSGI on its own committed database, with a tenant and clients."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from api import audit
from api.app import create_app
from api.clients.services import create_client
from api.db import tenant_scope
from api.rbac.permissions import ALL
from api.extensions import db
from api.tenancy.services import create_tenant
from api.users.services import create_user
from tests.factories import PASSWORD
from tests.live import free_port, uwsgi
from tests.services import fresh_postgres_database, postgres_server_url

CALLBACK = "http://127.0.0.1:9999/callback"


@dataclass
class LiveTenant:
    base_url: str
    issuer: str
    slug: str
    frontend_key: str
    clients: dict  # name -> (client_id, secret)
    owner: str = "owner@live.example"
    password: str = PASSWORD


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory):
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('live') / 'tessera.db'}"
        return
    with fresh_postgres_database(server) as url:
        yield url


def _seed(url: str) -> dict:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    clients = {}
    with app.app_context():
        upgrade()
        tenant, _ = create_tenant("live", "Live", "owner@live.example", PASSWORD, audit.OPERATOR)
        with tenant_scope(db.session, tenant.id):
            for name in ("user0", "user1", "user2", "user3", "victim"):
                create_user(f"{name}@live.example", PASSWORD, "user", audit.OPERATOR)
            for name, grants, scope, uris, public in [
                ("service", ["client_credentials"], "projects:read users:read", [], False),
                ("web", ["authorization_code", "refresh_token"],
                 "openid email profile:read projects:read", [CALLBACK], False),
                ("legacy", ["password", "refresh_token"], "openid projects:read", [], False),
                ("spa", ["authorization_code", "refresh_token"], "openid projects:read",
                 [CALLBACK], True),
                ("admin-cli", ["password"], "openid " + " ".join(ALL), [], False),
            ]:
                client, secret = create_client(name, grants, scope, uris, public, audit.OPERATOR)
                clients[name] = (client.client_id, secret)
        key = app.config["FRONTEND_API_KEY"]
        db.session.remove()
        db.engine.dispose()
    return {"clients": clients, "frontend_key": key}


@pytest.fixture(scope="session")
def live(live_database_url):
    seeded = _seed(live_database_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": live_database_url, "PUBLIC_API_URL": base_url}
    with uwsgi("api", env, port=port):
        yield LiveTenant(base_url=base_url, issuer=f"{base_url}/t/live", slug="live",
                         frontend_key=seeded["frontend_key"], clients=seeded["clients"])
