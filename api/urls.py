"""The URL map: which blueprint lives under which prefix.

    /health, /health/ready                       health
    /.well-known/oauth-authorization-server/t/…  RFC 8414 metadata
    /t/<slug>/…                                  one tenant's issuer: protocol endpoints
    /t/<slug>/sign-in/…                          challenges and account links (frontend only)
    /t/<slug>/api/v1/…                           the tenant REST API
    /api/v1/tenants, /api/v1/openapi.json        sign-up, the OpenAPI document
"""
from flask import Blueprint

from api.accounts.routes import bp as accounts_bp
from api.health.routes import bp as health_bp
from api.oauth.routes import bp as oauth_bp
from api.oauth.routes import well_known_bp
from api.openapi import bp as openapi_bp
from api.rest import begin_safe_request, end_safe_request
from api.tenancy.context import bp as tenant_bp
from api.v1.audit_events.routes import bp as audit_bp
from api.v1.clients.routes import bp as clients_bp
from api.v1.factors.routes import bp as factors_bp
from api.v1.initial_access_tokens.routes import bp as initial_access_tokens_bp
from api.v1.me.routes import bp as me_bp
from api.v1.passkeys.routes import bp as passkeys_bp
from api.v1.projects.routes import bp as projects_bp
from api.v1.resources.routes import bp as resources_bp
from api.v1.roles.routes import bp as roles_bp
from api.v1.tenant.routes import bp as tenant_settings_bp
from api.v1.tenant.routes import signup_bp
from api.v1.tokens.routes import bp as tokens_bp
from api.v1.signup.routes import bp as user_signup_bp
from api.v1.users.routes import bp as users_bp

#: The tenant REST API, one blueprint per resource.
RESOURCES = (me_bp, passkeys_bp, tenant_settings_bp, users_bp, roles_bp, clients_bp, tokens_bp,
             audit_bp, projects_bp, resources_bp, initial_access_tokens_bp, user_signup_bp,
             factors_bp)

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
api_v1.before_request(begin_safe_request)
api_v1.teardown_request(end_safe_request)
for resource in RESOURCES:
    api_v1.register_blueprint(resource)

tenant_bp.register_blueprint(oauth_bp)
tenant_bp.register_blueprint(accounts_bp)
tenant_bp.register_blueprint(api_v1)

#: Blueprints registered on the app, in order.
TOP_LEVEL = (health_bp, well_known_bp, signup_bp, openapi_bp, tenant_bp)
