"""Payer administration for the Admin role. Claims are read-only here: their status
changes only through the biller's queue and its audited services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from billing import services
from billing.models import (
    AdjustmentReason,
    ChargeMasterItem,
    Claim,
    ClaimExport,
    Coverage,
    DrugCatalogueItem,
    FeeScheduleEntry,
    Payer,
    PracticeSettings,
    RemarkCode,
    StockedNDC,
)
from config.viewonly import ViewOnlyAdmin
from refills.admin import HistoryAdmin, ReadOnlyAdmin
from refills.forms import NDCField
from refills.models import field_label


class AuditedAdmin(HistoryAdmin):
    """Every admin change lands in the history with who and a reason."""

    def save_model(self, request, obj, form, change):
        # The reason is read on audit pages: it names fields by their labels.
        fields = ", ".join(field_label(type(obj), n) for n in form.changed_data) or "no fields"
        obj._change_reason = f"admin {'change' if change else 'add'}: {fields}"
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj._change_reason = "admin delete"
        super().delete_model(request, obj)


@admin.register(Payer)
class PayerAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "program",
        "claim_filing_indicator",
        "x12_payer_id",
        "allows_99211_with_drug_admin",
        "modifier25_requires_note",
        "active",
    ]
    list_filter = [
        "program",
        "claim_filing_indicator",
        "active",
        "allows_99211_with_drug_admin",
        "modifier25_requires_note",
    ]
    search_fields = ["code", "name", "x12_payer_id"]

    # The fields the engine reads as the payer's policy.
    POLICY_FIELDS = frozenset({"allows_99211_with_drug_admin", "modifier25_requires_note"})

    def get_urls(self):
        return [
            path(
                "<int:object_id>/redecide/",
                self.admin_site.admin_view(self.redecide_view),
                name="billing_payer_redecide",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        request.payer_policy_changed = change and bool(self.POLICY_FIELDS & set(form.changed_data))
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        if getattr(request, "payer_policy_changed", False):
            count = services.payer_open_encounters(obj).count()
            if count:
                messages.warning(
                    request,
                    format_html(
                        '{} has {} open claim(s) decided under its old policy. <a href="{}">'
                        "Re-decide them</a>.",
                        obj,
                        count,
                        reverse("admin:billing_payer_redecide", args=[obj.pk]),
                    ),
                )
        return super().response_change(request, obj)

    def redecide_view(self, request, object_id):
        """Count first (GET), then re-decide (POST) the payer's claims not yet sent."""
        payer = self.get_object(request, str(object_id))
        if payer is None:
            raise Http404
        if not self.has_change_permission(request, payer):
            raise PermissionDenied
        if request.method == "POST":
            result = services.claims_redecide_for_payer(
                payer=payer, by=request.user, reason=f"payer policy changed ({payer.code})"
            )
            messages.success(
                request,
                f"Re-decided the open claims of {payer}: {result['kept']} kept (same lines), "
                f"{result['replaced']} replaced by a new decision.",
            )
            return redirect("admin:billing_payer_change", payer.pk)
        return TemplateResponse(
            request,
            "admin/billing/payer/redecide.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Re-decide the open claims of {payer}",
                "payer": payer,
                "count": services.payer_open_encounters(payer).count(),
            },
        )


@admin.register(Coverage)
class CoverageAdmin(AuditedAdmin):
    list_display = [
        "patient",
        "payer",
        "member_id",
        "group_number",
        "priority",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["payer", "priority"]
    search_fields = ["patient__last_name", "patient__mrn", "member_id"]
    autocomplete_fields = ["patient", "payer"]
    list_select_related = ["patient", "payer"]


@admin.register(ChargeMasterItem)
class ChargeMasterItemAdmin(AuditedAdmin):
    list_display = ["code", "description", "charge", "effective_from", "effective_to"]
    search_fields = ["code", "description"]
    list_filter = ["effective_from"]


class StockedNDCForm(forms.ModelForm):
    ndc = NDCField(
        label="NDC",
        help_text="As on the label with its hyphens (63323-117-10), or the 11 digits.",
    )

    class Meta:
        model = StockedNDC
        fields = ["ndc", "description", "package_unit", "mg_per_package_unit", "container"]


class StockedNDCInline(admin.TabularInline):
    model = StockedNDC
    form = StockedNDCForm
    extra = 1


@admin.register(DrugCatalogueItem)
class DrugCatalogueItemAdmin(AuditedAdmin):
    list_display = [
        "name",
        "hcpcs",
        "billing_unit_mg",
        "charge_per_unit",
        "effective_from",
        "effective_to",
    ]
    search_fields = ["name", "hcpcs", "ndcs__ndc"]
    list_filter = ["effective_from"]
    inlines = [StockedNDCInline]


@admin.register(FeeScheduleEntry)
class FeeScheduleEntryAdmin(AuditedAdmin):
    list_display = ["payer", "code", "allowed_amount", "label", "effective_from", "effective_to"]
    list_filter = ["payer"]
    search_fields = ["code", "label"]
    list_select_related = ["payer"]


class CodeListAdmin(AuditedAdmin):
    list_display = ["code", "description", "effective_from", "effective_to"]
    search_fields = ["code", "description"]

    def get_readonly_fields(self, request, obj=None):
        # A code's identity is the payer's: reword or retire it, never renumber it.
        return ["code"] if obj is not None else []


@admin.register(AdjustmentReason)
class AdjustmentReasonAdmin(CodeListAdmin):
    pass


@admin.register(RemarkCode)
class RemarkCodeAdmin(CodeListAdmin):
    pass


@admin.register(PracticeSettings)
class PracticeSettingsAdmin(AuditedAdmin):
    list_display = ["billing_provider_name", "npi", "tax_id", "usage_indicator"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not PracticeSettings.objects.exists()


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "payer", "date_of_service", "status", "total_charge"]
    list_filter = ["status", "payer"]
    search_fields = ["patient__last_name", "patient__mrn"]
    date_hierarchy = "date_of_service"
    list_select_related = ["patient", "payer"]


@admin.register(ClaimExport)
class ClaimExportAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = ["filename", "format", "claim_count", "created_at", "created_by"]
    exclude = ["content"]
