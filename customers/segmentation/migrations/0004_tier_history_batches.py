"""Tier history as batches (``models/history.py``): the rows of before copied into batches, the
table replaced by a view of the same name and columns."""

import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models

# The rows of before, one batch per event and range of 2,000 customer ids (as a run writes them).
COPY_SQL = """
INSERT INTO segmentation_tierchangebatch
       (tenant_id, purpose, product_line_id, customer_kind, kind, run_id, by_id, at, reason, rule_version, span,
        customers, from_tiers, to_tiers, from_potential_bands, to_potential_bands, from_adoption_bands,
        to_adoption_bands, from_score_bands, to_score_bands)
SELECT tenant_id, purpose, product_line_id, CASE WHEN hcp_id IS NOT NULL THEN 'hcp' ELSE 'institution' END, kind,
       run_id, by_id, at, reason, rule_version, int8range(min(c), max(c), '[]'), array_agg(c ORDER BY c, id),
       string_agg(coalesce(nullif(from_tier, ''), '-'), '' ORDER BY c, id),
       string_agg(coalesce(nullif(to_tier, ''), '-'), '' ORDER BY c, id),
       array_agg(from_potential_band ORDER BY c, id), array_agg(to_potential_band ORDER BY c, id),
       array_agg(from_adoption_band ORDER BY c, id), array_agg(to_adoption_band ORDER BY c, id),
       array_agg(from_score_band ORDER BY c, id), array_agg(to_score_band ORDER BY c, id)
  FROM (SELECT *, coalesce(hcp_id, institution_id) AS c FROM segmentation_tierchange) t
 GROUP BY tenant_id, purpose, product_line_id, hcp_id IS NOT NULL, kind, run_id, by_id, at, reason, rule_version,
          c / 2000
 ORDER BY min(id)
"""

STORAGE_SQL = "ALTER TABLE segmentation_tierchangebatch " + ", ".join(
    f"ALTER COLUMN {c} SET STORAGE EXTERNAL" for c in (
        "customers", "from_tiers", "to_tiers", "from_potential_bands", "to_potential_bands", "from_adoption_bands",
        "to_adoption_bands", "from_score_bands", "to_score_bands"))

VIEW_SQL = """
CREATE VIEW segmentation_tierchange WITH (security_invoker = true) AS
SELECT b.id * 10000 + u.position AS id, b.id AS batch_id, u.position::integer AS position, b.span,
       b.tenant_id, b.purpose, b.product_line_id,
       CASE WHEN b.customer_kind = 'hcp' THEN u.customer END AS hcp_id,
       CASE WHEN b.customer_kind = 'institution' THEN u.customer END AS institution_id,
       translate(u.from_tier, '-', '')::varchar(1) AS from_tier,
       translate(u.to_tier, '-', '')::varchar(1) AS to_tier,
       b.kind, b.run_id, b.by_id, b.at, b.rule_version,
       u.from_potential_band, u.to_potential_band, u.from_adoption_band, u.to_adoption_band,
       u.from_score_band, u.to_score_band, b.reason
  FROM segmentation_tierchangebatch b
 CROSS JOIN LATERAL unnest(b.customers, string_to_array(b.from_tiers, NULL), string_to_array(b.to_tiers, NULL),
                           b.from_potential_bands, b.to_potential_bands, b.from_adoption_bands,
                           b.to_adoption_bands, b.from_score_bands, b.to_score_bands)
       WITH ORDINALITY AS u(customer, from_tier, to_tier, from_potential_band, to_potential_band,
                            from_adoption_band, to_adoption_band, from_score_band, to_score_band, position)
 WHERE u.customer IS NOT NULL;

CREATE FUNCTION sfe_tierchange_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c bigint := coalesce(NEW.hcp_id, NEW.institution_id);
BEGIN
  IF c IS NULL OR (NEW.hcp_id IS NULL) <> (OLD.hcp_id IS NULL) THEN
    RAISE EXCEPTION 'a tier change moves to another customer of the same kind only';
  END IF;
  IF c IS DISTINCT FROM coalesce(OLD.hcp_id, OLD.institution_id) THEN
    UPDATE segmentation_tierchangebatch b
       SET customers[OLD.position] = c,
           span = int8range(least(lower(b.span), c), greatest(upper(b.span), c + 1))
     WHERE b.id = OLD.batch_id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER sfe_tierchange_move INSTEAD OF UPDATE ON segmentation_tierchange
   FOR EACH ROW EXECUTE FUNCTION sfe_tierchange_move();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_tenant_approval_escalate_after_hours_notification'),
        ('products', '0001_initial'),
        ('segmentation', '0003_tierchange_unchecked_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='TierChangeBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('tier', 'Value tier'), ('channel_class', 'Channel customer class'), ('credit_rating', 'Distributor credit rating')], default='tier', max_length=16)),
                ('customer_kind', models.CharField(choices=[('hcp', 'HCP'), ('institution', 'Institution')], max_length=12)),
                ('kind', models.CharField(choices=[('computed', 'Recomputed'), ('pinned', 'Pinned by hand'), ('unpinned', 'Pin removed')], max_length=10)),
                ('at', models.DateTimeField()),
                ('reason', models.CharField(blank=True, default='', max_length=300)),
                ('rule_version', models.PositiveIntegerField(blank=True, null=True)),
                ('span', django.contrib.postgres.fields.ranges.BigIntegerRangeField()),
                ('customers', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
                ('from_tiers', models.TextField()),
                ('to_tiers', models.TextField()),
                ('from_potential_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('to_potential_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('from_adoption_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('to_adoption_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('from_score_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('to_score_bands', django.contrib.postgres.fields.ArrayField(base_field=models.SmallIntegerField(null=True), default=list, size=None)),
                ('by', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.membership')),
                ('product_line', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.productline')),
                ('run', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='segmentation.segmentationrun')),
                ('tenant', models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.tenant')),
            ],
            options={
                'verbose_name': 'tier changes',
                'indexes': [django.contrib.postgres.indexes.GistIndex(fields=['tenant', 'span'], name='tierbatch_tenant_span'), models.Index(fields=['tenant', 'run', 'id'], name='tierbatch_tenant_run')],
            },
        ),
        # Stored out of line and uncompressed: pglz took 1.6 s of a million-change run's
        # history write (500 batches of ~45 kB), for ~22 MB instead of ~5 MB per million.
        migrations.RunSQL(STORAGE_SQL, migrations.RunSQL.noop),
        migrations.RunSQL(COPY_SQL, migrations.RunSQL.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL("DROP TABLE segmentation_tierchange", migrations.RunSQL.noop),
                migrations.RunSQL(VIEW_SQL, "DROP VIEW segmentation_tierchange; DROP FUNCTION sfe_tierchange_move()"),
            ],
            state_operations=[
                migrations.DeleteModel(name='TierChange'),
                migrations.CreateModel(
                    name='TierChange',
                    fields=[
                        ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                        ('tenant', models.ForeignKey(db_constraint=False, db_index=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.tenant')),
                        ('batch', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='segmentation.tierchangebatch')),
                        ('position', models.PositiveIntegerField()),
                        ('span', django.contrib.postgres.fields.ranges.BigIntegerRangeField()),
                        ('purpose', models.CharField(choices=[('tier', 'Value tier'), ('channel_class', 'Channel customer class'), ('credit_rating', 'Distributor credit rating')], default='tier', max_length=16)),
                        ('product_line', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.productline')),
                        ('hcp', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.hcp')),
                        ('institution', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.institution')),
                        ('from_tier', models.CharField(blank=True, default='', max_length=1, verbose_name='from')),
                        ('to_tier', models.CharField(blank=True, default='', max_length=1, verbose_name='to')),
                        ('kind', models.CharField(choices=[('computed', 'Recomputed'), ('pinned', 'Pinned by hand'), ('unpinned', 'Pin removed')], max_length=10)),
                        ('run', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='segmentation.segmentationrun')),
                        ('by', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.membership')),
                        ('at', models.DateTimeField()),
                        ('rule_version', models.PositiveIntegerField(blank=True, null=True)),
                        ('from_potential_band', models.SmallIntegerField(blank=True, null=True)),
                        ('to_potential_band', models.SmallIntegerField(blank=True, null=True)),
                        ('from_adoption_band', models.SmallIntegerField(blank=True, null=True)),
                        ('to_adoption_band', models.SmallIntegerField(blank=True, null=True)),
                        ('from_score_band', models.SmallIntegerField(blank=True, null=True)),
                        ('to_score_band', models.SmallIntegerField(blank=True, null=True)),
                        ('reason', models.CharField(blank=True, default='', max_length=300, verbose_name='reason')),
                    ],
                    options={'verbose_name': 'tier change', 'ordering': ['-at', '-id'], 'managed': False,
                             'db_table': 'segmentation_tierchange'},
                ),
            ],
        ),
    ]
