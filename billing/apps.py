from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import links as billing_links
        from billing.selectors import primary_payer_name, stocked_ndcs
        from refills import links, ndc
        from refills.signals import documentation_changed

        ndc.register_stock(stocked_ndcs)
        links.register_encounter_links("billing", billing_links.encounter_links)
        links.register_home_page("billing", billing_links.home_page)
        links.register_payer("billing", primary_payer_name)

        documentation_changed.connect(
            _decide_on_documentation_change, dispatch_uid="billing.decide_claim"
        )


def _decide_on_documentation_change(sender, *, encounter, by, reason, now, **kwargs) -> None:
    # Runs inside the refills service's transaction: if deciding fails, signing fails too.
    from billing.services import claim_decide_for_encounter

    claim_decide_for_encounter(encounter=encounter, by=by, reason=reason, now=now)
