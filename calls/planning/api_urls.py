"""API routes of calls.planning (mounted in ``sfe.api_urls``); URL names start with ``api-planning-``."""

urlpatterns: list = []
