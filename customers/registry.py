"""What higher apps add to the customer master, without ``customers`` importing them.

* **Timeline sources** (R3, customer 360): calls, events, expenses, sales … each app
  registers a function that returns the newest entries for one customer, in one query.
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


_sources: dict[str, TimelineSource] = {}
_references: dict[tuple[str, str], Reference] = {}


def register_timeline(source: TimelineSource) -> None:
    _sources[source.key] = source


def timeline_sources() -> list[TimelineSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


def register_reference(reference: Reference) -> None:
    _references[(reference.model, reference.field)] = reference


def references(kind: str) -> list[Reference]:
    return [r for r in _references.values() if r.kind == kind]
