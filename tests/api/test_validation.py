"""Bad input: problem documents naming the field, 400 for malformed JSON, 409 for conflicts."""
from urllib.parse import quote

import pytest

from settings import MAX_BODY_BYTES
from tests.factories import PASSWORD
from tests.helpers import sql_statements


@pytest.mark.parametrize("path,body,field", [
    ("/users", {"email": "a@acme.io", "password": PASSWORD, "tenant_id": "x"}, "tenant_id"),
    ("/users", {"email": "a@acme.io", "password": PASSWORD, "id": "x"}, "id"),
    ("/users", {"email": "not-an-email", "password": PASSWORD}, "email"),
    ("/users", {"email": "a@acme.io", "password": "short"}, "password"),
    ("/users", {"email": "a@acme.io", "password": PASSWORD, "role": "emperor"}, "role"),
    ("/projects", {"name": ""}, "name"),
    ("/projects", {"name": "x" * 201}, "name"),
    ("/roles", {"name": "Bad Name", "permissions": []}, "name"),
    ("/roles", {"name": "ok", "permissions": ["root:all"]}, "permissions"),
    ("/clients", {"client_name": "x", "grant_types": ["implicit"]}, "grant_types"),
    ("/clients", {"client_name": "x", "grant_types": ["authorization_code"],
                  "redirect_uris": ["http://evil.example/cb"]}, "redirect_uris"),
    ("/clients", {"client_name": "x", "grant_types": ["authorization_code"],
                  "redirect_uris": ["https://a.example/*"]}, "redirect_uris"),
    ("/clients", {"client_name": "x", "grant_types": ["authorization_code"],
                  "redirect_uris": ["/relative"]}, "redirect_uris"),
    ("/clients", {"client_name": "x", "grant_types": ["client_credentials"],
                  "token_endpoint_auth_method": "none"}, "grant_types"),
    ("/clients", {"client_name": "x", "grant_types": ["authorization_code"],
                  "redirect_uris": ["http://localhost:3/cb"], "require_pkce": False,
                  "token_endpoint_auth_method": "none"}, "require_pkce"),
    ("/clients", {"client_name": "x", "grant_types": ["client_credentials"],
                  "require_pkce": "sometimes"}, "require_pkce"),
])
def test_invalid_fields_are_422_problem_documents(owner, path, body, field):
    response = owner.post(path, json=body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    messages = response.json["errors"][field]
    assert messages and all(isinstance(message, str) for message in messages)


def test_messages_about_list_items_name_the_item(owner):
    response = owner.post("/clients", json={
        "client_name": "x", "grant_types": ["authorization_code"],
        "redirect_uris": ["https://ok.example/cb", "http://evil.example/cb"]})
    assert response.json["errors"] == {
        "redirect_uris": ["item 2: must use https (http is allowed only on loopback)"]}


def test_malformed_json_is_400(owner):
    response = owner.post("/projects", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert owner.post("/projects", json=["a list"]).status_code == 400


def test_duplicates_are_409_not_500(owner):
    body = {"email": "dup@acme.io", "password": PASSWORD}
    assert owner.post("/users", json=body).status_code == 201
    assert owner.post("/users", json={**body, "email": "DUP@acme.io"}).status_code == 409
    role = {"name": "twice", "permissions": []}
    assert owner.post("/roles", json=role).status_code == 201
    assert owner.post("/roles", json=role).status_code == 409


def test_unknown_query_arguments_and_bad_pages_are_rejected(owner):
    assert owner.get("/users", query_string={"page": 0}).status_code == 422
    assert owner.get("/users", query_string={"per_page": 1000}).status_code == 422
    assert owner.get("/users", query_string={"is_admin": "1"}).status_code == 422


def test_a_failed_request_changes_nothing(owner):
    before = owner.get("/projects").json["total"]
    owner.post("/projects", json={"name": "ok", "owner_id": "00000000-0000-0000-0000-000000000000"})
    assert owner.get("/projects").json["total"] == before


def test_nul_characters_are_a_400_everywhere(app, owner, client):
    assert owner.get("/audit-events", query_string={"actor": "a\x00b"}).status_code == 400
    assert owner.post("/projects", json={"name": "a\x00b"}).status_code == 400
    token = client.post("/t/acme/token", data={"grant_type": "password", "username": "\x00",
                                               "password": "x"})
    assert token.status_code == 400 and token.json["error"] == "invalid_request"  # RFC 6749
    assert token.headers["Cache-Control"] == "no-store"
    challenge = client.post(f"/t/acme/sign-in/challenges/{'A' * 43}/login",
                            json={"email": "\x00"},
                            headers={"X-Frontend-Key": app.config["FRONTEND_API_KEY"]})
    assert challenge.status_code == 400 and challenge.mimetype == "application/problem+json"
    header = client.get("/t/acme/api/v1/projects",
                        headers={**owner.headers, "User-Agent": "a\x00b"})
    assert header.status_code == 400


@pytest.mark.parametrize("path", [
    "/t/x%00y/.well-known/openid-configuration", "/t/x%00y/api/v1/me", "/t/acme%00/token",
    "/.well-known/oauth-authorization-server/t/a%00b", "/t/acme/api/v1/users/%00",
    "/t/x%09y/jwks.json", "/t/acme/api/v1/projects/%7f",
])
def test_nul_and_control_characters_in_the_path_are_a_400(db, client, tenant, path):
    with sql_statements(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert statements == []


@pytest.mark.parametrize("slug", ["x", "ACME", "a_b", "acme.", "é" * 3, "a" * 64])
def test_malformed_slugs_do_not_route(db, client, tenant, slug):
    with sql_statements(db.engine) as statements:
        response = client.get(f"/t/{quote(slug)}/.well-known/openid-configuration")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert statements == []


def nested(depth: int) -> str:
    return '{"name": ' + '{"a": ' * (depth - 1) + "1" + "}" * depth


@pytest.mark.parametrize("body", [
    "[" * 100_000, "[" * 5000 + "]" * 5000, '{"name": "x", "list": ' + "[" * 33 + "]" * 33 + "}",
    nested(33),
])
def test_deeply_nested_json_is_a_400(owner, client, body):
    for response in (owner.post("/projects", data=body, content_type="application/json"),
                     client.post("/api/v1/tenants", data=body, content_type="application/json")):
        assert response.status_code == 400, response.json
        assert response.mimetype == "application/problem+json"
        assert "nested deeper than 32" in response.json["detail"]


def test_json_nested_within_the_limit_is_read(owner):
    response = owner.post("/projects", data=nested(32), content_type="application/json")
    assert response.status_code == 422 and "name" in response.json["errors"]  # read, then refused
    brackets_in_strings = owner.post("/projects", json={"name": "[" * 100})
    assert brackets_in_strings.status_code == 201


@pytest.mark.parametrize("body", [
    b'{"name": "\\ud800"}', b'{"name": "a\\udfffb"}', b'{"\\udc00": 1, "name": "x"}',
    b'{"name": "\xed\xa0\x80"}', b'{"name": "\xff"}', b'{"name": NaN}', b'{"name": 1e999}',
    b'{"name": -Infinity}', b'{"name": "x", "n": ' + b"9" * 5000 + b"}",
])
def test_json_that_is_not_strict_unicode_or_numbers_is_a_400(owner, client, body):
    for response in (owner.post("/projects", data=body, content_type="application/json"),
                     client.post("/api/v1/tenants", data=body, content_type="application/json")):
        assert response.status_code == 400, response.json
        assert response.mimetype == "application/problem+json"


def test_a_surrogate_pair_is_one_character(owner):
    response = owner.post("/projects", data=b'{"name": "\\ud83d\\ude00"}',
                          content_type="application/json")
    assert response.status_code == 201 and response.json["name"] == "\U0001F600"


def test_bodies_over_one_mebibyte_are_a_413(owner, client):
    big = {"name": "x", "description": "y" * MAX_BODY_BYTES}
    response = owner.post("/projects", json=big)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    form = client.post("/t/acme/token", data={"grant_type": "password", "username": "x" * 1,
                                              "password": "y" * MAX_BODY_BYTES})
    assert form.status_code == 413
    assert owner.post("/projects", json={"name": "x" * 200}).status_code == 201


def test_the_api_keeps_no_cookie_session(app, client):
    """Nothing in the API can put state in a cookie: its session is Flask's null one."""
    from flask import session
    from flask.sessions import NullSession

    with app.test_request_context("/health", headers={"Cookie": "session=forged"}):
        app.preprocess_request()
        assert isinstance(session, NullSession) and not session
        with pytest.raises(RuntimeError):
            session["user"] = "anyone"
    response = client.get("/health", headers={"Cookie": "session=forged"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
