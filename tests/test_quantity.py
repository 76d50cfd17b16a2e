from decimal import Decimal

import pytest
from finops_core.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(("text", "expected"), [
    ("250m", Decimal("0.25")), ("1.5", Decimal("1.5")), ("2", Decimal(2)), (32, Decimal(32)),
    ("512Mi", Decimal(512 * 2**20)), ("2G", Decimal(2 * 10**9)), ("2Gi", Decimal(2 * 2**30)),
    ("1e3", Decimal(1000)), ("100k", Decimal(100000)), ("1Ki", Decimal(1024)), (".5", Decimal("0.5")),
])
def test_quantities_parse_as_kubernetes_does(text: object, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "1.5 Gi", "Gi", "1GB", "abc", None, True, [1]])
def test_malformed_quantities_are_rejected(text: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
