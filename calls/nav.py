"""Navigation entries of calls: the call list and tasks (reps and managers; every other
member reads the calls list too), the settings and key messages (admins)."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register


def _open_tasks(request) -> int:
    from .models import FollowUp

    today = request.tenant.today()
    return FollowUp.objects.filter(assignee=request.membership, done_at__isnull=True, due_date__lte=today).count()


def register_nav() -> None:
    register(NavItem("calls", _("Calls"), "calls:call_list", "telephone-outbound",
                     ("rep", "manager", "analyst", "admin"), order=20))
    register(NavItem("call_tasks", _("Tasks"), "calls:task_list", "check2-square", ("rep", "manager"), order=21,
                     badge=_open_tasks))
    register(NavItem("call_settings", _("Call settings"), "calls:settings", "sliders", ("admin",), order=62))
    register(NavItem("key_messages", _("Key messages"), "calls:key_messages", "chat-quote", ("admin",), order=63))
