#!/bin/sh
# PostgreSQL container's first start (docker-entrypoint-initdb.d): create the runtime role
# the API connects as (DATABASE_URL). It may log in and nothing else: neither superuser nor
# BYPASSRLS, so row-level security holds against it. `flask --app api db upgrade`, run as
# the owner (POSTGRES_USER, DATABASE_ADMIN_URL), grants it the rows the app needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v password="$TESSERA_DB_PASSWORD" <<'SQL'
CREATE ROLE tessera_app LOGIN PASSWORD :'password'
    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
SQL
