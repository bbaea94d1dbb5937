"""``/api/v1/customers/``: each concept registers its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("customers.api_urls_main")),
    path("", include("customers.api_urls_quality")),
    path("", include("customers.api_urls_imports")),
    path("", include("customers.api_urls_realign")),
]
