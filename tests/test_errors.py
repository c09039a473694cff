"""One base error for every refusal the apps raise."""

from __future__ import annotations

import pytest

from billing.errors import BillingError
from config.errors import ApplicationError
from refills.errors import DuplicateSubmissionError, HardStopError, RefillError


@pytest.mark.parametrize("error", [RefillError, BillingError])
def test_each_app_refuses_with_an_application_error(error):
    refused = error("Give a reason.", field="reason", code="required")

    assert isinstance(refused, ApplicationError)
    assert (str(refused), refused.message, refused.field, refused.code) == (
        "Give a reason.",
        "Give a reason.",
        "reason",
        "required",
    )


def test_refill_refusals_are_not_billing_refusals():
    assert not issubclass(RefillError, BillingError)
    assert not issubclass(BillingError, RefillError)
    assert issubclass(HardStopError, RefillError)
    assert issubclass(DuplicateSubmissionError, RefillError)
