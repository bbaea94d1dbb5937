"""Pages of calls.coaching (namespace ``coaching``)."""

app_name = "coaching"

urlpatterns: list = []
