"""Kubernetes resource quantities (``250m``, ``1.5``, ``512Mi``, ``2G``, ``1e9``) as exact numbers.

Parsed the way the API server does (k8s.io/apimachinery resource.Quantity): a signed decimal
number followed by a binary suffix (Ki..Ei), a decimal suffix (n, u, m, k, M, G, T, P, E)
or a decimal exponent (e3, E-2).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$"
)


class QuantityError(ValueError):
    pass


def parse_quantity(value: object) -> Decimal:
    """Return the quantity in base units (cores for CPU, bytes for memory)."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    match = _QUANTITY.match(value.strip())
    if match is None:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1G)")
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise QuantityError(f"{value!r} is not a Kubernetes quantity") from None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


def format_cpu(cores: Decimal) -> str:
    return f"{cores.normalize():f} CPU" if cores >= 1 else f"{(cores * 1000).normalize():f}m CPU"


def format_bytes(size: Decimal) -> str:
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if size >= unit:
            shown = (size / unit).quantize(Decimal("0.01")).normalize()
            return f"{shown:f}{suffix}"
    return f"{size.normalize():f} bytes"


def cpu_quantity(cores: Decimal) -> str:
    """Cores as a Kubernetes quantity: ``Decimal("0.25")`` -> ``250m``."""
    millis = (cores * 1000).to_integral_value()
    return f"{int(millis) // 1000}" if millis % 1000 == 0 else f"{int(millis)}m"


def memory_quantity(size: Decimal) -> str:
    """Bytes as a Kubernetes quantity in Mi: ``Decimal(2**31)`` -> ``2048Mi``."""
    return f"{int(size // 2**20)}Mi"
