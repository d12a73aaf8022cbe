"""Back-Channel Logout 1.0 through the durable outbox: who is told that a session ended and
by which way out, the logout token (verified against the JWKS by PyJWT), its delivery with
retries, and the guard on the outbound POST (never to loopback unless allowed)."""
import uuid

import jwt as pyjwt
import pytest
from sqlalchemy import select

from api import outbound
from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.oauth import backchannel
from api.oauth.models import SignInSession
from api.outbox import services as outbox
from api.outbox.models import SENT, OutboxMessage
from api.rbac.permissions import ALL
from tests.factories import PASSWORD
from tests.helpers import REDIRECT_URI
from tests.live import recording_server
from tests.mailcatcher import link_in

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def receiver():
    """The client's back-channel logout endpoint: it fails once, then accepts."""
    with recording_server([500]) as (url, received):
        yield f"{url}/backchannel-logout", received


@pytest.fixture
def rp(factories, tenant, receiver):
    return factories.client(tenant, grant_types=("authorization_code",),
                            scope="openid profile:write", redirect_uris=(REDIRECT_URI,),
                            backchannel_logout_uri=receiver[0],
                            backchannel_logout_session_required=True)


@pytest.fixture
def allowed(app, monkeypatch):
    """The receiver is on loopback: let this API call it."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", True)


def sid_of(tokens: dict) -> str:
    return pyjwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]


def queued(db, tenant) -> list[OutboxMessage]:
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return list(db.session.scalars(select(OutboxMessage)
                                       .where(OutboxMessage.kind == backchannel.KIND)))


def sign_out(oauth, rp, email="owner@acme.io") -> str:
    """Sign in to ``rp`` (another client without a back-channel URI first, in the same
    session), then out with the ID token as hint; the session's id."""
    tokens = oauth.code_tokens(*rp, email, scope="openid")
    response = oauth.http.get("/t/acme/logout", query_string={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 302
    return sid_of(tokens)


def test_signing_out_queues_a_logout_token_for_each_client_of_the_session(
        oauth, rp, factories, tenant, db, receiver):
    bystander = factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                                 redirect_uris=(REDIRECT_URI,))
    elsewhere = factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                                 redirect_uris=(REDIRECT_URI,),
                                 backchannel_logout_uri=receiver[0])  # not in this session
    oauth.code_tokens(*bystander, "owner@acme.io", scope="openid")
    sid = sign_out(oauth, rp)
    [message] = queued(db, tenant)
    assert message.summary == {"client_id": rp[0].client_id, "sid": sid}
    with tenant_scope(db.session, tenant.id):
        ended = db.session.get(SignInSession, uuid.UUID(sid))
        assert ended.ended_at is not None
        assert backchannel.notices(ended) == [{
            "tenant_id": str(tenant.id), "client_id": rp[0].client_id,
            "sub": str(ended.user_id), "sid": sid}]
    assert elsewhere[0].client_id not in str(message.summary)


def test_the_outbox_delivers_the_logout_token_signed_and_retries_it(
        oauth, rp, receiver, client, db, tenant, allowed):
    sid = sign_out(oauth, rp)
    url, received = receiver
    assert outbox.deliver_due() == {"sent": 0, "retrying": 1, "failed": 0}
    [message] = queued(db, tenant)  # the client answered 500: tried again after a while
    assert len(received) == 1 and message.status == "pending" and message.attempts == 1
    assert "500" in message.last_error
    assert outbox.deliver_due() == {"sent": 0, "retrying": 0, "failed": 0}  # not yet due
    assert outbox.deliver_due(include_waiting=True) == {"sent": 1, "retrying": 0, "failed": 0}
    [message] = queued(db, tenant)
    assert message.status == SENT and message.attempts == 2 and message.payload is None
    assert [r["path"] for r in received] == ["/backchannel-logout"] * 2
    assert received[1]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    token = received[1]["form"]["logout_token"]
    jwks = pyjwt.PyJWKSet.from_dict(client.get("/t/acme/jwks.json").json)
    header = pyjwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = pyjwt.decode(token, key.key, algorithms=["RS256", "ES256"],
                          audience=rp[0].client_id, issuer="http://localhost:8080/t/acme")
    assert claims["events"] == {EVENT: {}}
    assert claims["sid"] == sid and claims["sub"]
    assert claims["jti"] and claims["iat"] and "nonce" not in claims
    assert received[0]["form"]["logout_token"] != token  # each attempt is signed afresh
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "backchannel_logout.sent")) is not None


def test_loopback_and_private_targets_are_refused_unless_allowed(oauth, rp, receiver, app,
                                                                 db, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", False)
    sign_out(oauth, rp)
    outbox.deliver_due(include_waiting=True)
    [message] = queued(db, tenant)
    assert message.status == "pending" and message.attempts == 1  # retried later, never sent
    assert "OUTBOUND_ALLOW_PRIVATE" in message.last_error
    assert receiver[1] == []
    for address in ("10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "127.0.0.1",
                    "::ffff:127.0.0.1", "fd00::1"):
        assert outbound.is_forbidden_address(address)
    assert not outbound.is_forbidden_address("93.184.216.34")


def test_production_calls_https_only(app, monkeypatch):
    monkeypatch.setitem(app.config, "TESSERA_ENV", "production")
    with app.app_context(), pytest.raises(outbound.OutboundError, match="https"):
        outbound.post_form("http://rp.example/logout", {"logout_token": "x"})


def _as_admin(oauth, factories, tenant):
    admin = oauth.client_credentials(*factories.client(tenant, scope=" ".join(ALL)))
    return {"Authorization": f"Bearer {admin['access_token']}"}


def password_reset(oauth, factories, tenant, user, mailbox):
    key = oauth.frontend_key
    oauth.http.post("/t/acme/sign-in/password-reset", headers=key, json={"email": user.email})
    outbox.deliver_due()
    link = link_in(mailbox.wait_for(user.email))
    return oauth.http.post("/t/acme/sign-in/password-reset/complete", headers=key, json={
        "token": link.split("token=")[1], "password": "lanterns over quiet harbours"})


def deactivation(oauth, factories, tenant, user, mailbox):
    return oauth.http.patch(f"/t/acme/api/v1/users/{user.id}", json={"is_active": False},
                            headers=_as_admin(oauth, factories, tenant))


def deletion(oauth, factories, tenant, user, mailbox):
    return oauth.http.delete(f"/t/acme/api/v1/users/{user.id}",
                             headers=_as_admin(oauth, factories, tenant))


def password_set_by_an_admin(oauth, factories, tenant, user, mailbox):
    return oauth.http.patch(f"/t/acme/api/v1/users/{user.id}",
                            json={"password": "lanterns over quiet harbours"},
                            headers=_as_admin(oauth, factories, tenant))


def signing_out_everywhere(oauth, factories, tenant, user, mailbox):
    return oauth.http.post(f"/t/acme/api/v1/users/{user.id}/sign-out",
                           headers=_as_admin(oauth, factories, tenant))


@pytest.mark.parametrize("way_out", [password_reset, deactivation, deletion,
                                     password_set_by_an_admin, signing_out_everywhere])
def test_every_way_a_user_is_signed_out_tells_the_clients(oauth, rp, factories, tenant, db,
                                                          mailbox, way_out):
    bob = factories.user(tenant, email="bob@acme.io")
    sid = sid_of(oauth.code_tokens(*rp, "bob@acme.io", scope="openid"))
    assert queued(db, tenant) == []
    response = way_out(oauth, factories, tenant, bob, mailbox)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert [m.summary for m in queued(db, tenant)] == [{"client_id": rp[0].client_id,
                                                       "sid": sid}]


def test_changing_ones_own_password_ends_only_the_other_sessions(oauth, rp, factories, tenant,
                                                                 db, app):
    bob = factories.user(tenant, email="bob@acme.io")
    account_page = factories.client(tenant, grant_types=("authorization_code",),
                                    scope="openid " + " ".join(ALL), redirect_uris=(REDIRECT_URI,))
    laptop = oauth.code_tokens(*account_page, "bob@acme.io",
                               scope="openid " + " ".join(sorted(bob.permissions)))
    laptop_rp = sid_of(oauth.code_tokens(*rp, "bob@acme.io", scope="openid"))
    phone = type(oauth)(app.test_client(), app, tenant)  # another browser
    other = sid_of(phone.code_tokens(*rp, "bob@acme.io", scope="openid"))
    changed = oauth.http.patch(f"/t/acme/api/v1/users/{bob.id}",
                               json={"password": "lanterns over quiet harbours",
                                     "current_password": PASSWORD},
                               headers={"Authorization": f"Bearer {laptop['access_token']}"})
    assert changed.status_code == 200, changed.json
    assert [m.summary["sid"] for m in queued(db, tenant)] == [other]
    assert laptop_rp == sid_of(laptop)  # one browser, one session
    with tenant_scope(db.session, tenant.id):
        assert db.session.get(SignInSession, uuid.UUID(sid_of(laptop))).ended_at is None


def test_a_client_that_dropped_its_uri_is_not_called(oauth, rp, receiver, db, tenant, allowed):
    sign_out(oauth, rp)
    outbox.deliver_due()  # the receiver's one 500
    with tenant_scope(db.session, tenant.id):
        client = db.session.merge(rp[0])
        client.backchannel_logout_uri = None
        db.session.commit()
    assert outbox.deliver_due(include_waiting=True)["retrying"] == 1
    [message] = queued(db, tenant)
    assert "no longer takes back-channel logouts" in message.last_error
    assert len(receiver[1]) == 1


def test_logout_tokens_are_posted_without_credentials(rp, receiver, oauth, allowed):
    sign_out(oauth, rp)
    outbox.deliver_due()
    outbox.deliver_due(include_waiting=True)
    assert len(receiver[1]) == 2
    for request in receiver[1]:
        assert "Authorization" not in request["headers"] and "Cookie" not in request["headers"]
        assert request["headers"]["Cache-Control"] == "no-store"
