"""Pages of expenses under ``/expenses/`` (namespace ``expenses``); each area keeps its own list."""

from .urls_claims import urlpatterns as claims
from .urls_control import urlpatterns as control
from .urls_reports import urlpatterns as reports

app_name = "expenses"

urlpatterns = [*control, *reports, *claims]
