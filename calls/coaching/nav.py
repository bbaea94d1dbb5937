"""Navigation entries of coaching: evaluations (reps, managers, analysts, admins), trends,
and the skills (admins). No badge: it would cost every rep page a query (the today page
has a budget of three); a shared evaluation arrives as a notification instead."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register


def register_nav() -> None:
    register(NavItem("coaching", _("Coaching"), "coaching:evaluation_list", "clipboard-check",
                     ("rep", "manager", "analyst", "admin"), order=46))
    register(NavItem("coaching_trends", _("Coaching trends"), "coaching:trends", "graph-up",
                     ("rep", "manager", "analyst", "admin"), order=47))
    register(NavItem("coaching_skills", _("Coaching skills"), "coaching:skill_list", "list-check",
                     ("admin",), order=92))
