from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.selectors import stocked_ndcs
        from refills import ndc
        from refills.signals import documentation_changed

        ndc.register_stock(stocked_ndcs)

        documentation_changed.connect(
            _decide_on_documentation_change, dispatch_uid="billing.decide_claim"
        )


def _decide_on_documentation_change(sender, *, encounter, by, reason, now, **kwargs) -> None:
    # Runs inside the refills service's transaction: if deciding fails, signing fails too.
    from billing.services import claim_decide_for_encounter

    claim_decide_for_encounter(encounter=encounter, by=by, reason=reason, now=now)
