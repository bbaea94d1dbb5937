"""Spend-control pages, split by subject: ``budgets.py`` (the budget list with its bars,
new, edit, allocate, delete) and ``config.py`` (categories, caps, exchange rates). Kept so
older imports of ``views.control.budget_list`` still work."""

from .budgets import budget_list  # noqa: F401
