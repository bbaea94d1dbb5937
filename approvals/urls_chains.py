from django.urls import path

from .views import chains

urlpatterns = [
    path("", chains.chains, name="chains"),
    path("new/", chains.chain_create, name="chain_create"),
    path("<uuid:code>/", chains.chain_edit, name="chain_edit"),
    path("<uuid:code>/deactivate/", chains.chain_deactivate, name="chain_deactivate"),
    path("<uuid:code>/activate/", chains.chain_activate, name="chain_activate"),
]
