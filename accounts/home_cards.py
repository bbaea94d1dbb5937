"""Cards that higher apps add to the home page (in their AppConfig.ready()), so accounts
never imports them: ``register(HomeCard(...))``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomeCard:
    key: str
    template: str
    #: request -> context dict for the template, or None to hide the card.
    context: Callable
    roles: tuple[str, ...] = ()  # empty: every member
    order: int = 100


_cards: list[HomeCard] = []


def register(card: HomeCard) -> None:
    if all(c.key != card.key for c in _cards):
        _cards.append(card)
        _cards.sort(key=lambda c: c.order)


def cards_for(request) -> list[dict]:
    membership = request.membership
    out = []
    for card in _cards:
        if card.roles and not membership.has_role(*card.roles):
            continue
        ctx = card.context(request)
        if ctx is not None:
            out.append({"template": card.template, "ctx": ctx})
    return out
