"""Admin pages that show records and never add, change or delete them."""

from __future__ import annotations


class ViewOnlyAdmin:
    """Mixed into a ``ModelAdmin`` (before it): records written elsewhere (by the app's
    services, or as an audit trail) are only read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
