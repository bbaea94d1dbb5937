from django.urls import path

from .views import audit

urlpatterns = [
    path("", audit.audit_list, name="list"),
    path("<str:table>/<uuid:code>/", audit.audit_record, name="record"),
]
