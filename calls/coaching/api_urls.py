"""API routes of calls.coaching (mounted in ``sfe.api_urls``); URL names start with ``api-coaching-``."""

urlpatterns: list = []
