"""API routes of segmentation (``/api/v1/segmentation/``; mounted in ``sfe.api_urls``).

URL names: ``api-segmentation-rules-{list,detail}``, ``api-segmentation-tiers-list``,
``api-segmentation-history-list``, ``api-segmentation-runs-{list,detail}`` (list also takes
POST: queue a run) and ``api-segmentation-pins-list``.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("rules", api.RuleViewSet, basename="api-segmentation-rules")
router.register("tiers", api.TierViewSet, basename="api-segmentation-tiers")
router.register("history", api.HistoryViewSet, basename="api-segmentation-history")
router.register("runs", api.RunViewSet, basename="api-segmentation-runs")
router.register("pins", api.PinViewSet, basename="api-segmentation-pins")

urlpatterns = router.urls
