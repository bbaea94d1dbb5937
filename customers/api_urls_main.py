"""API routes: institutions, HCPs, search, timeline (``/api/v1/customers/``).

URL names: ``api-customers-hcps-{list,detail,stage,timeline}``,
``api-customers-institutions-{list,detail,stage,timeline}`` and ``api-customers-search``.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("hcps", api.HcpViewSet, basename="api-customers-hcps")
router.register("institutions", api.InstitutionViewSet, basename="api-customers-institutions")

urlpatterns = [
    path("search/", api.SearchView.as_view(), name="api-customers-search"),
    *router.urls,
]
