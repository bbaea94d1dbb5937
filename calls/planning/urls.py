"""Pages of calls.planning (namespace ``planning``)."""

app_name = "planning"

urlpatterns: list = []
