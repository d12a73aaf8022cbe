"""Unbound extension singletons, initialised in :func:`api.app.create_app`."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from api.db import Base, ScopedSession

db = SQLAlchemy(model_class=Base, session_options={"class_": ScopedSession})
migrate = Migrate()
