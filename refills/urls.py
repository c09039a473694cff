from django.urls import path

from refills import drafts, views

app_name = "refills"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path(
        "patients/<int:patient_pk>/encounters/new/",
        views.encounter_create,
        name="encounter_create",
    ),
    path(
        "patients/<int:patient_pk>/visits/new/",
        views.provider_visit_create,
        name="provider_visit_create",
    ),
    path("patients/<int:patient_pk>/orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter_detail"),
    path("encounters/<int:pk>/override/", views.encounter_override, name="encounter_override"),
    path("encounters/<int:pk>/teaching/", views.teaching_sheet, name="teaching_sheet"),
    path("encounters/<int:pk>/edit/", views.encounter_edit, name="encounter_edit"),
    path("encounters/<int:pk>/verify/", views.encounter_verify, name="encounter_verify"),
    path("encounters/<int:pk>/sign/", views.encounter_sign, name="encounter_sign"),
    path("encounters/<int:pk>/addenda/new/", views.addendum_create, name="addendum_create"),
    path("patients/<int:pk>/audit/", views.patient_audit, name="patient_audit"),
    path("encounters/<int:pk>/audit/", views.encounter_audit, name="encounter_audit"),
    path("drafts/", drafts.draft_save, name="draft_save"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/correct/", views.visit_correct, name="visit_correct"),
    path("visits/<int:pk>/withdraw/", views.visit_withdraw, name="visit_withdraw"),
]
