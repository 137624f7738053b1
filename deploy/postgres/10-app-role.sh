#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the app's own role, with data rights only.
# Migrations (the `migrate` service) run as the database's owner, POSTGRES_USER; the app nodes and the
# background processes connect as vrm_app, which can read and write rows but not change the schema.
# Tables the owner creates later get the same rights (ALTER DEFAULT PRIVILEGES).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<EOSQL
CREATE ROLE vrm_app LOGIN PASSWORD '${VRM_APP_DB_PASSWORD}';
GRANT CONNECT ON DATABASE "${POSTGRES_DB}" TO vrm_app;
GRANT USAGE ON SCHEMA public TO vrm_app;
ALTER DEFAULT PRIVILEGES FOR ROLE "${POSTGRES_USER}" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vrm_app;
ALTER DEFAULT PRIVILEGES FOR ROLE "${POSTGRES_USER}" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO vrm_app;
EOSQL
