"""Tenants, users, memberships (roles), the organisation tree and positions."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned, TenantQuerySet


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Role(models.TextChoices):
    REP = "rep", _("Medical representative")
    MANAGER = "manager", _("Manager")
    ANALYST = "analyst", _("SFE analyst")
    ADMIN = "admin", _("Tenant administrator")
    DATA_STEWARD = "data_steward", _("Data steward")
    FINANCE = "finance", _("Finance")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Tenant(models.Model):
    """A customer of the platform: one pharmaceutical company."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    default_language = models.CharField(
        _("default language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    fiscal_year_start_month = models.PositiveSmallIntegerField(_("fiscal year starts in month"), default=1)
    approval_escalate_after_hours = models.PositiveIntegerField(
        _("escalate overdue approvals after (hours)"), default=72,
        help_text=_("A step still waiting this long after its time limit moves to the next level up."),
    )
    allow_overlapping_positions = models.BooleanField(
        _("allow two holders of one node at once"), default=False,
        help_text=_("When off, a node has at most one holder on any day."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="tenant_fiscal_month_valid",
                violation_error_message=_("The fiscal year start month must be between 1 and 12."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="tenant_currency_iso",
                violation_error_message=_("The currency must be a three-letter ISO code such as CNY."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Belongs to at most one tenant, through ``Membership``.

    Users with no membership are platform operators (``is_staff``): they reach the
    platform admin and never a tenant's business pages.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform operator"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_ci_unique",
                violation_error_message=_("A user with this email already exists."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name


class MembershipQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)

    def with_role(self, role: str):
        return self.filter(roles__contains=[role])


class Membership(TenantOwned, Coded):
    """A user's place in a tenant: the roles they hold there."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership_row")
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(MembershipQuerySet)()

    class Meta:
        verbose_name = _("membership")
        indexes = [models.Index(fields=["tenant", "is_active"], name="membership_tenant_active")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="membership_tenant_code"),
            models.CheckConstraint(
                condition=Q(roles__contained_by=[r.value for r in Role]), name="membership_roles_known",
                violation_error_message=_("Unknown role."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.roles if r in Role.values]


class OrgNodeQuerySet(TenantQuerySet):
    def live(self):
        return self.filter(retired_on__isnull=True)

    def subtree_of(self, node: OrgNode):
        return self.filter(path__startswith=node.path)

    def visible_to(self, user, on: dt.date | None = None):
        from .visibility import visible_nodes_q

        return self.filter(visible_nodes_q(user, on=on))


class OrgNode(TenantOwned, Coded):
    """A node of the organisation tree (nation → region → district → territory …).

    ``path`` is the materialised path of ids (``/1/7/42/``), kept by the services, so a
    subtree is one indexed prefix scan. ``OrgNodeVersion`` keeps every state a node had,
    with the dates it held, so the tree can be shown as it was on a past date.
    """

    class Kind(models.TextChoices):
        NATION = "nation", _("Nation")
        REGION = "region", _("Region")
        AREA = "area", _("Area")
        DISTRICT = "district", _("District")
        TERRITORY = "territory", _("Territory")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("level"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"), db_index=False,
    )
    path = models.CharField(max_length=500, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    external_code = models.CharField(_("external code"), max_length=40, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(OrgNodeQuerySet)()

    class Meta:
        verbose_name = _("organisation node")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["tenant", "path"], name="orgnode_tenant_path",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["tenant", "parent"], name="orgnode_tenant_parent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="orgnode_tenant_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]


class OrgNodeVersion(TenantOwned):
    """One state of a node over ``[valid_from, valid_to)``; ``valid_to`` null = current."""

    node = models.ForeignKey(OrgNode, on_delete=models.CASCADE, related_name="versions", db_index=False)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=OrgNode.Kind.choices)
    parent = models.ForeignKey(OrgNode, on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    retired = models.BooleanField(default=False)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True)
    changed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    change = models.CharField(max_length=20)  # created, renamed, moved, retired, restored
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "valid_from", "valid_to"], name="orgnodever_tenant_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="orgnodever_dates_ordered",
            ),
            ExclusionConstraint(
                name="orgnodever_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    ("node", RangeOperators.EQUAL),
                    (models.Func(models.F("valid_from"), models.F("valid_to"), function="daterange"),
                     RangeOperators.OVERLAPS),
                ],
            ),
        ]


class PositionQuerySet(TenantQuerySet):
    def active_on(self, day: dt.date):
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class Position(TenantOwned, Coded):
    """A holder assigned to a node from ``start_date`` to ``end_date`` (inclusive).

    A node with no position active on a day is vacant that day.
    """

    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, related_name="positions",
                             verbose_name=_("node"), db_index=False)
    holder = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="positions",
                               verbose_name=_("holder"), db_index=False)
    title = models.CharField(_("title"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(PositionQuerySet)()

    class Meta:
        verbose_name = _("position")
        indexes = [
            models.Index(fields=["tenant", "holder", "start_date"], name="position_tenant_holder"),
            models.Index(fields=["tenant", "node", "start_date"], name="position_tenant_node"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="position_tenant_code"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="position_dates_ordered",
                violation_error_message=_("The end date must not be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} @ {self.node}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class UserImport(TenantOwned, Coded):
    """A CSV of users uploaded by an admin: kept with its outcome (all rows or none)."""

    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=20)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="userimport_tenant_recent")]


class NotificationQuerySet(TenantQuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(TenantOwned, Coded):
    """A message to one member, shown in the app's notification list (and emailed).

    Approvals, reminders and, later, budget and cap alerts all arrive here.
    """

    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager.from_queryset(NotificationQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "recipient", "read_at", "-created_at"], name="notification_inbox")]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="notification_tenant_code")]

    def __str__(self) -> str:
        return self.title
