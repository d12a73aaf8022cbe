"""``GET {issuer}/api/v1/me`` for user and client tokens."""
from authlib.integrations.flask_oauth2 import current_token
from flask import Blueprint

from api.me.services import describe_caller
from api.oauth.server import require_oauth

bp = Blueprint("me", __name__)


@bp.get("/me")
@require_oauth()
def get_me():
    return describe_caller(current_token)
