"""Saving rules and the tenant's segmentation settings (analysts and admins, checked by the
views; these services check the input)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models.choices import CustomerKind

from ..definition import validate_definition
from ..models import Purpose, SegmentationRule, SegmentationSettings
from .recompute import sync_customer_tiers

WEIGHTS_TOTAL_MAX = 10_000


def settings_get() -> SegmentationSettings:
    """The tenant's settings (an unsaved row with the defaults if it has none)."""
    return SegmentationSettings.objects.select_related("primary_product_line").first() or SegmentationSettings()


@transaction.atomic
def settings_update(*, primary_product_line=..., weights_total=..., by=None) -> SegmentationSettings:
    """Change what is given (``...`` = leave as is). A new primary product line brings the
    customers' ``tier`` column in step with that line's tiers at once (one UPDATE per kind)."""
    settings = SegmentationSettings.objects.select_for_update().first() or SegmentationSettings()
    fields = []
    if weights_total is not ...:
        if weights_total in ("", None):
            weights_total = None
        else:
            try:
                weights_total = int(weights_total)
            except (TypeError, ValueError):
                raise ValidationError({"weights_total": _("Give a whole number, or leave it empty.")}) from None
            if not 1 <= weights_total <= WEIGHTS_TOTAL_MAX:
                raise ValidationError({"weights_total": _("Give a whole number from 1 to %(max)s.")
                                       % {"max": WEIGHTS_TOTAL_MAX}})
        settings.weights_total = weights_total
        fields.append("weights_total")
    line_changed = False
    if primary_product_line is not ...:
        line_changed = settings.primary_product_line_id != (primary_product_line.pk if primary_product_line else None)
        settings.primary_product_line = primary_product_line
        fields.append("primary_product_line")
    settings.save()
    if line_changed and settings.primary_product_line_id:
        for kind in (CustomerKind.HCP, CustomerKind.INSTITUTION):
            sync_customer_tiers(product_line_id=settings.primary_product_line_id, kind=kind)
    return settings


def _shape(purpose: str, product_line, kind: str) -> None:
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    if kind not in CustomerKind.values:
        raise ValidationError({"kind": _("Choose HCPs or institutions.")})
    if purpose == Purpose.TIER and product_line is None:
        raise ValidationError({"product_line": _("Choose the product line.")})
    if purpose != Purpose.TIER and (product_line is not None or kind != CustomerKind.INSTITUTION):
        raise ValidationError({"kind": _("Channel classes and credit ratings are for institutions, across product lines.")})


@transaction.atomic
def rule_save(*, kind: str, definition, by, product_line=None, purpose: str = Purpose.TIER, name: str = "",
              is_active: bool = True) -> SegmentationRule:
    """Create or change the rule of (purpose, product line, kind). The definition is checked
    (``definition.validate_definition``; the weights against the tenant's required total)
    and stored normalised; a changed definition counts up ``version``. Saving what is there
    already changes nothing."""
    _shape(purpose, product_line, kind)
    name = (name or "").strip()
    if len(name) > 120:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 120}})
    clean = validate_definition(definition, kind=kind, purpose=purpose, weights_total=settings_get().weights_total)
    rule = (SegmentationRule.objects.select_for_update()
            .filter(purpose=purpose, product_line=product_line, kind=kind).order_by("pk").first())
    if rule is None:
        return SegmentationRule.objects.create(purpose=purpose, product_line=product_line, kind=kind, name=name,
                                               definition=clean, is_active=is_active, created_by=by, updated_by=by)
    if rule.definition == clean and rule.name == name and rule.is_active == is_active:
        return rule
    if rule.definition != clean:
        rule.version += 1
    rule.definition, rule.name, rule.is_active, rule.updated_by = clean, name, is_active, by
    rule.save(update_fields=["definition", "version", "name", "is_active", "updated_by", "updated_at"])
    return rule


@transaction.atomic
def rule_set_active(*, rule: SegmentationRule, is_active: bool, by) -> SegmentationRule:
    """Switch a rule off (its tiers stay as they are, no run touches them) or on again."""
    rule = SegmentationRule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_active != is_active:
        rule.is_active, rule.updated_by = is_active, by
        rule.save(update_fields=["is_active", "updated_by", "updated_at"])
    return rule
