"""The platform operator's admin: tenants (with their first administrator) and staff.

Platform operators have no membership, so no tenant is active here: tenant business data
(users of a tenant, organisation, audit) is not registered and cannot be read from the
admin — by design (design §2, "never reads a tenant's business data by default").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Tenant, User
from .services.tenants import tenant_create


class TenantCreationForm(forms.ModelForm):
    admin_email = forms.EmailField(label=_("First administrator's email"))
    admin_name = forms.CharField(label=_("First administrator's name"), max_length=150)
    admin_password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, required=False,
        help_text=_("Leave empty to send the administrator a link to choose one."),
    )

    class Meta:
        model = Tenant
        fields = ["name", "slug", "default_language", "time_zone", "currency", "fiscal_year_start_month"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_language", "time_zone", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "default_language"]
    search_fields = ["name", "slug"]
    readonly_fields = ["code", "created_at"]
    fields = ["code", "name", "slug", "default_language", "time_zone", "currency", "fiscal_year_start_month",
              "allow_overlapping_positions", "is_active", "created_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TenantCreationForm
            kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "slug", "default_language", "time_zone", "currency", "fiscal_year_start_month",
                    "admin_email", "admin_name", "admin_password"]
        return self.fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            tenant, membership = tenant_create(
                name=data["name"], slug=data["slug"], default_language=data["default_language"],
                time_zone=data["time_zone"], currency=data["currency"],
                fiscal_year_start_month=data["fiscal_year_start_month"], admin_email=data["admin_email"],
                admin_name=data["admin_name"], admin_password=data.get("admin_password") or None,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            raise
        obj.pk = tenant.pk
        obj.refresh_from_db()
        if not data.get("admin_password"):
            from sfe.core.tenancy import tenant_scope

            from .services.users import user_send_invitation

            with tenant_scope(tenant):
                user_send_invitation(membership=membership, base_url=f"{request.scheme}://{request.get_host()}")

    def has_delete_permission(self, request, obj=None):
        return False  # tenants are deactivated, never deleted from here


@admin.register(User)
class PlatformUserAdmin(DjangoUserAdmin):
    """Platform operators only (users with no tenant)."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_superuser", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_superuser", "is_active"]
    readonly_fields = ["code", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("code", "email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_staff=True)
