"""Call pages under ``/calls/`` (namespace ``calls``)."""

from django.urls import path

from .views import admin, calls, form, tasks

app_name = "calls"

urlpatterns = [
    path("", calls.call_list, name="call_list"),
    path("new/", form.call_new, name="call_new"),
    path("hcps/", form.hcp_options, name="hcp_options"),
    path("<uuid:code>/", calls.call_detail, name="call_detail"),
    path("<uuid:code>/edit/", form.call_edit, name="call_edit"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<uuid:code>/done/", tasks.task_done, name="task_done"),
    path("settings/", admin.settings_view, name="settings"),
    path("key-messages/", admin.key_messages, name="key_messages"),
    path("key-messages/<uuid:code>/", admin.key_message_change, name="key_message_change"),
]
