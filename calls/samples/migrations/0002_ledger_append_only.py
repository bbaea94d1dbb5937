"""The ledger is append-only: deleting a move is refused, and so is changing one, except for
a customer merge (or its undo) moving ``hcp_id`` to the surviving record."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION samples_move_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'the sample ledger is append-only: a move cannot be deleted'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF (to_jsonb(NEW) - 'hcp_id') IS DISTINCT FROM (to_jsonb(OLD) - 'hcp_id') THEN
    RAISE EXCEPTION 'the sample ledger is append-only: a move cannot be changed'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER samples_move_append_only BEFORE UPDATE OR DELETE ON samples_samplemove
  FOR EACH ROW EXECUTE FUNCTION samples_move_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS samples_move_append_only ON samples_samplemove;
DROP FUNCTION IF EXISTS samples_move_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("samples", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
