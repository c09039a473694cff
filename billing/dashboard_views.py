"""The billing dashboard: a chart and a table per figure, every number a link to the claims
behind it in the biller's queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import dashboard
from billing.forms import DashboardForm

# The dashboard opens on the last twelve months of dates of service.
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    numeric: bool = True


@dataclass
class Figure:
    """One chart (a bar per label, one or more series) and the table that says the same."""

    key: str
    title: str
    caption: str
    unit: str  # "claims", "$", "%" or "days": how the chart labels its values
    labels: list[str] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)

    def chart(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "labels": self.labels,
            "series": self.series,
        }


def queue_url(**params: object) -> str:
    query = urlencode([(key, str(value)) for key, value in params.items() if value])
    return f"{reverse('billing:queue')}?{query}"


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _period_params(period: dashboard.Period) -> dict[str, str]:
    return {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}


def status_figure(period: dashboard.Period) -> Figure:
    figure = Figure(
        key="status",
        title="Claims by status",
        caption="Claims with a date of service in the period, by their status today.",
        unit="claims",
        head=["Status", "Claims", "Charges"],
    )
    values, urls = [], []
    for row in dashboard.claims_by_status(period):
        url = queue_url(status=row.status, **_period_params(period))
        figure.labels.append(row.label)
        values.append(row.claims)
        urls.append(url)
        figure.rows.append(
            [
                Cell(row.label, numeric=False),
                Cell(f"{row.claims:,}", url),
                Cell(money(row.charges), url),
            ]
        )
    figure.series.append({"label": "Claims", "values": values, "urls": urls})
    return figure


def aging_figure(today: dt.date) -> Figure:
    figure = Figure(
        key="aging",
        title="Accounts receivable aging",
        caption=(
            f"Claims exported and not yet answered by the payer, by days since export, as of "
            f"{today.isoformat()}."
        ),
        unit="$",
        head=["Days since export", "Claims", "Charges"],
    )
    values, urls = [], []
    for row in dashboard.ar_aging(today):
        url = queue_url(age=row.bucket.key)
        figure.labels.append(row.bucket.label)
        values.append(str(row.charges))
        urls.append(url)
        figure.rows.append(
            [
                Cell(row.bucket.label, numeric=False),
                Cell(f"{row.claims:,}", url),
                Cell(money(row.charges), url),
            ]
        )
    figure.series.append({"label": "Charges", "values": values, "urls": urls})
    return figure


@require_GET
@permission_required("billing.view_claim", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = DashboardForm(
        request.GET or None,
        initial={"date_from": today - dt.timedelta(days=DEFAULT_DAYS - 1), "date_to": today},
    )
    figures: list[Figure] = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        period = dashboard.Period(
            first=data.get("date_from") or today - dt.timedelta(days=DEFAULT_DAYS - 1),
            last=data.get("date_to") or today,
        )
        figures = [status_figure(period), aging_figure(today)]
    return render(
        request,
        "billing/dashboard.html",
        {"form": form, "figures": figures, "charts": [f.chart() for f in figures]},
    )
