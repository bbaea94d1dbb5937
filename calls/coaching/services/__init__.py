"""Coaching's operations (keyword-only, one transaction each, ``ValidationError`` by field).

* skills (admins) — ``skill_create``, ``skill_update``, ``skill_move``, ``skill_reorder``;
* evaluations — ``evaluation_create`` (idempotent by ``code``), ``evaluation_update``,
  ``evaluation_share`` (the manager; notifies the rep), ``evaluation_acknowledge`` (the rep;
  read-only from then on; notifies the manager).

Who may open which page is the views' call; these services check the input and the actor
again, so the API and the pages refuse the same things with the same messages.
"""

from .evaluations import ScoreIn, evaluation_acknowledge, evaluation_create, evaluation_share, evaluation_update
from .skills import skill_create, skill_move, skill_reorder, skill_update

__all__ = ["ScoreIn", "evaluation_acknowledge", "evaluation_create", "evaluation_share", "evaluation_update",
           "skill_create", "skill_move", "skill_reorder", "skill_update"]
