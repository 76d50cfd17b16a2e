"""What a pricing model works with: one resource's kind and inputs, the price catalogue for its
region, its usage amounts, and the cost components the model adds.

A pricing model (``price_models``) is a function of a :class:`Quote`, registered under the name
the kinds table gives in ``price: {model: <name>}``. It reads inputs only through the kind's roles
(:meth:`Quote.value`, :meth:`Quote.number` ...), never by a property path of its own, and adds
components: fixed by configuration (:meth:`Quote.fixed`) or priced by usage (:meth:`Quote.usage`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .kinds import ResourceKind, kind_of
from .prices import Price, PriceCatalogue
from .values import MISSING, UNKNOWN, number

# A lookup of another resource of the same program, for kinds priced from a resource they name
# (an EKS node group's launch template, an ECS service's task definition): given the referenced
# resource's type and the reference as written (an id, name or ARN), its inputs, or None.
Related = Callable[[str, str], "Mapping[str, Any] | None"]


class Unpriced(Exception):
    """The resource cannot be priced; ``why`` is one of ``missing-price`` (no figure in the
    catalogue for the region or us-east-1), ``unknown-value`` (not known until the update) or
    ``bad-value`` (an input that is not what the provider accepts)."""

    def __init__(self, reason: str, why: str = "missing-price") -> None:
        super().__init__(reason)
        self.reason, self.why = reason, why


@dataclass(frozen=True)
class Component:
    """One line of an estimate: ``quantity`` ``unit`` at ``unit_usd`` each, a month.

    ``usage_key`` names the usage-file amount a usage-priced line takes (``monthlyDataProcessedGb``);
    its quantity is None when the usage file gives no amount."""

    name: str
    quantity: float | None
    unit: str
    unit_usd: float
    usage_key: str | None = None
    source: str = ""   # table[key], region, date and source of the unit price

    @property
    def usage(self) -> bool:
        return self.usage_key is not None

    @property
    def monthly_usd(self) -> float | None:
        return None if self.quantity is None else self.quantity * self.unit_usd


class Quote:
    """One resource being priced. Models call :meth:`fixed` and :meth:`usage`; the estimator reads
    :attr:`components`, :attr:`fallbacks` and :attr:`notes`."""

    def __init__(self, kind: ResourceKind, inputs: Mapping[str, Any], region: str, catalogue: PriceCatalogue,
                 usage: Mapping[str, float] | None = None, related: Related | None = None) -> None:
        self.kind, self.inputs, self.region, self.catalogue = kind, inputs, region, catalogue
        self.params: Mapping[str, Any] = kind.price
        self.amounts: Mapping[str, float] = usage or {}
        self.related = related
        self.hours = catalogue.hours_per_month
        self.components: list[Component] = []
        self.fallbacks: set[str] = set()
        self.notes: list[str] = []

    # --- inputs, through the kind's roles only -------------------------------------------------

    def value(self, role: str) -> Any:
        return self.kind.value(self.inputs, role)

    def values(self, role: str) -> Iterator[tuple[str, Any]]:
        return self.kind.values(self.inputs, role)

    def known(self, role: str, default: Any = None) -> Any:
        value = self.value(role)
        if value is UNKNOWN:
            raise Unpriced(f"{self._where(role)} not known until the update", "unknown-value")
        return default if value is MISSING else value

    def number(self, role: str, default: float) -> float:
        return self.as_number(self.value(role), default, self._where(role))

    def text(self, role: str, default: str = "") -> str:
        value = self.known(role, default)
        return value if isinstance(value, str) else str(value)

    def flag(self, role: str, default: bool = False) -> bool:
        value = self.known(role, default)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def count(self, role: str) -> int:
        """How many elements the list at ``role`` (a path ending in ``.*``) has; UNKNOWN refuses."""
        found = list(self.values(role))
        # An unknown list cannot be counted; unknown elements (ids of resources not yet created) can.
        if any(value is UNKNOWN and not where.endswith("]") for where, value in found):
            raise Unpriced(f"{self._where(role)} not known until the update", "unknown-value")
        return len(found)

    def elements(self, *roles: str) -> dict[str, dict[str, Any]]:
        """The list elements several ``*`` roles of one list read, by element index:
        ``{"[0]": {"size": 10, "type": "gp2"}, ...}`` (the role names as keys)."""
        by_index: dict[str, dict[str, Any]] = {}
        for role in roles:
            for where, value in self.values(role):
                index = where[: where.index("]") + 1] if "[" in where else where
                by_index.setdefault(index, {})[role] = value
        return by_index

    def as_number(self, value: Any, default: float, what: str) -> float:
        if value is MISSING or value is None:
            return default
        if value is UNKNOWN:
            raise Unpriced(f"{what} not known until the update", "unknown-value")
        found = number(value)
        if found is None or found < 0 or found != found:
            raise Unpriced(f"{what}={value!r} is not a number of at least 0", "bad-value")
        return found

    def _where(self, role: str) -> str:
        return ".".join(self.kind.properties.get(role, (role,)))

    # --- prices and components ------------------------------------------------------------------

    def price(self, table: str, key: Any, what: str) -> float:
        return self._price(table, key, what).usd

    def _price(self, table: str, key: Any, what: str) -> Price:
        if key is UNKNOWN:
            raise Unpriced(f"{what} not known until the update", "unknown-value")
        if not isinstance(key, str):
            raise Unpriced(f"{what}={key!r} is not a name the catalogue prices", "bad-value")
        found = self.catalogue.price(table, key, self.region)
        if found is None:
            raise Unpriced(f"no price for {what} {key} in the catalogue ({self.region} or us-east-1)")
        if found.region != self.region:
            self.fallbacks.add(found.region)
        return found

    def has_price(self, table: str, key: str) -> bool:
        return self.catalogue.price(table, key, self.region) is not None

    def fixed(self, name: str, quantity: float, unit: str, table: str, key: Any, what: str) -> float:
        """Adds a line fixed by configuration; returns its monthly figure."""
        found = self._price(table, key, what)
        self.components.append(Component(name, quantity, unit, found.usd, source=_provenance(table, key, found)))
        return quantity * found.usd

    def hourly(self, name: str, count: float, table: str, key: Any, what: str) -> float:
        """``count`` things priced per hour, for the whole month."""
        return self.fixed(name, count * self.hours, "hours", table, key, what)

    def usage(self, name: str, usage_key: str, unit: str, table: str, key: str, per: float = 1.0) -> None:
        """Adds a usage-priced line: the usage file's ``usage_key`` amount (in ``unit`` x ``per``) at the
        catalogue's unit price. Without an amount the line states its unit price and has no figure."""
        found = self.catalogue.price(table, key, self.region)
        if found is None:
            return  # a usage price we do not hold states nothing rather than a guess
        amount = self.amounts.get(usage_key)
        if found.region != self.region and amount is not None:
            self.fallbacks.add(found.region)   # a stated unit price without an amount changes no figure
        quantity = None if amount is None else amount / per
        shown = unit if per == 1 else f"{per:,.0f} {unit}"
        self.components.append(Component(name, quantity, shown, found.usd, usage_key, _provenance(table, key, found)))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def related_inputs(self, resource_type: str, role: str) -> tuple[ResourceKind, Mapping[str, Any]] | None:
        """The kind and inputs of the resource the ``role`` names (an id, name or ARN), where the
        caller gave a :data:`Related` lookup that finds it."""
        reference = self.value(role)
        kind = kind_of(resource_type)
        if self.related is None or kind is None or not isinstance(reference, str):
            return None
        found = self.related(resource_type, reference)
        return (kind, found) if found is not None else None

    def required_related(self, resource_type: str, role: str, what: str) -> tuple[ResourceKind, Mapping[str, Any]]:
        """As :meth:`related_inputs`, for a cost set by the related resource (``what`` it sets and on
        which resource): unpriced, saying so, when the estimate cannot see it."""
        found = self.related_inputs(resource_type, role)
        if found is None:
            raise Unpriced(f"{what} the estimate cannot see", "unknown-value")
        return found


def _provenance(table: str, key: str, price: Price) -> str:
    return f"{table}[{key}] {price.region} {price.published}: {price.source}"


Model = Callable[[Quote], None]
MODELS: dict[str, Model] = {}


def model(name: str) -> Callable[[Model], Model]:
    """Registers a pricing model under the name the kinds table's ``price.model`` uses."""

    def register(function: Model) -> Model:
        MODELS[name] = function
        return function

    return register
