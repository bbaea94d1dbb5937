"""Request types register here (in their app's ``AppConfig.ready``); the engine calls
their hooks by key and never imports the apps that use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class RequestType:
    key: str
    label: str | Promise
    #: Low-risk requests may be approved in bulk from the inbox.
    low_risk: bool = False
    #: Called inside the deciding transaction with the ApprovalRequest.
    on_approved: Callable | None = None
    on_rejected: Callable | None = None
    on_returned: Callable | None = None
    #: Called inside the withdrawing transaction when the requester withdraws it.
    on_withdrawn: Callable | None = None
    #: Lines shown on the request's detail page: request -> list of (label, value).
    describe: Callable | None = None
    #: Link to the business object: request -> URL or "".
    object_url: Callable | None = None
    categories: tuple = field(default_factory=tuple)


_types: dict[str, RequestType] = {}


def register(request_type: RequestType) -> None:
    _types[request_type.key] = request_type


def get(key: str) -> RequestType:
    try:
        return _types[key]
    except KeyError:
        raise LookupError(f"No approval request type {key!r} is registered") from None


def all_types() -> list[RequestType]:
    return sorted(_types.values(), key=lambda t: str(t.label))


def choices() -> list[tuple[str, str]]:
    return [(t.key, str(t.label)) for t in all_types()]
