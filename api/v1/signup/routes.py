"""``POST {issuer}/api/v1/signup``: public; 404 unless the tenant's ``self_signup_enabled``."""
from flask import Blueprint

from api.accounts import services
from api.accounts.schemas import SignedUpSchema, SignUpSchema
from api.frontend_key import end_user_ip
from api.rest import load_body
from api.tenancy.context import current_tenant

bp = Blueprint("user_signup", __name__)
signed_up_schema = SignedUpSchema()


@bp.post("/signup")
def sign_up():
    user = services.sign_up(current_tenant(), load_body(SignUpSchema()), end_user_ip())
    return signed_up_schema.dump(user), 201
