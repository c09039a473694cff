from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.http import require_POST

from refills import views as refills_views
from refills.forms import LoginForm

admin.site.site_header = "Pump refill administration"
admin.site.site_title = "Pump refill administration"

urlpatterns = [
    path("", refills_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", require_POST(auth_views.LogoutView.as_view()), name="logout"),
    path("refills/", include("refills.urls")),
    path("billing/", include("billing.urls")),
    path("admin/", admin.site.urls),
]
