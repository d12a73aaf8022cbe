"""Clients and agents: resources (RFC 8707), device authorizations (RFC 8628), client
assertions (RFC 7523), dynamic registration (RFC 7591/7592), token exchange (RFC 8693).

The new permissions resources:read and resources:write go to the owner and admin roles
of existing tenants, and their console clients may ask for them, as new tenants have it.

On PostgreSQL the four new tenant tables get the row-level security policies of
api.rls.protect, like every tenant table (0007).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

"""
import uuid

import sqlalchemy as sa
from alembic import op

from api.rls import protect

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

NAMES = ("resources:read", "resources:write")
HOLDERS = ("owner", "admin")
CONSOLE = "Tessera console"
NEW_TENANT_TABLES = ("initial_access_tokens", "resources", "client_assertions",
                     "device_authorizations")

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


def _grant_permissions(connection):
    holders = connection.scalars(sa.select(roles.c.id).where(
        roles.c.is_system.is_(True), roles.c.name.in_(HOLDERS))).all()
    for name in NAMES:
        permission_id = connection.scalar(sa.select(permissions.c.id)
                                          .where(permissions.c.name == name))
        if permission_id is None:
            permission_id = uuid.uuid4()
            connection.execute(permissions.insert().values(id=permission_id, name=name))
        if holders:
            connection.execute(role_permissions.insert(),
                               [{"role_id": role_id, "permission_id": permission_id}
                                for role_id in holders])
    for client_id, scope in _console_scopes(connection):
        _set_scope(connection, client_id, [*scope.split(),
                                           *(n for n in NAMES if n not in scope.split())])


def _withdraw_permissions(connection):
    for client_id, scope in _console_scopes(connection):
        _set_scope(connection, client_id, [s for s in scope.split() if s not in NAMES])
    ids = connection.scalars(sa.select(permissions.c.id).where(permissions.c.name.in_(NAMES)))
    for permission_id in ids.all():
        connection.execute(role_permissions.delete()
                           .where(role_permissions.c.permission_id == permission_id))
        connection.execute(permissions.delete().where(permissions.c.id == permission_id))


def upgrade():
    _grant_permissions(op.get_bind())
    op.create_table('initial_access_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_initial_access_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initial_access_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_initial_access_tokens_token_hash'))
    )
    with op.batch_alter_table('initial_access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initial_access_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_initial_access_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('resources',
    sa.Column('identifier', sa.String(length=2000), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_resources_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources')),
    sa.UniqueConstraint('tenant_id', 'identifier', name=op.f('uq_resources_tenant_id_identifier'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('client_assertions',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('jti', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_assertions_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_client_assertions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_assertions')),
    sa.UniqueConstraint('client_id', 'jti', name=op.f('uq_client_assertions_client_id_jti'))
    )
    with op.batch_alter_table('client_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_assertions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_assertions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('device_authorizations',
    sa.Column('device_code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('resource', sa.String(length=2000), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_device_authorizations_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_device_authorizations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_authorizations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_authorizations')),
    sa.UniqueConstraint('device_code_hash', name=op.f('uq_device_authorizations_device_code_hash')),
    sa.UniqueConstraint('tenant_id', 'user_code_hash', name=op.f('uq_device_authorizations_tenant_id_user_code_hash'))
    )
    with op.batch_alter_table('device_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_authorizations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource', sa.String(length=2000), nullable=True))

    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_authorization_requests_device_id'), ['device_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_authorization_requests_device_id_device_authorizations'), 'device_authorizations', ['device_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('jwks', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('jwks_uri', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('client_secret_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('dynamically_registered', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('registration_access_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_clients_registration_access_token_hash'), ['registration_access_token_hash'])

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('exchange', sa.JSON(), nullable=True))

    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dynamic_client_registration', sa.String(length=32),
                                      nullable=False, server_default='off'))
        batch_op.add_column(sa.Column('client_registration_policy', sa.JSON(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TENANT_TABLES:
            op.execute(protect(table))


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('client_registration_policy')
        batch_op.drop_column('dynamic_client_registration')

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('exchange')
        batch_op.drop_column('resource')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_clients_registration_access_token_hash'), type_='unique')
        batch_op.drop_column('registration_access_token_hash')
        batch_op.drop_column('dynamically_registered')
        batch_op.drop_column('client_secret_sealed')
        batch_op.drop_column('jwks_uri')
        batch_op.drop_column('jwks')

    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_authorization_requests_device_id_device_authorizations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_authorization_requests_device_id'))
        batch_op.drop_column('device_id')

    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_column('resource')

    for table in ("device_authorizations", "client_assertions", "resources",
                  "initial_access_tokens"):
        op.drop_table(table)
    _withdraw_permissions(op.get_bind())
