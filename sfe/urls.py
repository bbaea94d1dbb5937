from django.contrib import admin
from django.urls import include, path

from sfe.core.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("", include("sfe.api_urls")),
    path("approvals/", include("approvals.urls")),
    path("products/", include("products.urls")),
    path("customers/", include("customers.urls")),
    path("segmentation/", include("customers.segmentation.urls")),
    path("calls/", include("calls.urls")),
    path("plan/", include("calls.planning.urls")),
    path("samples/", include("calls.samples.urls")),
    path("coaching/", include("calls.coaching.urls")),
    path("expenses/", include("expenses.urls")),
    path("", include("calls.offline")),  # /sw.js (service worker, site-wide scope) and /offline/
    path("", include("accounts.urls")),
]
