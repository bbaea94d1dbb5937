"""The organisation pages: the tree, a node's page with its actions, company settings.

Reads are for admins, analysts and managers, limited by ``OrgNode.objects.visible_to``;
every change is for admins, one POST per action, one service call each, then a redirect
to the node's page with a message (or the page again, with the form's errors beside the
fields and what was typed kept). Objects come through ``get_node_for_user`` /
``get_position_for_user``: another tenant's or an invisible one is 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.org import (
    NodeCreateForm,
    NodeMoveForm,
    NodeRenameForm,
    NodeRetireForm,
    PositionAssignForm,
    PositionEndForm,
    TenantSettingsForm,
    TreeFilterForm,
    add_service_errors,
)
from ..models import OrgNode, Position, Role, Tenant
from ..permissions import role_required
from ..services import org as services
from ..visibility import sees_whole_tenant

READ_ROLES = (Role.ADMIN, Role.ANALYST, Role.MANAGER)


# --------------------------------------------------------------------------- fetch helpers


def _can_write(request) -> bool:
    return request.membership.has_role(Role.ADMIN)


def get_node_for_user(request, code, *, write: bool = False) -> OrgNode:
    """The node with ``code`` if the user sees it (else 404); 403 on write without the right."""
    node = get_object_or_404(OrgNode.objects.visible_to(request.user), code=code)
    if write and not _can_write(request):
        raise PermissionDenied
    return node


def get_position_for_user(request, code, *, write: bool = False) -> Position:
    visible = OrgNode.objects.visible_to(request.user).values("id")
    position = get_object_or_404(
        Position.objects.filter(node_id__in=visible).select_related("node", "holder__user"), code=code
    )
    if write and not _can_write(request):
        raise PermissionDenied
    return position


# --------------------------------------------------------------------------- the tree


@dataclass
class TreeEntry:
    id: int
    code: object
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    retired: bool
    holders: list = field(default_factory=list)
    children: list = field(default_factory=list)
    depth: int = 0
    closes: range = range(0)

    @property
    def is_territory(self) -> bool:
        return self.kind == OrgNode.Kind.TERRITORY

    @property
    def vacant(self) -> bool:
        return self.is_territory and not self.retired and not self.holders


def _flatten(entries: list[TreeEntry]) -> list[TreeEntry]:
    """Depth-first order, each entry told how many levels close after it.

    The template renders nested lists from this flat list, so a tree of any size is one
    loop (no recursive include per node).
    """
    by_id = {e.id: e for e in entries}
    roots = []
    for e in entries:
        parent = by_id.get(e.parent_id)
        (parent.children if parent is not None else roots).append(e)
    for e in entries:
        e.children.sort(key=lambda c: (c.name, c.id))
    roots.sort(key=lambda c: (c.name, c.id))
    out: list[TreeEntry] = []
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        entry, depth = stack.pop()
        entry.depth = depth
        out.append(entry)
        stack.extend((c, depth + 1) for c in reversed(entry.children))
    for i, e in enumerate(out):
        next_depth = out[i + 1].depth if i + 1 < len(out) else 0
        e.closes = range(e.depth - next_depth) if not e.children else range(0)
    return out


def _build_tree(request, *, day: dt.date, as_of: bool, show_retired: bool) -> list[TreeEntry]:
    kind_labels = dict(OrgNode.Kind.choices)
    visible = OrgNode.objects.visible_to(request.user)
    if as_of:
        # The structure and names as they were that day (one query over the versions),
        # limited to the nodes the user sees today (one more query, or none).
        rows: list[dict] = []
        pending = list(services.tree_as_of(day))
        while pending:
            r = pending.pop()
            rows.append(r)
            pending.extend(r["children"])
        if not sees_whole_tenant(request.user):
            allowed = set(visible.values_list("id", flat=True))
            rows = [r for r in rows if r["node_id"] in allowed]
        entries = [
            TreeEntry(id=r["node_id"], code=r["node__code"], name=r["name"], kind=r["kind"],
                      kind_label=kind_labels.get(r["kind"], r["kind"]), parent_id=r["parent_id"],
                      retired=r["retired"])
            for r in rows if show_retired or not r["retired"]
        ]
        node_ids = visible.values("id")  # holders of nodes not shown are skipped below
    else:
        nodes = visible if show_retired else visible.live()
        entries = [
            TreeEntry(id=n.id, code=n.code, name=n.name, kind=n.kind,
                      kind_label=kind_labels.get(n.kind, n.kind), parent_id=n.parent_id,
                      retired=n.retired_on is not None)
            for n in nodes.only("id", "code", "name", "kind", "parent_id", "retired_on")
        ]
        node_ids = nodes.values("id")
    by_id = {e.id: e for e in entries}
    positions = (
        Position.objects.active_on(day).filter(node_id__in=node_ids)
        .select_related("holder__user").order_by("start_date", "pk")
    )
    for p in positions:
        entry = by_id.get(p.node_id)
        if entry is not None:
            entry.holders.append(p)
    return _flatten(entries)


@role_required(*READ_ROLES)
def tree(request):
    today = request.tenant.today()
    filters = TreeFilterForm(request.GET or None)
    as_of, show_retired = None, False
    if filters.is_valid():
        as_of = filters.cleaned_data["as_of"]
        show_retired = filters.cleaned_data["show_retired"]
    day = as_of or today
    entries = _build_tree(request, day=day, as_of=as_of is not None, show_retired=show_retired)
    return render(request, "accounts/org/tree.html", {
        "filters": filters, "entries": entries, "as_of": as_of, "day": day, "today": today,
        "show_retired": show_retired, "can_write": _can_write(request),
        "root_form": NodeCreateForm(initial={"kind": OrgNode.Kind.NATION}) if _can_write(request) else None,
        "vacant_count": sum(1 for e in entries if e.vacant),
    })


# --------------------------------------------------------------------------- a node's page


def _detail_context(request, node: OrgNode, **bound) -> dict:
    today = request.tenant.today()
    ancestors = list(OrgNode.objects.visible_to(request.user).filter(id__in=node.ancestor_ids())
                     .order_by("depth").only("code", "name", "kind", "depth"))
    children = list(
        OrgNode.objects.filter(parent=node).order_by("retired_on", "name")
        .only("code", "name", "kind", "retired_on", "parent_id")
    )
    versions = list(
        node.versions.select_related("changed_by", "parent").order_by("-valid_from")
    )
    positions = list(
        node.positions.select_related("holder__user").order_by("-start_date", "-pk")
    )
    for p in positions:
        p.state = ("current" if p.is_active_on(today)
                   else "future" if p.start_date > today else "past")
    can_write = _can_write(request)
    ctx = {
        "node": node, "ancestors": ancestors, "children": children, "versions": versions,
        "positions": positions, "today": today, "can_write": can_write,
        "current_holders": [p for p in positions if p.state == "current"],
    }
    if can_write:
        ctx["rename_form"] = bound.get("rename_form") or NodeRenameForm(initial={"name": node.name})
        ctx["move_form"] = bound.get("move_form") or NodeMoveForm(
            node=node, initial={"parent": node.parent.code if node.parent_id else None})
        ctx["retire_form"] = bound.get("retire_form") or NodeRetireForm()
        ctx["create_form"] = bound.get("create_form") or NodeCreateForm(
            initial={"kind": OrgNode.Kind.TERRITORY})
        ctx["assign_form"] = bound.get("assign_form") or PositionAssignForm(today=today)
        bound_end = bound.get("end_form")
        for p in positions:
            if bound_end is not None and bound_end.position_code == p.code:
                p.end_form = bound_end
            elif p.state != "past":
                p.end_form = PositionEndForm(position=p, today=max(today, p.start_date))
        ctx["open_form"] = next((k for k, f in bound.items() if f is not None), "")
    return ctx


@role_required(*READ_ROLES)
def node_detail(request, code):
    node = get_node_for_user(request, code)
    return render(request, "accounts/org/node_detail.html", _detail_context(request, node))


def _invalid(request, node, key, form):
    return render(request, "accounts/org/node_detail.html", _detail_context(request, node, **{key: form}))


@require_POST
@role_required(Role.ADMIN)
def node_rename(request, code):
    node = get_node_for_user(request, code, write=True)
    form = NodeRenameForm(request.POST)
    if form.is_valid():
        old = node.name
        try:
            node = services.node_rename(node=node, name=form.cleaned_data["name"],
                                        reason=form.cleaned_data["reason"],
                                        effective_date=form.cleaned_data["effective_date"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(old)s is now called %(new)s.") % {"old": old, "new": node.name})
            return redirect("org:node_detail", code=node.code)
    return _invalid(request, node, "rename_form", form)


@require_POST
@role_required(Role.ADMIN)
def node_move(request, code):
    node = get_node_for_user(request, code, write=True)
    form = NodeMoveForm(request.POST, node=node)
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            node = services.node_move(node=node, new_parent=parent, reason=form.cleaned_data["reason"],
                                      effective_date=form.cleaned_data["effective_date"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if parent is None:
                messages.success(request, _("%(node)s is now a top-level node.") % {"node": node.name})
            else:
                messages.success(request, _("%(node)s now sits under %(parent)s.")
                                 % {"node": node.name, "parent": parent.name})
            return redirect("org:node_detail", code=node.code)
    return _invalid(request, node, "move_form", form)


@require_POST
@role_required(Role.ADMIN)
def node_retire(request, code):
    node = get_node_for_user(request, code, write=True)
    form = NodeRetireForm(request.POST)
    if form.is_valid():
        try:
            node = services.node_retire(node=node, reason=form.cleaned_data["reason"],
                                        effective_date=form.cleaned_data["effective_date"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(node)s is retired from %(day)s.")
                             % {"node": node.name, "day": node.retired_on})
            return redirect("org:node_detail", code=node.code)
    return _invalid(request, node, "retire_form", form)


@require_POST
@role_required(Role.ADMIN)
def node_create(request, code):
    """Add a child under the node ``code``."""
    parent = get_node_for_user(request, code, write=True)
    form = NodeCreateForm(request.POST)
    if form.is_valid():
        try:
            child = services.node_create(
                name=form.cleaned_data["name"], kind=form.cleaned_data["kind"], parent=parent,
                external_code=form.cleaned_data["external_code"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(node)s was added under %(parent)s.")
                             % {"node": child.name, "parent": parent.name})
            return redirect("org:node_detail", code=child.code)
    return _invalid(request, parent, "create_form", form)


@role_required(Role.ADMIN)
def root_create(request):
    """Add a top-level node (a new tenant starts with none)."""
    form = NodeCreateForm(request.POST or None, initial={"kind": OrgNode.Kind.NATION})
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_create(
                name=form.cleaned_data["name"], kind=form.cleaned_data["kind"], parent=None,
                external_code=form.cleaned_data["external_code"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(node)s was added at the top level.") % {"node": node.name})
            return redirect("org:node_detail", code=node.code)
    return render(request, "accounts/org/root_create.html", {"form": form})


@require_POST
@role_required(Role.ADMIN)
def position_assign(request, code):
    node = get_node_for_user(request, code, write=True)
    form = PositionAssignForm(request.POST, today=request.tenant.today())
    if form.is_valid():
        holder = form.cleaned_data["holder"]
        try:
            services.position_assign(
                node=node, holder=holder, start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"], title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(holder)s holds %(node)s from %(start)s.") % {
                "holder": holder.user.full_name, "node": node.name, "start": form.cleaned_data["start_date"]})
            return redirect("org:node_detail", code=node.code)
    return _invalid(request, node, "assign_form", form)


@require_POST
@role_required(Role.ADMIN)
def position_end(request, code):
    position = get_position_for_user(request, code, write=True)
    form = PositionEndForm(request.POST, position=position)
    form.position_code = position.code
    if form.is_valid():
        try:
            services.position_end(position=position, end_date=form.cleaned_data["end_date"],
                                  reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(holder)s's position on %(node)s ends on %(day)s.") % {
                "holder": position.holder.user.full_name, "node": position.node.name,
                "day": form.cleaned_data["end_date"]})
            return redirect("org:node_detail", code=position.node.code)
    return _invalid(request, position.node, "end_form", form)


# --------------------------------------------------------------------------- company settings


@role_required(Role.ADMIN)
def settings(request):
    # A copy: a rejected form must not leave typed values on request.tenant (the layout shows it).
    instance = Tenant.objects.get(pk=request.tenant.pk)
    form = TenantSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_update_settings(
                tenant=request.tenant,
                **{name: form.cleaned_data[name] for name in services.TENANT_SETTINGS_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The company settings are saved."))
            return redirect("org:settings")
    return render(request, "accounts/org/settings.html", {"form": form})
