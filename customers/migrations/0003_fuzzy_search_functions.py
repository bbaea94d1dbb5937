"""Typo-tolerant search for viewers of the whole tenant.

Under row-level security PostgreSQL uses only *leakproof* operators as index conditions,
and pg_trgm's ``%`` is not leakproof, so a trigram search of a 1,000,000-HCP tenant would
read every row. These functions run as the owner (SECURITY DEFINER; the owner role has
BYPASSRLS) and filter by the caller's tenant themselves, from the same transaction-local
``app.tenant_id`` the policies use, so they can use the tenant-leading trigram indexes and
can never return another tenant's rows (no tenant set: no rows). They return ids only;
the caller's query still applies row security and visibility.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION sfe_fuzzy_{name}(q text, lim integer) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM {table}
  WHERE tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
    AND status <> 'merged'
    AND (name_pinyin % q OR name % q OR search_alt LIKE '%' || q || '%')
  ORDER BY greatest(similarity(name_pinyin, q), similarity(name, q)) DESC, id
  LIMIT least(lim, 1000)
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_and_sort_indexes")]

    operations = [
        migrations.RunSQL(FUNCTION.format(name="hcp", table="customers_hcp"),
                          "DROP FUNCTION IF EXISTS sfe_fuzzy_hcp(text, integer)"),
        migrations.RunSQL(FUNCTION.format(name="institution", table="customers_institution"),
                          "DROP FUNCTION IF EXISTS sfe_fuzzy_institution(text, integer)"),
    ]
