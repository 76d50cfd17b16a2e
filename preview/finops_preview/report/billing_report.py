"""What ``finops report`` adds from a billing export: the month's actuals, the trend and forecast,
the phases, the weekly review, the other allocation tags, the ``--record`` snapshot, and the
executive summary every report begins with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from finops_core.reading import ConfigError

from .actuals import Actuals, last_full_month
from .billing_source import read_billing
from .billing_sums import BillingSums, month_starts, next_month
from .executive_summary import executive_summary
from .phase_budgets import load_phases, phase_status, read_ledger
from .spend_trend import Trend, build_trend, write_record
from .summary import Report
from .team_review import WeeklyReview, week_windows, weekly_review

MAX_MONTHS = 36
# The executive summary's forecast and movers look at least this many months back.
SUMMARY_MONTHS = 3


@dataclass
class BillingOptions:
    export: str | None          # the --actuals value when it names a billing export or Athena
    cost: str
    month: str | None           # YYYY-MM
    months: int
    period: str                 # month | week
    phases: Path | None         # --phases, else the default file where it exists
    default_phases: Path
    ledger: Path | None
    record: Path | None

    def check(self) -> None:
        if not 1 <= self.months <= MAX_MONTHS:
            raise ConfigError("--months", None, str(self.months), f"a number of months from 1 to {MAX_MONTHS}")
        if self.month is not None:
            try:
                dt.date.fromisoformat(f"{self.month}-01")
            except ValueError:
                raise ConfigError("--month", None, self.month, "a month such as 2026-10") from None
        needs_export = [flag for flag, used in (("--months", self.months > 1), ("--period week", self.period == "week"),
                                                ("--ledger", self.ledger is not None)) if used]
        if needs_export and self.export is None:
            raise ConfigError(needs_export[0], None, "<no billing export in --actuals>",
                              "--actuals FILE|DIR|GLOB (FOCUS or CUR 2.0) or athena://...")
        if self.phases is not None and not self.phases.is_file():
            raise ConfigError(self.phases, None, "<no such file>", "a phases file (see budgets/phases.yaml)")

    def month_bounds(self, today: dt.date) -> tuple[str, str]:
        if self.month:
            start = f"{self.month}-01"
            return start, next_month(start)
        return last_full_month(today)

    @property
    def phases_file(self) -> Path | None:
        if self.phases is not None:
            return self.phases
        return self.default_phases if self.default_phases.is_file() else None


def billing_actuals(options: BillingOptions, today: dt.date) -> tuple[BillingSums, Actuals] | None:
    """Read the export once, over every day any section needs, and take the month's actuals."""
    if options.export is None:
        return None
    start, end = options.month_bounds(today)
    first = month_starts(start[:7], max(options.months, SUMMARY_MONTHS))[0]
    last = end
    phases = load_phases(options.phases_file) if options.phases_file else []
    firsts = [first, *(p.start.isoformat() for p in phases)]
    if options.period == "week":
        firsts.append(week_windows(today)[1][0])
        last = max(last, today.isoformat())
    sums = read_billing(options.export, options.cost, min(firsts), last)
    return sums, sums.actuals(start, end, today)


def add_billing_sections(report: Report, options: BillingOptions, sums: BillingSums | None,
                         today: dt.date) -> None:
    trend: Trend | None = None
    review: WeeklyReview | None = None
    start, end = options.month_bounds(today)
    sections = report.billing_sections
    if sums is not None:
        sections["costBasis"] = "EffectiveCost" if options.cost == "effective" else "BilledCost"
        until = min(end, max(start, today.isoformat()))      # the current month: up to today
        sections["actualsByTag"] = {dim: sums.by(dim, start, until)
                                    for dim in ("cost_center", "phase", "owner", "feature")}
        shown = build_trend(sums, start[:7], options.months, options.record)
        if options.months > 1:
            sections["trend"] = [m.as_dict() for m in shown.months]
            sections["forecast"] = shown.forecast_dict()
        trend = shown if options.months >= SUMMARY_MONTHS else build_trend(sums, start[:7], SUMMARY_MONTHS, None)
        phases_file = options.phases_file
        if phases_file is not None:
            ledger = read_ledger(options.ledger) if options.ledger else []
            as_of = dt.date.fromisoformat(until)     # the current month: burn so far, not to month end
            sections["phases"] = {p.name: phase_status(p, sums, ledger, as_of).as_dict()
                                  for p in load_phases(phases_file)}
        if options.period == "week":
            review = weekly_review(sums, today)
            sections["review"] = review.as_dict()
    elif options.phases is not None:
        report.notes.append(f"{options.phases}: phase spend needs a billing export in --actuals (the Phase tag)")
    report.executive_summary = executive_summary(report, trend, review)
    if options.record is not None:
        write_record(options.record, start[:7], report.as_dict())
