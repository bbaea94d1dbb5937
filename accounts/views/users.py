"""The tenant admin's user pages: list, create, detail, edit, (de)activate, emails, import.

Thin views: parse with a form, call one service, render. Every view needs the admin
role; a membership is fetched by its ``code`` through the tenant-scoped manager, so
another tenant's code is a 404 like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..forms.users import UserCreateForm, UserEditForm, UserFilterForm, UserImportForm, apply_service_errors
from ..models import Membership, Position, UserImport
from ..permissions import role_required
from ..services import users as services
from ..services.user_import import COLUMNS, users_import_csv

PAGE_SIZE = 50


def get_membership_for_admin(request, code) -> Membership:
    """The tenant's membership with this code, or 404 (missing and foreign look alike)."""
    return get_object_or_404(Membership.objects.select_related("user"), code=code)


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# --------------------------------------------------------------------------- list


def _filtered(form: UserFilterForm):
    qs = Membership.objects.select_related("user")
    form.is_valid()  # a bad value in one filter leaves the others applied
    data = getattr(form, "cleaned_data", {})
    if q := (data.get("q") or "").strip():
        qs = qs.filter(Q(user__full_name__icontains=q) | Q(user__email__icontains=q) | Q(employee_no__icontains=q))
    if data.get("role"):
        qs = qs.with_role(data["role"])
    status = data.get("status")
    if status == form.STATUS_ACTIVE:
        qs = qs.active()
    elif status == form.STATUS_INACTIVE:
        qs = qs.filter(Q(is_active=False) | Q(user__is_active=False))
    elif status == form.STATUS_INVITED:
        # Unusable password (Django's "!" prefix) and never signed in.
        qs = qs.active().filter(user__password__startswith="!", user__last_login__isnull=True)  # noqa: S106
    return qs.order_by("user__full_name", "user__email", "pk")


@role_required("admin")
def user_list(request):
    form = UserFilterForm(request.GET or None)
    paginator = Paginator(_filtered(form), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(query)}
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "accounts/users/list.html#user-table", context)
    else:
        response = render(request, "accounts/users/list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --------------------------------------------------------------------------- create, detail, edit


@role_required("admin")
def user_create(request):
    if request.method == "POST":
        form = UserCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.user_add(
                    email=data["email"], full_name=data["full_name"], roles=data["roles"],
                    language=data["language"], employee_no=data["employee_no"], phone=data["phone"],
                    invite=data["send_invitation"], invited_by=request.user, base_url=_base_url(request),
                )
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                if data["send_invitation"]:
                    messages.success(request, _("%(name)s was added and an invitation was sent to %(email)s.") % {
                        "name": membership.user.full_name, "email": membership.user.email})
                else:
                    messages.success(request, _(
                        "%(name)s was added. They cannot sign in until you send an invitation or a password reset."
                    ) % {"name": membership.user.full_name})
                return redirect("users:detail", code=membership.code)
    else:
        form = UserCreateForm()
    return render(request, "accounts/users/form.html", {"form": form, "title": _("Add a user")},
                  status=400 if form.is_bound else 200)


@role_required("admin")
def user_detail(request, code):
    membership = get_membership_for_admin(request, code)
    positions = list(
        Position.objects.filter(holder=membership).select_related("node").order_by("-start_date", "node__path")
    )
    today = request.tenant.today()
    for p in positions:
        p.current = p.is_active_on(today)
    return render(request, "accounts/users/detail.html", {
        "m": membership, "u": membership.user, "positions": positions,
        "is_self": membership.user_id == request.user.pk,
    })


@role_required("admin")
def user_edit(request, code):
    membership = get_membership_for_admin(request, code)
    user = membership.user
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.user_update(
                    membership=membership, full_name=data["full_name"], roles=data["roles"],
                    language=data["language"], employee_no=data["employee_no"], phone=data["phone"],
                )
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("The changes to %(name)s were saved.") % {"name": data["full_name"]})
                if membership.user_id == request.user.pk and "admin" not in data["roles"]:
                    return redirect("home")  # they no longer manage users
                return redirect("users:detail", code=membership.code)
    else:
        form = UserEditForm(initial={
            "full_name": user.full_name, "roles": membership.roles, "language": user.language,
            "employee_no": membership.employee_no, "phone": membership.phone,
        })
    return render(request, "accounts/users/form.html", {
        "form": form, "m": membership, "title": _("Edit %(name)s") % {"name": user.full_name},
    }, status=400 if form.is_bound else 200)


# --------------------------------------------------------------------------- actions (POST)


def _action(request, code, run, success: str):
    membership = get_membership_for_admin(request, code)
    try:
        run(membership)
    except ValidationError as e:
        for message in e.messages:
            messages.error(request, message)
    else:
        messages.success(request, success % {"name": membership.user.full_name, "email": membership.user.email})
    return redirect("users:detail", code=membership.code)


@require_POST
@role_required("admin")
def user_deactivate(request, code):
    return _action(request, code, lambda m: services.user_deactivate(membership=m, actor=request.user),
                   _("%(name)s is deactivated and can no longer sign in."))


@require_POST
@role_required("admin")
def user_activate(request, code):
    return _action(request, code, lambda m: services.user_activate(membership=m),
                   _("%(name)s is active again and can sign in."))


@require_POST
@role_required("admin")
def user_reset_password(request, code):
    return _action(
        request, code, lambda m: services.user_send_password_reset(membership=m, base_url=_base_url(request)),
        _("A password reset link was sent to %(email)s."),
    )


@require_POST
@role_required("admin")
def user_resend_invitation(request, code):
    return _action(
        request, code,
        lambda m: services.user_send_invitation(membership=m, invited_by=request.user, base_url=_base_url(request)),
        _("The invitation was sent again to %(email)s."),
    )


# --------------------------------------------------------------------------- import


def _recent_imports():
    return UserImport.objects.select_related("uploaded_by").order_by("-created_at")[:10]


@role_required("admin")
def user_import(request):
    failed = None
    if request.method == "POST":
        form = UserImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            record = users_import_csv(
                file_bytes=upload.read(), filename=upload.name, uploaded_by=request.user,
                send_invitations=form.cleaned_data["send_invitations"], base_url=_base_url(request),
            )
            if not record.errors:
                messages.success(request, ngettext(
                    "%(count)s user was imported.", "%(count)s users were imported.", record.created,
                ) % {"count": record.created})
                return redirect("users:import_result", code=record.code)
            failed = record
    else:
        form = UserImportForm()
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/users/import.html", {
        "form": form, "failed": failed, "imports": _recent_imports(), "columns": COLUMNS,
    }, status=status)


@role_required("admin")
def user_import_result(request, code):
    record = get_object_or_404(UserImport.objects.select_related("uploaded_by"), code=code)
    return render(request, "accounts/users/import_result.html", {"record": record})
