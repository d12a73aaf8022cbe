"""The purge command, and database trouble."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from api.app import create_app
from api.db import utcnow
from api.extensions import db
from api.oauth.models import AuthorizationCode, Grant, Token
from tests import factories
from tests.helpers import basic_auth, each_tenant


def test_purge_deletes_only_expired_state_in_every_tenant(committed_app):
    past = utcnow() - timedelta(seconds=1)
    tenants = {slug: factories.tenant(slug)[0] for slug in ("acme", "globex", "initech")}
    factories.activity(tenants["acme"], expires_at=past)
    factories.activity(tenants["globex"], expires_at=past)
    factories.activity(tenants["initech"])
    result = committed_app.test_cli_runner().invoke(args=["purge", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    expiring = ("grants", "authorization_codes", "authorization_requests", "form_post_responses",
                "device_authorizations", "client_assertions")
    assert {name: counts[name] for name in expiring} == dict.fromkeys(expiring, 2)
    db.session.rollback()
    left = {}
    for tenant in each_tenant(db):
        left[tenant.slug] = [db.session.scalar(select(func.count()).select_from(model))
                             for model in (Grant, Token, AuthorizationCode)]
    assert left == {"acme": [0, 0, 0], "globex": [0, 0, 0], "initech": [1, 1, 1]}


def test_database_trouble_on_the_token_endpoint_is_503_never_a_token():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://x@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    http = app.test_client()
    response = http.post("/t/acme/token", data={"grant_type": "client_credentials"},
                         headers=basic_auth("a", "b"))
    assert response.status_code == 503
    assert "access_token" not in response.get_data(as_text=True)
    introspection = http.post("/t/acme/introspect", data={"token": "x"},
                              headers=basic_auth("a", "b"))
    assert introspection.status_code == 503
    assert '"active"' not in introspection.get_data(as_text=True)
    assert "Traceback" not in introspection.get_data(as_text=True)
