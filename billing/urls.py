from django.urls import path

from billing import dashboard_views, views

app_name = "billing"

urlpatterns = [
    path("claims/", views.queue, name="queue"),
    path("claims/bulk/", views.claims_bulk, name="claims_bulk"),
    path("claims/export/", views.export_selected, name="export_selected"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/redecide/", views.claim_redecide, name="claim_redecide"),
    path("claims/<int:pk>/approve/", views.claim_approve, name="claim_approve"),
    path("claims/<int:pk>/hold/", views.claim_hold, name="claim_hold"),
    path("claims/<int:pk>/release/", views.claim_release, name="claim_release"),
    path("claims/<int:pk>/correct/", views.claim_correct, name="claim_correct"),
    path("claims/<int:pk>/reviewed/", views.claim_review, name="claim_review"),
    path("claims/<int:pk>/cms1500/", views.claim_form_1500, name="claim_1500"),
    path("claims/<int:pk>/audit/", views.claim_audit, name="claim_audit"),
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("denials/", dashboard_views.denials, name="denials"),
    path("denials/<int:pk>/act/", dashboard_views.denial_act, name="denial_act"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/new/", views.export_create, name="export_create"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_create, name="import_create"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/unmatched/", views.unmatched_list, name="unmatched_list"),
]
