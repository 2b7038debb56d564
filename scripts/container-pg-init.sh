#!/usr/bin/env bash
# docker-compose.yml's postgres service, once, when its data volume is new (mounted into
# /docker-entrypoint-initdb.d): the server's own role hotline_app, with the password from .env.
# Its rights come from migration 014 (rows of the application's tables, no DDL, the audit log
# append-only); the schema belongs to POSTGRES_USER, which runs the migrations.
#
# Reads: HOTLINE_PG_APP_PASSWORD (and the image's POSTGRES_USER, POSTGRES_DB).
set -euo pipefail
: "${HOTLINE_PG_APP_PASSWORD:?set HOTLINE_PG_APP_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 -v pw="${HOTLINE_PG_APP_PASSWORD}" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
create role hotline_app login nosuperuser nocreatedb nocreaterole noreplication password :'pw';
SQL
