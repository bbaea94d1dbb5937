"""API routes of calls.samples (mounted in ``sfe.api_urls``); URL names start with ``api-samples-``."""

urlpatterns: list = []
