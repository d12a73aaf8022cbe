"""Sign-in challenges: pending authorization requests settled by the frontend.

The authorization endpoint parks a request it cannot answer yet (nobody signed
in; a sign-in that ``prompt``, ``max_age`` or the ``acr`` asked for wants renewed,
:func:`required_interaction`; or consent needed) and sends the browser to the
frontend with a *challenge*. The frontend, authenticated with its own key, reads the
challenge (with the ``acr`` the client asked for, ``required_acr``),
submits the user's credentials and consent, and receives a URL back to the
authorization endpoint carrying a single-use *verifier*. Only the browser that
started the request (its ``tessera_browser`` cookie) can redeem the verifier,
and only with the original parameters.

Parking is bounded: one IP address may park :data:`IP_LIMIT` requests per
ten minutes, and a client may have :data:`CLIENT_LIMIT` live ones; past either,
the authorization endpoint answers ``temporarily_unavailable``. Expired
requests are deleted by ``flask --app api purge``.

A challenge is :func:`api.security.generate_secret`'s default: 43 URL-safe
characters, the ``token`` format of :mod:`identifiers`. The challenge API routes
only that format, so anything else is a 404 that never reaches the database.

A user who has a second factor is asked for it after the password: the request waits in
``second_factor`` until :func:`second_factor` accepts a code (:mod:`api.mfa`). A user who
must have one (the tenant's policy, or a client asking for ``urn:tessera:acr:mfa``) and
has none waits in ``enrol`` until they add an authenticator app (:func:`begin_enrolment`,
:func:`confirm_enrolment`); no code is issued before. Where the policy is ``off`` nobody
enrols: a client's wish is then not met (the ``acr`` says so; an essential one fails the
request). The request remembers which methods the sign-in used (``amr``, RFC 8176), for
the sign-in session it begins; a live session without a second factor the policy asks
for steps up (:func:`policy_requires_second_factor`).

A device authorization (RFC 8628) is verified the same way: its challenge names
the device authorization instead of authorization parameters, always asks for
consent, and the verifier returns the browser to ``{issuer}/device/verify``.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from sqlalchemy import func, select, update

from api import audit
from api.accounts import services as accounts
from api.clients.models import Client
from api.clients.services import DISPLAY_METADATA
from api.db import utcnow
from api.errors import Conflict, DomainError, NotFound
from api.extensions import db
from api.mfa import factors, policy
from api.mfa import services as mfa
from api.oauth import acr
from api.oauth.models import AuthorizationRequest, Consent, SignInSession
from api.passkeys import services as passkeys
from api.ratelimit import services as ratelimit
from api.rbac.permissions import narrow_scope
from api.security import digest, generate_secret
from api.tenancy.models import Tenant
from api.tenancy.services import public_view
from api.users import authentication
from api.users.models import User

LIFETIME = timedelta(minutes=10)
#: Requests one IP address may park per LIFETIME window (an office behind one address
#: signing in, not a flood), and live parked requests per client (a ceiling against
#: floods from many addresses; past it new requests are refused, parked ones live on).
IP_LIMIT = 100
CLIENT_LIMIT = 5000
#: The interactions a request may need, named like the ``prompt`` values that ask for them,
#: and a stronger sign-in than the live one (:mod:`api.oauth.acr`), which is a login too.
LOGIN, CONSENT, SELECT_ACCOUNT, STEP_UP = "login", "consent", "select_account", "step_up"
PENDING, AUTHENTICATED, APPROVED, DENIED, REDEEMED = (
    "pending", "authenticated", "approved", "denied", "redeemed")
#: Password accepted; waiting for a second factor, or for the user to enrol one.
SECOND_FACTOR, ENROL = "second_factor", "enrol"


class ChallengeExpired(DomainError):
    status = 410
    title = "Gone"


def required_interaction(signed_in: SignInSession | None, client: Client, scope: str,
                         prompts: set[str], max_age: int | None,
                         requirement: acr.Requirement) -> str | None:
    """What the user must still do before the request can be answered (OIDC Core §3.1.2.3),
    or None when a code can be issued at once: :data:`LOGIN` without a sign-in session,
    for ``prompt=login`` or ``select_account`` (the sign-in page is where another account
    is chosen) and when the sign-in is older than ``max_age`` seconds (§3.1.2.1; 0 is
    always older); :data:`STEP_UP` when its methods fall short of the ``acr`` asked for;
    :data:`CONSENT` for ``prompt=consent`` or when the client needs consent."""
    if (signed_in is None or prompts & {LOGIN, SELECT_ACCOUNT}
            or (max_age is not None and signed_in.auth_time + timedelta(seconds=max_age)
                <= utcnow())):
        return LOGIN
    if not requirement.met_by(signed_in.amr):
        return STEP_UP
    if CONSENT in prompts or needs_consent(signed_in.user, client, scope):
        return CONSENT
    return None


def max_age_of(params: dict) -> int | None:
    """The ``max_age`` of an authorization request (OIDC Core §3.1.2.1): seconds, a
    non-negative integer; ``invalid_request`` otherwise."""
    value = params.get("max_age")
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise InvalidRequestError("max_age must be a non-negative integer (seconds).")
    return int(value)


def policy_requires_second_factor(tenant: Tenant, signed_in: SignInSession) -> bool:
    """Whether a live sign-in session falls short of the tenant's policy (it began before
    the policy asked this user for a second factor): then the user signs in again, second
    factor included (step-up), whatever the client asked for."""
    return acr.acr_for(signed_in.amr) != acr.MFA and policy.required_of(tenant, signed_in.user)


def needs_second_factor(tenant: Tenant, user: User, params: dict) -> bool:
    """Whether this sign-in should use a second factor: the tenant's policy requires one of
    the user, or the client asks for one (:func:`api.oauth.acr.requested`)."""
    return policy.required_of(tenant, user) or acr.requested(params).value == acr.MFA


def needs_consent(user: User, client: Client, scope: str, device: bool = False) -> bool:
    """A device always asks (RFC 8628 §5.4: the user must see what the code is for); else
    first-party clients never ask, and others unless a remembered consent covers ``scope``."""
    if device:
        return True
    if client.is_first_party:
        return False
    consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id,
                                                      Consent.client_id == client.id))
    return consent is None or not set(scope.split()) <= set(consent.scope.split())


def refusal(client: Client, ip: str | None) -> str | None:
    """Why another request from ``ip`` for ``client`` may not be parked now, if it may not."""
    window = int(LIFETIME.total_seconds())
    if ratelimit.hit(f"authorize-ip:{ip}", window) > IP_LIMIT:
        return "Too many sign-in requests from this address; try again in a few minutes."
    live = db.session.scalar(select(func.count()).select_from(AuthorizationRequest).where(
        AuthorizationRequest.client_id == client.id, AuthorizationRequest.expires_at > utcnow(),
        AuthorizationRequest.status != REDEEMED))
    if live >= CLIENT_LIMIT:
        return "Too many sign-ins are in progress for this application; try again shortly."
    return None


def start(client: Client, params: dict, scope: str, browser_id: str,
          signed_in: SignInSession | None, device_id=None) -> str:
    """Park an authorization request (or a device verification); returns its challenge.
    With ``signed_in``, its user is already authenticated (when and how it says), so only
    consent is left; without, the user must sign in."""
    challenge = generate_secret()
    user = signed_in and signed_in.user
    db.session.add(AuthorizationRequest(
        challenge_hash=digest(challenge), browser_hash=digest(browser_id), client_id=client.id,
        params=params, scope=narrow_scope(scope, user.permissions if user else None),
        user_id=user.id if user else None, auth_time=signed_in and signed_in.auth_time,
        amr=list(signed_in.amr) if signed_in else [],
        status=AUTHENTICATED if user else PENDING,
        expires_at=utcnow() + LIFETIME, device_id=device_id))
    return challenge


def find(challenge: str) -> AuthorizationRequest:
    """The live request for ``challenge``; NotFound or ChallengeExpired otherwise."""
    pending = db.session.scalar(select(AuthorizationRequest).where(
        AuthorizationRequest.challenge_hash == digest(challenge)))
    if pending is None or pending.status == REDEEMED:
        raise NotFound("Unknown sign-in challenge.")
    if pending.expires_at <= utcnow():
        raise ChallengeExpired("This sign-in request has expired; start again from the app.")
    return pending


def describe(pending: AuthorizationRequest, tenant: Tenant) -> dict:
    """What the frontend shows: tenant, client, scopes, who is signed in, what is next, and
    whether the login page may offer sign-up and signing in with a passkey alone."""
    client = db.session.get(Client, pending.client_id)
    user = db.session.get(User, pending.user_id) if pending.user_id else None
    return {
        "tenant": public_view(tenant),
        "self_signup_enabled": tenant.self_signup_enabled,
        "passkey_sign_in": tenant.passkey_sign_in,
        "client": {"client_id": client.client_id, "client_name": client.client_name,
                   "first_party": client.is_first_party,
                   **{name: getattr(client, name) for name in DISPLAY_METADATA},
                   "redirect_uri": pending.params.get("redirect_uri")
                   or client.get_default_redirect_uri()},
        "scopes": pending.scope.split(),
        "user": {"id": str(user.id), "email": user.email} if user else None,
        "status": pending.status,
        "ui_locales": pending.params.get("ui_locales"),
        "consent_required": bool(user) and (
            needs_consent(user, client, pending.scope, pending.device_id is not None)
            or CONSENT in pending.params.get("prompt", "").split()),
        **_acr_requirement(pending),
        "kind": "device" if pending.device_id else "authorization",
        "expires_at": pending.expires_at.isoformat(),
        "factors": factors.usable(user) if pending.status == SECOND_FACTOR else [],
        "factor_options": factors.options(user) if pending.status == SECOND_FACTOR else {},
    }


def _acr_requirement(pending: AuthorizationRequest) -> dict:
    """``required_acr``: the ``acr`` the client asked for (``acr_values`` or an essential
    ``claims`` request; None for none), which the sign-in should reach; ``acr_essential``:
    whether falling short fails the request (``unmet_authentication_requirements``)."""
    requirement = acr.requested(pending.params)
    return {"required_acr": requirement.value, "acr_essential": requirement.essential}


def log_in(challenge: str, tenant: Tenant, issuer: str, email: str, password: str,
           ip: str | None) -> dict:
    """Check the user's credentials for the challenge; say what comes next."""
    pending = _unsettled(challenge)
    try:
        user = authentication.authenticate(tenant.id, email, password, ip,
                                           tenant.require_verified_email)
    except authentication.EmailNotVerified as refused:
        accounts.resend_after_refused_sign_in(tenant, refused.user, ip)
        raise
    pending.user_id, pending.auth_time, pending.amr = user.id, utcnow(), ["pwd"]
    pending.scope = narrow_scope(pending.scope, user.permissions)
    if factors.enrolled(user):
        pending.status = SECOND_FACTOR
        result = describe(pending, tenant)
    elif needs_second_factor(tenant, user, pending.params) and policy.may_enrol(tenant):
        pending.status = ENROL
        result = describe(pending, tenant)
    else:
        result = _authenticated(pending, tenant, issuer, [factors.PASSWORD_AMR])
    db.session.commit()
    return result


def passkey_options(challenge: str, tenant: Tenant) -> dict:
    """WebAuthn request options for signing in to ``challenge`` with a passkey alone
    (discoverable credentials: the authenticator says who), where the tenant allows it."""
    _passkey_sign_in_allowed(tenant)
    _unsettled(challenge)
    return passkeys.begin_authentication(None, challenge)


def log_in_with_passkey(challenge: str, tenant: Tenant, issuer: str, credential: dict,
                        ip: str | None) -> dict:
    """Settle ``challenge`` with a passkey's assertion instead of the password and a second
    step: the user verified to the authenticator (a PIN or biometrics), so the passkey is
    both factors. Throttled per IP address like passwords; say what comes next."""
    _passkey_sign_in_allowed(tenant)
    pending = _unsettled(challenge)
    release = authentication.take_ip_attempt(tenant.id, ip)
    passkey, user_verified = passkeys.authenticate(credential, None, challenge)
    user = passkey.user
    try:
        authentication.admit(tenant.id, user, tenant.require_verified_email, [], release,
                             method="passkey")
    except authentication.EmailNotVerified:
        accounts.resend_after_refused_sign_in(tenant, user, ip)
        raise
    pending.user_id, pending.auth_time = user.id, utcnow()
    pending.scope = narrow_scope(pending.scope, user.permissions)
    result = _authenticated(pending, tenant, issuer, passkeys.methods(passkey, user_verified))
    db.session.commit()
    return result


def _passkey_sign_in_allowed(tenant: Tenant) -> None:
    if not tenant.passkey_sign_in:
        raise NotFound("This tenant does not offer signing in with a passkey alone.")


def _unsettled(challenge: str) -> AuthorizationRequest:
    """The live request for ``challenge``, while someone may still sign in to it."""
    pending = find(challenge)
    if pending.status not in (PENDING, AUTHENTICATED, SECOND_FACTOR, ENROL):
        raise Conflict("This sign-in request is already settled.")
    return pending


def second_factor(challenge: str, tenant: Tenant, issuer: str, response: dict,
                  ip: str | None) -> dict:
    """Check the second step (``response["factor"]`` and its answer); say what comes next."""
    pending = _waiting(challenge, SECOND_FACTOR)
    user = _signing_in(pending)
    amr = mfa.second_step(tenant, user, response["factor"], response, ip)
    pending.auth_time = utcnow()
    result = _authenticated(pending, tenant, issuer, amr)
    db.session.commit()
    return result


def begin_enrolment(challenge: str, tenant: Tenant) -> dict:
    """The authenticator app enrolment of a user who must have a second factor."""
    started = mfa.begin_totp(tenant, _signing_in(_waiting(challenge, ENROL)))
    db.session.commit()
    return started


def confirm_enrolment(challenge: str, tenant: Tenant, issuer: str, code: str) -> dict:
    """The enrolment's first code is the sign-in's second step: what comes next, and the
    new recovery codes (shown once)."""
    pending = _waiting(challenge, ENROL)
    user = _signing_in(pending)
    codes = mfa.confirm_totp(tenant, user, code, audit.Actor.of_user(user))
    pending.auth_time = utcnow()
    result = _authenticated(pending, tenant, issuer, factors.amr(factors.get(factors.TOTP)))
    db.session.commit()
    return {**result, "recovery_codes": codes}


def _waiting(challenge: str, status: str) -> AuthorizationRequest:
    pending = find(challenge)
    if pending.status != status:
        raise Conflict("This sign-in request is not waiting for that step.")
    return pending


def _signing_in(pending: AuthorizationRequest) -> User:
    """The user whose password the request accepted, while they may still sign in."""
    user = db.session.get(User, pending.user_id)
    if user is None or not user.can_sign_in:
        raise Conflict("This account can no longer sign in.")
    return user


def _authenticated(pending: AuthorizationRequest, tenant: Tenant, issuer: str,
                   amr: list[str]) -> dict:
    """The user is signed in by ``amr``: on to consent, or back to the client when none is
    needed."""
    pending.status, pending.amr = AUTHENTICATED, amr
    result = describe(pending, tenant)
    if not result["consent_required"]:
        pending.status = APPROVED
        result["redirect_to"] = _resume_url(pending, issuer)
    return result


def decide(challenge: str, tenant: Tenant, issuer: str, approve: bool, remember: bool) -> dict:
    """Record the user's consent or denial; returns where the browser goes next."""
    pending = find(challenge)
    if pending.status != AUTHENTICATED:
        raise Conflict("Sign in before deciding on consent.")
    user = db.session.get(User, pending.user_id)
    client = db.session.get(Client, pending.client_id)
    pending.status = APPROVED if approve else DENIED
    if approve and remember and pending.device_id is None:
        _remember(user, client, pending.scope)
    audit.record("consent.granted" if approve else "consent.denied", audit.Actor.of_user(user),
                 client,
                 scope=pending.scope, remembered=bool(approve and remember))
    redirect_to = _resume_url(pending, issuer)
    db.session.commit()
    return {"redirect_to": redirect_to}


def redeem(verifier: str, browser_id: str | None,
           params: dict) -> tuple[AuthorizationRequest, bool]:
    """Consume a settled request (once, same browser, same parameters); True if approved."""
    pending = db.session.scalar(select(AuthorizationRequest).where(
        AuthorizationRequest.verifier_hash == digest(verifier)))
    if (pending is None or pending.expires_at <= utcnow() or browser_id is None
            or digest(browser_id) != pending.browser_hash or pending.params != params):
        raise NotFound("Unknown or expired authorization verifier.")
    approved = pending.status == APPROVED
    consumed = db.session.execute(
        update(AuthorizationRequest)
        .where(AuthorizationRequest.id == pending.id,
               AuthorizationRequest.status.in_((APPROVED, DENIED)))
        .values(status=REDEEMED).execution_options(synchronize_session=False)).rowcount
    if not consumed:
        raise NotFound("Unknown or expired authorization verifier.")
    return pending, approved


def _resume_url(pending: AuthorizationRequest, issuer: str) -> str:
    verifier = generate_secret()
    pending.verifier_hash = digest(verifier)
    endpoint = "device/verify" if pending.device_id else "authorize"
    return f"{issuer}/{endpoint}?{urlencode({**pending.params, 'verifier': verifier})}"


def meets_essential_acr(pending: AuthorizationRequest, requirement: acr.Requirement) -> bool:
    """Whether the sign-in of a settled request meets an essential ``acr`` the client asked
    for; one that falls short is a failed sign-in (OIDC Core §5.5.1.1), audited."""
    if not requirement.essential or requirement.met_by(pending.amr):
        return True
    audit.record("sign_in.refused", audit.Actor.of_user(db.session.get(User, pending.user_id)),
                 db.session.get(Client, pending.client_id), outcome=audit.FAILURE,
                 reason="unmet_authentication_requirements", required_acr=requirement.value,
                 amr=pending.amr)
    return False


def _remember(user: User, client: Client, scope: str) -> None:
    consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id,
                                                      Consent.client_id == client.id))
    if consent is None:
        db.session.add(Consent(user_id=user.id, client_id=client.id, scope=scope))
    else:
        consent.scope = " ".join(sorted(set(consent.scope.split()) | set(scope.split())))
