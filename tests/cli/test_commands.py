"""The operator CLI: happy paths with --json, and bad input that changes nothing."""
import json

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.clients.models import Client
from api.tenancy.models import Tenant
from api.users.models import User
from tests.factories import PASSWORD
from tests.helpers import count_everywhere


def row_counts(db):
    return (db.session.scalar(select(func.count()).select_from(Tenant)),
            *(count_everywhere(db, select(func.count()).select_from(model))
              for model in (User, Client, AuditEvent)))


def invoke_json(cli, *args):
    result = cli.invoke(args=[*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_tenants_create_and_list(cli, db):
    created = invoke_json(cli, "tenants", "create", "acme", "--name", "Acme",
                          "--owner-email", "boss@acme.io", "--owner-password", PASSWORD)
    assert created["issuer"] == "http://localhost:8080/t/acme"
    assert created["owner_email"] == "boss@acme.io"
    listed = invoke_json(cli, "tenants", "list")
    assert [t["slug"] for t in listed] == ["acme"]


def test_users_and_clients_create(cli, db, factories):
    factories.tenant("acme")
    user = invoke_json(cli, "users", "create", "acme", "--email", "ann@acme.io",
                       "--password", PASSWORD, "--role", "admin")
    assert user["role"] == "admin"
    confidential = invoke_json(
        cli, "clients", "create", "acme", "--name", "Web", "--grant", "authorization_code",
        "--grant", "refresh_token", "--scope", "openid projects:read",
        "--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://127.0.0.1:9/cb")
    assert confidential["client_secret"] and confidential["client_id"]
    assert confidential["redirect_uris"] == ["https://app.example/cb", "http://127.0.0.1:9/cb"]
    public = invoke_json(cli, "clients", "create", "acme", "--name", "SPA", "--grant",
                         "authorization_code", "--redirect-uri", "http://localhost:3000/cb",
                         "--public")
    assert "client_secret" not in public
    assert public["token_endpoint_auth_method"] == "none"
    assert confidential["require_pkce"] is True and public["require_pkce"] is True
    legacy = invoke_json(cli, "clients", "create", "acme", "--name", "Legacy", "--grant",
                         "authorization_code", "--redirect-uri", "https://old.example/cb",
                         "--pkce-optional")
    assert legacy["require_pkce"] is False


def test_keys_rotate_adds_an_active_key(cli, db, factories):
    factories.tenant("acme")
    rotated = invoke_json(cli, "keys", "rotate", "acme", "--algorithm", "ES256")
    assert rotated["algorithm"] == "ES256" and rotated["kid"]


BAD_COMMANDS = {
    "duplicate slug": ["tenants", "create", "acme", "--name", "A", "--owner-email", "x@y.io",
                       "--owner-password", PASSWORD],
    "malformed slug": ["tenants", "create", "Not_A_Slug", "--name", "A", "--owner-email",
                       "x@y.io", "--owner-password", PASSWORD],
    "weak owner password": ["tenants", "create", "fresh", "--name", "A", "--owner-email",
                            "x@y.io", "--owner-password", "short"],
    "malformed email": ["users", "create", "acme", "--email", "nope", "--password", PASSWORD],
    "weak password": ["users", "create", "acme", "--email", "a@b.io",
                      "--password", "aaaaaaaaaaaaaa"],
    "unknown role": ["users", "create", "acme", "--email", "a@b.io", "--password", PASSWORD,
                     "--role", "emperor"],
    "duplicate email": ["users", "create", "acme", "--email", "OWNER@example.com",
                        "--password", PASSWORD],
    "unknown tenant": ["users", "create", "nowhere", "--email", "a@b.io", "--password", PASSWORD],
    "unknown grant": ["clients", "create", "acme", "--name", "X", "--grant", "implicit"],
    "unknown scope": ["clients", "create", "acme", "--name", "X", "--grant",
                      "client_credentials", "--scope", "everything"],
    "public client_credentials": ["clients", "create", "acme", "--name", "X", "--grant",
                                  "client_credentials", "--public"],
    "http redirect": ["clients", "create", "acme", "--name", "X", "--grant",
                      "authorization_code", "--redirect-uri", "http://evil.example/cb"],
    "fragment redirect": ["clients", "create", "acme", "--name", "X", "--grant",
                          "authorization_code", "--redirect-uri", "https://a.example/cb#x"],
    "code without redirect": ["clients", "create", "acme", "--name", "X", "--grant",
                              "authorization_code"],
    "public without PKCE": ["clients", "create", "acme", "--name", "X", "--grant",
                            "authorization_code", "--redirect-uri", "http://localhost:3/cb",
                            "--public", "--pkce-optional"],
}


@pytest.mark.parametrize("args", BAD_COMMANDS.values(), ids=BAD_COMMANDS.keys())
def test_bad_arguments_give_one_line_and_change_nothing(cli, db, factories, args):
    factories.tenant("acme")
    before = row_counts(db)
    result = cli.invoke(args=args)
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    assert row_counts(db) == before


def test_demo_creates_once_and_keeps_data(cli, db):
    first = cli.invoke(args=["demo"])
    assert first.exit_code == 0
    assert "client_secret:" in first.output and "owner@demo.example" in first.output
    second = cli.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "client_secret" not in second.output
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_clients_create_takes_the_short_grant_names(cli, db, factories):
    factories.tenant("acme")
    device = invoke_json(cli, "clients", "create", "acme", "--name", "TV", "--grant",
                         "device_code", "--grant", "refresh_token", "--public")
    assert device["grant_types"] == ["urn:ietf:params:oauth:grant-type:device_code",
                                     "refresh_token"]
    exchange = invoke_json(cli, "clients", "create", "acme", "--name", "Gateway", "--grant",
                           "token_exchange", "--scope", "projects:read")
    assert exchange["grant_types"] == ["urn:ietf:params:oauth:grant-type:token-exchange"]
    assert exchange["client_secret"]
