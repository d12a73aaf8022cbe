"""Data model rules: uniqueness, hashing, timestamps, encrypted keys."""
from datetime import timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from api.clients.models import Client
from api.db import tenant_scope, utcnow
from api.keys.models import SigningKey
from api.security import digest
from api.users.models import User
from api.users.passwords import verify_password


def test_user_email_is_unique_per_tenant_regardless_of_case(db, factories):
    tenant, owner = factories.tenant(owner_email="Owner@Example.com")
    assert owner.email == "owner@example.com"
    with tenant_scope(db.session, tenant.id):
        db.session.add(User(email="owner@example.com", password_hash="x"))
        with pytest.raises(IntegrityError):
            db.session.flush()
    db.session.rollback()


def test_the_same_email_may_live_in_two_tenants(factories):
    _, first = factories.tenant(owner_email="same@example.com")
    _, second = factories.tenant(owner_email="same@example.com")
    assert first.id != second.id


def test_a_deleted_users_email_can_be_reused(db, factories):
    tenant, owner = factories.tenant()
    with tenant_scope(db.session, tenant.id):
        owner.deleted_at = utcnow()
        db.session.flush()
        db.session.add(User(email=owner.email, password_hash="x"))
        db.session.flush()


def test_passwords_are_argon2id_with_owasp_parameters(factories):
    _, owner = factories.tenant()
    assert owner.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(owner.password_hash, factories.PASSWORD)
    assert not verify_password(owner.password_hash, "wrong password!!")
    assert not verify_password(None, factories.PASSWORD)


def test_client_secret_is_stored_only_as_a_digest(db, factories):
    tenant, _ = factories.tenant()
    client, secret = factories.client(tenant)
    with tenant_scope(db.session, tenant.id):
        stored = db.session.execute(text("SELECT client_secret_hash FROM clients WHERE id = :id"),
                                    {"id": client.id.hex if db.engine.dialect.name == "sqlite"
                                     else client.id}).scalar_one()
    assert stored == digest(secret) and secret not in stored
    assert client.check_client_secret(secret)
    assert not client.check_client_secret(secret + "x")


def test_timestamps_come_back_timezone_aware(db, factories):
    tenant, owner = factories.tenant()
    tenant_id, owner_id = tenant.id, owner.id
    db.session.expunge_all()
    with tenant_scope(db.session, tenant_id):
        user = db.session.get(User, owner_id)
    assert user.created_at.tzinfo == timezone.utc


def test_signing_keys_are_encrypted_at_rest(db, factories):
    tenant, _ = factories.tenant()
    with tenant_scope(db.session, tenant.id):
        key = db.session.scalars(select(SigningKey)).one()
    assert key.algorithm == "RS256" and key.retired_at is None and key.revoked_at is None
    assert "PRIVATE KEY" not in key.private_key_encrypted
    assert set(key.public_jwk) >= {"kty", "n", "e", "kid"} and "d" not in key.public_jwk


def test_deleting_a_client_deletes_nothing_of_another_tenant(db, factories):
    first, _ = factories.tenant()
    second, _ = factories.tenant()
    factories.client(first)
    factories.client(second)
    with tenant_scope(db.session, second.id):
        theirs = set(db.session.scalars(select(Client.id)))
    with tenant_scope(db.session, first.id):
        for row in db.session.scalars(select(Client)):
            db.session.delete(row)
        db.session.flush()
    with tenant_scope(db.session, second.id):
        assert set(db.session.scalars(select(Client.id))) == theirs
