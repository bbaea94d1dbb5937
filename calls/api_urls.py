"""API routes of calls (``/api/v1/calls/``; mounted in ``sfe.api_urls``); URL names start with ``api-calls-``."""

urlpatterns: list = []
