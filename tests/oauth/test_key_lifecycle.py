"""Signing keys: pre-published rotation, revocation, rotation when due; every change takes
effect with the next request (nothing mutable is cached per process), and is audited."""
import json
from datetime import timedelta

from joserfc import jws
from sqlalchemy import select, update

from api.audit.models import AuditEvent
from api.db import tenant_scope, utcnow
from api.keys import services as keys
from api.keys.models import SigningKey
from tests.helpers import basic_auth


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["kid"]


def jwks_kids(client) -> list[str]:
    return [key["kid"] for key in client.get("/t/acme/jwks.json").json["keys"]]


def rotate(cli, *args) -> dict:
    result = cli.invoke(args=["keys", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def revoke(cli, slug: str, kid: str, *options: str):
    """``keys revoke SLUG KID``, as the contract writes it."""
    return cli.invoke(args=["keys", "revoke", slug, kid, *options])


def actions(db, tenant) -> list[str]:
    with tenant_scope(db.session, tenant.id):
        return db.session.scalars(select(AuditEvent.action)
                                  .where(AuditEvent.action.startswith("keys."))).all()


def test_a_prepublished_key_is_in_the_jwks_before_it_signs(cli, oauth, service, client, db,
                                                           tenant):
    old = kid_of(oauth.client_credentials(*service)["access_token"])
    new = rotate(cli, "rotate", "acme", "--prepublish", str(keys.JWKS_CACHE_LIFETIME))["kid"]
    assert jwks_kids(client) == [new, old]
    assert kid_of(oauth.client_credentials(*service)["access_token"]) == old
    with tenant_scope(db.session, tenant.id):  # the delay passes
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(update(SigningKey).where(SigningKey.kid == new)
                           .values(activates_at=past))
        db.session.execute(update(SigningKey).where(SigningKey.kid == old)
                           .values(retired_at=past))
        db.session.commit()
    token = oauth.client_credentials(*service)["access_token"]
    assert kid_of(token) == new and oauth.me(token).status_code == 200
    assert set(jwks_kids(client)) == {new, old}  # the old one until its tokens expire
    assert actions(db, tenant) == ["keys.rotated"]


def test_a_prepublication_shorter_than_the_jwks_cache_is_refused(cli):
    result = cli.invoke(args=["keys", "rotate", "acme", "--prepublish", "10"])
    assert result.exit_code != 0 and "prepublish" in result.output


def test_revoking_the_signing_key_replaces_it_and_kills_its_tokens(cli, oauth, service, client,
                                                                   db, tenant):
    token = oauth.client_credentials(*service)["access_token"]
    assert oauth.me(token).status_code == 200
    revoked = kid_of(token)
    result = json.loads(revoke(cli, "acme", revoked, "--json").output)
    assert result["revoked"] == revoked and result["replacement"]["kid"] != revoked
    assert jwks_kids(client) == [result["replacement"]["kid"]]
    assert oauth.me(token).status_code == 401
    introspected = oauth.http.post("/t/acme/introspect", data={"token": token},
                                   headers=basic_auth(service[0].client_id, service[1]))
    assert introspected.json == {"active": False}
    fresh = oauth.client_credentials(*service)["access_token"]
    assert kid_of(fresh) == result["replacement"]["kid"] and oauth.me(fresh).status_code == 200
    assert actions(db, tenant) == ["keys.revoked"]  # naming its replacement


def test_revoking_a_retired_key_kills_its_tokens_and_nothing_else(cli, oauth, service, client):
    old_token = oauth.client_credentials(*service)["access_token"]
    new = rotate(cli, "rotate", "acme")["kid"]
    result = json.loads(revoke(cli, "acme", kid_of(old_token), "--json").output)
    assert result["replacement"] is None and jwks_kids(client) == [new]
    assert oauth.me(old_token).status_code == 401
    assert oauth.me(oauth.client_credentials(*service)["access_token"]).status_code == 200


def test_a_kid_that_begins_with_a_dash_is_a_kid(cli, db, oauth, service, client, tenant):
    """An RFC 7638 thumbprint may begin with ``-``; ``keys revoke SLUG KID`` still reads it."""
    old_token = oauth.client_credentials(*service)["access_token"]
    rotate(cli, "rotate", "acme")
    dashed = "-" + kid_of(old_token)[1:]
    with tenant_scope(db.session, tenant.id):
        row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid_of(old_token)))
        row.kid, row.public_jwk = dashed, {**row.public_jwk, "kid": dashed}
        db.session.commit()
    result = revoke(cli, "acme", dashed, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["revoked"] == dashed and dashed not in jwks_kids(client)


def test_revoking_an_unknown_or_revoked_key_changes_nothing(cli, oauth, service, factories):
    factories.tenant("other")
    theirs = json.loads(cli.invoke(args=["keys", "rotate", "other", "--json"]).output)["kid"]
    for kid in ("no-such-kid", theirs):
        result = revoke(cli, "acme", kid)
        assert result.exit_code == 1 and "no signing key" in result.output
    kid = kid_of(oauth.client_credentials(*service)["access_token"])
    revoke(cli, "acme", kid)
    again = revoke(cli, "acme", kid)
    assert again.exit_code == 1 and "already revoked" in again.output


def test_rotate_due_rotates_only_old_keys_with_a_prepublication(cli, db, factories, tenant,
                                                                app):
    other, _ = factories.tenant("fresh")
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(SigningKey).values(
            created_at=utcnow() - timedelta(seconds=app.config["SIGNING_KEY_MAX_AGE"] + 60)))
        db.session.commit()
    result = json.loads(cli.invoke(args=["keys", "rotate-due", "--json"]).output)
    assert [row["slug"] for row in result["rotated"]] == ["acme"]
    with tenant_scope(db.session, tenant.id):
        key = db.session.scalar(select(SigningKey).where(SigningKey.kid
                                                         == result["rotated"][0]["kid"]))
        assert key.activates_at - key.created_at >= timedelta(seconds=keys.JWKS_CACHE_LIFETIME)
    assert actions(db, tenant) == ["keys.rotated_due"]
    again = json.loads(cli.invoke(args=["keys", "rotate-due", "--json"]).output)
    assert again == {"rotated": []}  # the pre-published key is young
