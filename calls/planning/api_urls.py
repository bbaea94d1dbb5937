"""API routes of calls.planning (``/api/v1/plan/``; mounted in ``sfe.api_urls``).

URL names: ``api-planning-targets-list``, ``api-planning-cycles-{list,detail}``,
``api-planning-plans-{list,detail,propose,submit}``, ``api-planning-visits-{list,move}``.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("targets", api.TargetViewSet, basename="api-planning-targets")
router.register("cycles", api.CycleViewSet, basename="api-planning-cycles")
router.register("plans", api.PlanViewSet, basename="api-planning-plans")
router.register("visits", api.VisitViewSet, basename="api-planning-visits")

urlpatterns = router.urls
