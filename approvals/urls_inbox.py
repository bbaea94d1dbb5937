from django.urls import path

from .views import inbox

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("bulk-approve/", inbox.bulk_approve, name="bulk_approve"),
    path("mine/", inbox.my_requests, name="my_requests"),
    path("requests/<uuid:code>/", inbox.detail, name="detail"),
    path("requests/<uuid:code>/decide/", inbox.decide, name="decide"),
    path("requests/<uuid:code>/withdraw/", inbox.withdraw, name="withdraw"),
    path("requests/<uuid:code>/resubmit/", inbox.resubmit, name="resubmit"),
]
