-- Run once by the postgres image on first start (docker-entrypoint-initdb.d).
-- Two roles, as in the embedded default: the owner runs migrations (and bypasses
-- row-level security for the named platform jobs); the application role owns nothing
-- and is subject to row-level security.
CREATE ROLE sfe_owner LOGIN PASSWORD 'sfe_owner' CREATEDB BYPASSRLS;
CREATE ROLE sfe_app LOGIN PASSWORD 'sfe_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE sfe OWNER sfe_owner;
\connect sfe
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS unaccent;
GRANT CONNECT ON DATABASE sfe TO sfe_app;
