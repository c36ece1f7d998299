from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy

from govdoc.accounts.constants import AccountKind, Role, Script


class Agency(models.Model):
    """A government body: a ministry, a municipality, an office."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=32, unique=True, help_text="Short stable code, e.g. 'mup'.")
    name = models.CharField(max_length=200, help_text="Name in Serbian Latin script.")
    name_cyrl = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    registry_number_template = models.CharField(
        max_length=64,
        blank=True,
        help_text=(
            "How registry numbers are written, e.g. {classification}-{number}/{year} (02-05-123/2026); "
            "empty: {agency}-{year}-{number6} (MUP-2026-000123). Parts: {agency}, {classification}, "
            "{year}, {number}, {number6}. Numbers already given keep their text."
        ),
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An organizational unit; units form a tree inside one agency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=200)
    name_cyrl = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["agency__code", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="unit_code_unique_in_agency")]

    def __str__(self) -> str:
        return f"{self.agency.code}/{self.code} {self.name}"


class Person(AbstractUser):
    """A citizen or an official. Officials act through memberships of units."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    is_citizen = models.BooleanField(default=False)
    # The verbose name is what a person reads in "The password is too similar to the JMBG."
    national_id = models.CharField(
        gettext_lazy("JMBG"),
        max_length=13,
        blank=True,
        help_text="JMBG: personal data, access to it is audited.",
    )
    preferred_script = models.CharField(max_length=8, choices=Script.choices, default=Script.LATIN)
    account_kind = models.CharField(
        max_length=8,
        choices=AccountKind.choices,
        default=AccountKind.PERSON,
        help_text="A system account never logs in to pages; it calls the API with a scoped token.",
    )
    email_confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the person followed the link sent to their e-mail. A citizen's sign-up stays "
        "inactive until then; people made by an administrator are confirmed when made.",
    )

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account_kind__in=AccountKind.values), name="person_account_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(account_kind=AccountKind.SYSTEM)
                | models.Q(is_citizen=False, is_staff=False, is_superuser=False),
                name="person_system_is_no_citizen_nor_staff",
            ),
            # One account per JMBG: the database holds it even when two sign-ups race.
            models.UniqueConstraint(
                fields=["national_id"], condition=~models.Q(national_id=""), name="person_national_id_unique"
            ),
        ]

    @property
    def is_system(self) -> bool:
        return self.account_kind == AccountKind.SYSTEM

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A person's position in a unit with one role; several memberships are allowed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    position = models.CharField(max_length=200, blank=True, help_text="Title, e.g. 'Senior advisor'.")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "unit", "role"],
                condition=models.Q(valid_to__isnull=True),
                name="membership_one_open_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="membership_dates_ordered",
            ),
            models.CheckConstraint(condition=~models.Q(role=Role.CITIZEN), name="membership_not_citizen"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} @ {self.unit}"


class ApiToken(models.Model):
    """A bearer token: an agency system (or an integrator acting as a person) calls the API.

    Only the SHA-256 of the secret is kept; the secret is shown once, when the token is issued.
    ``scopes`` are what the token allows beyond the person's own rights, e.g.
    ``issue:uverenje-o-prebivalistu`` (direct issuance of that service, for system accounts).
    Every token expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What system uses it.")
    token_sha256 = models.CharField(max_length=64, unique=True)
    scopes: models.JSONField[list[str], Any] = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.person})"


class LoginAttempt(models.Model):
    """A failed log-in step (a wrong password or a wrong second-factor code), kept for an hour to
    slow down guessing with progressive delays: per account and client address, per address,
    and (more slowly) per account. Never a hard lock that an attacker could trigger."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(db_index=True)
    client = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="SHA-256 of the client address."
    )
    kind = models.CharField(
        max_length=16, default="password", help_text="What was wrong: password or second_factor."
    )

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class SecondFactor(models.Model):
    """A person's authenticator (TOTP, RFC 6238). The secret is kept encrypted under a key
    derived from the installation's secret key; the recovery codes only as SHA-256 hashes.
    ``last_step`` is the time step of the last accepted code: a code is never accepted twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="second_factor")
    secret_encrypted = models.TextField(help_text="Encrypted; never shown again after enrolment.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    recovery_hashes: models.JSONField[list[str], Any] = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"authenticator of {self.person} ({state})"


class RateCount(models.Model):
    """Requests of one client address to one kind of public endpoint in one time window."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=32)
    client = models.CharField(max_length=64, help_text="SHA-256 of the client address.")
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "client", "window_start"], name="ratecount_one_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.client[:8]} @ {self.window_start:%H:%M:%S}: {self.count}"
