"""Variance of actual spend against a plan (budget or estimate), and what it means.

Only overspend beyond the threshold is flagged; underspend is shown as a negative variance and
never flagged. A line whose spend (actual, else estimate) reaches the highest budget alert
threshold (90 % by default) is "near budget".
"""

from __future__ import annotations

DEFAULT_THRESHOLD_PERCENT = 10.0

# One meaning per status; every format prints the word, the HTML also its colour.
OVERSPEND = "overspend"          # actual beyond budget or estimate by more than the threshold
NEAR_BUDGET = "near budget"      # at or above the highest alert threshold of the budget
WITHIN = "within budget"         # spend known and neither of the above (underspend included)
NO_DATA = ""                     # nothing to compare


def variance_percent(actual: float | None, planned: float | None) -> float | None:
    """(actual - planned) / planned in %, positive when over; None when either is unknown or 0."""
    if actual is None or not planned:
        return None
    return round(100 * (actual - planned) / planned, 1)


def exceeds(actual: float | None, planned: float | None, threshold: float) -> bool:
    """Actual spend beyond ``planned`` by more than ``threshold`` %, judged before any rounding
    (10.04 % is over a 10 % threshold); any spend against a plan of 0 is beyond it."""
    if actual is None or planned is None:
        return False
    if planned == 0:
        return actual > 0
    return 100 * (actual - planned) / planned > threshold
