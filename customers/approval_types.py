"""Registered in ``CustomersConfig.ready``: the request types customers bring to the engine.

* ``customer_change``: a data change request (new HCP, new institution, correction,
  deactivation), decided by whoever the chain names (usually the data stewards);
* ``alignment_challenge``: a rep asks to add or drop a customer to or from their
  territory, with a reason (usually decided by the direct manager).

The chain's ``category`` condition may pick a chain per kind of change (``new_hcp``,
``edit`` …). The hooks live in ``customers.services.changes`` and run inside the deciding
transaction.
"""

from django.utils.translation import gettext_lazy as _

from approvals import registry

from .models import ChangeRequest
from .services import changes

_COMMON = dict(low_risk=False, on_approved=changes.on_approved, on_rejected=changes.on_rejected,
               on_returned=changes.on_returned, describe=changes.describe, object_url=changes.object_url)

registry.register(registry.RequestType(
    key=changes.KEY_CHANGE, label=_("Customer data change"),
    categories=tuple((k, label) for k, label in ChangeRequest.Kind.choices if k not in changes.ALIGN_KINDS),
    **_COMMON,
))
registry.register(registry.RequestType(
    key=changes.KEY_ALIGN, label=_("Alignment challenge (add or drop a customer)"),
    categories=tuple((k, label) for k, label in ChangeRequest.Kind.choices if k in changes.ALIGN_KINDS),
    **_COMMON,
))
