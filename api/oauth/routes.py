"""Protocol endpoints under each issuer ``{PUBLIC_API_URL}/t/{slug}``.

Discovery (RFC 8414 / OIDC Discovery), JWKS, the authorization endpoint with
its sign-in hand-off to the frontend, token (RFC 6749), revocation (RFC 7009),
introspection (RFC 7662), userinfo (OIDC Core §5.3), device authorization and
verification (RFC 8628), dynamic registration (RFC 7591/7592), the REST API's
protected resource metadata (RFC 9728), the end-session endpoint (RP-Initiated
Logout 1.0), and what only the frontend may call: the sign-in challenge API, the
redemption of form-post responses, and the confirmation of parked sign-outs.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import (ConsentRequiredError, InteractionRequiredError,
                                      LoginRequiredError)
from flask import Blueprint, Response, current_app, g, redirect, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest

from api.clients.models import DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT
from api.clients.services import console_client
from api.edge import MalformedCredentials
from api.errors import Forbidden, NotFound, problem
from api.extensions import db
from api.frontend_key import frontend_only
from api.keys import services as keys
from api.oauth import (acr, challenges, device, form_post, logout, registration, session,
                       targets)
from api.oauth.client_auth import ClientSecretJWT, PrivateKeyJWT
from api.oauth.models import SignInSession
from api.oauth.schemas import (ConsentSchema, EnrolmentCodeSchema, LoginSchema,
                               LogoutConfirmationSchema, PasskeySignInSchema,
                               SecondFactorSchema)
from api.oauth.server import (ANY_CLIENT_AUTH, CONFIDENTIAL_AUTH, NO_STORE, NO_STORE_ENDPOINTS,
                              ClientAuthenticationFailed, authorization, require_userinfo_token,
                              user_info)
from api.rbac.permissions import ALL, SCOPES
from api.resources import services as resources
from api.rest import load_body
from api.tenancy.context import current_tenant, enter_tenant, issuer_url
from api.tenancy.services import public_view
from api.users.models import User, load_with_permissions

bp = Blueprint("oauth", __name__)
well_known_bp = Blueprint("well_known", __name__)

#: The characters a URI may hold (RFC 3986 §2), percent-encoding included.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
#: RFC 6749 §3.1.1: response-name *( SP response-name ).
_RESPONSE_TYPE = re.compile(r"[A-Za-z0-9_ ]*")
#: What ID tokens and userinfo may carry (OIDC Discovery §3: exactly what is emitted).
CLAIMS = ["iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "at_hash", "amr",
          "acr", "sid", "name", "given_name", "family_name", "updated_at", "email",
          "email_verified", "tid", "tenant"]
#: What ``prompt=none`` answers when the user would have to be asked (OIDC Core §3.1.2.6).
INTERACTION_ERRORS = {challenges.LOGIN: LoginRequiredError,
                      challenges.STEP_UP: InteractionRequiredError,
                      challenges.CONSENT: ConsentRequiredError}
#: The ``prompt`` values the authorization endpoint honours (OIDC Core §3.1.2.1).
PROMPTS = ["none", challenges.LOGIN, challenges.CONSENT, challenges.SELECT_ACCOUNT]
#: RFC 8414 §2: the algorithms client assertions may use (RFC 7523, OIDC Core §9).
ASSERTION_ALGS = sorted(PrivateKeyJWT.ALGORITHMS + ClientSecretJWT.ALGORITHMS)


def metadata() -> dict:
    """Authorization server metadata (RFC 8414 §2, OIDC Discovery §3): exactly what this
    tenant supports (``registration_endpoint`` only while its dynamic registration is on)."""
    issuer = issuer_url(current_tenant())
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/logout",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "scopes_supported": list(dict.fromkeys(SCOPES + tuple(sorted(
            resources.accepted_scopes())))),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "grant_types_supported": ["authorization_code", "client_credentials",
                                  "refresh_token", "password", DEVICE_CODE_GRANT,
                                  TOKEN_EXCHANGE_GRANT],
        "token_endpoint_auth_methods_supported": ANY_CLIENT_AUTH,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": ANY_CLIENT_AUTH,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": sorted(keys.ALGORITHMS),
        "claims_supported": CLAIMS,
        "acr_values_supported": list(acr.SUPPORTED),
        "prompt_values_supported": PROMPTS,
        "authorization_response_iss_parameter_supported": True,
    }
    if registration.enabled():
        document["registration_endpoint"] = registration.registration_endpoint()
    return document


def protected_resource_metadata() -> dict:
    """The tenant REST API as a protected resource (RFC 9728 §2)."""
    return {"resource": targets.api_identifier(),
            "authorization_servers": [issuer_url(current_tenant())],
            "scopes_supported": list(ALL), "bearer_methods_supported": ["header"],
            "resource_name": targets.API_NAME}


def _cacheable(payload: dict, max_age: int = 300) -> Response:
    response = current_app.json.response(payload)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/.well-known/openid-configuration")
def get_discovery():
    return _cacheable(metadata())


@well_known_bp.get("/.well-known/oauth-authorization-server/t/<slug:slug>")
def get_rfc8414_metadata(slug: str):
    enter_tenant(slug)
    return _cacheable(metadata())


@bp.get("/.well-known/oauth-protected-resource")
def get_protected_resource_metadata():
    return _cacheable(protected_resource_metadata())


@well_known_bp.get("/.well-known/oauth-protected-resource/t/<slug:slug>/api/v1")
def get_rfc9728_metadata(slug: str):
    """RFC 9728 §3.1: the same document at the well-known URI inserted before the path."""
    enter_tenant(slug)
    return _cacheable(protected_resource_metadata())


@bp.get("/jwks.json")
def get_jwks():
    """Cacheable for a minute only (:data:`keys.JWKS_MAX_AGE`): a pre-published key is in
    every cached copy before it signs, and a revoked one leaves them within that time."""
    return _cacheable(keys.jwks(current_tenant().id), max_age=keys.JWKS_MAX_AGE)


@bp.get("/authorize")
def authorize():
    """RFC 6749 §4.1.1: validate first; never redirect to an unverified client or URI."""
    tenant = current_tenant()
    signed_in = session.current(tenant)
    params = {k: v for k, v in request.args.items() if k != "verifier"}
    try:
        _refuse_malformed_parameters()
        grant = authorization.get_consent_grant(end_user=signed_in and signed_in.user)
    except OAuth2Error as error:
        if not error.redirect_uri:  # unknown client or redirect URI: a page for people
            response = _frontend_error_page(tenant, error.error)
        else:
            response = authorization.handle_error_response(None, error)
    else:
        if "verifier" in request.args:
            response = _resume(grant, tenant, params, signed_in)
        else:
            response = _answer(grant, tenant, params, signed_in)
    db.session.commit()
    return response


def _resume(grant, tenant, params: dict, signed_in: SignInSession | None) -> Response:
    """The browser is back from the frontend with a settled request: answer the client, in
    the sign-in session the person just began (or, after consent alone, the one they had).
    A sign-in that falls short of an essential ``acr`` is a failed one (OIDC Core
    §5.5.1.1): ``unmet_authentication_requirements``, and no session."""
    pending, approved = challenges.redeem(request.args["verifier"], session.browser_id(), params)
    if approved and not challenges.meets_essential_acr(pending, grant.acr_requirement):
        return _to_client(acr.UnmetAuthenticationRequirementsError(), grant, params)
    user = db.session.get(User, pending.user_id) if approved else None
    signed_in = session.resume(tenant, user, pending.auth_time, signed_in,
                               pending.amr) if user else None
    g.sign_in_session_id = signed_in and signed_in.id
    response = authorization.create_authorization_response(grant=grant, grant_user=user)
    if user is not None:
        session.set_cookie(response, tenant, signed_in)
    return response


def _answer(grant, tenant, params: dict, signed_in: SignInSession | None) -> Response:
    """A code at once when nobody needs to be asked anything (:func:`challenges.
    required_interaction`: ``prompt``, ``max_age``, the ``acr`` asked for, consent); with
    ``prompt=none`` the interaction the request would need, as an error to the client
    (OIDC Core §3.1.2.6: ``login_required``, ``interaction_required`` for a stronger
    sign-in, ``consent_required``); else park the request and send the browser to the
    frontend to sign in (again) or consent (``temporarily_unavailable`` when its address
    or client has parked too many). A session without the second factor the tenant's
    policy asks of its user steps up too."""
    client, scope = grant.request.client, grant.request.scope
    prompts = set(params.get("prompt", "").split())
    step = challenges.required_interaction(signed_in, client, scope, prompts, grant.max_age,
                                           grant.acr_requirement)
    if step in (None, challenges.CONSENT) and \
            challenges.policy_requires_second_factor(tenant, signed_in):
        step = challenges.STEP_UP
    if step is None:
        g.sign_in_session_id = signed_in.id
        return authorization.create_authorization_response(grant=grant,
                                                           grant_user=signed_in.user)
    if "none" in prompts:
        return _to_client(INTERACTION_ERRORS[step](), grant, params)
    refusal = challenges.refusal(client, request.remote_addr)
    if refusal:  # RFC 6749 §4.1.2.1
        return _to_client(OAuth2Error(refusal, error="temporarily_unavailable"), grant, params)
    consent_only = step == challenges.CONSENT
    page = challenges.CONSENT if consent_only else challenges.LOGIN
    response = redirect(f"{current_app.config['PUBLIC_FRONTEND_URL']}/t/{tenant.slug}/"
                        f"{page}?challenge=", code=302)
    challenge = challenges.start(client, params, scope, session.browser_id(response, tenant),
                                 signed_in if consent_only else None)
    response.headers["Location"] += challenge
    return response


def _to_client(error: OAuth2Error, grant, params: dict) -> Response:
    """An error response at the client's (validated) redirect URI, with ``state``."""
    error.redirect_uri, error.state = grant.redirect_uri, params.get("state")
    return authorization.handle_error_response(None, error)


def _refuse_malformed_parameters() -> None:
    """Authlib quotes ``redirect_uri`` and ``response_type`` in error descriptions, whose
    characters RFC 6749 §5.2 restricts (it fails on others): values outside their grammars
    are refused first, and not redirected. A ``redirect_uri`` that is not a URI (RFC 3986
    §2: a control character, a space, non-ASCII) matches no client (RFC 6749 §4.1.2.1);
    a ``response_type`` is names of letters, digits and ``_`` (RFC 6749 §3.1.1)."""
    if not _URI_CHARACTERS.fullmatch(request.args.get("redirect_uri", "")):
        raise InvalidRequestError("redirect_uri is not a valid URI.")
    if not _RESPONSE_TYPE.fullmatch(request.args.get("response_type", "")):
        raise InvalidRequestError("response_type is malformed.")


def _frontend_error_page(tenant, error: str) -> Response:
    """Errors that must not go to the client (RFC 6749 §4.1.2.1) are shown to people by the
    frontend; the browser carries only the error code there."""
    return _to_frontend(tenant, "error", {"error": error}, code=303)


@bp.route("/logout", methods=["GET", "POST"])
def end_session():
    """RP-Initiated Logout 1.0 (see :mod:`api.oauth.logout`): sign out at once for a valid
    ``id_token_hint`` from this browser's session, else ask the person on the frontend."""
    tenant = current_tenant()
    try:
        end_session_request = authorization.validate_endpoint_request("end_session")
    except OAuth2Error as error:  # client_id and the hint disagree: never redirected (§4)
        return _to_frontend(tenant, "logout", {"error": error.error})
    signed_in = session.current(tenant)
    if not logout.signs_out_at_once(end_session_request, signed_in):
        response = _to_frontend(tenant, "logout",
                                {"request": logout.park(end_session_request, signed_in)})
    else:
        response = (authorization.create_endpoint_response("end_session", end_session_request)
                    or _to_frontend(tenant, "console/signed-out", {}))
        session.clear_cookie(response, tenant)
    db.session.commit()
    return response


def _to_frontend(tenant, page: str, params: dict, code: int = 302) -> Response:
    """A redirect to one of the frontend's pages for the tenant."""
    query = f"?{urlencode(params)}" if params else ""
    return redirect(f"{current_app.config['PUBLIC_FRONTEND_URL']}/t/{tenant.slug}/{page}{query}",
                    code=code)


@bp.post("/token")
def issue_token():
    response = authorization.create_token_response()
    db.session.commit()
    return response


@bp.post("/revoke")
def revoke_token():
    response = authorization.create_endpoint_response("revocation")
    db.session.commit()
    return response


@bp.post("/introspect")
def introspect_token():
    return authorization.create_endpoint_response("introspection")


@bp.post("/device_authorization")
def authorize_device():
    """RFC 8628 §3.1: a device code and a user code for a device client."""
    response = authorization.create_endpoint_response("device_authorization")
    db.session.commit()
    return response


@bp.get("/device/verify")
def verify_device():
    """RFC 8628 §3.3: the browser arrives with a user code (from the frontend's page), goes
    through sign-in and consent, and comes back with a verifier; then back to the page."""
    tenant = current_tenant()
    page = f"{current_app.config['PUBLIC_FRONTEND_URL']}/t/{tenant.slug}"
    if "verifier" in request.args:
        pending, approved = challenges.redeem(request.args["verifier"], session.browser_id(), {})
        user = db.session.get(User, pending.user_id)
        decided = device.decide(pending.device_id, user, approved)
        result = ("approved" if approved else "denied") if decided else "expired"
        response = redirect(f"{page}/device?result={result}")
        if approved:
            session.set_cookie(response, tenant, session.resume(
                tenant, user, pending.auth_time, session.current(tenant), pending.amr))
    else:
        response = _device_challenge(tenant, page)
    db.session.commit()
    return response


def _device_challenge(tenant, page: str):
    try:
        row = device.find_by_user_code(request.args.get("user_code", ""), request.remote_addr)
    except device.UserCodeThrottled:
        return redirect(f"{page}/device?error=throttled")
    if row is None:
        return redirect(f"{page}/device?error=invalid_code")
    signed_in = session.current(tenant)
    response = redirect(f"{page}/{'consent' if signed_in else 'login'}?challenge=")
    response.headers["Location"] += challenges.start(
        row.client, {}, row.scope, session.browser_id(response, tenant), signed_in,
        device_id=row.id)
    return response


@bp.post("/register")
def register_client():
    """RFC 7591 §3, while the tenant's dynamic registration is on."""
    if not registration.enabled():
        raise NotFound("Dynamic client registration is off for this tenant.")
    return _committed(authorization.create_endpoint_response("client_registration"))


@bp.route("/register/<client_id>", methods=["GET", "PUT", "DELETE"])
def manage_registration(client_id: str):
    """RFC 7592 §2, with the client's registration access token."""
    return _committed(authorization.create_endpoint_response("client_configuration"))


def _committed(response: Response) -> Response:
    """Keep what a successful request did; forget a refused one (a use of an initial access
    token included)."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@require_userinfo_token("openid")
def get_userinfo():
    grant = current_token.grant
    user = load_with_permissions(grant.user_id) if grant.user_id else None
    if user is None:
        raise Forbidden("The token does not belong to a user.")
    return dict(user_info(user, current_token.scope))


@bp.get("/sign-in/console-client")
@frontend_only
def get_console_client():
    """The tenant's first-party console client, for the frontend's own sign-in."""
    client = console_client(current_app.config["PUBLIC_FRONTEND_URL"], current_tenant().slug)
    return {"client_id": client.client_id, "redirect_uri": client.redirect_uris[0]}


@bp.get("/sign-in/tenant")
@frontend_only
def get_public_tenant():
    """The tenant's name and branding, for end-user pages without a challenge."""
    return public_view(current_tenant())


@bp.get("/sign-in/challenges/<token:challenge>")
@frontend_only
def get_challenge(challenge: str):
    return challenges.describe(challenges.find(challenge), current_tenant())


@bp.post("/sign-in/form-post/<token:reference>")
@frontend_only
def redeem_form_post(reference: str):
    """A form-post authorization response, once, for the frontend to post to the client."""
    return form_post.redeem(reference)


@bp.get("/sign-in/logout")
@frontend_only
def describe_logout():
    """A parked sign-out, for the frontend's confirmation page."""
    return logout.describe(request.args.get("request", ""))


@bp.post("/sign-in/logout")
@frontend_only
def confirm_logout():
    """The person confirmed a parked sign-out: end the session; where to go next."""
    return logout.confirm(load_body(LogoutConfirmationSchema())["request"])


@bp.post("/sign-in/challenges/<token:challenge>/login")
@frontend_only
def log_in(challenge: str):
    data = load_body(LoginSchema())
    tenant = current_tenant()
    return challenges.log_in(challenge, tenant, issuer_url(tenant), data["email"],
                             data["password"], str(data["ip"] or request.remote_addr))


@bp.post("/sign-in/challenges/<token:challenge>/second-factor")
@frontend_only
def check_second_factor(challenge: str):
    data = load_body(SecondFactorSchema())
    tenant = current_tenant()
    return challenges.second_factor(challenge, tenant, issuer_url(tenant), data,
                                    str(data["ip"] or request.remote_addr))


@bp.post("/sign-in/challenges/<token:challenge>/enrolment/totp")
@frontend_only
def begin_enrolment(challenge: str):
    return challenges.begin_enrolment(challenge, current_tenant())


@bp.post("/sign-in/challenges/<token:challenge>/enrolment/totp/confirm")
@frontend_only
def confirm_enrolment(challenge: str):
    data = load_body(EnrolmentCodeSchema())
    tenant = current_tenant()
    return challenges.confirm_enrolment(challenge, tenant, issuer_url(tenant), data["code"])


@bp.post("/sign-in/challenges/<token:challenge>/passkey/options")
@frontend_only
def begin_passkey_sign_in(challenge: str):
    """WebAuthn request options for a passwordless sign-in (404 unless the tenant allows it)."""
    return challenges.passkey_options(challenge, current_tenant())


@bp.post("/sign-in/challenges/<token:challenge>/passkey")
@frontend_only
def log_in_with_passkey(challenge: str):
    data = load_body(PasskeySignInSchema())
    tenant = current_tenant()
    return challenges.log_in_with_passkey(challenge, tenant, issuer_url(tenant),
                                          data["credential"],
                                          str(data["ip"] or request.remote_addr))


@bp.post("/sign-in/challenges/<token:challenge>/consent")
@frontend_only
def decide_consent(challenge: str):
    data = load_body(ConsentSchema())
    tenant = current_tenant()
    return challenges.decide(challenge, tenant, issuer_url(tenant), data["approve"],
                             data["remember"])


@bp.errorhandler(BadRequest)
def malformed_request(error: BadRequest):
    """A request refused before Authlib saw it (:mod:`api.edge`: NUL characters): RFC 6749
    §5.2 on the protocol endpoints, a problem document on the others. Basic credentials
    that cannot name a client are ``invalid_client``, 401 with a Basic challenge."""
    if request.endpoint not in NO_STORE_ENDPOINTS:
        return problem(400, "Bad Request", error.description)
    if isinstance(error, MalformedCredentials):
        return authorization.handle_error_response(
            None, ClientAuthenticationFailed(issuer_url(current_tenant())))
    response = current_app.json.response({"error": "invalid_request",
                                          "error_description": error.description})
    response.status_code = 400
    response.headers.update(NO_STORE)
    return response


@bp.errorhandler(OperationalError)
def database_unavailable(error):
    """RFC 6749-style body for protocol clients; never a token, never ``active: true``."""
    db.session.rollback()
    response = current_app.json.response({"error": "temporarily_unavailable",
                                          "error_description": "Try again later."})
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response
