"""API routes of calls.samples (``/api/v1/samples/``, mounted in ``sfe.api_urls``).

URL names: ``api-samples-inventory-list``, ``api-samples-ledger-list``, ``api-samples-give``,
``api-samples-orders-{list,detail}``.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("inventory", api.InventoryViewSet, basename="api-samples-inventory")
router.register("ledger", api.LedgerViewSet, basename="api-samples-ledger")
router.register("orders", api.OrderViewSet, basename="api-samples-orders")

urlpatterns = [path("give/", api.GiveView.as_view(), name="api-samples-give"), *router.urls]
