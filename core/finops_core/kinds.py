"""The table of resource kinds: for each Pulumi resource type, where the guardrails find what they
judge and price. The table is data (``data/kinds/*.yaml``, one file per service group); sizing,
advice, the estimator and the report read it, and none of them restates a property path.

A row::

    aws:opensearch/domain:Domain:
      properties:                                # role -> property path (engine names, * = each element)
        instanceType: clusterConfig.instanceType
        instanceCount: clusterConfig.instanceCount
      sizes:                                     # what is judged against which cap of rules.yaml
        - {property: instanceType, cap: search}               # a type name: vCPUs, memory, GPUs
        - {property: instanceCount, cap: search.maxNodes}      # a number: at most the cap
      price: {model: opensearch-domain}          # how the estimator prices it (see estimate.py)
      counts: {instances: instanceCount}         # what it adds to the stack's provisioning limits
      growActions: [es:CreateDomain, es:UpdateDomainConfig]   # the API actions that create, start, restore
                                                 # or scale it: the emergency brake denies them (a row the
                                                 # caps judge names them, or says why none in brakeExempt)
      examples:                                  # the tests and the README's tables are made of these
        oversizedInDev:                          # each breaks a cap in dev and fits prod's caps:
          - inputs: {clusterConfig: {instanceType: r6g.4xlarge.search}}    # engine names, no tags
            policy: finops-search-size                                      # the one mandatory violation
            says: clusterConfig.instanceType=r6g.4xlarge.search             # ... and words of its message
        priced:                                  # a configuration, its monthly figure and where it comes from
          - inputs: {clusterConfig: {instanceType: r6g.large.search, instanceCount: 2}}
            monthlyUsd: 243.82
            origin: price-list                   # see ORIGINS; within: 0.05 allows a tolerance
            source: 'prices.json: 1,460 hours x $0.167 (opensearch[r6g.large.search])'

Adding a kind is a row here (with its examples) plus its prices and, for a new cap, its entry in the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from .data import DATA_DIR
from .library_data import read_library_yaml
from .reading import ConfigError, Path_, YamlDoc, require_keys, require_mapping
from .values import MISSING, get_path, values_at

KINDS_DIR = DATA_DIR / "kinds"

# How a value is judged against its cap:
#   instance-type     a type name, judged by what the catalogue says it is (vCPUs, memory, GPUs)
#   at-most           a number no larger than the cap field (times `scale`)
#   required-at-most  as at-most, but the value must be set (and 0 means "forever")
#   allowed-flag      a boolean that may be true only where the cap field is true
Check = Literal["instance-type", "at-most", "required-at-most", "allowed-flag"]
CHECKS: tuple[str, ...] = ("instance-type", "at-most", "required-at-most", "allowed-flag")


@dataclass(frozen=True)
class SizeRule:
    """One property of a kind judged against one cap: ``section`` (e.g. ``instance``) and, for
    numbers and flags, the cap's key in that section (e.g. ``maxSizeGib``)."""

    role: str
    path: tuple[str, ...]
    section: str
    cap_key: str
    check: Check
    scale: float = 1.0   # the property's unit -> the cap's unit (e.g. MiB -> GiB: 1/1024)


# What a kind adds to a stack's provisioning counts (rules.yaml provisioning): a number, or the
# role whose value it is (a node group adds its maxSize nodes).
COUNTS: tuple[str, ...] = ("instances", "nodes", "databases")


# Where a priced example's figure comes from, so that what is checked twice is told from what is not:
#   price-list   prices.json's unit prices times the configuration: the estimate to the cent, single-sourced
#   same-file    a figure published in a file that prices.json's tables also cite (an Infracost golden file):
#                it checks the arithmetic, not the prices
#   independent  a figure from a source the prices it uses do not cite (AWS's pages and posts, Karpenter ...)
ORIGINS: tuple[str, ...] = ("price-list", "same-file", "independent")
US_EAST_1 = "us-east-1"


@dataclass(frozen=True)
class OversizedExample:
    """Inputs (engine names, without tags) that break one cap in dev and fit prod's caps."""

    inputs: Mapping[str, Any]
    policy: str
    says: str


@dataclass(frozen=True)
class PricedExample:
    """A configuration and its monthly figure: the estimate must be within ``within`` (a fraction) of
    ``monthly_usd``, or equal to the cent where ``within`` is 0."""

    inputs: Mapping[str, Any]
    monthly_usd: float
    origin: str
    source: str
    related: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    region: str = US_EAST_1
    within: float = 0.0
    name: str = ""
    note: str = ""


@dataclass(frozen=True)
class KindExamples:
    oversized_in_dev: tuple[OversizedExample, ...] = ()
    priced: tuple[PricedExample, ...] = ()
    unpriced: str = ""   # why a kind with a pricing model has no priced example yet


@dataclass(frozen=True)
class ResourceKind:
    type: str
    properties: Mapping[str, tuple[str, ...]]
    sizes: tuple[SizeRule, ...] = ()
    price: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    counts: Mapping[str, str | float] = field(default_factory=dict)
    examples: KindExamples = field(default_factory=KindExamples)
    grow_actions: tuple[str, ...] = ()   # IAM actions that create, start, restore or scale it
    brake_exempt: str = ""               # why a kind the caps judge has none

    @property
    def sections(self) -> frozenset[str]:
        return frozenset(rule.section for rule in self.sizes)

    @property
    def instance_type_roles(self) -> tuple[str, ...]:
        """The roles holding instance/node type names (judged by the catalogue; advised on)."""
        return tuple(dict.fromkeys(r.role for r in self.sizes if r.check == "instance-type"))

    def path(self, role: str) -> tuple[str, ...]:
        return self.properties[role]

    def has(self, role: str) -> bool:
        return role in self.properties

    def value(self, inputs: object, role: str) -> Any:
        """The value of a role without list steps; MISSING or UNKNOWN as :mod:`.values` reads them."""
        path = self.properties.get(role)
        if path is None:
            return MISSING
        return get_path(inputs, path)

    def values(self, inputs: object, role: str) -> Iterator[tuple[str, Any]]:
        """Every (concrete path, value) of a role, stepping into lists at ``*``."""
        path = self.properties.get(role)
        if path is not None:
            yield from values_at(inputs, path)


def _path(doc: YamlDoc, raw: object, where: Path_) -> tuple[str, ...]:
    if not isinstance(raw, str) or not raw or any(not part for part in raw.split(".")):
        raise doc.error(where, raw, "a property path such as clusterConfig.instanceType")
    return tuple(raw.split("."))


def _size_rule(doc: YamlDoc, raw: object, where: Path_, properties: Mapping[str, tuple[str, ...]]) -> SizeRule:
    spec = require_keys(doc, raw, where, ("property", "cap", "check", "scale"))
    role = spec.get("property")
    if role not in properties:
        raise doc.error((*where, "property"), role, "a role declared under properties: " + ", ".join(properties))
    cap = spec.get("cap")
    if not isinstance(cap, str) or not cap:
        raise doc.error((*where, "cap"), cap, "a cap section such as instance, or section.key such as "
                        "ebsVolume.maxSizeGib")
    section, _, cap_key = cap.partition(".")
    default_check = "at-most" if cap_key else "instance-type"
    check = spec.get("check", default_check)
    if check not in CHECKS:
        raise doc.error((*where, "check"), check, "one of " + ", ".join(CHECKS))
    if (check == "instance-type") == bool(cap_key):
        raise doc.error((*where, "cap"), cap, "a bare section for instance-type, section.key for the other checks")
    scale = spec.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise doc.error((*where, "scale"), scale, "a positive number")
    return SizeRule(str(role), properties[str(role)], section, cap_key, check, float(scale))


def _text(doc: YamlDoc, spec: Mapping[str, Any], key: str, where: Path_, required: bool = True) -> str:
    value = spec.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise doc.error((*where, key), value, "a text")
    return value


def _oversized(doc: YamlDoc, raw: object, where: Path_) -> OversizedExample:
    spec = require_keys(doc, raw, where, ("inputs", "policy", "says"))
    return OversizedExample(dict(require_mapping(doc, spec.get("inputs"), (*where, "inputs"))),
                            _text(doc, spec, "policy", where), _text(doc, spec, "says", where))


PRICED_KEYS = ("name", "inputs", "related", "region", "monthlyUsd", "within", "origin", "source", "note")


def _priced(doc: YamlDoc, raw: object, where: Path_) -> PricedExample:
    spec = require_keys(doc, raw, where, PRICED_KEYS)
    numbers: dict[str, float] = {}
    for key, default in (("monthlyUsd", None), ("within", 0.0)):
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise doc.error((*where, key), value, "a number of at least 0")
        numbers[key] = float(value)
    origin = spec.get("origin")
    if origin not in ORIGINS:
        raise doc.error((*where, "origin"), origin, "one of " + ", ".join(ORIGINS))
    related = {str(t): {str(ref): dict(require_mapping(doc, inputs, (*where, "related", t, ref)))
                        for ref, inputs in require_mapping(doc, refs, (*where, "related", t)).items()}
               for t, refs in require_mapping(doc, spec.get("related", {}), (*where, "related")).items()}
    return PricedExample(dict(require_mapping(doc, spec.get("inputs"), (*where, "inputs"))), numbers["monthlyUsd"],
                         str(origin), _text(doc, spec, "source", where), related,
                         _text(doc, spec, "region", where, False) or US_EAST_1, numbers["within"],
                         _text(doc, spec, "name", where, False), _text(doc, spec, "note", where, False))


def _examples(doc: YamlDoc, raw: object, where: Path_) -> KindExamples:
    spec = require_keys(doc, raw, where, ("oversizedInDev", "priced", "unpriced"))
    lists = {}
    for key in ("oversizedInDev", "priced"):
        items = spec.get(key, [])
        if not isinstance(items, list):
            raise doc.error((*where, key), items, "a list of examples")
        lists[key] = items
    return KindExamples(tuple(_oversized(doc, item, (*where, "oversizedInDev", i))
                              for i, item in enumerate(lists["oversizedInDev"])),
                        tuple(_priced(doc, item, (*where, "priced", i)) for i, item in enumerate(lists["priced"])),
                        _text(doc, spec, "unpriced", where, False))


# An IAM action name as the Service Authorization Reference spells it: <service prefix>:<Action>.
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")


def _grow_actions(doc: YamlDoc, spec: Mapping[str, Any], where: Path_, judged: bool) -> tuple[tuple[str, ...], str]:
    """The row's growActions and brakeExempt: a kind the caps judge names its actions or says why none."""
    raw = spec.get("growActions", [])
    if not isinstance(raw, list):
        raise doc.error((*where, "growActions"), raw, "a list of IAM actions such as ec2:RunInstances")
    for i, action in enumerate(raw):
        if not isinstance(action, str) or not IAM_ACTION.match(action) or "*" in action:
            raise doc.error((*where, "growActions", i), action, "an IAM action such as ec2:RunInstances (no wildcard)")
    exempt = _text(doc, spec, "brakeExempt", where, False)
    if judged and not raw and not exempt:
        raise doc.error((*where, "growActions"), "<none>", "the API actions that create, start, restore or scale "
                        "this kind (the emergency brake denies them), or brakeExempt: why it has none")
    return tuple(dict.fromkeys(raw)), exempt


def parse_kinds(doc: YamlDoc) -> dict[str, ResourceKind]:
    kinds: dict[str, ResourceKind] = {}
    for type_token, raw in require_mapping(doc, doc.data, ()).items():
        where: Path_ = (type_token,)
        if not isinstance(type_token, str) or type_token.count(":") < 2:
            raise doc.error(where, type_token, "a Pulumi type token such as aws:ec2/instance:Instance")
        spec = require_keys(doc, raw, where, ("properties", "sizes", "price", "counts", "examples",
                                                       "growActions", "brakeExempt"))
        properties = {str(role): _path(doc, path, (*where, "properties", role))
                      for role, path in require_mapping(doc, spec.get("properties", {}),
                                                        (*where, "properties")).items()}
        sizes_raw = spec.get("sizes", [])
        if not isinstance(sizes_raw, list):
            raise doc.error((*where, "sizes"), sizes_raw, "a list of {property, cap} entries")
        sizes = tuple(_size_rule(doc, item, (*where, "sizes", i), properties) for i, item in enumerate(sizes_raw))
        price = dict(require_mapping(doc, spec.get("price", {}), (*where, "price")))
        if price and not isinstance(price.get("model"), str):
            raise doc.error((*where, "price", "model"), price.get("model"), "the name of a pricing model")
        counts: dict[str, str | float] = {}
        for what, value in require_mapping(doc, spec.get("counts", {}), (*where, "counts")).items():
            if what not in COUNTS:
                raise doc.error((*where, "counts", what), what, "one of " + ", ".join(COUNTS))
            if not (isinstance(value, str) and value in properties) and not (
                    isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
                raise doc.error((*where, "counts", what), value, "a positive number or a role under properties")
            counts[str(what)] = value
        examples = _examples(doc, spec.get("examples", {}), (*where, "examples"))
        grow, exempt = _grow_actions(doc, spec, where, bool(sizes))
        kinds[type_token] = ResourceKind(type_token, properties, sizes, price, doc.source, counts, examples,
                                         grow, exempt)
    return kinds


@cache
def kinds_table() -> Mapping[str, ResourceKind]:
    """Every kind, from every file of ``data/kinds``; a type declared twice is an error."""
    table: dict[str, ResourceKind] = {}
    for path in sorted(KINDS_DIR.glob("*.yaml")):
        for type_token, kind in read_library_yaml(path, parse_kinds).items():
            if type_token in table:
                raise ConfigError(path, type_token, type_token,
                                  f"one row per type (also in {table[type_token].source})")
            table[type_token] = kind
    return table


def kind_of(resource_type: str) -> ResourceKind | None:
    return kinds_table().get(resource_type)


def kinds_in_section(section: str) -> dict[str, ResourceKind]:
    """The kinds with at least one property judged by the cap section ``section``."""
    return {t: k for t, k in kinds_table().items() if section in k.sections}


__all__ = ["ORIGINS", "KindExamples", "OversizedExample", "PricedExample", "ResourceKind", "SizeRule", "kind_of",
           "kinds_in_section", "kinds_table"]
