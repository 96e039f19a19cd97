"""Fines, the owners' registry, challans and everything that happens to a challan."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from enforcement.events import VIOLATION_KINDS
from violations.models import KIND_LABELS, Violation


class FineClass(models.TextChoices):
    """Vehicle classes of the fine schedule (Punjab 2025 ordinance)."""

    MOTORCYCLE = "motorcycle", "Motorcycle"
    THREE_WHEELER = "three_wheeler", "Rickshaw / three-wheeler"
    CAR = "car", "Car / jeep (up to 2000 cc)"
    CAR_OVER_2000CC = "car_over_2000cc", "Car over 2000 cc"
    HEAVY = "heavy", "Heavy / transport vehicle"


class FineSchedule(models.Model):
    """The fine for a violation kind and vehicle class, in force from a date."""

    kind = models.CharField(max_length=16, choices=[(k, KIND_LABELS[k]) for k in VIOLATION_KINDS])
    fine_class = models.CharField(max_length=16, choices=FineClass.choices)
    amount_pkr = models.PositiveIntegerField()
    effective_from = models.DateField()
    provisional = models.BooleanField(
        default=False, help_text="Not in the published schedule; a sensible figure pending notice"
    )
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "fine_class", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "fine_class", "effective_from"], name="one_fine_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.fine_class}: Rs {self.amount_pkr} from {self.effective_from}"


class VehicleRegistration(models.Model):
    """A row of the Excise registry: who owns the vehicle with this plate."""

    plate = models.CharField(max_length=32, unique=True, help_text="Canonical LETTERS-DIGITS")
    registration_year = models.CharField(max_length=4, blank=True)
    province = models.CharField(max_length=24)
    owner_name = models.CharField(max_length=120)
    cnic = models.CharField(max_length=13, db_index=True, help_text="13 digits, no dashes")
    address = models.TextField()
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    make = models.CharField(max_length=60)
    colour = models.CharField(max_length=30)
    vehicle_class = models.CharField(max_length=16)
    fine_class = models.CharField(max_length=16, choices=FineClass.choices)
    engine_cc = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["plate"]

    def __str__(self) -> str:
        return f"{self.plate} · {self.make} ({self.colour})"


class Challan(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        OVERDUE = "overdue", "Overdue"
        CANCELLED = "cancelled", "Cancelled"
        CONTESTED = "contested", "Contested"

    number = models.CharField(max_length=32, unique=True)
    public_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="challan")
    registration = models.ForeignKey(
        VehicleRegistration, on_delete=models.PROTECT, related_name="challans"
    )
    city_code = models.CharField(max_length=8, db_index=True)
    plate = models.CharField(max_length=32, db_index=True)
    owner_cnic = models.CharField(max_length=13, db_index=True)
    fine_class = models.CharField(max_length=16, choices=FineClass.choices)
    amount_pkr = models.PositiveIntegerField()
    late_fee_pkr = models.PositiveIntegerField(default=0)
    issued_at = models.DateTimeField(db_index=True)
    due_date = models.DateField(db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ISSUED, db_index=True
    )
    psid = models.CharField(max_length=17, unique=True, help_text="17-digit payment reference")
    pdf = models.FileField(upload_to="challans/%Y/%m/", max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_version = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_amount_pkr = models.PositiveIntegerField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["plate", "owner_cnic"], name="challan_lookup_idx")]
        permissions = [("cancel_challan", "Can cancel or re-issue challans")]

    def __str__(self) -> str:
        return self.number


class ChallanDocument(models.Model):
    """Every PDF version of a challan; a re-issue adds one, none is overwritten."""

    challan = models.ForeignKey(Challan, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to="challans/%Y/%m/", max_length=200)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["challan", "version"]
        constraints = [
            models.UniqueConstraint(fields=["challan", "version"], name="one_pdf_per_version")
        ]

    def __str__(self) -> str:
        return f"PDF v{self.version} of challan {self.challan_id}"


class ChallanEvent(models.Model):
    """The audit trail of a challan: issued, cancelled, re-issued, paid, contested, ..."""

    challan = models.ForeignKey(Challan, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on challan {self.challan_id} at {self.at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """One notice sent (or attempted) to an owner, with its outcome."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Purpose(models.TextChoices):
        ISSUED = "issued", "Challan issued"
        REMINDER = "reminder", "Due-date reminder"
        OVERDUE = "overdue", "Overdue, late fee applied"
        CONTEST_DECIDED = "contest_decided", "Contest decided"

    challan = models.ForeignKey(Challan, on_delete=models.PROTECT, related_name="notices")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    recipient = models.CharField(max_length=200)
    outcome = models.CharField(max_length=16, default="sent")
    detail = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["challan", "channel", "purpose"], name="one_notice_per_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} notice for challan {self.challan_id}: {self.outcome}"


class Payment(models.Model):
    """A payment confirmed by the gateway; the gateway's reference makes it idempotent."""

    challan = models.ForeignKey(Challan, on_delete=models.PROTECT, related_name="payments")
    psid = models.CharField(max_length=17)
    gateway_reference = models.CharField(max_length=64, unique=True)
    amount_pkr = models.PositiveIntegerField()
    paid_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"Rs {self.amount_pkr} for PSID {self.psid} ({self.gateway_reference})"


class ContestRequest(models.Model):
    """A citizen's complaint against a challan, and the supervisor's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        UPHELD = "upheld", "Challan upheld"
        CANCELLED = "cancelled", "Challan cancelled"

    challan = models.ForeignKey(Challan, on_delete=models.PROTECT, related_name="contests")
    reason = models.TextField()
    photo = models.FileField(upload_to="contests/%Y/%m/", blank=True, max_length=200)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"Contest of challan {self.challan_id} ({self.get_status_display()})"


class ChallanSequence(models.Model):
    """The last number used per city and year, locked while a number is taken."""

    city_code = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city_code", "year"], name="one_sequence_per_city_year")
        ]

    def __str__(self) -> str:
        return f"{self.city_code}-{self.year}: {self.last_number}"
