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


def is_overspend(variance: float | None, threshold: float) -> bool:
    return variance is not None and variance > threshold
