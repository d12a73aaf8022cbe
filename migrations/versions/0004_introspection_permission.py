"""The tokens:introspect permission: owners and admins hold it, the console may ask for it.

A client registered with the ``tokens:introspect`` scope is a resource server that
may introspect any token of its tenant (RFC 7662 §4); other clients only their own.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""
import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NAME = "tokens:introspect"
HOLDERS = ("owner", "admin")
CONSOLE = "Tessera console"

permissions = sa.table("permissions", sa.column("id", sa.Uuid), sa.column("name", sa.String))
roles = sa.table("roles", sa.column("id", sa.Uuid), sa.column("name", sa.String),
                 sa.column("is_system", sa.Boolean))
role_permissions = sa.table("role_permissions", sa.column("role_id", sa.Uuid),
                            sa.column("permission_id", sa.Uuid))
clients = sa.table("clients", sa.column("id", sa.Uuid), sa.column("scope", sa.Text),
                   sa.column("client_name", sa.String), sa.column("is_first_party", sa.Boolean))


def _console_scopes(connection):
    return connection.execute(sa.select(clients.c.id, clients.c.scope).where(
        clients.c.is_first_party.is_(True), clients.c.client_name == CONSOLE)).all()


def _set_scope(connection, client_id, scopes):
    connection.execute(clients.update().where(clients.c.id == client_id)
                       .values(scope=" ".join(scopes)))


def upgrade():
    connection = op.get_bind()
    permission_id = connection.scalar(sa.select(permissions.c.id)
                                      .where(permissions.c.name == NAME))
    if permission_id is None:
        permission_id = uuid.uuid4()
        connection.execute(permissions.insert().values(id=permission_id, name=NAME))
    holders = connection.scalars(sa.select(roles.c.id).where(
        roles.c.is_system.is_(True), roles.c.name.in_(HOLDERS))).all()
    if holders:
        connection.execute(role_permissions.insert(),
                           [{"role_id": role_id, "permission_id": permission_id}
                            for role_id in holders])
    for client_id, scope in _console_scopes(connection):
        if NAME not in scope.split():
            _set_scope(connection, client_id, [*scope.split(), NAME])


def downgrade():
    connection = op.get_bind()
    for client_id, scope in _console_scopes(connection):
        _set_scope(connection, client_id, [s for s in scope.split() if s != NAME])
    permission_id = connection.scalar(sa.select(permissions.c.id)
                                      .where(permissions.c.name == NAME))
    if permission_id is not None:
        connection.execute(role_permissions.delete()
                           .where(role_permissions.c.permission_id == permission_id))
        connection.execute(permissions.delete().where(permissions.c.id == permission_id))
