"""Alembic environment for Flask-Migrate: the app's metadata, on DATABASE_ADMIN_URL.

Migrations run as the admin role (DATABASE_ADMIN_URL, else DATABASE_URL), in
all-tenants mode (api.rls), so that a data migration sees every tenant's rows. Every
upgrade, downgrade or stamp then grants DATABASE_URL's role, when it is another
role, exactly the privileges the app needs (api.rls.grant_runtime_privileges), in
the same transaction.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from api import rls
from api.db import UTCDateTime

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = rls.admin_engine()
target_metadata = migrate_ext.db.metadata
config.set_main_option("sqlalchemy.url",
                       engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def render_item(type_, obj, autogen_context):
    """Render our UTC timestamp type as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    """Emit SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def moves_revision() -> bool:
    """upgrade, downgrade and stamp name a destination; current and autogenerate do not."""
    try:
        context.get_revision_argument()
    except KeyError:
        return False
    return True


def run_migrations_online():
    """Run migrations on a connection; an autogenerate with no changes writes no file."""

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # a data migration spans tenants
                connection.exec_driver_sql("SET LOCAL app.all_tenants = on")
            context.run_migrations()
            if moves_revision():
                rls.grant_runtime_privileges(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
