"""``finops preview``: program under mocks -> policy packs -> cost estimate -> result."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core import estimate_resource, load_prices
from finops_core.budget_increases import BudgetOnDay, budget_on
from finops_core.budget_plans import COVERED_BY_BUDGET, BudgetPlan, find_budget_plan
from finops_core.effective_tags import allocation_tags
from finops_core.price_book import PRICE_BOOK_ENV, PriceBook, load_price_book, price_book_from_environment
from finops_core.reading import finite_number, is_a, load_json, load_yaml, probe, resolved
from finops_core.related import RelatedResource, related_lookup
from finops_core.rules import ConfigError, Rules, load_rules
from finops_core.usage import ResourceUsage, UsageFile, load_usage_file
from finops_core.waivers import load_waivers, parse_waivers, today
from pulumi.runtime.proto import analyzer_pb2

from .analyzer import PolicyPackError, PolicyPackProcess, policy_pack_dir, read_policy_config
from .baseline import compare_baseline
from .engine_plan import Plan, before_run, plan_run, read_plan
from .engine_state import state_run
from .formats.common import count
from .mock_engine import RecordedResource
from .model import NOT_EXPANDED, BaselineDiff, PolicyRef, PreviewResult, RemediationRow, ResourceRow, Violation
from .policy_exceptions import EXCEPTIONS_KEY, PolicyException, apply_exceptions, read_exceptions
from .project import StackConfig, check_stack_name
from .run_inputs import BUDGETS, PRICE_BOOK, USAGE, WAIVERS, one_path, policy_defaults
from .runner import (
    DEFAULT_TIMEOUT_S,
    Analysis,
    ProgramProcess,
    ProgramRun,
    analyze_resource,
    analyze_stack_later,
    judged,
    provider_of,
)
from .secrets import mask, redact, secret_forms, secret_values, unwrap
from .spend_snapshots import baseline_by, cost_by_owner, cost_by_team, read_spend, spending_config

# The baseline guard is the CLI's, not the pack's: its refusal is reported as this policy of this pack.
COST_INCREASE_POLICY = "finops-cost-increase"
COST_INCREASE_PACK = "finops-preview"
COST_INCREASE_DESCRIPTION = ("The change raises the stack's monthly cost by no more than --max-increase-usd or "
                             "--max-increase-percent over the baseline (--baseline FILE, or the plan's current state).")


@dataclass
class PreviewOptions:
    cwd: Path
    stack: str = ""                 # required to run a program; from the URNs for --from-plan/--from-state
    policy_packs: Sequence[Path] = ()
    policy_pack_config: Path | None = None
    usage_file: Path | None = None
    baseline: Path | None = None
    max_increase_usd: float | None = None
    max_increase_percent: float | None = None
    budgets_dir: Path | None = None
    waivers_file: Path | None = None
    extra_policy_config: Mapping[str, Any] = field(default_factory=dict)
    from_plan: Path | None = None   # `pulumi preview --json` instead of running the program
    from_state: Path | None = None  # `pulumi stack export` instead of running the program
    timeout: float = DEFAULT_TIMEOUT_S
    price_book: Path | None = None  # discounts (enterprise agreement, Savings Plans); else $FINOPS_PRICE_BOOK
    spend: Path | None = None       # a spend snapshot for the spending-limit policies (finops actuals)


def check_waivers_file(path: Path) -> None:
    """A waivers file that cannot be read at all is bad input; a bad entry is reported by the pack."""
    if probe(path, path, None, "<unusable path>", "a waivers file") is not None:
        parse_waivers(load_yaml(path))  # raises for the file; collects problems of single entries


def read_usage_file(path: Path | None) -> UsageFile | None:
    """The usage file (typed amounts or ``monthlyUsd`` per resource name or URN; finops_core.usage)."""
    return load_usage_file(path) if path is not None else None


def read_price_book(path: Path | None) -> PriceBook | None:
    """``--price-book FILE``, else ``$FINOPS_PRICE_BOOK``: discounts shown beside the list price."""
    return load_price_book(path) if path is not None else price_book_from_environment()


def _environment_price_book() -> Path | None:
    """The price book ``$FINOPS_PRICE_BOOK`` names (read by :func:`read_price_book` already)."""
    named = os.environ.get(PRICE_BOOK_ENV)
    return Path(named).resolve() if named else None


def _region(run: ProgramRun, resource: Any, urns: Mapping[str, Any]) -> str:
    region = provider_of(resource, run, urns).inputs.get("region")
    return region if isinstance(region, str) and region else run.config.values.get("aws:region", "us-east-1")


def build_rows(run: ProgramRun, environment: str, usage: UsageFile | None, *, deployed: bool = False,
               price_book: PriceBook | None = None) -> list[ResourceRow]:
    """One priced row per custom resource, in URN order. ``deployed``: the resources are a stack's
    state (``pulumi stack export``), priced and attributed on what the provider reported (their
    outputs, e.g. a node group's instance types from its launch template, ``tagsAll``) over their
    inputs."""
    urns = run.by_urn()
    rules = load_rules()
    # What a resource names by id (a node group's launch template, a service's task definition).
    related = related_lookup(RelatedResource(r.type, r.name, unwrap(r.inputs), id=r.id, urn=r.urn,
                                             outputs=unwrap(r.outputs)) for r in run.custom_resources())
    rows = [_not_expanded_row(resource, environment) for resource in run.resources
            if resource.packaged == "not expanded"]
    for resource in sorted(run.custom_resources(), key=lambda r: r.urn):
        properties = {**resource.inputs, **resource.outputs} if deployed else resource.inputs
        provider = provider_of(resource, run, urns)
        # The same reading of tags as the pack's (provider defaultTags < tagsAll < tags; labels).
        owner = allocation_tags(resource.type, properties, provider.inputs, rules)
        entry = usage.for_resource(resource.urn, resource.name) if usage is not None else ResourceUsage()
        # Priced on the plain values (as the provider would bill them); the basis, which may quote
        # a value, is cleaned of the resource's secrets.
        estimate = estimate_resource(resource.type, unwrap(properties), _region(run, resource, urns),
                                     entry.monthly_usd, usage=entry.amounts, related=related, price_book=price_book)
        entry_key = usage.entry_for(resource.urn, resource.name) if usage is not None else None
        if usage is not None and entry_key is not None and not (estimate and estimate.unpriced):
            usage.check_amounts(entry_key, resource.type, estimate.components if estimate else ())
        secrets = secret_forms(secret_values(properties))
        rows.append(ResourceRow(
            type=resource.type, name=resource.name, urn=resource.urn,
            environment=owner.get("Environment", environment), team=owner.get("Team", ""),
            service=owner.get("Service", ""), cost_center=owner.get("CostCenter", ""),
            monthly_usd=estimate.monthly_usd if estimate else None,
            basis=redact(estimate.basis, secrets) if estimate else "no cost of its own",
            inputs=mask(resource.inputs), usage_priced=bool(estimate and estimate.usage_priced),
            source_file=resource.source_file, source_line=resource.source_line,
            unpriced=(estimate.unpriced or "") if estimate else "",
            usage_usd=estimate.usage_usd if estimate else 0.0,
            usage_pending=len(estimate.usage_pending) if estimate else 0,
            list_usd=estimate.list_usd if estimate and estimate.discount else None,
            discount=f"{estimate.discount.label} {estimate.discount.percent:g} %" if estimate and estimate.discount
            else "", tags=owner, fallback_regions=tuple(sorted(estimate.fallback_regions)) if estimate else (),
        ))
    return rows


def _not_expanded_row(resource: RecordedResource, environment: str) -> ResourceRow:
    """A packaged component the offline engine cannot expand: named, never dropped silently."""
    return ResourceRow(
        type=resource.type, name=resource.name, urn=resource.urn, environment=environment, team="", service="",
        cost_center="", monthly_usd=None, unpriced=NOT_EXPANDED, inputs=mask(resource.inputs),
        basis=f"a packaged component whose children are not expanded offline (no row for {resource.type} in "
              "finops_core/data/packaged_components.yaml): run `pulumi preview --json` and use --from-plan",
        source_file=resource.source_file, source_line=resource.source_line)


@dataclass
class _Source:
    """What is judged: a program run under mocks, or an engine document (plan or state)."""

    project: str
    stack: str
    directory: Path
    config: StackConfig
    program: ProgramProcess | None = None    # started before the packs, so both start at once
    engine_run: ProgramRun | None = None
    plan: Plan | None = None


def _source(options: PreviewOptions) -> _Source:
    if options.from_plan is not None and options.from_state is not None:
        raise ConfigError("--from-plan/--from-state", None, "<both>", "one of them: a plan or a state")
    if options.stack:
        check_stack_name(options.stack)
    cwd = resolved(Path(options.cwd), "--cwd")
    if options.from_plan is not None or options.from_state is not None:
        plan = read_plan(options.from_plan) if options.from_plan is not None else None
        engine_run = (plan_run(plan, cwd, options.stack or None) if plan is not None
                      else state_run(options.from_state or Path(), cwd, options.stack or None))
        return _Source(engine_run.project.name, engine_run.stack, cwd, engine_run.config, engine_run=engine_run,
                       plan=plan)
    if not options.stack:
        raise ConfigError("--stack", None, "<missing>",
                          "the stack to judge (-s dev), or --from-plan/--from-state FILE")
    program = ProgramProcess(cwd, options.stack, timeout=options.timeout)
    return _Source(program.project.name, options.stack, program.project.directory, program.config, program=program)


def _names(rows: Sequence[ResourceRow], most: int = 6) -> str:
    names = sorted(r.name for r in rows)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _default_pack(directory: Path) -> Path:
    """The project's own ``policy_pack/``, else the pack installed with the library (a team's
    project has none of its own)."""
    own = directory / "policy_pack"
    if own.exists():
        return own
    from finops_policies.location import installed_pack_dir  # only here: it loads the pack's package

    return installed_pack_dir()


def _stack_region(run: ProgramRun, config: StackConfig) -> str:
    if "aws:region" in config.values:
        return config.values["aws:region"]
    for resource in run.resources:
        region = resource.inputs.get("region") if resource.type == "pulumi:providers:aws" else None
        if isinstance(region, str) and region:
            return region
    return "us-east-1"


def _config_location(config_file: str | Path | None, keys: tuple[str | int, ...]) -> str | None:
    """``file:line`` of the keys in the policy pack config file (the file alone if not found there)."""
    if config_file is None:
        return None
    line = load_json(config_file).line(keys) if keys else None
    return f"{config_file}:{line}" if line is not None else str(config_file)


@dataclass
class _Inputs:
    """Every file and value the preview reads besides the program, read and checked before it runs."""

    environment: str
    plan: BudgetPlan | None
    # Today's budget: the plan's, raised by the approved emergency increases whose window holds today.
    budget: BudgetOnDay | None
    budgets_dir: Path
    waivers_file: Path
    usage: UsageFile | None
    price_book: PriceBook | None
    policy_config: dict[str, Any]
    # The run's budgets, waivers, usage file and price book as the packs' policy config (run_inputs).
    policy_defaults: dict[str, dict[str, Any]]
    exceptions: list[PolicyException]
    packs: list[Path]


_Judged = tuple[ProgramRun, list[ResourceRow], list[Violation], list[PolicyRef], list[RemediationRow]]


def run_preview(options: PreviewOptions) -> PreviewResult:
    """Raises ConfigError / PolicyPackError / ProgramError for bad input (exit code 2).

    Every input file is read and checked before the program runs, so bad input fails fast.
    """
    rules = load_rules()
    source = _source(options)
    inputs = _read_inputs(options, source, rules)
    run, rows, violations, policies, remediations = _run_and_judge(options, source, inputs)
    if inputs.usage is not None:
        inputs.usage.check_names((r.urn, r.name) for r in run.resources)
    apply_exceptions(violations, inputs.exceptions)
    violations.sort(key=Violation.sort_key)
    result = PreviewResult(
        project=source.project, stack=run.stack, environment=inputs.environment,
        region=_stack_region(run, source.config), price_dates=load_prices().dates(),
        resources=rows, violations=violations, policies=policies,
        budget_usd=inputs.budget.limit if inputs.budget else None,
        budget_source=inputs.plan.source if inputs.plan else None, notes=_notes(options, source, inputs, rows),
        remediations=remediations,
        origin="plan" if options.from_plan else "state" if options.from_state else "program",
        origin_file=str(options.from_plan or options.from_state or ""),
        project_dir=str(source.directory.resolve()),
    )
    _judge_cost_increase(result, options, source, inputs, run)
    return result


def _read_inputs(options: PreviewOptions, source: _Source, rules: Rules) -> _Inputs:
    """Phase 1: budgets, waivers, usage, price book, policy config and spend, each refused with
    one line when it is bad."""
    env = rules.environment_of(None, source.stack)
    environment = env.name if env else source.stack
    policy_config: dict[str, Any] = {}
    exceptions = []
    if options.policy_pack_config:
        policy_config = read_policy_config(options.policy_pack_config)
        exceptions = read_exceptions(policy_config, options.policy_pack_config)
        policy_config.pop(EXCEPTIONS_KEY, None)
    if options.budgets_dir is not None and not is_a(stat.S_ISDIR, options.budgets_dir, "--budgets-dir"):
        raise ConfigError(options.budgets_dir, None, "<no such directory>", "an existing directory of budgets "
                          "(--budgets-dir)")
    if options.waivers_file is not None and not is_a(stat.S_ISREG, options.waivers_file, "--waivers"):
        raise ConfigError(options.waivers_file, None, "<no such file>", "an existing waivers file (--waivers)")
    today()  # a bad FINOPS_TODAY is one line here, not a failure per resource in the pack
    packs = [policy_pack_dir(pack) for pack in options.policy_packs] or [_default_pack(source.directory)]
    # One of each file per run, from the command line or the policy config: the summary and
    # every policy read the same (run_inputs).
    located = {spec: one_path(spec, option, policy_config, options.policy_pack_config, Path(packs[0]).resolve())
               for spec, option in ((BUDGETS, options.budgets_dir), (WAIVERS, options.waivers_file),
                                    (USAGE, options.usage_file), (PRICE_BOOK, options.price_book))}
    budgets_dir = located[BUDGETS] or source.directory / "budgets"
    plan = find_budget_plan(env.name, budgets_dir, rules) if env is not None else None
    waivers_file = resolved(Path(located[WAIVERS] or source.directory / "waivers.yaml"), "--waivers")
    check_waivers_file(waivers_file)
    usage = read_usage_file(located[USAGE])
    price_book = read_price_book(located[PRICE_BOOK])
    defaults = policy_defaults(budgets_dir, waivers_file, located[USAGE],
                               located[PRICE_BOOK] or _environment_price_book())
    if options.baseline is not None:
        compare_baseline(options.baseline, [], None, None)  # readable and of the right shape
    for limit, option in ((options.max_increase_usd, "--max-increase-usd"),
                          (options.max_increase_percent, "--max-increase-percent")):
        if limit is not None:  # NaN would never refuse an increase; said before the program runs
            finite_number(limit, option, expected="a finite number")
    if options.spend is not None:
        # This stack's cost per team before the change: from the baseline, or the plan's old states.
        before: Mapping[str, float] | None = None
        owners_before: Mapping[str, float] | None = None
        if options.baseline is not None:
            before, owners_before = baseline_by(options.baseline, "team"), baseline_by(options.baseline, "owner")
        elif source.plan is not None and source.engine_run is not None:
            old = build_rows(before_run(source.plan, source.engine_run), environment, usage, price_book=price_book)
            before, owners_before = cost_by_team(old), cost_by_owner(old)
        for name, settings in spending_config(read_spend(options.spend), before, owners_before).items():
            policy_config[name] = {**settings, **(policy_config.get(name) or {})} \
                if isinstance(policy_config.get(name), Mapping) else settings
    budget = budget_on(plan, today(), load_waivers(waivers_file).tiers) if plan is not None else None
    return _Inputs(environment, plan, budget, budgets_dir, waivers_file, usage, price_book, policy_config,
                   defaults, exceptions, packs)


def _start_packs(stack: ExitStack, options: PreviewOptions, source: _Source, inputs: _Inputs
                 ) -> list[tuple[PolicyPackProcess, Any]]:
    """Phase 2: every policy pack started and configured (the Analyzer handshake)."""
    started = []
    for pack_dir in inputs.packs:
        pack = stack.enter_context(PolicyPackProcess(
            pack_dir, stack=source.stack, project=source.project, config=source.config.values))
        # The run's budgets, waivers, usage file and price book, through the policy-config keys a
        # user of `pulumi preview` would set (below the user's own policy config, made to agree).
        try:
            info = pack.handshake(inputs.policy_config, defaults=inputs.policy_defaults)
        except PolicyPackError as exc:
            raise PolicyPackError(f"{_config_location(options.policy_pack_config, exc.keys) or pack_dir}: "
                                  f"{exc}") from None
        started.append((pack, info))
    return started


def _run_and_judge(options: PreviewOptions, source: _Source, inputs: _Inputs) -> _Judged:
    """Phase 3: the program (or the engine's document) run, each resource judged by the packs and
    priced as it arrives, then the stack judged."""

    def price(run: ProgramRun) -> list[ResourceRow]:
        return build_rows(run, inputs.environment, inputs.usage, deployed=options.from_state is not None,
                          price_book=inputs.price_book)

    with ExitStack() as stack:
        if source.program is not None:
            stack.enter_context(source.program)
        started = _start_packs(stack, options, source, inputs)
        if source.program is not None:
            program = source.program
            context = ProgramRun(program.project, program.stack, program.config, [])
            return _analyze(context, program.stream(), program.wait, started, price)
        engine_run = source.engine_run
        assert engine_run is not None
        return _analyze(engine_run, list(engine_run.resources), lambda: engine_run, started, price)


def _notes(options: PreviewOptions, source: _Source, inputs: _Inputs, rows: list[ResourceRow]) -> list[str]:
    """Phase 4: what the estimate and the verdicts leave out, said under the table."""
    notes = []
    plan = inputs.plan
    budget = inputs.budget
    if budget is not None:
        if budget.active:
            notes.append(f"the {inputs.environment} budget today is {budget.describe()}")
        notes += budget.notes()
    if options.spend is None:
        notes.append("no spend snapshot (--spend SPEND.json from finops actuals): team spending limits not judged"
                     + ("; the estimate alone is judged against the budget" if plan is not None else ""))
    shared_budget = source.config.values.get(COVERED_BY_BUDGET)
    if plan is None and shared_budget:
        notes.append(f"covered by the shared budget {shared_budget!r} ({COVERED_BY_BUDGET} in the stack config), "
                     "whose amount is not in this project: estimate shown without a budget")
    elif plan is None:
        notes.append(f"no budget file {inputs.budgets_dir / (inputs.environment + '.yaml')}: estimate shown "
                     "without a budget")
    unpriced = [r for r in rows if r.monthly_usd is None and r.unpriced and r.unpriced != NOT_EXPANDED]
    not_expanded = [f"{r.type} {r.name!r}" for r in rows if r.unpriced == NOT_EXPANDED]
    if not_expanded:
        notes.append(f"packaged components whose children the offline preview cannot create, so the total leaves "
                     f"them out: {', '.join(not_expanded)}; to see and price their children, run `pulumi preview "
                     "--json > plan.json` and `finops preview --from-plan plan.json`")
    if unpriced:
        notes.append(f"not priced, so left out of the total: {count(len(unpriced), 'resource')}: "
                     f"{_names(unpriced)} (the JSON report's basis of each says why)")
    stand_ins = sorted({region for r in rows if r.monthly_usd is not None for region in r.fallback_regions})
    if stand_ins:
        marked = [r for r in rows if r.monthly_usd is not None and r.fallback_regions]
        # Named, not "marked in the table": the markdown comment and JSON have no such table.
        notes.append(f"priced with {' and '.join(stand_ins)} list prices, none being recorded for their own region: "
                     f"{count(len(marked), 'resource')}: {_names(marked)}")
    pending = [r for r in rows if r.usage_pending]
    if pending:
        notes.append(f"usage-priced costs without amounts, so left out of the total: {count(len(pending), 'resource')} "
                     "(give the amounts in a usage file, --usage-file)")
    if source.plan is not None and source.plan.omitted_sames:
        notes.append(f"the plan leaves out {source.plan.omitted_sames} unchanged resources (made without "
                     "--show-sames): the total lacks their cost; the difference is complete")
    return notes


def _judge_cost_increase(result: PreviewResult, options: PreviewOptions, source: _Source, inputs: _Inputs,
                         run: ProgramRun) -> None:
    """Phase 5: the change's cost against the baseline (or the plan's current state); a refused
    increase fails the preview, every format reporting it as a mandatory finding."""
    if options.baseline is not None:
        result.baseline = compare_baseline(options.baseline, result.resources, options.max_increase_usd,
                                           options.max_increase_percent)
        if result.baseline.warning:
            result.notes.append(result.baseline.warning)
    elif source.plan is not None:
        result.baseline = plan_delta(source.plan, run, inputs.environment, inputs.usage, result.resources, options,
                                     inputs.price_book)
    if result.baseline is None or not result.baseline.exceeded:
        return
    result.policies.append(PolicyRef(COST_INCREASE_PACK, COST_INCREASE_POLICY, stack=True,
                                     description=COST_INCREASE_DESCRIPTION, level="mandatory"))
    result.violations.append(Violation(
        COST_INCREASE_POLICY, COST_INCREASE_PACK, "mandatory",
        f"stack: cost increase: found {result.baseline.exceeded} (against {result.baseline.source}). Fix: "
        "make the change cheaper, or have its cost approved and raise --max-increase-usd/--max-increase-percent "
        "for this change.", "", "stack"))


def plan_delta(plan: Plan, run: ProgramRun, environment: str, usage: UsageFile | None,
               after: Sequence[ResourceRow], options: PreviewOptions, price_book: PriceBook | None = None
               ) -> BaselineDiff:
    """The plan's own cost difference: its old states priced as the baseline, its new states as
    the change, with the same --max-increase-* guard as a baseline file."""
    before = build_rows(before_run(plan, run), environment, usage, price_book=price_book)
    report = {"resources": [{"urn": r.urn, "name": r.name, "type": r.type, "monthlyUsd": r.monthly_usd}
                            for r in before]}
    with tempfile.TemporaryDirectory(prefix="finops-plan-") as scratch:
        baseline = Path(scratch) / "before.json"
        baseline.write_text(json.dumps(report), encoding="utf-8")
        diff = compare_baseline(baseline, after, options.max_increase_usd, options.max_increase_percent)
    diff.source = f"{plan.source} (the plan's current state)"
    return diff


def _analyze(context: ProgramRun, resources: Iterable[RecordedResource], finish: Callable[[], ProgramRun],
             packs: list[tuple[PolicyPackProcess, Any]], meanwhile: Callable[[ProgramRun], list[ResourceRow]]
             ) -> _Judged:
    """Each resource judged by every pack as it arrives (while the program still runs, as the
    engine does), then the stack once ``finish`` gives the whole run; ``meanwhile`` (the
    pricing) runs while the packs judge the stack. ``context`` holds the project, stack and
    config (its resources are not read)."""
    seen: dict[str, RecordedResource] = {}
    analyses = [Analysis() for _ in packs]
    for resource in resources:
        seen[resource.urn] = resource
        if not judged(resource):
            continue
        provider = provider_of(resource, context, seen)
        for (pack, _), analysis in zip(packs, analyses, strict=True):
            analyze_resource(pack, resource, provider, analysis)
    run = finish()
    stack_answers = [analyze_stack_later(pack, run, analysis) for (pack, _), analysis in
                     zip(packs, analyses, strict=True)]
    rows = meanwhile(run)
    for answer in stack_answers:
        answer()
    resources_by_urn = run.by_urn()
    # Each message is cleaned of the secrets of the resource it is about (all of them for the stack).
    forms = {r.urn: secret_forms(secret_values(r.inputs) + secret_values(r.outputs)) for r in run.resources}
    every_form = set().union(*forms.values()) if forms else set()
    violations: list[Violation] = []
    policies: list[PolicyRef] = []
    remediations: list[RemediationRow] = []
    for (pack, info), analysis in zip(packs, analyses, strict=True):
        policies += [PolicyRef(info.name, p.name, p.policy_type == analyzer_pb2.POLICY_TYPE_STACK, p.description,
                               pack.levels.get(p.name, "")) for p in info.policies]
        for urn, diagnostics in analysis.per_resource.items():
            resource = resources_by_urn[urn]
            violations += [Violation.of(d, urn, f"{resource.type} '{resource.name}'") for d in diagnostics]
        for urn, done in analysis.remediations.items():
            resource = resources_by_urn[urn]
            remediations += [RemediationRow.of(r.policy, r.pack, urn, f"{resource.type} '{resource.name}'", before,
                                               r.properties) for r, before in done]
        for diagnostic in analysis.stack:
            target = resources_by_urn.get(diagnostic.urn)
            label = f"{target.type} '{target.name}'" if target else "stack"
            violations.append(Violation.of(diagnostic, diagnostic.urn, label))
    for violation in violations:
        target = resources_by_urn.get(violation.urn)
        violation.message = redact(violation.message, forms[target.urn] if target else every_form)
        if target is not None:
            violation.source_file, violation.source_line = target.source_file, target.source_line
    remediations.sort(key=lambda r: (r.urn, r.pack, r.policy))
    _judged_by(rows, packs, policies)
    return run, rows, violations, policies, remediations


def _judged_by(rows: list[ResourceRow], packs: list[tuple[PolicyPackProcess, Any]], policies: list[PolicyRef]
               ) -> None:
    """Each row's resource policies that judged it: enabled, and not answering not-applicable."""
    enabled = [p for p in policies if not p.stack and p.level != "disabled"]
    for row in rows:
        skipped = {name for pack, _ in packs for name in pack.not_applicable.get(row.urn, ())}
        if any(row.urn in pack.not_applicable for pack, _ in packs):
            row.policies = tuple(p.name for p in enabled if p.name not in skipped)


__all__ = ["ConfigError", "PolicyPackError", "PreviewOptions", "run_preview"]
