#!/bin/sh
# First start of the compose file's PostgreSQL (docker-compose.yml mounts this file into
# /docker-entrypoint-initdb.d/, which the postgres image runs once, on an empty data volume, as
# the superuser it was given in POSTGRES_USER). The same least-privilege split as the local
# launcher (deploy/postgres/roles.py):
# - the superuser only administers;
# - backbone_app owns the backbone's database and is what every backbone process connects as:
#   no superuser, no CREATEDB/CREATEROLE/REPLICATION, so no COPY ... FROM PROGRAM;
# - backbone_reader may connect and SELECT the read models the projection grants it (the
#   dashboard and reports).
# The passwords come from the container's environment (.env), read by psql's \getenv: they are
# never on a command line.
set -eu
: "${POSTGRES_APP_PASSWORD:?POSTGRES_APP_PASSWORD is not set (see README, With Docker)}"
: "${POSTGRES_READER_PASSWORD:?POSTGRES_READER_PASSWORD is not set (see README, With Docker)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv app_password POSTGRES_APP_PASSWORD
\getenv reader_password POSTGRES_READER_PASSWORD
CREATE ROLE backbone_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  INHERIT PASSWORD :'app_password';
CREATE ROLE backbone_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  INHERIT PASSWORD :'reader_password';
CREATE DATABASE backbone OWNER backbone_app;
REVOKE ALL ON DATABASE backbone FROM PUBLIC;
GRANT CONNECT ON DATABASE backbone TO backbone_reader;
\connect backbone
ALTER SCHEMA public OWNER TO backbone_app;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO backbone_reader;
SQL
