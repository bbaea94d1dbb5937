from django.urls import path

from .views import notifications

urlpatterns = [
    path("", notifications.notification_list, name="list"),
    path("read/", notifications.notification_mark_read, name="mark_read"),
]
