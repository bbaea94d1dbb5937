"""Call pages under ``/calls/`` (namespace ``calls``)."""

app_name = "calls"

urlpatterns: list = []
