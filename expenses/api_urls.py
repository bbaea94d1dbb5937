"""API routes of expenses (``/api/v1/expenses/``; mounted in ``sfe.api_urls``).

URL names: ``api-expenses-claims-{list,detail,submit,correct,receipts}`` (list also takes
POST: create, idempotent by ``code``; detail PUT, PATCH and DELETE), ``api-expenses-receipts-
{detail,file}`` (detail DELETE), ``api-expenses-budgets-{list,detail}``, ``api-expenses-caps-
{list,detail}``, ``api-expenses-categories-{list,detail}``.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("claims", api.ClaimViewSet, basename="api-expenses-claims")
router.register("receipts", api.ReceiptViewSet, basename="api-expenses-receipts")
router.register("budgets", api.BudgetViewSet, basename="api-expenses-budgets")
router.register("caps", api.CapViewSet, basename="api-expenses-caps")
router.register("categories", api.CategoryViewSet, basename="api-expenses-categories")

urlpatterns = router.urls
