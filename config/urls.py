from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from accounts import views as accounts_views
from config.health import healthz
from refills import views as refills_views

admin.site.site_header = "Pump refill administration"
admin.site.site_title = "Pump refill administration"

urlpatterns = [
    path("", refills_views.home, name="home"),
    path("accounts/login/", accounts_views.SignInView.as_view(), name="login"),
    # Open without a session: the idle countdown signs out at the moment the session ends.
    path(
        "accounts/logout/",
        login_not_required(require_POST(auth_views.LogoutView.as_view())),
        name="logout",
    ),
    path("accounts/", include("accounts.urls")),
    path("refills/", include("refills.urls")),
    path("billing/", include("billing.urls")),
    # One sign-in page (with its lockout messages) and one password page, audited, for all.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
    ),
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="accounts:password_change"),
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
