"""The admin's approval-chain pages: the list by request type, create, edit, switch on/off.

Admins only (others 403); a chain comes through ``get_chain_for_admin``, so another
tenant's chain code is 404. Each change is one service call, then a redirect to the list
with a message, or the page again with the reasons beside the fields and what was typed
kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required

from .. import registry
from ..forms.chains import ChainForm, StepFormSet, add_chain_errors, step_initial
from ..models import ApprovalChain, ApprovalChainStep, ApprovalRequest, ApproverKind, RequestState
from ..services import chains as services


def get_chain_for_admin(request, code) -> ApprovalChain:
    """The chain with ``code`` in the current tenant, else 404 (another tenant's too)."""
    return get_object_or_404(ApprovalChain.objects.select_related("node"), code=code)


# --------------------------------------------------------------------------- summaries in words


def _money(request, value) -> str:
    currency = request.tenant.currency if request.tenant else ""
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{symbol}{number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)}"


def conditions_in_words(request, chain: ApprovalChain) -> list[str]:
    words = []
    if chain.min_amount is not None:
        words.append(_("amount at least %(amount)s") % {"amount": _money(request, chain.min_amount)})
    if chain.max_amount is not None:
        words.append(_("amount below %(amount)s") % {"amount": _money(request, chain.max_amount)})
    if chain.node_id:
        words.append(_("requesters under %(node)s") % {"node": chain.node.name})
    if chain.category:
        words.append(_("category %(category)s") % {"category": chain.category})
    return words


def step_in_words(step: ApprovalChainStep) -> str:
    if step.kind == ApproverKind.POSITION:
        who = _("the holder of %(node)s") % {"node": step.node.name if step.node_id else "—"}
    elif step.kind == ApproverKind.ROLE:
        who = _("anyone with the role %(role)s") % {
            "role": Role(step.role).label if step.role in Role.values else step.role}
    elif step.kind == ApproverKind.USER:
        who = step.user.user.full_name if step.user_id else "—"
    elif step.kind == ApproverKind.MANAGERS_MANAGER:
        who = _("the requester's manager's manager")
    else:
        who = _("the requester's direct manager")
    text = _("%(who)s, within %(hours)s h") % {"who": who, "hours": step.time_limit_hours}
    if step.name:
        text = _("%(step)s: %(rest)s") % {"step": step.name, "rest": text}
    if step.fallback_id:
        text += _("; otherwise %(name)s") % {"name": step.fallback.user.full_name}
    return text


@dataclass
class TypeGroup:
    key: str
    label: str
    registered: bool = True
    chains: list = field(default_factory=list)


# --------------------------------------------------------------------------- pages


@role_required(Role.ADMIN)
def chains(request):
    steps = ApprovalChainStep.objects.select_related("node", "user__user", "fallback__user").order_by("order")
    rows = list(
        ApprovalChain.objects.select_related("node").prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("request_type", "-is_active", "priority", "name", "id")
    )
    groups = {t.key: TypeGroup(t.key, str(t.label)) for t in registry.all_types()}
    for chain in rows:
        group = groups.get(chain.request_type)
        if group is None:
            label = _("%(key)s (no longer registered)") % {"key": chain.request_type}
            group = groups[chain.request_type] = TypeGroup(chain.request_type, label, registered=False)
        chain.conditions = conditions_in_words(request, chain)
        chain.step_words = [step_in_words(s) for s in chain.steps.all()]
        group.chains.append(chain)
    return render(request, "approvals/chains/list.html", {"groups": list(groups.values()), "total": len(rows)})


def _edit_page(request, *, chain: ApprovalChain | None):
    if request.method == "POST":
        form = ChainForm(request.POST)
        formset = StepFormSet(request.POST)
    elif chain is None:
        form = ChainForm(initial={"request_type": request.GET.get("type", "")})
        formset = StepFormSet(initial=None)
        formset.extra = 3
    else:
        form = ChainForm(initial=ChainForm.initial_for(chain))
        formset = StepFormSet(initial=step_initial(chain))
    formset.service_errors = []
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):  # both, for every error
        data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            if chain is None:
                saved = services.chain_create(**data, steps=formset.steps(), reason=form.cleaned_data["reason"])
            else:
                saved = services.chain_update(chain=chain, **data, steps=formset.steps(),
                                              reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_chain_errors(form, formset, exc)
        else:
            if chain is None:
                messages.success(request, _("The chain %(name)s is saved and active.") % {"name": saved.name})
            else:
                messages.success(request, _("The chain %(name)s is saved. Requests already under way keep "
                                            "the steps they started with.") % {"name": saved.name})
            return redirect("approvals:chains")
    under_way = 0
    if chain is not None:
        under_way = ApprovalRequest.objects.filter(
            chain=chain, state__in=[RequestState.PENDING, RequestState.RETURNED]).count()
    return render(request, "approvals/chains/form.html", {
        "chain": chain, "form": form, "formset": formset, "under_way": under_way,
        "error_summary": _error_summary(form, formset) if request.method == "POST" else [],
    })


def _error_summary(form: ChainForm, formset) -> list[str]:
    """Every reason the chain was not saved, in one list at the top of the page."""
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out += [f"{label}: {e}" if label and not e.startswith("“") else e for e in errors]
    out += list(formset.non_form_errors()) + list(formset.service_errors)
    checked = getattr(formset, "service_checked", False)  # the service's messages name their step
    for n, row in enumerate(formset.forms, start=1):
        prefix = _("Step row %(n)s") % {"n": n}
        for errors in row.errors.values():
            out += [e if checked else f"{prefix}: {e}" for e in errors]
    return out


@role_required(Role.ADMIN)
def chain_create(request):
    return _edit_page(request, chain=None)


@role_required(Role.ADMIN)
def chain_edit(request, code):
    return _edit_page(request, chain=get_chain_for_admin(request, code))


def _set_active(request, code, active: bool):
    chain = get_chain_for_admin(request, code)
    reason = (request.POST.get("reason") or "").strip()[:300]
    try:
        chain = services.chain_set_active(chain=chain, active=active, reason=reason)
    except ValidationError as exc:
        messages.error(request, _("%(name)s cannot be switched on: %(problems)s") % {
            "name": chain.name, "problems": " ".join(exc.messages)})
    else:
        if active:
            messages.success(request, _("%(name)s is active: new requests can use it.") % {"name": chain.name})
        else:
            messages.success(request, _("%(name)s is switched off: new requests no longer use it; requests "
                                        "under way continue.") % {"name": chain.name})
    return redirect("approvals:chains")


@require_POST
@role_required(Role.ADMIN)
def chain_deactivate(request, code):
    return _set_active(request, code, False)


@require_POST
@role_required(Role.ADMIN)
def chain_activate(request, code):
    return _set_active(request, code, True)
