from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import timezone


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import links as billing_links
        from refills import links, ndc
        from refills.signals import documentation_changed, visit_change_requested

        ndc.register_stock(billing_links.stocked_ndcs)
        links.register_encounter_links("billing", billing_links.encounter_links)
        links.register_home_page("billing", billing_links.home_page)
        links.register_payer("billing", billing_links.primary_payer_name)
        links.register_holds("billing", billing_links.held_refills)

        documentation_changed.connect(
            _decide_on_documentation_change, dispatch_uid="billing.decide_claim"
        )
        visit_change_requested.connect(
            _refuse_visit_change_after_export, dispatch_uid="billing.visit_after_export"
        )
        post_migrate.connect(
            _ensure_status_totals, sender=self, dispatch_uid="billing.status_totals"
        )


def _ensure_status_totals(sender, *, using, **kwargs) -> None:
    from billing import status_totals

    status_totals.ensure(connections[using])


def _decide_on_documentation_change(sender, *, encounter, by, reason, now, **kwargs) -> str:
    # Runs inside the refills service's transaction: if deciding fails, signing fails too.
    from billing.selectors import claim_outcome
    from billing.services import claim_decide_for_encounter

    claim = claim_decide_for_encounter(encounter=encounter, by=by, reason=reason, now=now)
    return claim_outcome(claim)


def _refuse_visit_change_after_export(sender, *, visit, **kwargs) -> None:
    from billing.selectors import exported_claim_of_the_day
    from refills.errors import RefillError

    exported = exported_claim_of_the_day(visit.patient_id, visit.date_of_service)
    if exported is not None and exported.export is not None:
        raise RefillError(
            f"Claim #{exported.pk} of that day was exported on "
            f"{timezone.localtime(exported.export.created_at):%Y-%m-%d}: the visit can no "
            "longer change here. Ask billing for a corrected claim.",
            code="exported",
        )
