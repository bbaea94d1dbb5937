"""Navigation entries of expenses: the claims (reps, managers, analysts, admins, finance), the
finance export, budgets, the spend-control set-up (caps, with tabs to categories and rates),
the spend-against-value flags and the transfer-of-value report. No badge: it would cost every
page a query."""

from django.utils.translation import gettext_lazy as _


def register_nav(register, NavItem) -> None:  # noqa: N803 - the class is passed in by hooks.register
    register(NavItem("expenses", _("Expenses"), "expenses:claim_list", "receipt",
                     ("rep", "manager", "analyst", "admin", "finance"), order=50))
    register(NavItem("expenses_export", _("Expense export"), "expenses:export", "file-earmark-spreadsheet",
                     ("finance", "admin"), order=52))
    register(NavItem("expenses_budgets", _("Budgets"), "expenses:budget_list", "piggy-bank",
                     ("manager", "analyst", "admin", "finance"), order=54))
    register(NavItem("expense_flags", _("Spend against value"), "expenses:flag_list", "exclamation-diamond",
                     ("manager", "analyst", "admin"), order=55))
    register(NavItem("expense_transfers", _("Transfers of value"), "expenses:transfer_report", "journal-text",
                     ("finance", "admin", "analyst"), order=56))
    register(NavItem("expenses_caps", _("Spend caps"), "expenses:cap_list", "shield-exclamation",
                     ("admin", "finance"), order=64))
