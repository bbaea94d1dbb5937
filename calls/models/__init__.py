"""Field force activity (issue 5, R10–R13): calls and what they carry.

* ``config``: the tenant's call settings and the key messages admins set per brand;
* ``calls``: calls (planned → draft → submitted; locked some days after), the products
  discussed in order with their key messages, the attendees of group calls, follow-ups.

Planning (frequency targets, cycles, cycle plans), samples and coaching live in the
sub-apps ``calls.planning``, ``calls.samples`` and ``calls.coaching``.
"""

from .calls import Call, CallAttendee, CallMessage, CallProduct, CallQuerySet, CallSource, CallStatus, CallType, FollowUp
from .config import CallSettings, KeyMessage

__all__ = ["Call", "CallAttendee", "CallMessage", "CallProduct", "CallQuerySet", "CallSettings", "CallSource",
           "CallStatus", "CallType", "FollowUp", "KeyMessage"]
