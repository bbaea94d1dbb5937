"""Navigation entries of expenses: the claims (reps, managers, analysts, admins, finance) and
the finance export (finance, admins). No badge: it would cost every page a query."""

from django.utils.translation import gettext_lazy as _


def register_nav(register, NavItem) -> None:  # noqa: N803 - the class is passed in by hooks.register
    register(NavItem("expenses", _("Expenses"), "expenses:claim_list", "receipt",
                     ("rep", "manager", "analyst", "admin", "finance"), order=50))
    register(NavItem("expenses_export", _("Expense export"), "expenses:export", "file-earmark-spreadsheet",
                     ("finance", "admin"), order=52))
