from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "customers.segmentation"
    label = "segmentation"
    verbose_name = _("Segmentation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.registry import Reference, register_reference

        from . import measures_builtin, nav, panel

        measures_builtin.register_builtin()
        panel.register()
        nav.register_nav()
        # A merge moves the merged record's tiers, pins, history and list memberships to the
        # survivor (rows that would repeat one of the survivor's stay behind; undo finds them).
        for kind in ("hcp", "institution"):
            register_reference(Reference("segmentation.CustomerTier", kind, kind, unique_with=("purpose", "product_line")))
            register_reference(Reference("segmentation.TierChange", kind, kind, narrow="t.span @> %(frm)s::bigint"))
            register_reference(Reference("segmentation.TargetListMember", kind, kind, unique_with=("target_list",)))
