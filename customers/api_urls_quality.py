"""API routes: data quality (``/api/v1/customers/``; views in ``customers.views.quality``)."""

from rest_framework.routers import SimpleRouter

from .views import quality

router = SimpleRouter()
router.register("changes", quality.ChangeRequestViewSet, basename="api-customers-changes")
router.register("duplicates", quality.DuplicateViewSet, basename="api-customers-duplicates")
router.register("merges", quality.MergeViewSet, basename="api-customers-merges")

urlpatterns = router.urls
