"""Schema invariants applied after every ``migrate``, as the owner role.

For every concrete tenant-owned model (a subclass of ``TenantOwned``):

* row-level security enabled **and forced**, with one policy that compares ``tenant_id``
  with the transaction-local ``app.tenant_id`` (no tenant → no rows, no writes);
* a unique ``(tenant_id, id)`` index and, for every foreign key to another tenant-owned
  table, a composite foreign key ``(tenant_id, fk) → (tenant_id, id)``, so a row can
  never reference a row of another tenant whatever the application does; Django's own
  single-column key on that column is dropped (the composite one implies it: one check per
  row and key instead of two);
* the audit triggers (``sfe_audit_insert``, ``_update``, ``_delete``): statement-level, with
  transition tables, so one statement writes its audit rows in one ``INSERT … SELECT`` (a
  100,000-row import or seed pays for one set-based insert, not 100,000 function calls);
  still one audit row per row created, changed (only if a column changed) or deleted. A
  change stores ``{column: [old, new]}`` for the columns that changed; a creation or a
  deletion stores the row itself, ``{column: value}`` (building pairs for every column of
  every new row doubled the cost of a bulk load; ``AuditEvent.change_rows`` reads both). The
  function is ``SECURITY DEFINER``, owned by the owner role: the application role cannot
  insert, update or delete audit rows itself. A model that sets ``audit_trigger = False``
  (derived rows whose history lives elsewhere) gets no trigger, and any left from before
  are dropped. The tenant and user tables keep the row-level ``sfe_audit`` (a user's tenant
  comes from its membership; the password is masked).

Then the grants: the application role gets DML on every table except the audit table
(SELECT only), and nothing else. The step is idempotent; a test finds every table with a
``tenant_id`` column on its own and checks the result, so a table created some other way
fails it.
"""

from __future__ import annotations

import hashlib
import logging

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models

log = logging.getLogger(__name__)

POLICY = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"

AUDIT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION sfe_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  excluded text[] := string_to_array(TG_ARGV[0], ',');
  masked text[] := string_to_array(TG_ARGV[1], ',');
  tenant_from text := TG_ARGV[2];
  o jsonb; n jsonb; r jsonb; diff jsonb; tid bigint; m text;
BEGIN
  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD) - excluded; END IF;
  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW) - excluded; END IF;
  FOREACH m IN ARRAY coalesce(masked, '{}') LOOP
    IF o ? m THEN o := jsonb_set(o, ARRAY[m], to_jsonb(left(md5(o->>m), 8))); END IF;
    IF n ? m THEN n := jsonb_set(n, ARRAY[m], to_jsonb(left(md5(n->>m), 8))); END IF;
  END LOOP;
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(key, jsonb_build_array(o->key, value)) INTO diff
      FROM jsonb_each(n) WHERE n->key IS DISTINCT FROM o->key;
    IF diff IS NULL THEN RETURN NULL; END IF;
  ELSIF TG_OP = 'INSERT' THEN
    diff := n;  -- a created row: its values (AuditEvent.change_rows reads both shapes)
  ELSE
    diff := o;  -- a deleted row: its last values
  END IF;
  r := coalesce(n, o);
  IF tenant_from = 'self' THEN
    tid := (r->>'id')::bigint;
  ELSIF tenant_from = 'membership' THEN
    SELECT tenant_id INTO tid FROM accounts_membership WHERE user_id = (r->>'id')::bigint;
  ELSE
    tid := (r->>'tenant_id')::bigint;
  END IF;
  INSERT INTO core_auditevent (tenant_id, at, table_name, row_id, row_code, action, changes,
                               actor_id, request_id, reason, txid)
  VALUES (tid, clock_timestamp(), TG_TABLE_NAME, (r->>'id')::bigint, (r->>'code')::uuid,
          left(TG_OP, 1), coalesce(diff, '{}'::jsonb),
          NULLIF(current_setting('app.actor_id', true), '')::bigint,
          NULLIF(current_setting('app.request_id', true), ''),
          NULLIF(current_setting('app.reason', true), ''),
          txid_current());
  IF TG_TABLE_NAME = 'accounts_membership' AND TG_OP = 'INSERT' THEN
    -- The user row is inserted before its membership: give its audit rows the tenant now.
    UPDATE core_auditevent SET tenant_id = tid
     WHERE table_name = 'accounts_user' AND row_id = (r->>'user_id')::bigint AND tenant_id IS NULL;
  END IF;
  RETURN NULL;
END
$fn$;
"""

AUDIT_ROWS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION sfe_audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  excluded text[] := string_to_array(TG_ARGV[0], ',');
  actor bigint := NULLIF(current_setting('app.actor_id', true), '')::bigint;
  req text := NULLIF(current_setting('app.request_id', true), '');
  why text := NULLIF(current_setting('app.reason', true), '');
BEGIN
  -- One statement per firing; the transition tables are sfe_new / sfe_old. Each subquery that
  -- builds a row's JSON ends in OFFSET 0, so it is not pulled up into the outer SELECT: pulled
  -- up, to_jsonb(row) was computed again for every reference to it (four times per created
  -- row: 100,000 audit rows took 6.6 s, built once 1.9 s).
  IF TG_OP = 'INSERT' THEN
    INSERT INTO core_auditevent (tenant_id, at, table_name, row_id, row_code, action, changes,
                                 actor_id, request_id, reason, txid)
    SELECT (j->>'tenant_id')::bigint, clock_timestamp(), TG_TABLE_NAME, (j->>'id')::bigint, (j->>'code')::uuid, 'I',
           j, actor, req, why, txid_current()
      FROM (SELECT to_jsonb(n) - excluded AS j FROM sfe_new n OFFSET 0) s;
    IF TG_TABLE_NAME = 'accounts_membership' THEN
      -- The user row is inserted before its membership: give its audit rows the tenant now.
      -- (The ANY over the new user ids keeps it an index search whatever the planner guesses
      -- of the transition table, which has no statistics.)
      UPDATE core_auditevent a SET tenant_id = m.tenant_id
        FROM (SELECT (to_jsonb(n)->>'user_id')::bigint AS user_id, (to_jsonb(n)->>'tenant_id')::bigint AS tenant_id
                FROM sfe_new n) m
       WHERE a.tenant_id IS NULL AND a.table_name = 'accounts_user' AND a.row_id = m.user_id
         AND a.row_id = ANY (ARRAY(SELECT (to_jsonb(n)->>'user_id')::bigint FROM sfe_new n));
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO core_auditevent (tenant_id, at, table_name, row_id, row_code, action, changes,
                                 actor_id, request_id, reason, txid)
    SELECT (s.nj->>'tenant_id')::bigint, clock_timestamp(), TG_TABLE_NAME, (s.nj->>'id')::bigint, (s.nj->>'code')::uuid,
           'U', d.diff, actor, req, why, txid_current()
      FROM (SELECT to_jsonb(n) - excluded AS nj, to_jsonb(o) - excluded AS oj
              FROM sfe_new n JOIN sfe_old o ON o.id = n.id OFFSET 0) s
     CROSS JOIN LATERAL (SELECT jsonb_object_agg(key, jsonb_build_array(s.oj->key, value)) AS diff
                           FROM jsonb_each(s.nj) WHERE s.nj->key IS DISTINCT FROM s.oj->key) d
     WHERE d.diff IS NOT NULL;
  ELSE
    INSERT INTO core_auditevent (tenant_id, at, table_name, row_id, row_code, action, changes,
                                 actor_id, request_id, reason, txid)
    SELECT (j->>'tenant_id')::bigint, clock_timestamp(), TG_TABLE_NAME, (j->>'id')::bigint, (j->>'code')::uuid, 'D',
           j, actor, req, why, txid_current()
      FROM (SELECT to_jsonb(o) - excluded AS j FROM sfe_old o OFFSET 0) s;
  END IF;
  RETURN NULL;
END
$fn$;
"""

USER_TENANT_FUNCTION = """
CREATE OR REPLACE FUNCTION sfe_user_tenant(p_user bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$fn$ SELECT tenant_id FROM accounts_membership WHERE user_id = p_user AND is_active $fn$;
REVOKE ALL ON FUNCTION sfe_user_tenant(bigint) FROM PUBLIC;
CREATE OR REPLACE FUNCTION sfe_user_membership(p_user bigint) RETURNS SETOF accounts_membership
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$fn$ SELECT * FROM accounts_membership WHERE user_id = p_user AND is_active $fn$;
REVOKE ALL ON FUNCTION sfe_user_membership(bigint) FROM PUBLIC;
"""


def tenant_owned_models() -> list[type[models.Model]]:
    from .models import TenantOwned

    return [
        m for m in apps.get_models()
        if issubclass(m, TenantOwned) and m._meta.managed and not m._meta.proxy
    ]


def _name(*parts: str) -> str:
    name = "_".join(parts)
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_owner(connection) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tableowner = current_user FROM pg_tables "
            "WHERE tablename = 'django_migrations' AND schemaname = current_schema()"
        )
        row = cur.fetchone()
    return bool(row and row[0])


def _drop_single_column_keys(table: str, column: str) -> str:
    """Drop Django's own foreign key on ``column`` once the composite one exists: with
    ``tenant_id`` NOT NULL, ``(tenant_id, column) → (tenant_id, id)`` holds only if
    ``column → id`` does, and both are NO ACTION and deferred, so the single-column key only
    doubled the checks (every inserted row checked each of its keys twice at commit: a
    million-HCP seed spent a minute on them). A later ``AlterField`` may add it back (Django
    drops the keys it finds and recreates its own); the next ``migrate`` drops it again."""
    return (
        f"DO $do$ DECLARE c name; BEGIN FOR c IN SELECT k.conname FROM pg_constraint k "
        f"JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attname = '{column}' "
        f"WHERE k.conrelid = '{_qi(table)}'::regclass AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum]::int2[] "
        f"LOOP EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', '{table}', c); END LOOP; END $do$"
    )


def statements_for(model: type[models.Model]) -> list[str]:
    from .models import AuditEvent, TenantOwned

    table = model._meta.db_table
    t = _qi(table)
    key = _qi(_name(table, "tenant_id_key"))
    sql = [
        f"CREATE UNIQUE INDEX IF NOT EXISTS {key} ON {t} (tenant_id, id)" if getattr(model, "tenant_key", True)
        else f"DROP INDEX IF EXISTS {key}",
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {t}",
        f"CREATE POLICY {POLICY} ON {t} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.name == "tenant" or not field.db_constraint:
            continue
        target = field.related_model
        if not (isinstance(target, type) and issubclass(target, TenantOwned)):
            continue
        if not getattr(target, "tenant_key", True):
            raise ImproperlyConfigured(f"{model.__name__}.{field.name} points at {target.__name__}, which has no "
                                       "(tenant_id, id) key (tenant_key = False): make it db_constraint=False")
        raw = _name(table, field.column, "tfk")
        sql.append(
            f"DO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{raw}') THEN "
            f"ALTER TABLE {t} ADD CONSTRAINT {_qi(raw)} FOREIGN KEY (tenant_id, {_qi(field.column)}) "
            f"REFERENCES {_qi(target._meta.db_table)} (tenant_id, id) DEFERRABLE INITIALLY DEFERRED; "
            f"END IF; END $do$"
        )
        sql.append(_drop_single_column_keys(table, field.column))
    if model is not AuditEvent:
        sql.append(f"DROP TRIGGER IF EXISTS sfe_audit ON {t}")  # the row-level trigger of before
        if getattr(model, "audit_trigger", True):
            sql += audit_statement_triggers(table, getattr(model, "audit_exclude", ()))
        else:  # opted out: no audit (and none left from before)
            sql += [f"DROP TRIGGER IF EXISTS {name} ON {t}" for name in AUDIT_TRIGGERS.values()]
    return sql


AUDIT_TRIGGERS = {"INSERT": "sfe_audit_insert", "UPDATE": "sfe_audit_update", "DELETE": "sfe_audit_delete"}


def audit_statement_triggers(table: str, exclude) -> list[str]:
    """The three statement-level audit triggers of a tenant table (transition tables cannot
    serve a trigger of several events)."""
    arg = "'" + ",".join(exclude) + "'"
    referencing = {"INSERT": "NEW TABLE AS sfe_new", "UPDATE": "OLD TABLE AS sfe_old NEW TABLE AS sfe_new",
                   "DELETE": "OLD TABLE AS sfe_old"}
    return [
        f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {_qi(table)} REFERENCING {referencing[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION sfe_audit_rows({arg})"
        for event, name in AUDIT_TRIGGERS.items()
    ]


def _audit_trigger(table: str, exclude, masked, tenant_from: str) -> str:
    args = ", ".join(f"'{a}'" for a in (",".join(exclude), ",".join(masked), tenant_from))
    return (
        f"CREATE OR REPLACE TRIGGER sfe_audit AFTER INSERT OR UPDATE OR DELETE ON {_qi(table)} "
        f"FOR EACH ROW EXECUTE FUNCTION sfe_audit({args})"
    )


def apply_schema_invariants(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver; runs once per migrate (on the core app's signal)."""
    if sender is not None and getattr(sender, "label", None) != "core":
        return
    connection = connections[using]
    if not is_owner(connection):
        return  # e.g. a test flush emitting post_migrate as the application role
    from accounts.models import Tenant, User

    from .models import AuditEvent

    app_role = _qi(settings.APP_DB_ROLE)
    statements = [AUDIT_FUNCTION, AUDIT_ROWS_FUNCTION, USER_TENANT_FUNCTION]
    per_model = [statements_for(model) for model in tenant_owned_models()]
    # Every (tenant_id, id) key first: a composite foreign key may point at a table that
    # comes later in the list.
    statements += [sql[0] for sql in per_model]
    for sql in per_model:
        statements += sql[1:]
    statements.append(_audit_trigger(Tenant._meta.db_table, (), (), "self"))
    statements.append(_audit_trigger(User._meta.db_table, ("last_login",), ("password",), "membership"))
    if settings.APP_DB_ROLE != settings.OWNER_DB_ROLE:
        audit = _qi(AuditEvent._meta.db_table)
        statements += [
            f"GRANT USAGE ON SCHEMA public TO {app_role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role}",
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {audit} FROM {app_role}",
            f"GRANT EXECUTE ON FUNCTION sfe_user_tenant(bigint) TO {app_role}",
            f"GRANT EXECUTE ON FUNCTION sfe_user_membership(bigint) TO {app_role}",
        ]
        if connection.pg_version >= 170000:
            # ANALYZE (and VACUUM) of the tables: a bulk load (seed_demo, an import) gives the
            # planner statistics for its own rows before it queries them, in its transaction.
            statements.append(f"GRANT MAINTAIN ON ALL TABLES IN SCHEMA public TO {app_role}")
        if getattr(settings, "SFE_TEST_GRANT_TRUNCATE", False):
            # Test databases only (set by tests/conftest.py): transactional tests empty
            # tables with TRUNCATE, which ignores row security and is never granted in production.
            statements.append(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app_role}")
    with connection.cursor() as cur:
        for stmt in statements:
            cur.execute(stmt)
    log.info("schema invariants applied to %d tenant-owned tables", len(tenant_owned_models()))
