"""Admin is for account and reference maintenance; clinical records are read-only here.

Documentation is written only through the clinical pages and their services, so the
admin never becomes a path around verification, signing or the lock.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from config.viewonly import ViewOnlyAdmin
from refills.blind import HIDDEN, PUMP_VALUE_FIELDS
from refills.models import (
    Addendum,
    ClinicianProfile,
    ClinicSettings,
    Encounter,
    Order,
    Patient,
    ProviderOverride,
    ProviderVisit,
)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's page for an old version saves a POST to it (a "revert") after
    checking only the view permission; here that write needs the change permission."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(ViewOnlyAdmin, HistoryAdmin):
    """A record with history that the admin only shows."""


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(HistoryAdmin):
    list_display = ["user", "credential", "npi", "taxonomy"]
    list_filter = ["credential"]
    search_fields = ["user__username", "user__last_name", "npi"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        obj._change_reason = "profile changed in admin"
        super().save_model(request, obj, form, change)


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "mrn", "date_of_birth"]
    search_fields = ["last_name", "first_name", "mrn"]


class _HiddenPumpValues(HistoricalRecordContextHelper):
    """The history page's field changes, with the pump values of an unverified draft hidden."""

    def context_for_delta_changes(self, delta):
        hidden = {str(Encounter._meta.get_field(f).verbose_name).lower() for f in PUMP_VALUE_FIELDS}
        return [
            {**change, "old": HIDDEN, "new": HIDDEN}
            if str(change["field"]).lower() in hidden
            else change
            for change in super().context_for_delta_changes(delta)
        ]


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "date_of_service", "status", "performing_nurse"]
    list_filter = ["status", "place_of_service"]
    date_hierarchy = "date_of_service"
    list_select_related = ["patient", "performing_nurse"]

    def _hides_pump_values(self, request, object_id) -> bool:
        # Decided by the encounter as it is now, whichever version the page shows.
        current = Encounter.objects.filter(pk=object_id).only("status", "performing_nurse").first()
        return current is not None and not current.pump_values_visible_to(request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and self._hides_pump_values(request, obj.pk):
            return [f for f in fields if f not in PUMP_VALUE_FIELDS]
        return fields

    def get_historical_record_context_helper(self, request, historical_record):
        if self._hides_pump_values(request, historical_record.id):
            return _HiddenPumpValues(self.model, historical_record)
        return super().get_historical_record_context_helper(request, historical_record)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "drug_name", "dose_mg", "status", "valid_from", "valid_to"]
    list_filter = ["status", "dose_basis"]
    list_select_related = ["patient"]


@admin.register(ProviderOverride)
class ProviderOverrideAdmin(ReadOnlyAdmin):
    list_display = ["id", "encounter", "provider", "created_at"]


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(HistoryAdmin):
    list_display = ["__str__", "dose_tolerance_percent", "after_hours_phone"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClinicSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj._change_reason = "clinic settings changed in admin"
        super().save_model(request, obj, form, change)


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin):
    list_display = ["id", "encounter", "author", "created_at"]


@admin.register(ProviderVisit)
class ProviderVisitAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "date_of_service", "em_code", "provider"]
    list_filter = ["em_code"]
