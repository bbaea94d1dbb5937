"""API routes of calls (``/api/v1/calls/``; mounted in ``sfe.api_urls``).

URL names: ``api-calls-calls-{list,detail}``, ``api-calls-tasks-{list,done}``.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("calls", api.CallViewSet, basename="api-calls-calls")
router.register("tasks", api.FollowUpViewSet, basename="api-calls-tasks")

urlpatterns = [*router.urls]
