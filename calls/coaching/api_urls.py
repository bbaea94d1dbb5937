"""API routes of calls.coaching (``/api/v1/coaching/``; mounted in ``sfe.api_urls``).

URL names: ``api-coaching-skills-{list,detail}``, ``api-coaching-evaluations-{list,detail,
share,acknowledge}`` (list also takes POST: create, idempotent by ``code``).
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("skills", api.SkillViewSet, basename="api-coaching-skills")
router.register("evaluations", api.EvaluationViewSet, basename="api-coaching-evaluations")

urlpatterns = router.urls
