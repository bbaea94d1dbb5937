"""Pages of calls.samples (namespace ``samples``)."""

app_name = "samples"

urlpatterns: list = []
