"""Goal-seek in the planner's app: a target and a budget in, candidate options out.

The planner states a target (a share of households moved by a month) and a budget (in all,
per year) and ticks the settings to search; :func:`run_goal_seek` runs ``ruralsim.optimize``
from one of the page's options (with the village table) over those settings, with a few
trials and replications (bounded: :data:`MAX_TRIALS`, :data:`MAX_REPS`).  Every candidate is
an :class:`~ruralsim.app.logic.Option`: the search runs exactly the scenario
:func:`~ruralsim.app.logic.build_option` makes of it, so a candidate picked into an option
card reproduces the candidate's scenario (only its name is the card's).

The settings searched (the levers of ``scenarios/optimize/teaching_budget.yaml`` that an
option card holds): the scenario's one-off cash payment per household (:func:`subsidy_amount`
says which instrument that is), the month registration opens, the share below which services
are withdrawn, and an added package (or interest-free instead of interest-subsidised loans).

Example:
    >>> from ruralsim.app import logic
    >>> base = logic.base_scenario("teaching")
    >>> spec = build_spec(logic.build_option(base, None, logic.Option("A")), GoalSeek())
    >>> spec.constraints[0], spec.objectives[0].quantity
    ('share_moved_by_month[60] >= 0.6', 'total_public_cost_cny')
"""
from __future__ import annotations

import json
import math
import threading
from concurrent.futures import Future
from dataclasses import dataclass, fields
from typing import Any, Callable

import pandas as pd

from ..experiments.executors import SerialExecutor
from ..optimize.search import Problem
from ..scenario.load import LoadedScenario
from . import logic
from .logic import Cancelled, Option

#: Bounds of a search in the page (a search of the command line may be far larger).
MAX_TRIALS = 60
MAX_REPS = 6
#: Finalists confirmed with twice the replications.
FINALISTS = 3
#: The settings the page searches: id -> (zh, en).
LEVERS = {
    "subsidy": ("一次性现金补助(元/户，0到现额的两倍，至少到20,000)",
                "One-off cash payment (CNY per household, 0 to twice the current amount, at "
                "least to 20,000)"),
    "registration": ("登记开始月份(第0–24月)", "Month registration opens (0–24)"),
    "withdrawal": ("撤出公共服务的剩余比例(30%–70%)",
                   "Share remaining below which services are withdrawn (30%–70%)"),
    "packages": ("加一个政策包(参观学习、以奖代补，或以无息贷款代替贴息贷款)",
                 "One more package (study tours, awards, or interest-free instead of "
                 "interest-subsidised loans)"),
}
#: Packages the search may add to the starting option (when it has not got them).
ADD_PACKAGES = ("study_tours", "awards")


@dataclass(frozen=True)
class GoalSeek:
    """What the planner asks: the target, the budget, the settings to search, the effort."""

    target_share: float = 0.6
    target_month: int = 60
    budget_total_cny: float | None = None
    budget_per_year_cny: float | None = None
    levers: tuple[str, ...] = tuple(LEVERS)
    no_arrears: bool = True
    trials: int = 12
    replications: int = 2
    seed: int = 1


#: The cash lever's range: 0 to twice the scenario's amount, at least to this (CNY per
#: household), in :data:`SUBSIDY_LEVELS` steps of whole thousands.
SUBSIDY_MIN_TOP_CNY = 20_000
SUBSIDY_LEVELS = 20


def is_cash_payment(inst) -> bool:
    """Whether instrument ``inst`` is a one-off cash payment to every household: paid once
    at the move (a one-off cost, nothing monthly, no loan, not the price of a home), worth to
    the household exactly what it costs the township (money only: no persuasion or pressure,
    no income gain or easier farming added), and offered to all households (no eligibility by
    type, village or income).  Compensation for the old house and land (an instrument whose
    name or label says compensation, 补偿) is not a payment the township may search down to
    nothing: it is set by the compensation standards the law requires."""
    el = inst.eligible
    words = f"{inst.name} {inst.label_en or ''}".lower()
    if "compensation" in words or "补偿" in (inst.label_zh or ""):
        return False
    return (inst.value_cny > 0 and inst.cost_once_cny == inst.value_cny
            and not inst.cost_monthly_cny and not inst.revenue_monthly_cny
            and not inst.credit_cny and not inst.covers_price and not inst.utility_shift
            and not inst.income_gain_cny_per_year and not inst.field_distance_relief
            and el.types is None and el.villages is None and el.max_income_cny_per_year is None)


def subsidy_amount(sc: LoadedScenario) -> tuple[str, str, float] | None:
    """The scenario's one-off cash payment that the goal-seek searches: (instrument name,
    Chinese label, CNY per household) of the largest of its instruments that
    :func:`is_cash_payment` (the first of equals); None when it has none.  The largest, so
    that a small fee waiver is not searched instead of the subsidy (Nanpu's 2,000 yuan
    ``cash_or_cement``, not its 300 yuan ``certificate_fee_waiver``); an expropriation's
    compensation (nanjing_qinhuai) is not one."""
    found = [i for i in sc.model.policy.instruments if is_cash_payment(i)]
    if not found:
        return None
    inst = max(found, key=lambda i: i.value_cny)       # max keeps the first of equals
    return inst.name, str(inst.label_zh or inst.name), float(inst.value_cny)


def subsidy_range(amount: float) -> tuple[float, float]:
    """The cash lever's (top, step) for a scenario paying ``amount``: 0 to twice the amount,
    at least to :data:`SUBSIDY_MIN_TOP_CNY`, in :data:`SUBSIDY_LEVELS` steps of whole
    thousands.

    >>> subsidy_range(2000), subsidy_range(90_000)
    ((20000.0, 1000.0), (180000.0, 9000.0))
    """
    step = 1000.0 * math.ceil(max(SUBSIDY_MIN_TOP_CNY, 2 * amount) / SUBSIDY_LEVELS / 1000)
    return step * SUBSIDY_LEVELS, step


def package_choices(option: Option) -> list[list[str]]:
    """The package lever's choices from ``option``: nothing added, each package of
    :data:`ADD_PACKAGES` it has not got, and interest-free loans instead of interest-subsidised
    ones (when it has those)."""
    out: list[list[str]] = [[]]
    out += [[p] for p in ADD_PACKAGES if p not in option.packages]
    if "subsidised_loans" in option.packages and "interest_free_loans" not in option.packages:
        out.append(["-subsidised_loans", "interest_free_loans"])
    elif "interest_free_loans" not in option.packages:
        out.append(["interest_free_loans"])
    return out


def levers(start: LoadedScenario, option: Option, form: GoalSeek) -> list[dict]:
    """The levers of ``optimize`` for the settings ticked (a setting the scenario lacks, as a
    one-off cash payment (:func:`subsidy_amount`), is left out)."""
    out: list[dict] = []
    cash = subsidy_amount(start) if "subsidy" in form.levers else None
    if cash is not None:
        name = cash[0]
        top, step = subsidy_range(cash[2])
        out.append({"key": f"policy.instruments.{name}.value_cny",
                    "also": [f"policy.instruments.{name}.cost_once_cny"],
                    "range": [0, top], "step": step})
    if "registration" in form.levers:
        out.append({"key": "policy.registration_opens_month", "range": [0, 24], "step": 3})
    if "withdrawal" in form.levers:
        out.append({"key": "strategy.withdrawal.threshold_share", "range": [0.3, 0.7],
                    "step": 0.05})
    if "packages" in form.levers:
        out.append({"key": "packages", "choices": package_choices(option)})
    return out


def start_option(option: Option, form: GoalSeek) -> Option:
    """The option the search starts from, with the goal-seek's budget."""
    return logic.copy_option(option, budget_total_cny=form.budget_total_cny,
                             budget_per_year_cny=form.budget_per_year_cny)


def build_spec(start: LoadedScenario, form: GoalSeek, option: Option | None = None):
    """The ``optimize`` spec of the form on the starting scenario: the target as a
    constraint (and no arrears when asked), the budget the scenario states (``budget:
    auto``), cheapest first, then fastest.  Raises :class:`~ruralsim.optimize.SpecError`."""
    from ..optimize import parse_spec

    option = option or Option("A", packages=tuple(start.model.policy.packages))
    month = int(form.target_month)
    constraints = [f"share_moved_by_month[{month}] >= {float(form.target_share):g}"]
    if form.no_arrears:
        constraints.append("months_in_arrears <= 0")
    reps = int(form.replications)
    data = {"name": "app_goal_seek", "levers": levers(start, option, form),
            "constraints": constraints,
            "objectives": [{"minimize": "public_cost_cny"},
                           {"maximize": f"share_moved_by_month[{month}]"}],
            "budget": "auto", "trials": int(form.trials), "replications": reps,
            "finalists": FINALISTS, "confirm_replications": 2 * reps,
            "confidence": 0.9, "seed": int(form.seed), "sampler": "tpe"}
    from ..errors import Issue
    from ..optimize import SpecError

    horizon = start.model.run.horizon_months
    issues = []
    if not 0 < float(form.target_share) <= 1:
        issues.append(Issue("goal-seek", "target", "the target share must be above 0% and at "
                            "most 100% / 目标入住比例须在0%到100%之间"))
    if not 1 <= month <= horizon:
        issues.append(Issue("goal-seek", "month", f"the target month must be from 1 to the "
                            f"scenario's horizon ({horizon}) / 目标月份须在1到{horizon}之间"))
    if not 1 <= data["trials"] <= MAX_TRIALS or not 2 <= reps <= MAX_REPS:
        issues.append(Issue("goal-seek", "trials", f"the page runs 1–{MAX_TRIALS} trials of "
                            f"2–{MAX_REPS} replications / 页面上的搜索最多{MAX_TRIALS}次试验、"
                            f"每次2–{MAX_REPS}次重复"))
    if not data["levers"]:
        issues.append(Issue("goal-seek", "levers", "tick at least one setting to adjust "
                            "(this scenario has no one-off cash payment to every household) / "
                            "请至少勾选一项可调整的设置(本情景没有发给每户的一次性现金补助)"))
    if issues:
        raise SpecError(issues)
    return parse_spec(data, "goal-seek")


def planned_runs(form: GoalSeek) -> int:
    """Most simulations a search runs: each trial's replications, the scenario as it is,
    and the finalists' extra replications."""
    reps = int(form.replications)
    return int(form.trials) * reps + reps + FINALISTS * reps


def option_of(start: Option, values: dict[str, Any], name: str) -> Option:
    """The option a candidate's lever values make of ``start`` (values rounded as the card
    shows them, so that the option and the search run the same scenario)."""
    amounts = dict(start.amounts)
    changes: dict[str, Any] = {"name": name}
    for key, v in values.items():
        if key == "packages":
            pk = list(start.packages)
            for ref in v:
                if ref.startswith("-"):
                    pk = [p for p in pk if p != ref[1:]]
                elif ref not in pk:
                    pk.append(ref)
            changes["packages"] = tuple(pk)
        elif key == "policy.registration_opens_month":
            changes["registration_month"] = int(v)
        elif key == "strategy.withdrawal.threshold_share":
            changes["withdrawal_threshold"] = round(float(v), 4)
        elif key.endswith(".value_cny"):
            amount = float(round(float(v)))
            amounts[key] = amount
            amounts[key.replace(".value_cny", ".cost_once_cny")] = amount
        else:
            raise ValueError(f"lever {key} has no place on an option card")
    changes["amounts"] = amounts
    return logic.copy_option(start, **changes)


@dataclass
class GoalSeekResult:
    """A search of the page: the optimize result and what it started from."""

    result: Any                 # ruralsim.optimize.OptimizeResult
    start: Option
    villages: pd.DataFrame | None
    base: LoadedScenario
    form: GoalSeek

    def candidate_option(self, trial: int, name: str) -> Option:
        """Trial ``trial`` as an option named ``name``."""
        row = self.result.candidates.set_index("trial").loc[int(trial)]
        return option_of(self.start, json.loads(row["levers_json"]), name)

    def candidate_scenario(self, trial: int, name: str) -> LoadedScenario:
        """The scenario of trial ``trial`` named ``name``: what an option card filled with
        the candidate runs."""
        return logic.build_option(self.base, self.villages, self.candidate_option(trial, name))


class _Counting(SerialExecutor):
    """Runs in this thread, counting runs; a set ``cancel`` stops before the next run."""

    def __init__(self, cancel: threading.Event | None, step: Callable[[int], None]) -> None:
        self.cancel, self.step = cancel, step

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        fut = super().submit(fn, *args, **kwargs)
        self.step(len(args[0]) if args and isinstance(args[0], list) else 1)
        return fut


def run_goal_seek(base: LoadedScenario, villages: pd.DataFrame | None, option: Option,
                  form: GoalSeek, progress: Callable[[int, int], None] | None = None,
                  cancel: threading.Event | None = None) -> GoalSeekResult:
    """Search from ``option`` (with the village table) for the cheapest settings that meet
    the target within the budget; ``progress(runs done, most runs)``; raises
    :class:`~ruralsim.app.logic.Cancelled` when ``cancel`` is set (checked before each run),
    :class:`~ruralsim.optimize.SpecError` or ScenarioError for a bad form."""
    from ..optimize.search import build_problem, require_optuna, run_search

    require_optuna()
    start = start_option(option, form)
    start_sc = logic.build_option(base, villages, start)
    spec = build_spec(start_sc, form, start)
    generic = build_problem(start_sc, spec, "goal-seek")

    def scenario_for(values: dict[str, Any]) -> LoadedScenario:
        return logic.build_option(base, villages, option_of(start, values, start.name))

    problem = _OptionProblem(**{f.name: getattr(generic, f.name) for f in fields(Problem)},
                             make=scenario_for)
    total = planned_runs(form)
    done = [0]

    def step(n: int) -> None:
        done[0] = min(total, done[0] + n)
        if progress is not None:
            progress(done[0], total)

    result = run_search(problem, None, _Counting(cancel, step))
    if progress is not None:
        progress(total, total)
    return GoalSeekResult(result, start, villages, base, form)


@dataclass
class _OptionProblem(Problem):
    """A search problem whose scenarios are built as the page builds options."""

    make: Callable[[dict], LoadedScenario] | None = None

    def scenario_for(self, values: dict[str, Any]) -> LoadedScenario:
        return self.make(values)


# ----------------------------------------------------------------------------- in words
def settings_text(gs: GoalSeekResult, values: dict[str, Any], lang: str = "zh") -> str:
    """A candidate's settings in words, e.g. '一次性现金补助8,000元/户；第3月开始登记；…'."""
    from .logic import package_label

    zh = lang == "zh"
    parts = []
    order = [lv.key for lv in gs.result.problem.spec.levers]
    for key, v in sorted(values.items(), key=lambda kv: order.index(kv[0])
                         if kv[0] in order else len(order)):
        if key.endswith(".value_cny"):     # (labels may carry the scenario's amount)
            parts.append(f"一次性现金补助{v:,.0f}元/户" if zh else
                         f"one-off cash payment {v:,.0f} CNY/household")
        elif key == "policy.registration_opens_month":
            parts.append(f"第{int(v)}月开始登记" if zh else f"registration opens in month {int(v)}")
        elif key == "strategy.withdrawal.threshold_share":
            if gs.start.withdrawal:
                parts.append(f"剩余不足{v:.0%}时撤出服务" if zh else
                             f"services withdrawn below {v:.0%} remaining")
        elif key == "packages":
            added = [package_label(p, lang) for p in v if not p.startswith("-")]
            dropped = [package_label(p[1:], lang) for p in v if p.startswith("-")]
            if dropped:
                parts.append(f"以{'、'.join(added)}代替{'、'.join(dropped)}" if zh else
                             f"{', '.join(added)} instead of {', '.join(dropped)}")
            elif added:
                parts.append(f"另加{'、'.join(added)}" if zh else f"plus {', '.join(added)}")
            else:
                parts.append("不加政策包" if zh else "no package added")
    return ("；" if zh else "; ").join(parts)


def _money(x: float, lang: str) -> str:
    from ..report.formatting import fmt_value

    return "–" if not math.isfinite(x) else fmt_value("total_public_cost_cny", x, lang)


def candidate_rows(gs: GoalSeekResult, lang: str = "zh", limit: int = 12) -> list[dict]:
    """The candidates in words, best first (recommended, then those meeting the target and
    budget by cost, then the others by how far they miss): trial, settings, share moved by
    the month, public cost, verdict, note."""
    r = gs.result
    df = r.candidates
    if df.empty:
        return []
    df = df[(df["status"] == "ok") & df["same_as_trial"].isna()].copy()
    q = f"share_moved_by_month[{int(gs.form.target_month)}]"
    cost = "total_public_cost_cny"
    df["_rec"] = ~df.get("recommended", pd.Series(False, index=df.index)).astype(bool)
    df = df.sort_values(["_rec", "feasible", "violation", f"{cost}__mean"],
                        ascending=[True, False, True, True])
    zh = lang == "zh"
    rows = []
    for _, row in df.head(limit).iterrows():
        values = json.loads(row["levers_json"])
        note = []
        if row.get("recommended"):
            note.append("推荐" if zh else "recommended")
        elif row.get("finalist"):
            note.append("入围复核" if zh else "confirmed finalist")
        share = row[f"{q}__mean"]      # (a share: the interval kept within 0-100%)
        lo, hi = max(0.0, row[f"{q}__ci_low"]), min(1.0, row[f"{q}__ci_high"])
        rows.append({
            "trial": int(row["trial"]),
            "settings": settings_text(gs, values, lang),
            "share": f"{share:.0%} [{lo:.0%}, {hi:.0%}]" if math.isfinite(share) else "–",
            "cost": _money(float(row[f"{cost}__mean"]), lang),
            "verdict": (("达到目标，未超预算" if zh else "meets the target within the budget")
                        if row["feasible"] else _misses(gs, row, lang)),
            "feasible": bool(row["feasible"]),
            "note": "、".join(note) if zh else ", ".join(note)})
    return rows


def _misses(gs: GoalSeekResult, row, lang: str) -> str:
    """What a candidate (a row of means: ``row[quantity + '__mean']``) misses, in words."""
    p = gs.result.problem
    zh = lang == "zh"
    out = []
    for c, lim in zip(p.constraints, p.limits):
        m = row[f"{c.quantity}__mean"]
        if m <= lim if c.op == "<=" else m >= lim:
            continue
        if c.quantity.startswith("share_moved_by_month"):
            out.append("未达目标" if zh else "misses the target")
        elif c.quantity == "months_in_arrears":
            out.append("拖欠工程款" if zh else "falls into arrears")
        elif "year" in c.quantity:
            out.append("超出年度预算" if zh else "over the budget per year")
        else:
            out.append("超出总预算" if zh else "over the budget")
    return ("、".join(out) if zh else ", ".join(out)) or ("未满足" if zh else "misses")


def baseline_text(gs: GoalSeekResult, lang: str = "zh") -> str:
    """The starting option as it is (no setting moved, the same seeds), in one sentence."""
    base = gs.result.baseline or {}
    means = base.get("means") or {}
    if not means:
        return ""
    zh = lang == "zh"
    q = f"share_moved_by_month[{int(gs.form.target_month)}]"
    share = means.get(q, (math.nan,))[0]
    cost = means.get("total_public_cost_cny", (math.nan,))[0]
    row = {f"{k}__mean": v[0] for k, v in means.items()}
    verdict = (("达到目标，未超预算" if zh else "meets the target within the budget")
               if base.get("feasible") else _misses(gs, row, lang))
    name = gs.start.name
    return (f"出发方案“{name}”不作调整：第{gs.form.target_month}个月末入住{share:.0%}，公共成本"
            f"{_money(cost, lang)}，{verdict}。" if zh else
            f"The starting option '{name}' as it is: {share:.0%} moved by month "
            f"{gs.form.target_month}, public cost {_money(cost, lang)}; {verdict}.")


def conclusion(gs: GoalSeekResult, lang: str = "zh") -> str:
    """One sentence: which candidate is recommended and why, or why none is."""
    r = gs.result
    zh = lang == "zh"
    f = gs.form
    target = (f"第{f.target_month}个月末入住{f.target_share:.0%}" if zh else
              f"{f.target_share:.0%} moved by month {f.target_month}")
    spec = r.problem.spec
    if r.recommended is not None:
        t = int(r.recommended["trial"])
        return (f"推荐候选{t}：在达到目标({target})且不超预算的方案中公共成本最低，并经"
                f"{spec.confirm_replications}次重复复核(置信度{spec.confidence:.0%})。" if zh else
                f"Candidate {t} is recommended: the cheapest of those that reach the target "
                f"({target}) within the budget, confirmed with {spec.confirm_replications} "
                f"replications ({spec.confidence:.0%} confidence).")
    feasible = int(r.candidates["feasible"].sum()) if not r.candidates.empty else 0
    if feasible:
        return (f"有{feasible}个候选平均达到目标且不超预算，但经{spec.confirm_replications}次重复"
                f"复核后没有一个能以{spec.confidence:.0%}的把握做到；可增加重复次数，或放宽目标、"
                "增加预算。" if zh else
                f"{feasible} candidate(s) reach the target within the budget on average, but "
                f"none does so with {spec.confidence:.0%} confidence after "
                f"{spec.confirm_replications} replications; run more replications, or ease "
                "the target or the budget.")
    return (f"在{len(r.candidates)}次试验中，没有候选在预算内达到目标({target})；下表按差距"
            "从小到大排列。可放宽目标、增加预算，或勾选更多可调整的设置。" if zh else
            f"In {len(r.candidates)} trials no candidate reached the target ({target}) within "
            "the budget; the table lists the closest first. Ease the target, raise the "
            "budget, or tick more settings to search.")


def tradeoff_png(gs: GoalSeekResult, lang: str = "zh") -> bytes | None:
    """The trade-off figure (cost against the share moved by the month) as PNG bytes."""
    import matplotlib.pyplot as plt

    from ..report import plots
    from ..report.optimize_plot import plot_tradeoff

    if gs.result.candidates.empty:
        return None
    with logic.PLOT_LOCK:
        fig = plot_tradeoff(gs.result, lang=lang)
        try:
            return plots.png_bytes(fig, dpi=90)
        finally:
            plt.close(fig)
