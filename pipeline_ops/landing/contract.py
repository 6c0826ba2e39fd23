"""The landing-zone contract: what each upstream source delivers, where, and in which shape.

Layout: ``<PIPELINE_OPS_LANDING>/<source>/date=YYYY-MM-DD/<files>``. The folder date is a UTC
calendar day: the business date of the records for every source except ``click_events``, whose
folders are the UTC day the events were *delivered* (Kafka append time), so an event may sit in
a later day's folder than the day it happened. Monthly sources (salaries) deliver into the folder
of the month's first day. Landing files are read-only to pipeline_ops: it never moves, rewrites or
deletes them.

This module is the single definition used by the generator, the readers, the docs page
(docs/landing_zone.md is generated from it) and the quality checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DType = Literal["string", "int64", "float64", "bool", "date", "timestamp"]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: DType
    description: str
    nullable: bool = False
    unit: str = ""
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    file_format: Literal["csv", "jsonl"]
    file_glob: str
    cadence: Literal["daily", "monthly"]
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    domain: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "BRL")
PLANS = ("starter", "growth", "enterprise")
REGIONS = ("NA", "EU", "UK", "IN", "APAC", "LATAM")
SUBSCRIPTION_EVENT_TYPES = ("new", "upgrade", "downgrade", "licence_change", "renewal", "churn")
EXPENSE_CATEGORIES = ("cloud_infrastructure", "software", "marketing", "office", "travel", "professional_services")
SALARY_TEAMS = ("engineering", "sales", "customer_success", "marketing", "general_admin")
CLICK_EVENT_TYPES = ("page_view", "click", "feature_use")
FEATURES = ("dashboards", "reports", "automation", "api", "integrations", "forecasting", "chat", "mobile")

# A revenue document's service_end is at most this many days after the day it was issued (monthly
# billing in advance: a month-end run bills the whole next month, up to 31 days ahead). Recognised
# revenue of day D therefore needs only the documents issued D-31 .. D.
MAX_SERVICE_DAYS_AHEAD = 31

_money = "decimal amount in the row's currency (major units, e.g. 12.50)"

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            name="accounts",
            description="End-of-day snapshot (23:59:59 UTC) of every customer account created so far, churned ones included.",
            file_format="csv",
            file_glob="accounts.csv",
            cadence="daily",
            key=("account_id",),
            domain="growth",
            columns=(
                Column("account_id", "string", "stable account identifier, e.g. 'acc_000123'"),
                Column("account_name", "string", "customer company name"),
                Column("plan", "string", "current plan", allowed=PLANS),
                Column("region", "string", "sales region", allowed=REGIONS),
                Column("currency", "string", "billing currency, ISO 4217", allowed=CURRENCIES),
                Column("status", "string", "'active' or 'churned' at the end of the day", allowed=("active", "churned")),
                Column("licences", "int64", "licensed seats at the end of the day (0 once churned)", unit="seats"),
                Column("price_per_licence", "float64", "monthly list price per seat, " + _money, unit="currency/seat/month"),
                Column("mrr", "float64", "monthly recurring revenue (0 once churned), " + _money, unit="currency/month"),
                Column("created_at", "timestamp", "when the account signed up, UTC"),
                Column("churned_at", "timestamp", "when the account churned, UTC", nullable=True),
            ),
        ),
        Source(
            name="subscription_events",
            description="Every change to an account's subscription, one row per event, in the folder of its UTC day.",
            file_format="csv",
            file_glob="subscription_events.csv",
            cadence="daily",
            key=("event_id",),
            domain="growth",
            columns=(
                Column("event_id", "string", "unique event identifier"),
                Column("account_id", "string", "the account changed"),
                Column("event_type", "string", "kind of change", allowed=SUBSCRIPTION_EVENT_TYPES),
                Column("event_ts", "timestamp", "when the change took effect, UTC"),
                Column("plan_before", "string", "plan before the change (empty for 'new')", nullable=True, allowed=PLANS),
                Column("plan_after", "string", "plan after the change (empty for 'churn')", nullable=True, allowed=PLANS),
                Column("licences_before", "int64", "seats before (0 for 'new')", unit="seats"),
                Column("licences_after", "int64", "seats after (0 for 'churn')", unit="seats"),
                Column("mrr_before", "float64", "MRR before, " + _money, unit="currency/month"),
                Column("mrr_after", "float64", "MRR after, " + _money, unit="currency/month"),
                Column("currency", "string", "the account's billing currency", allowed=CURRENCIES),
            ),
        ),
        Source(
            name="revenue",
            description=(
                "Invoices and refunds issued, one row per document, in the folder of the UTC day it was issued. "
                "Each document names the service period it pays for (an invoice) or gives back (a refund): the "
                "UTC days service_start .. service_end, both inclusive, so a one-day period has service_start = "
                "service_end and the period has service_end - service_start + 1 days."
            ),
            file_format="csv",
            file_glob="invoices.csv",
            cadence="daily",
            key=("invoice_id",),
            domain="profit",
            columns=(
                Column("invoice_id", "string", "unique document identifier"),
                Column("account_id", "string", "the billed account"),
                Column("kind", "string", "'invoice' adds revenue, 'refund' removes it", allowed=("invoice", "refund")),
                Column("issued_at", "timestamp", "when the document was issued, UTC"),
                Column("amount", "float64", "always >= 0; the sign comes from kind; " + _money),
                Column("currency", "string", "currency of amount", allowed=CURRENCIES),
                Column("service_start", "date", "first UTC day of the service period the document pays for or refunds (inclusive)"),
                Column(
                    "service_end", "date",
                    "last UTC day of the service period (inclusive); >= service_start and at most "
                    f"{MAX_SERVICE_DAYS_AHEAD} days after the issue day",
                ),
            ),
        ),
        Source(
            name="fx_rates",
            description="Daily reference exchange rates, one row per currency (USD included, at 1.0).",
            file_format="csv",
            file_glob="fx_rates.csv",
            cadence="daily",
            key=("rate_date", "currency"),
            domain="profit",
            columns=(
                Column("rate_date", "date", "the UTC day the rate applies to (equals the folder date)"),
                Column("currency", "string", "ISO 4217 code", allowed=CURRENCIES),
                Column("usd_per_unit", "float64", "US dollars per one unit of currency (> 0)", unit="USD/currency"),
            ),
        ),
        Source(
            name="expenses",
            description="Operating expenses booked, one row per expense line, in the folder of the UTC day booked.",
            file_format="csv",
            file_glob="expenses.csv",
            cadence="daily",
            key=("expense_id",),
            domain="profit",
            columns=(
                Column("expense_id", "string", "unique expense line identifier"),
                Column("expense_date", "date", "booking day (equals the folder date)"),
                Column("category", "string", "cost category", allowed=EXPENSE_CATEGORIES),
                Column("vendor", "string", "supplier name"),
                Column("amount", "float64", "cost, >= 0; " + _money),
                Column("currency", "string", "currency of amount", allowed=CURRENCIES),
            ),
        ),
        Source(
            name="salaries",
            description="Aggregated monthly payroll cost per team, delivered into the folder of the month's first day.",
            file_format="csv",
            file_glob="salaries.csv",
            cadence="monthly",
            key=("month", "team"),
            domain="profit",
            columns=(
                Column("month", "string", "payroll month 'YYYY-MM'"),
                Column("team", "string", "cost centre", allowed=SALARY_TEAMS),
                Column("headcount", "int64", "people paid that month", unit="people"),
                Column("amount", "float64", "total monthly employer cost, " + _money),
                Column("currency", "string", "currency of amount", allowed=CURRENCIES),
            ),
        ),
        Source(
            name="click_events",
            description=(
                "Product click stream exported from Kafka as JSON lines, one object per delivery, in the folder of the "
                "UTC day it was delivered. Deliveries are at-least-once: the same event_id can appear more than once, "
                "and an event can arrive up to 72 h after event_ts."
            ),
            file_format="jsonl",
            file_glob="*.jsonl",
            cadence="daily",
            key=("event_id",),
            domain="engagement",
            columns=(
                Column("event_id", "string", "unique per event; repeated on duplicate deliveries"),
                Column("user_id", "string", "the acting user, e.g. 'usr_0001234'"),
                Column("account_id", "string", "the user's account"),
                Column("event_ts", "timestamp", "when the user acted, UTC, ISO-8601 with 'Z'"),
                Column("received_ts", "timestamp", "Kafka append time, UTC; its day is the folder date"),
                Column("event_type", "string", "kind of interaction", allowed=CLICK_EVENT_TYPES),
                Column("feature", "string", "product feature used (feature_use events only)", nullable=True, allowed=FEATURES),
                Column("page", "string", "app page path, e.g. '/reports/42'"),
                Column("user_agent", "string", "client user agent (bots identify here or by behaviour)"),
                Column("kafka_partition", "int64", "source topic partition"),
                Column("kafka_offset", "int64", "offset within the partition; a redelivery has a new offset"),
            ),
        ),
        Source(
            name="experiment_assignments",
            description=(
                "End-of-day snapshot of every active experiment assignment (accounts and users). Experiments of "
                "one unit_type are mutually exclusive: a unit is in at most one experiment of its type at a time."
            ),
            file_format="csv",
            file_glob="assignments.csv",
            cadence="daily",
            key=("experiment_id", "unit_type", "unit_id"),
            domain="experiments",
            columns=(
                Column("experiment_id", "string", "experiment identifier, e.g. 'exp_pricing_q3'"),
                Column("unit_type", "string", "what is randomised", allowed=("account", "user")),
                Column("unit_id", "string", "account_id or user_id"),
                Column("variant", "string", "assigned arm", allowed=("control", "treatment")),
                Column("assigned_at", "timestamp", "when the unit entered the experiment, UTC"),
                Column(
                    "exclude_from_investor",
                    "bool",
                    "true when the experiment's traffic must not count in investor-facing numbers "
                    "(pricing tests with non-list prices, internal dogfood, synthetic load)",
                ),
            ),
        ),
    ]
}


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown landing source {name!r} (expected one of: {', '.join(SOURCES)})") from None
