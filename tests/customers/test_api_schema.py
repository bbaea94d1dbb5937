"""The OpenAPI schema stays valid and free of drf-spectacular warnings and errors with the
customer endpoints in it (their enums are named components, so no naming collision with
other apps' ``status`` or ``kind``)."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

PATHS = [
    "/api/v1/customers/hcps/", "/api/v1/customers/hcps/{code}/", "/api/v1/customers/hcps/{code}/stage/",
    "/api/v1/customers/hcps/{code}/timeline/", "/api/v1/customers/institutions/",
    "/api/v1/customers/institutions/{code}/", "/api/v1/customers/institutions/{code}/stage/",
    "/api/v1/customers/institutions/{code}/timeline/", "/api/v1/customers/search/",
]


def _schema() -> tuple[dict, dict, dict]:
    GENERATOR_STATS.reset()
    with translation.override("en"), GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings, errors = dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return schema, warnings, errors


OURS = ("customers/api.py", "customers/serializers.py", "customers/api_urls_main.py", "[HcpViewSet]",
        "[InstitutionViewSet]", "[SearchView]")


def test_the_customer_endpoints_add_no_warning():
    _schema_, warnings, errors = _schema()
    ours = [m for m in [*warnings, *errors] if any(o in m for o in OURS)]
    assert not ours, ours


def test_schema_generates_without_warnings_and_validates():
    """The whole schema (every app's endpoints): no warning, no error, valid OpenAPI 3."""
    schema, warnings, errors = _schema()
    assert not errors, errors
    assert not warnings, warnings
    validate_schema(schema)


def test_customer_paths_methods_and_parameters():
    schema, _w, _e = _schema()
    paths = schema["paths"]
    for p in PATHS:
        assert p in paths, p
    assert set(paths["/api/v1/customers/hcps/"]) >= {"get", "post"}
    assert set(paths["/api/v1/customers/hcps/{code}/"]) == {"get", "patch", "parameters"} or set(
        paths["/api/v1/customers/hcps/{code}/"]) == {"get", "patch"}
    params = {p["name"] for p in paths["/api/v1/customers/hcps/"]["get"]["parameters"]}
    assert params >= {"q", "sort", "stage", "tier", "specialty", "city", "territory", "mine", "kol", "target", "show",
                      "page", "page_size"}
    params = {p["name"] for p in paths["/api/v1/customers/institutions/"]["get"]["parameters"]}
    assert params >= {"q", "kind", "grade", "province", "city", "territory", "mine", "show", "page"}
    listing = paths["/api/v1/customers/hcps/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    page = schema["components"]["schemas"][listing["$ref"].rsplit("/", 1)[1]]
    assert {"count", "count_capped", "next", "previous", "results"} <= set(page["properties"])
    components = schema["components"]["schemas"]
    for name in ("CustomerStage", "CustomerStatus", "InstitutionKind", "HcpTitle", "HcpSpecialty"):
        assert "enum" in components[name], name
    assert "id" not in components["HcpDetail"]["properties"]
