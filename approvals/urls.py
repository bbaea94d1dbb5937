from django.urls import include, path

app_name = "approvals"

urlpatterns = [
    path("", include("approvals.urls_inbox")),
    path("chains/", include("approvals.urls_chains")),
    path("delegations/", include("approvals.urls_delegations")),
    path("access/", include("approvals.urls_access")),
]
