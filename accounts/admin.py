"""Accounts, roles, sign-in lockouts and their audit trail in the admin.

Hiding a field is not the protection: the forms carry only the fields the signed-in person
may change, and every save is checked again in ``accounts.services`` against what is in the
database, whatever the request held.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery, Sum
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from accounts import lockout, services
from accounts.forms import StaffUserChangeForm, staff_roles_help
from accounts.models import AccountEvent, SignInLockout
from config.viewonly import ViewOnlyAdmin

User = get_user_model()

PERSONAL = ("Personal info", {"fields": ("first_name", "last_name", "email")})
DATES = ("Important dates", {"fields": ("last_login", "date_joined")})
RIGHTS = ("Administrator rights", {"fields": ("is_staff", "is_superuser")})


def _address(request) -> str | None:
    return lockout.client_address(request)


class StaffUserAdmin(UserAdmin):
    form = StaffUserChangeForm
    list_display = ("username", "first_name", "last_name", "roles", "is_active", "is_staff")
    list_filter = ("is_active", "groups", "is_staff", "is_superuser")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, obj) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser or obj.pk == request.user.pk:
            return True
        return services.may_manage(request.user, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            fieldsets = super().get_fieldsets(request, obj)
            return fieldsets if obj is None else (*fieldsets, ("Why", {"fields": ("reason",)}))
        account = (None, {"fields": ("username", "password")})
        if obj.pk == request.user.pk or not services.may_manage(request.user, obj):
            access = ("Access", {"fields": ("is_active", "groups")})
            return (account, PERSONAL, access, RIGHTS, DATES)
        access = ("Access", {"fields": ("is_active", "groups", "reason")})
        return (account, PERSONAL, access, RIGHTS, DATES)

    def get_readonly_fields(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        if obj.pk == request.user.pk:
            return ("is_active", "groups", "is_staff", "is_superuser", "last_login", "date_joined")
        return ("is_staff", "is_superuser", "last_login", "date_joined")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form = type(form.__name__, (form,), {"actor": request.user})
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=services.ADMIN_ASSIGNABLE)
            kwargs["help_text"] = staff_roles_help()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            form.audit_before = services.account_snapshot(obj)
        elif not request.user.is_superuser and (obj.is_staff or obj.is_superuser):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if not change:
            services.account_created(user=user, by=request.user, address=_address(request))
            return
        services.account_changed(
            user=user,
            by=request.user,
            before=form.audit_before,
            after=services.account_snapshot(user),
            reason=form.cleaned_data.get("reason", ""),
            address=_address(request),
        )

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and user.pk == request.user.pk:
            return HttpResponseRedirect(reverse("accounts:password_change"))
        if user is not None and not services.may_manage(request.user, user):
            raise PermissionDenied
        if request.method != "POST" or user is None:
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            stored = User.objects.get(pk=user.pk)
            if stored.password != user.password:
                services.password_set_by_other(
                    user=stored, by=request.user, address=_address(request)
                )
        return response


class RoleAdmin(GroupAdmin):
    """What each role may do is the superuser's to change; everyone else reads it."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_related(self, request, form, formsets, change):
        group = form.instance
        before = _permission_names(group) if change else []
        super().save_related(request, form, formsets, change)
        services.role_permissions_changed(
            group=group,
            by=request.user,
            before=before,
            after=_permission_names(group),
            address=_address(request),
        )


def _permission_names(group) -> list[str]:
    return sorted(
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    )


class BlockedNowFilter(admin.SimpleListFilter):
    title = "blocked now"
    parameter_name = "blocked"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() not in {"yes", "no"}:
            return queryset
        now = timezone.now()
        blocked = [
            row.pk
            for row in queryset
            if (lockout.blocked_until(row.total_failures, row.last_failure_at) or now) > now
        ]
        if self.value() == "yes":
            return queryset.filter(pk__in=blocked)
        return queryset.exclude(pk__in=blocked)


class SignInLockoutAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """The usernames failing to sign in at each address, and when each may try again."""

    list_display = ("username", "ip_address", "failures", "last_failure", "blocked_until")
    list_filter = (BlockedNowFilter,)
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    actions = ["release"]
    fields = (
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
        "attempt_time",
    )

    def get_queryset(self, request):
        same = SignInLockout.objects.filter(
            username=OuterRef("username"), ip_address=OuterRef("ip_address")
        ).values("username", "ip_address")
        return (
            super()
            .get_queryset(request)
            .annotate(
                total_failures=Subquery(same.annotate(n=Sum("failures_since_start")).values("n")),
                last_failure_at=Subquery(same.annotate(t=Max("attempt_time")).values("t")),
            )
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_release_permission(self, request) -> bool:
        return request.user.has_perm("accounts.release_signinlockout")

    @admin.display(description="failures", ordering="total_failures")
    def failures(self, obj) -> int:
        return obj.total_failures

    @admin.display(description="last failure", ordering="last_failure_at")
    def last_failure(self, obj):
        return obj.last_failure_at

    @admin.display(description="may try again at")
    def blocked_until(self, obj):
        until = lockout.blocked_until(obj.total_failures, obj.last_failure_at)
        return until if until and until > timezone.now() else "now"

    @admin.action(permissions=["release"], description="Release the selected lockouts")
    def release(self, request, queryset):
        count = services.lockouts_release(
            lockouts=list(queryset), by=request.user, address=_address(request)
        )
        self.message_user(
            request, f"Released {count} lockout{'s' if count != 1 else ''}.", messages.SUCCESS
        )


class AccountEventAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    list_display = (
        "at",
        "kind",
        "subject_username",
        "actor_username",
        "summary",
        "reason",
        "address",
    )
    list_filter = ("kind",)
    search_fields = ("subject_username", "actor_username")
    date_hierarchy = "at"
    list_select_related = False

    @admin.display(description="what changed")
    def summary(self, obj) -> str:
        return "; ".join(f"{key}: {value}" for key, value in obj.detail.items())


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.register(User, StaffUserAdmin)
admin.site.register(Group, RoleAdmin)
admin.site.register(SignInLockout, SignInLockoutAdmin)
admin.site.register(AccountEvent, AccountEventAdmin)
