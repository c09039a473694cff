"""Load profile: nurses on their worklist and encounters, billers on the queue and claims.

About 7 requests in 100 write: a nurse registers a patient, a biller holds a claim and
releases it again (so the queue keeps its shape for the whole run). Every user signs in once,
with the demo logins `seed_demo` creates, and a monitor polls `/healthz` beside them, so the
report has the baseline the pages are compared with (docs/benchmarks.md, "Load").

    locust -f tools/load/locustfile.py --host http://127.0.0.1:8000 \
        --users 50 --spawn-rate 10 --run-time 3m --headless --csv load
"""

from __future__ import annotations

import itertools
import os
import re
import secrets

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "refill-demo-2026")
NURSES = os.environ.get("LOAD_NURSES", "rn.alvarez,rn.chen").split(",")
BILLERS = os.environ.get("LOAD_BILLERS", "biller.jones").split(",")

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_mrns = itertools.count(10**6 + secrets.randbelow(800) * 10**4)


def _ids(html: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(pattern, html)))


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    usernames: list[str] = []

    def on_start(self) -> None:
        username = secrets.choice(self.usernames)
        page = self.client.get("/accounts/login/", name="sign-in page")
        self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf(page)},
            name="sign in",
        )

    def csrf(self, response) -> str:
        match = _CSRF.search(response.text)
        return match.group(1) if match else ""

    def pick(self, url: str, name: str, link: str) -> str | None:
        """The id of one of the records the page at ``url`` links to (``link``: the pattern
        of those links, the id its group), or None when it links to none."""
        page = self.client.get(url, name=name)
        ids = _ids(page.text, link)
        return secrets.choice(ids) if ids else None

    def post(self, url: str, form_url: str, data: dict[str, str], name: str) -> None:
        form = self.client.get(form_url, name=f"{name} (form)")
        data = {**data, "csrfmiddlewaretoken": self.csrf(form)}
        # A claim another biller held a moment earlier is refused with a message: that is
        # the app working, not an error. A form sent back with errors is one.
        with self.client.post(url, data, name=name, catch_response=True) as response:
            if response.status_code != 200 or "is-invalid" in response.text:
                response.failure(f"{name}: answered {response.status_code}")


class Nurse(SignedIn):
    weight = 3
    usernames = NURSES

    @task(6)
    def worklist(self) -> None:
        self.client.get("/refills/", name="worklist")

    @task(3)
    def patients(self) -> None:
        pk = self.pick("/refills/patients/", "patient list", r'href="/refills/patients/(\d+)/"')
        if pk:
            self.client.get(f"/refills/patients/{pk}/", name="patient")

    @task(4)
    def encounter(self) -> None:
        pk = self.pick("/refills/", "worklist", r'href="/refills/encounters/(\d+)/"')
        if pk:
            self.client.get(f"/refills/encounters/{pk}/", name="encounter")

    @task(1)
    def register_patient(self) -> None:
        mrn = f"LT{next(_mrns)}"
        self.post(
            "/refills/patients/new/",
            "/refills/patients/new/",
            {
                "mrn": mrn,
                "last_name": "Load",
                "first_name": "Test",
                "date_of_birth": "1960-05-04",
                "sex": "F",
                "address_line1": "1 Main St",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
                "diagnosis_codes": "C18.9",
            },
            name="register patient",
        )


class Biller(SignedIn):
    weight = 2
    usernames = BILLERS

    @task(6)
    def queue(self) -> None:
        self.client.get("/billing/claims/", name="queue")

    @task(5)
    def claim(self) -> None:
        pk = self.some_claim()
        if pk:
            self.client.get(f"/billing/claims/{pk}/", name="claim")

    @task(1)
    def cms1500(self) -> None:
        pk = self.some_claim()
        if pk:
            self.client.get(f"/billing/claims/{pk}/cms1500/", name="CMS-1500")

    @task(1)
    def exports(self) -> None:
        self.client.get("/billing/exports/", name="exports")

    @task(1)
    def hold_and_release(self) -> None:
        pk = self.some_claim(status="ready")
        if not pk:
            return
        page = f"/billing/claims/{pk}/"
        reason = {"reason": "Load test: waiting for the visit note"}
        self.post(f"/billing/claims/{pk}/hold/", page, reason, name="hold claim")
        self.post(f"/billing/claims/{pk}/release/", page, reason, name="release claim")

    def some_claim(self, status: str = "") -> str | None:
        url = f"/billing/claims/?status={status}" if status else "/billing/claims/"
        return self.pick(url, "queue", r'href="/billing/claims/(\d+)/"')


class Monitor(HttpUser):
    """The baseline: what one database round trip through the whole stack costs."""

    weight = 1
    wait_time = between(0.5, 1)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="/healthz")
