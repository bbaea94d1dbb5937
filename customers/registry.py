"""What higher apps add to the customer master, without ``customers`` importing them.

* **Timeline sources** (R3, customer 360): calls, events, expenses, sales … each app
  registers a function that returns the newest entries for one customer, in one query.
* **Panels** on the customer page: a template and a function that gives its context,
  ``context(customer, user) -> dict``, costing a fixed number of queries whatever the
  customer's history (segmentation shows tiers and tier history this way).
* **References**: every foreign key from another app to an HCP or an institution, so a
  merge moves them to the survivor (and undo moves them back) with one UPDATE each.

Register in ``AppConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime | dt.date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    icon: str = "dot"
    by: str = ""


@dataclass(frozen=True)
class TimelineSource:
    key: str
    label: str | Promise
    #: (customer, user, limit) -> list[TimelineEntry]; one query, newest first, already
    #: limited to what ``user`` may see of that source.
    fetch: Callable
    order: int = 100


@dataclass(frozen=True)
class Reference:
    """``model`` (app_label.ModelName) has a foreign key ``field`` to an HCP or institution."""

    model: str
    field: str
    kind: str  # "hcp" or "institution"
    #: Columns that, together with this field, must stay unique (the rows of the merged
    #: record that would collide are left on it, and undo finds them there).
    unique_with: tuple[str, ...] = field(default_factory=tuple)
    #: An extra SQL condition on the row ``t`` that finds the merged record's rows through an
    #: index the plain ``field = id`` cannot use (``%(frm)s`` is the merged record's id).
    narrow: str = ""


@dataclass(frozen=True)
class Panel:
    """A section of the customer page: ``{% include template %}`` with ``panel_ctx`` set to
    ``context(customer, user)`` (and the page's own ``record`` and ``kind``)."""

    key: str
    template: str
    context: Callable
    order: int = 100


_sources: dict[str, TimelineSource] = {}
_panels: dict[str, Panel] = {}
_references: dict[tuple[str, str], Reference] = {}


def register_timeline(source: TimelineSource) -> None:
    _sources[source.key] = source


def timeline_sources() -> list[TimelineSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def panels_for(customer, user) -> list[dict]:
    """What the customer page renders: each panel's template and context, in order."""
    return [{"key": p.key, "template": p.template, "context": p.context(customer, user)} for p in panels()]


def register_reference(reference: Reference) -> None:
    _references[(reference.model, reference.field)] = reference


def references(kind: str) -> list[Reference]:
    return [r for r in _references.values() if r.kind == kind]
