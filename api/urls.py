"""The URL map: which blueprint lives under which prefix.

    /health, /health/ready                       health
    /.well-known/oauth-authorization-server/t/…  RFC 8414 metadata
    /t/<slug>/…                                  one tenant's issuer: protocol endpoints
    /t/<slug>/api/v1/…                           the tenant REST API
"""
from flask import Blueprint

from api.health.routes import bp as health_bp
from api.me.routes import bp as me_bp
from api.oauth.routes import bp as oauth_bp
from api.oauth.routes import well_known_bp
from api.tenancy.context import bp as tenant_bp

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
api_v1.register_blueprint(me_bp)

tenant_bp.register_blueprint(oauth_bp)
tenant_bp.register_blueprint(api_v1)

#: Blueprints registered on the app, in order.
TOP_LEVEL = (health_bp, well_known_bp, tenant_bp)
