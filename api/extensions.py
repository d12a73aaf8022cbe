"""Unbound extension singletons, initialised in :func:`api.app.create_app`."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from api.db import Base, ScopedSession
from api.sealing import Sealer

db = SQLAlchemy(model_class=Base, session_options={"class_": ScopedSession})
migrate = Migrate()
#: Encrypts tenants' private signing keys at rest.
signing_key_sealer = Sealer("tessera signing keys")
#: Encrypts form-post authorization responses (they carry codes) until the frontend posts them.
response_sealer = Sealer("tessera form-post responses")
#: Encrypts the secrets of client_secret_jwt clients (an HMAC key must be read back).
client_secret_sealer = Sealer("tessera client secrets")
#: Encrypts outbox payloads at rest (they may carry single-use links).
outbox_sealer = Sealer("tessera outbox")
#: Encrypts users' TOTP secrets (codes are computed from them, so they must be read back).
totp_sealer = Sealer("tessera totp secrets")
