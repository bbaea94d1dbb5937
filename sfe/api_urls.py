"""``/api/v1/`` (DRF), the OpenAPI schema at ``/api/schema/`` and its docs at ``/api/docs/``.

Every URL name starts with ``api-``. The schema and the docs need a signed-in user (any
role, any tenant: the schema is the same for everyone); the docs page is Swagger UI
from the vendored sidecar assets, with its start-up script served as a separate file
(``SpectacularSwaggerSplitView``) because the CSP forbids inline scripts.
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from approvals import api as approvals_api

router = SimpleRouter()
router.register("users", accounts_api.UserViewSet, basename="api-users")
router.register("org/nodes", accounts_api.OrgNodeViewSet, basename="api-org-nodes")
router.register("approvals/inbox", approvals_api.InboxViewSet, basename="api-approvals-inbox")
router.register("approvals/requests", approvals_api.ApprovalRequestViewSet, basename="api-approvals-requests")

v1 = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("auth/token/", accounts_api.ObtainTokenView.as_view(), name="api-token"),
    path("org/tree/", accounts_api.OrgTreeView.as_view(), name="api-org-tree"),
    path("products/", include("products.api")),
    path("customers/", include("customers.api_urls")),
    path("segmentation/", include("customers.segmentation.api_urls")),
    path("calls/", include("calls.api_urls")),
    path("plan/", include("calls.planning.api_urls")),
    path("samples/", include("calls.samples.api_urls")),
    path("coaching/", include("calls.coaching.api_urls")),
    path("expenses/", include("expenses.api_urls")),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[permissions.IsAuthenticated]),
         name="api-schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
]
