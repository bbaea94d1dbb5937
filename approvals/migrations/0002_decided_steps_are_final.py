"""A decided step can never be edited, whatever the application does: the database
refuses any UPDATE of a step once it is approved, rejected, returned or cancelled."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION approvals_step_decided_is_final() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.state IN ('approved', 'rejected', 'returned', 'cancelled') THEN
    RAISE EXCEPTION 'approval step % is decided (%) and cannot be changed', OLD.id, OLD.state
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER approvals_step_decided_is_final
BEFORE UPDATE ON approvals_approvalstep
FOR EACH ROW EXECUTE FUNCTION approvals_step_decided_is_final();
"""

REVERSE = """
DROP TRIGGER IF EXISTS approvals_step_decided_is_final ON approvals_approvalstep;
DROP FUNCTION IF EXISTS approvals_step_decided_is_final();
"""


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
