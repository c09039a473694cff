"""Admin is for account and reference maintenance; clinical records are read-only here.

Documentation is written only through the clinical pages and their services, so the
admin never becomes a path around verification, signing or the lock.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from refills.models import Addendum, ClinicianProfile, Encounter, Patient, ProviderVisit


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's page for an old version saves a POST to it (a "revert") after
    checking only the view permission; here that write needs the change permission."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(HistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(HistoryAdmin):
    list_display = ["user", "credential", "npi"]
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


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "date_of_service", "status", "performing_nurse"]
    list_filter = ["status", "place_of_service"]
    date_hierarchy = "date_of_service"
    list_select_related = ["patient", "performing_nurse"]


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin):
    list_display = ["id", "encounter", "author", "created_at"]


@admin.register(ProviderVisit)
class ProviderVisitAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "date_of_service", "em_code", "provider"]
    list_filter = ["em_code"]
