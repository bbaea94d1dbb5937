"""Customer pages under ``/customers/`` (namespace ``customers``); each concept keeps its own
URL module."""

from django.urls import include, path, register_converter

from .views import exports, lists, network, records, search

app_name = "customers"


class RecordKind:
    """``hcp`` or ``institution`` (so ``<kind:…>/<uuid>/stage/`` cannot shadow other pages)."""

    regex = "hcp|institution"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RecordKind, "kind")

urlpatterns = [
    path("hcps/", lists.hcp_list, name="hcp_list"),
    path("hcps/new/", records.hcp_new, name="hcp_new"),
    path("hcps/<uuid:code>/", records.hcp_detail, name="hcp_detail"),
    path("hcps/<uuid:code>/edit/", records.hcp_edit, name="hcp_edit"),
    path("institutions/", lists.institution_list, name="institution_list"),
    path("institutions/new/", records.institution_new, name="institution_new"),
    path("institutions/options/", records.institution_options, name="institution_options"),
    path("institutions/<uuid:code>/", records.institution_detail, name="institution_detail"),
    path("institutions/<uuid:code>/edit/", records.institution_edit, name="institution_edit"),
    path("<kind:kind>/<uuid:code>/stage/", records.stage_change, name="stage_change"),
    path("<kind:kind>/<uuid:code>/status/", records.record_status, name="record_status"),
    path("hcps/options/", network.hcp_options, name="hcp_options"),
    path("hcps/<uuid:code>/affiliations/", network.affiliation_add, name="affiliation_add"),
    path("hcps/<uuid:code>/kol-links/", network.kol_link_add, name="kol_link_add"),
    path("institutions/<uuid:code>/suppliers/", network.supply_add, name="supply_add"),
    path("relations/<str:kind>/<uuid:code>/end/", network.relation_end, name="relation_end"),
    path("search/", search.search, name="search"),
    path("lists/<str:list_name>/export.<str:fmt>", exports.export, name="export"),
    path("lists/<str:list_name>/bulk/", lists.bulk_action, name="bulk_action"),
    path("lists/<str:list_name>/filters/", lists.saved_filter_save, name="saved_filter_save"),
    path("filters/<uuid:code>/delete/", lists.saved_filter_delete, name="saved_filter_delete"),
    path("imports/", include("customers.urls_imports")),
    path("quality/", include("customers.urls_quality")),
    path("realignments/", include("customers.urls_realign")),
]
