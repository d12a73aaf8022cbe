"""Operator CLI (``flask --app api ...``): tenants, users, clients, keys, the outbox, demo data.

Every command validates its arguments with the same schemas and services as the
REST API, commits once, and on bad input prints one line and exits non-zero
having changed nothing. Commands work in one tenant's scope on DATABASE_URL, like
the API; ``purge``, which deletes across tenants, runs on DATABASE_ADMIN_URL.
"""
from __future__ import annotations

import functools
import json
from datetime import timedelta

import click
from flask import Flask, current_app
from marshmallow import ValidationError

from api import audit
from api.clients.models import GRANT_ALIASES, GRANT_TYPES
from api.clients.services import create_client
from api.db import tenant_scope, utcnow
from api.errors import DomainError, field_messages
from api.extensions import db
from api.keys import services as keys
from api.oauth.purge import purge_expired
from api.rls import admin_session
from api.outbox import services as outbox
from api.security import generate_secret
from api.tenancy import services as tenancy
from api.tenancy.context import issuer_url
from api.users.services import create_user
from api.v1.clients.schemas import ClientCreateSchema
from api.v1.tenant.schemas import TenantCreateSchema
from api.v1.users.schemas import UserCreateSchema

tenants_cli = click.Group("tenants", help="Manage tenants.")
users_cli = click.Group("users", help="Manage a tenant's users.")
clients_cli = click.Group("clients", help="Manage a tenant's OAuth clients.")
keys_cli = click.Group("keys", help="Manage a tenant's signing keys.")
outbox_cli = click.Group("outbox", help="Mails and back-channel logout calls waiting to leave.")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def register(app: Flask) -> None:
    for group in (tenants_cli, users_cli, clients_cli, keys_cli, outbox_cli, demo, purge):
        app.cli.add_command(group)


def _one_line_errors(command):
    """Turn validation and domain errors into a one-line message and exit status 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ValidationError as error:
            db.session.rollback()
            field, messages = next(iter(field_messages(error.normalized_messages()).items()))
            raise click.ClickException(f"{field}: {' '.join(messages)}") from None
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.detail) from None
    return wrapper


def _output(as_json: bool, data: dict, text: str) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else text)


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
@json_option
@_one_line_errors
def create_tenant_command(slug, name, owner_email, owner_password, as_json):
    """Create tenant SLUG with its owner."""
    data = TenantCreateSchema().load({"slug": slug, "name": name, "owner_email": owner_email,
                                      "owner_password": owner_password})
    tenant, owner = tenancy.create_tenant(**data, actor=audit.OPERATOR,
                                          frontend_url=current_app.config["PUBLIC_FRONTEND_URL"])
    result = {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name,
              "issuer": issuer_url(tenant), "owner_id": str(owner.id),
              "owner_email": owner.email}
    _output(as_json, result, f"Created tenant {tenant.slug}; issuer {result['issuer']}")


@tenants_cli.command("list")
@json_option
def list_tenants_command(as_json):
    """List live tenants."""
    rows = [{"id": str(t.id), "slug": t.slug, "name": t.name, "issuer": issuer_url(t)}
            for t in tenancy.list_tenants()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            click.echo(f"{row['slug']}\t{row['name']}\t{row['issuer']}")


def _in_tenant(slug: str):
    """Resolve SLUG and scope the session to it."""
    return tenant_scope(db.session, tenancy.get_tenant(slug).id)


@users_cli.command("create")
@click.argument("slug")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", default="user", show_default=True)
@json_option
@_one_line_errors
def create_user_command(slug, email, password, role, as_json):
    """Create a user in tenant SLUG."""
    data = UserCreateSchema().load({"email": email, "password": password, "role": role})
    tenant = tenancy.get_tenant(slug)
    with tenant_scope(db.session, tenant.id):
        user = create_user(data["email"], data["password"], data["role"], audit.OPERATOR,
                           tenant.password_min_length)
    _output(as_json, {"id": str(user.id), "email": user.email, "role": role},
            f"Created user {user.email} ({role})")


@clients_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--grant", "grants", multiple=True, required=True,
              help=f"Repeat for each grant type: {', '.join(GRANT_TYPES)} "
                   f"(or {' and '.join(GRANT_ALIASES)}).")
@click.option("--scope", default="", help="Space-separated scopes.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for each URI.")
@click.option("--public", is_flag=True, help="A public client (no secret, PKCE).")
@click.option("--pkce-optional", is_flag=True,
              help="Let a legacy confidential client send authorization requests without "
                   "PKCE (require_pkce false); public clients always use PKCE.")
@json_option
@_one_line_errors
def create_client_command(slug, name, grants, scope, redirect_uris, public, pkce_optional,
                          as_json):
    """Register an OAuth client in tenant SLUG."""
    data = ClientCreateSchema().load({
        "client_name": name, "grant_types": [GRANT_ALIASES.get(g, g) for g in grants],
        "scope": scope, "redirect_uris": list(redirect_uris), "require_pkce": not pkce_optional,
        "token_endpoint_auth_method": "none" if public else "client_secret_basic"})
    method = data.pop("token_endpoint_auth_method")
    with _in_tenant(slug):
        client, secret = create_client(**data, public=public, auth_method=method,
                                       actor=audit.OPERATOR)
    result = {"id": str(client.id), "client_id": client.client_id,
              "client_name": client.client_name, "grant_types": client.grant_types,
              "scope": client.scope, "redirect_uris": client.redirect_uris,
              "token_endpoint_auth_method": client.token_endpoint_auth_method,
              "require_pkce": client.require_pkce}
    if secret:
        result["client_secret"] = secret
    text = f"Created client {client.client_name}\nclient_id: {client.client_id}"
    _output(as_json, result, text + (f"\nclient_secret: {secret} (shown once)" if secret else ""))


@keys_cli.command("rotate")
@click.argument("slug")
@click.option("--algorithm", default=keys.DEFAULT_ALGORITHM, show_default=True,
              help=f"One of {', '.join(keys.ALGORITHMS)}.")
@click.option("--prepublish", type=click.IntRange(min=0), default=0, metavar="SECONDS",
              help="Publish the new key now but sign with it only after SECONDS (at least "
                   f"{keys.JWKS_CACHE_LIFETIME}, the JWKS cache lifetime); 0, the default, "
                   "signs with it at once.")
@json_option
@_one_line_errors
def rotate_keys_command(slug, algorithm, prepublish, as_json):
    """Add a new signing key to SLUG; the old one stays published until its tokens expire."""
    if algorithm not in keys.ALGORITHMS:
        raise click.ClickException(f"algorithm: must be one of {', '.join(keys.ALGORITHMS)}")
    if 0 < prepublish < keys.JWKS_CACHE_LIFETIME:
        raise click.ClickException(f"prepublish: must be 0 or at least "
                                   f"{keys.JWKS_CACHE_LIFETIME} seconds")
    key = _rotate(tenancy.get_tenant(slug), algorithm, prepublish, "keys.rotated")
    _output(as_json, _key_json(key),
            f"New {algorithm} signing key {key.kid} signs from {key.activates_at.isoformat()}")


def _rotate(tenant, algorithm: str, prepublish: int, action: str):
    with tenant_scope(db.session, tenant.id):
        key = keys.rotate(tenant.id, tenant.access_token_lifetime, algorithm, prepublish)
        db.session.flush()
        audit.record(action, audit.OPERATOR, key, kid=key.kid, algorithm=algorithm,
                     activates_at=key.activates_at.isoformat())
        db.session.commit()
    return key


def _key_json(key) -> dict:
    return {"kid": key.kid, "algorithm": key.algorithm,
            "activates_at": key.activates_at.isoformat()}


@keys_cli.command("revoke", context_settings={"ignore_unknown_options": True})
@click.argument("slug")
@click.argument("kid")
@json_option
@_one_line_errors
def revoke_key_command(slug, kid, as_json):
    """Revoke SLUG's key KID (compromised): out of the JWKS now, its tokens invalid now.

    A kid (an RFC 7638 thumbprint) may begin with ``-``: it is taken as KID, not as an
    option."""
    tenant = tenancy.get_tenant(slug)
    with tenant_scope(db.session, tenant.id):
        key, replacement = keys.revoke(tenant.id, kid, tenant.access_token_lifetime)
        db.session.flush()
        audit.record("keys.revoked", audit.OPERATOR, key, kid=key.kid,
                     replaced_by=replacement.kid if replacement else None)
        db.session.commit()
    result = {"revoked": kid, "replacement": _key_json(replacement) if replacement else None}
    _output(as_json, result, f"Revoked {kid}" + (
        f"; new {replacement.algorithm} signing key {replacement.kid}" if replacement else ""))


@keys_cli.command("rotate-due")
@click.option("--prepublish", type=click.IntRange(min=keys.JWKS_CACHE_LIFETIME),
              default=keys.DEFAULT_PREPUBLISH, show_default=True, metavar="SECONDS",
              help="How long each new key is published before it signs.")
@json_option
def rotate_due_command(prepublish, as_json):
    """Rotate every tenant whose newest key is older than SIGNING_KEY_MAX_AGE (for cron)."""
    due_before = utcnow() - timedelta(seconds=current_app.config["SIGNING_KEY_MAX_AGE"])
    rotated = []
    for tenant in tenancy.list_tenants():
        with tenant_scope(db.session, tenant.id):
            newest = keys.newest_key(tenant.id)
        if newest is None or newest.created_at < due_before:
            algorithm = newest.algorithm if newest else keys.DEFAULT_ALGORITHM
            key = _rotate(tenant, algorithm, prepublish, "keys.rotated_due")
            rotated.append({"slug": tenant.slug, **_key_json(key)})
    _output(as_json, {"rotated": rotated},
            "\n".join(f"{row['slug']}: new key {row['kid']} signs from {row['activates_at']}"
                      for row in rotated) or "No tenant's key is due for rotation")


@outbox_cli.command("flush")
@json_option
def flush_outbox_command(as_json):
    """Deliver every pending message now, even those waiting to be retried."""
    counts = outbox.deliver_due(include_waiting=True)
    _output(as_json, counts, ", ".join(f"{name}: {count}" for name, count in counts.items()))
    if counts["retrying"] or counts["failed"]:
        raise SystemExit(1)


@click.command("purge")
@json_option
def purge(as_json):
    """Delete expired codes, sign-in requests, grants, account links and throttle windows, and
    outbox messages delivered more than a week ago (schedule it)."""
    with admin_session() as session:
        counts = purge_expired(session)
        counts["outbox_messages"] = outbox.purge_delivered(session)
    _output(as_json, counts, ", ".join(f"{name}: {count}" for name, count in counts.items()))


DEMO_SLUG = "demo"
DEMO_OWNER = "owner@demo.example"


@click.command("demo")
@_one_line_errors
def demo():
    """Create the demo tenant, owner and client (once; later runs change nothing)."""
    existing = [t for t in tenancy.list_tenants() if t.slug == DEMO_SLUG]
    if existing:
        click.echo(f"Demo tenant exists: {issuer_url(existing[0])}")
        return
    password = generate_secret(12)
    tenant, _ = tenancy.create_tenant(DEMO_SLUG, "Demo", DEMO_OWNER, password,
                                      actor=audit.OPERATOR,
                                      frontend_url=current_app.config["PUBLIC_FRONTEND_URL"])
    with _in_tenant(DEMO_SLUG):
        client, secret = create_client(
            "Demo app", ["authorization_code", "refresh_token", "client_credentials"],
            "openid profile email offline_access projects:read",
            ["http://localhost:9000/callback"], public=False, actor=audit.OPERATOR)
    click.echo("\n".join([
        f"Demo tenant created. Issuer: {issuer_url(tenant)}",
        f"  owner:         {DEMO_OWNER} / {password}",
        f"  client_id:     {client.client_id}",
        f"  client_secret: {secret}",
        f"Console: {current_app.config['PUBLIC_FRONTEND_URL']}/t/{DEMO_SLUG}/console",
        "These credentials are shown only now; keep them.",
    ]))
