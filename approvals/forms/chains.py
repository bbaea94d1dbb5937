"""Forms of the chain configuration pages: the chain (type, name, conditions) and its
steps, one formset row each. They parse what was typed; ``approvals.services.chains``
decides whether the chain can be saved, and ``add_chain_errors`` puts its reasons next
to the fields they name (a step's reason next to that step's field).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms.org import HolderChoiceField, NodeChoiceField, add_service_errors
from accounts.models import Membership, OrgNode, Role

from .. import registry
from ..models import ApprovalChain, ApproverKind
from ..services.chains import MAX_TIME_LIMIT_HOURS, STEP_KEYS


def _lazy(message, label):
    """``message % {"label": label}``, translated when shown, not when the module loads."""
    return lazy(lambda: str(message) % {"label": label}, str)()


def _amount_field(label, help_text):
    number = _lazy(_("“%(label)s” must be a number, such as 5000 or 5000.50."), label)
    return forms.DecimalField(
        label=label, required=False, max_digits=14, decimal_places=2, help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": number,
            "max_digits": _lazy(_("“%(label)s” is too large."), label),
            "max_whole_digits": _lazy(_("“%(label)s” is too large."), label),
            "max_decimal_places": _lazy(_("“%(label)s” has at most two decimal places."), label),
        },
    )


def _live_nodes():
    return OrgNode.objects.live().order_by("path")


def _active_members():
    return Membership.objects.active().select_related("user").order_by("user__full_name", "user__email")


_NOT_MEMBER = _("This person is not an active member here: choose someone else.")
_NOT_NODE = _("This is not a live part of the organisation: choose another.")


class ChainForm(forms.Form):
    request_type = forms.ChoiceField(
        label=_("Request type"), choices=registry.choices,
        error_messages={"invalid_choice": _("“%(value)s” is not a registered request type.")},
    )
    name = forms.CharField(label=_("Name"), max_length=120,
                           error_messages={"required": _("Give the chain a name.")})
    priority = forms.IntegerField(
        label=_("Priority"), initial=100, min_value=0, max_value=32767,
        help_text=_("Chains of one request type are tried from the lowest number up; the first whose "
                    "conditions all hold is used."),
    )
    min_amount = _amount_field(_("Amount at least"), _("Leave empty for any amount."))
    max_amount = _amount_field(_("Amount below"), _("Leave empty for no upper limit."))
    node = NodeChoiceField(
        label=_("Requesters under"), queryset=None, to_field_name="code", required=False,
        empty_label=_("Anywhere in the organisation"), error_messages={"invalid_choice": _NOT_NODE},
        help_text=_("The chain applies only to requesters whose territory is in this part of the tree."),
    )
    category = forms.CharField(label=_("Category"), max_length=60, required=False,
                               help_text=_("Leave empty for every category."))
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False,
                             help_text=_("Kept in the audit trail."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = _live_nodes()

    @staticmethod
    def initial_for(chain: ApprovalChain) -> dict:
        return {"request_type": chain.request_type, "name": chain.name, "priority": chain.priority,
                "min_amount": chain.min_amount, "max_amount": chain.max_amount,
                "node": chain.node.code if chain.node_id else None, "category": chain.category}


class StepForm(forms.Form):
    name = forms.CharField(label=_("Step name"), max_length=80, required=False,
                           help_text=_("For example: District manager review."))
    kind = forms.ChoiceField(
        label=_("Approved by"), choices=[("", _("Choose who approves")), *ApproverKind.choices],
        error_messages={"required": _("Choose who approves this step.")},
    )
    node = NodeChoiceField(label=_("Position (for “holder of a position”)"), queryset=None,
                           to_field_name="code", required=False, empty_label="—",
                           error_messages={"invalid_choice": _NOT_NODE})
    role = forms.ChoiceField(label=_("Role (for “anyone with a role”)"),
                             choices=[("", "—"), *Role.choices], required=False)
    user = HolderChoiceField(label=_("User (for “a named user”)"), queryset=None, to_field_name="code",
                             required=False, empty_label="—", error_messages={"invalid_choice": _NOT_MEMBER})
    fallback = HolderChoiceField(
        label=_("Fallback approver"), queryset=None, to_field_name="code", required=False, empty_label="—",
        help_text=_("Decides when no one holds the position or the role."),
        error_messages={"invalid_choice": _NOT_MEMBER},
    )
    time_limit_hours = forms.IntegerField(label=_("Time limit (hours)"), initial=48, min_value=1,
                                          max_value=MAX_TIME_LIMIT_HOURS)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = _live_nodes()
        self.fields["user"].queryset = _active_members()
        self.fields["fallback"].queryset = _active_members()
        if choices is not None:
            # The formset reads the options once for all rows (not one query per select);
            # the querysets still check what was posted.
            for name in ("node", "user", "fallback"):
                self.fields[name].choices = choices[name]

    def step(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in STEP_KEYS}


def _options(field: forms.ModelChoiceField) -> list[tuple[str, str]]:
    return [("", field.empty_label), *((str(o.code), field.label_from_instance(o)) for o in field.queryset)]


class BaseStepFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "steps")
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if not hasattr(self, "_choices"):
            probe = StepForm()
            members = _options(probe.fields["user"])
            self._choices = {"node": _options(probe.fields["node"]), "user": members,
                             "fallback": [("", probe.fields["fallback"].empty_label), *members[1:]]}
        return {**kwargs, "choices": self._choices}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("Position in the chain")
        form.fields["ORDER"].help_text = _("Steps run from the lowest number up.")
        form.fields["DELETE"].label = _("Remove this step")

    def step_forms(self) -> list[StepForm]:
        """The rows to save, in the order the admin gave them (removed and blank rows left out)."""
        return list(self.ordered_forms)

    def steps(self) -> list[dict]:
        return [f.step() for f in self.step_forms()]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=2, can_order=True,
                                    can_delete=True, max_num=20, validate_max=True)


def step_initial(chain: ApprovalChain) -> list[dict]:
    return [
        {"name": s.name, "kind": s.kind, "role": s.role,
         "node": s.node.code if s.node_id else None, "user": s.user.code if s.user_id else None,
         "fallback": s.fallback.code if s.fallback_id else None, "time_limit_hours": s.time_limit_hours}
        for s in chain.steps.select_related("node", "user", "fallback").order_by("order")
    ]


def add_chain_errors(form: ChainForm, formset: BaseStepFormSet, exc: ValidationError) -> None:
    """The service's reasons beside what they name: chain fields on the chain form, a step's
    on that step's field, "no steps" above the steps."""
    formset.service_checked = True
    if not hasattr(exc, "error_dict"):
        add_service_errors(form, exc)
        return
    chain_errors = {k: v for k, v in exc.error_dict.items() if k != "steps"}
    if chain_errors:
        add_service_errors(form, ValidationError(chain_errors))
    rows = formset.step_forms()
    general = []
    for error in exc.error_dict.get("steps", []):
        params = error.params or {}
        n, field = params.get("step"), params.get("field")
        if n and 1 <= n <= len(rows):
            row = rows[n - 1]
            row.add_error(field if field in row.fields else None, error.message % params)
        else:
            general.append(error)
    formset.service_errors = [m for e in general for m in e.messages]
