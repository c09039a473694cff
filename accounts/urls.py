from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("password/", views.OwnPasswordView.as_view(), name="password_change"),
    path("session/", views.session_idle, name="session_idle"),
]
