"""What an optimisation searches: levers, constraints and objectives (``ruralsim optimize``).

A spec is YAML (or the same as Python lists and dicts)::

    levers:
      - {key: policy.instruments.cash_subsidy.value_cny, range: [0, 20000], step: 1000}
      - {key: packages, choices: [[], [interest_free_loans], [awards]]}
      - {key: government.phase_rule, choices: [planner_order, demand_first]}
    constraints:
      - share_moved_by_month[60] >= 0.8
      - months_in_arrears <= 0
      - public_cost_cny <= budget
    objectives:
      - {minimize: public_cost_cny}
      - {maximize: share_moved_by_month[60]}

A lever is a scenario key path (as ``--set``; list items by name) with a ``range`` (whole
numbers when both bounds are whole, else real; ``step`` makes a grid, ``log`` a log scale) or
``choices``; ``also`` lists more key paths set to the same value (a subsidy's value to
households and its cost to the township); the key ``packages`` chooses a list of packages to
stack (``-name`` takes one of the scenario's off).  A quantity (a constraint's left side, an objective) is a metric of the
summary (``ruralsim metrics``), ``public_cost_cny`` (= ``total_public_cost_cny``),
``share_moved_by_month[M]`` (households moved by the end of month M, as a share) or
``months_to_share_moved[S]`` (first month at which the share S has moved; horizon + 1 when
never).  A constraint's right side is a number, ``budget`` (= ``budget.total_cny``) or
``budget.per_year_cny``, read from the scenario.  Constraints hold on the mean over the
replications; the confirmation step asks each to hold at ``confidence``.

Example:
    >>> spec = parse_spec({"levers": [{"key": "run.horizon_months", "range": [12, 24]}],
    ...                    "objectives": [{"minimize": "public_cost_cny"}]})
    >>> spec.levers[0].kind, spec.objectives[0].quantity
    ('int', 'total_public_cost_cny')
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..errors import Issue, ScenarioError
from ..scenario.schema import Strict

#: Bounds of a search (clear errors beyond them).
MAX_TRIALS = 5_000
MAX_REPLICATIONS = 200
MAX_CONFIRM_REPLICATIONS = 2_000
MAX_FINALISTS = 50
MAX_LEVERS = 30
MAX_CHOICES = 200
#: Most simulation runs one search may ask for (trials x replications + confirmation).
MAX_RUNS = 500_000

#: Aliases of quantities (the brief's names for metrics the summary already has).
ALIASES = {"public_cost_cny": "total_public_cost_cny"}
#: Right-hand sides read from the scenario's stated budget.
BUDGET_RHS = {"budget": "total_cny", "budget.total_cny": "total_cny",
              "budget.per_year_cny": "per_year_cny"}
_DERIVED = re.compile(r"^(share_moved_by_month|months_to_share_moved)\[\s*([0-9.eE+-]+)\s*\]$")
_CONSTRAINT = re.compile(r"^\s*(?P<lhs>[A-Za-z_<][\w.<>\[\]\s]*?)\s*(?P<op><=|>=|<|>)\s*"
                         r"(?P<rhs>\S.*?)\s*$")


class SpecError(ScenarioError):
    """An optimisation spec is invalid; carries every problem found (exit 2)."""

    def __init__(self, issues: list[Issue]):
        super().__init__(issues)
        n = len(self.issues)
        body = "\n".join(f"  {i}" for i in self.issues)
        self.args = (f"invalid optimisation spec / 优化设定有误 ({n} problem"
                     f"{'s' if n != 1 else ''}):\n{body}",)

    def __str__(self) -> str:
        return self.args[0]


def canonical_quantity(text: str) -> str:
    """``text`` with aliases resolved and the bracket of a derived quantity normalised."""
    text = re.sub(r"\s+", "", str(text))
    m = _DERIVED.match(text)
    if m:
        return f"{m.group(1)}[{_number_text(float(m.group(2)))}]"
    return ALIASES.get(text, text)


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def derived(quantity: str) -> tuple[str, float] | None:
    """``('share_moved_by_month', 60.0)`` for a derived quantity, else None."""
    m = _DERIVED.match(quantity)
    return (m.group(1), float(m.group(2))) if m else None


class Lever(Strict):
    key: str = Field(min_length=1, max_length=200, description="scenario key path or 'packages'")
    range: list[int | float] | None = Field(None, min_length=2, max_length=2)
    step: int | float | None = Field(None, gt=0)
    log: bool = False
    choices: list[Any] | None = Field(None, min_length=1, max_length=MAX_CHOICES)
    also: list[str] = Field([], max_length=10, description="more key paths set to the same "
                            "value (a subsidy's value and its cost to the township, say)")
    label_zh: str = Field("", max_length=200)
    label_en: str = Field("", max_length=200)

    @field_validator("range", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        if isinstance(v, list) and any(isinstance(x, bool) or not isinstance(x, (int, float))
                                       for x in v):
            raise ValueError("range must be two numbers [low, high] / 取值范围须为两个数")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> "Lever":
        if (self.range is None) == (self.choices is None):
            raise ValueError("give either range: [low, high] or choices: [...] / 须给出 range "
                             "或 choices 之一")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
                raise ValueError(f"range [{lo}, {hi}]: low must not exceed high / 下限不能大于上限")
            if self.log and lo <= 0:
                raise ValueError("log: true needs a range above 0 / 对数尺度须取正值")
            if self.log and self.step is not None:
                raise ValueError("log and step cannot be combined / log 与 step 不能同时使用")
        elif self.step is not None or self.log:
            raise ValueError("step and log apply to a range, not to choices / step、log 仅用于 range")
        if self.key == "packages" and self.choices is None:
            raise ValueError("the packages lever takes choices (lists of package names), not a "
                             "range / packages 杠杆须用 choices")
        if self.key == "packages" and self.also:
            raise ValueError("also does not apply to packages / packages 不能使用 also")
        if self.key == "packages" and self.choices is not None:
            for c in self.choices:
                if not (isinstance(c, list) and all(isinstance(x, str) and x for x in c)):
                    raise ValueError("choices of 'packages' are lists of package names, e.g. "
                                     "[[], [awards]] / 政策包选项须为名称列表")
        return self

    @property
    def kind(self) -> str:
        """'choice', 'int' (whole bounds and step) or 'float'."""
        if self.choices is not None:
            return "choice"
        whole = all(isinstance(x, int) for x in self.range or ()) and \
            (self.step is None or isinstance(self.step, int))
        return "int" if whole else "float"


def grid_values(lv: Lever) -> list[Any]:
    """The values of ``lv`` on a grid: its choices (as indices), its whole numbers by step,
    or its real values by step (the top end where a step lands on it)."""
    if lv.kind == "choice":
        return list(range(len(lv.choices)))
    lo, hi = lv.range
    if lv.kind == "int":
        return list(range(int(lo), int(hi) + 1, int(lv.step or 1)))
    n = math.floor((hi - lo) / lv.step + 1e-9)
    return [float(lo + k * lv.step) for k in range(n + 1)]


class Objective(Strict):
    minimize: str | None = Field(None, min_length=1, max_length=120)
    maximize: str | None = Field(None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _one(self) -> "Objective":
        if (self.minimize is None) == (self.maximize is None):
            raise ValueError("write {minimize: QUANTITY} or {maximize: QUANTITY} / 须写 minimize "
                             "或 maximize 之一")
        return self

    @property
    def quantity(self) -> str:
        return canonical_quantity(self.minimize or self.maximize or "")

    @property
    def direction(self) -> str:
        return "minimize" if self.minimize is not None else "maximize"


@dataclass(frozen=True)
class Constraint:
    """``quantity op bound``: ``op`` is '<=' or '>=' (< and > are read as <= and >=: the
    mean is compared, not single runs); ``bound`` is a number or a budget key."""

    text: str
    quantity: str
    op: str
    bound: float | str

    def limit(self, budget: dict[str, Any]) -> float | None:
        """The bound as a number (a budget key read from ``budget``; None when not stated)."""
        if isinstance(self.bound, str):
            return budget.get(BUDGET_RHS[self.bound])
        return float(self.bound)


def parse_constraint(text: str) -> Constraint:
    """``'share_moved_by_month[60] >= 0.8'`` -> :class:`Constraint`; ValueError when malformed."""
    m = _CONSTRAINT.match(str(text))
    if not m:
        raise ValueError(f"{str(text)[:80]!r} is not 'QUANTITY <= VALUE' or 'QUANTITY >= "
                         "VALUE' / 约束须写作 指标 <= 数值 或 指标 >= 数值")
    rhs = m.group("rhs").strip()
    bound: float | str
    if rhs in BUDGET_RHS:
        bound = rhs
    else:
        try:
            bound = float(rhs)
        except ValueError:
            raise ValueError(f"the right side {rhs[:40]!r} is neither a number nor budget / "
                             "budget.per_year_cny / 右侧须为数值或 budget") from None
        if not math.isfinite(bound):
            raise ValueError(f"the right side {rhs[:40]!r} is not a finite number / 右侧须为有限数")
    op = {"<": "<=", ">": ">="}.get(m.group("op"), m.group("op"))
    return Constraint(str(text).strip(), canonical_quantity(m.group("lhs")), op, bound)


def _check_constraint(text: str) -> str:
    parse_constraint(text)
    return text


class OptimizeSpec(Strict):
    """A validated optimisation spec (see the module docstring)."""

    name: str = Field("", max_length=120)
    levers: list[Lever] = Field(min_length=1, max_length=MAX_LEVERS)
    constraints: list[Annotated[str, AfterValidator(_check_constraint)]] = Field(
        [], max_length=30)
    objectives: list[Objective] = Field(min_length=1, max_length=4)
    budget: Literal["auto", "ignore"] = Field(
        "auto", description="auto: a budget the scenario states is a constraint unless one "
        "is already written; ignore: only the constraints written")
    confidence: float = Field(0.9, ge=0.5, le=0.999)
    trials: int = Field(40, ge=1, le=MAX_TRIALS)
    replications: int = Field(4, ge=2, le=MAX_REPLICATIONS)
    finalists: int = Field(5, ge=1, le=MAX_FINALISTS)
    confirm_replications: int = Field(20, ge=2, le=MAX_CONFIRM_REPLICATIONS)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    sampler: Literal["tpe", "nsga2", "grid"] = Field(
        "tpe", description="tpe (default), nsga2, or grid: every combination once (levers "
        "with choices, whole numbers or a step; at most trials combinations are run)")

    @model_validator(mode="after")
    def _checks(self) -> "OptimizeSpec":
        keys = [lv.key for lv in self.levers]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"lever key(s) given twice: {', '.join(dup)} / 杠杆重复")
        if self.confirm_replications < self.replications:
            raise ValueError(f"confirm_replications ({self.confirm_replications}) must be at "
                             f"least replications ({self.replications}) / 复核重复次数不能少于"
                             "搜索重复次数")
        if self.sampler == "grid":
            loose = [lv.key for lv in self.levers if lv.kind == "float" and lv.step is None]
            if loose:
                raise ValueError(f"sampler grid needs a step for the real-valued lever(s) "
                                 f"{', '.join(loose)} / 网格搜索须为连续杠杆设定 step")
        runs = self.trials * self.replications + self.finalists * self.confirm_replications
        if runs > MAX_RUNS:
            raise ValueError(f"trials x replications + finalists x confirm_replications = "
                             f"{runs:,} runs, more than {MAX_RUNS:,} / 运行次数过多")
        return self

    @property
    def parsed_constraints(self) -> list[Constraint]:
        return [parse_constraint(c) for c in self.constraints]


def parse_spec(data: Any, file: str = "<spec>", lines: dict | None = None) -> OptimizeSpec:
    """Validate ``data`` (a mapping) into an :class:`OptimizeSpec`; a :class:`SpecError`
    names the file, key path and line of every problem."""
    from ..scenario.load import validate_model

    where = {p: (file, line) for p, line in (lines or {}).items()}
    if not isinstance(data, dict):
        raise SpecError([Issue(file, "", "an optimisation spec is a mapping with levers, "
                               "constraints and objectives / 优化设定须为含 levers、constraints、"
                               "objectives 的映射", (lines or {}).get(()))])
    try:
        return validate_model(OptimizeSpec, data, where, file)
    except ScenarioError as exc:
        raise SpecError(exc.issues) from None


def load_spec(path: str | Path) -> tuple[OptimizeSpec, Any]:
    """Read and validate a spec file; returns the spec and the YAML document (for lines)."""
    from ..scenario.yamlio import read_yaml_file

    try:
        doc = read_yaml_file(path, what="optimisation spec")
    except ScenarioError as exc:
        raise SpecError(exc.issues) from None
    return parse_spec(doc.data, doc.file, doc.lines), doc


#: Labels of the quantities a search often uses that the report's table does not name.
_LABELS = {
    "budget.public_cost_cny": ("公共成本", "Public cost"),
    "budget.max_year_cost_cny": ("最高年度公共成本", "Highest public cost in a year"),
    "budget.total_cny": ("预算总额", "Budget in all"),
    "budget.per_year_cny": ("年度预算", "Budget per year"),
    "exposure_vulnerable_household_months": ("困难户生活在服务恶化村庄的户·月",
                                             "Vulnerable household-months in degraded villages"),
    "households_in_distress_peak": ("陷入困境户数峰值", "Peak households in distress"),
}


def quantity_label(q: str, lang: str) -> str:
    """A quantity's name for readers: 'zh', 'en' or 'both' ("中文 / English")."""
    from ..report.labels import metric_label

    d = derived(q)
    if d is not None:
        name, x = d
        if name == "share_moved_by_month":
            zh, en = f"第{x:.0f}个月末入住比例", f"Share moved by month {x:.0f}"
        else:
            zh, en = f"{x:.0%}农户入住所需月数", f"Months to {x:.0%} moved"
    elif q in _LABELS:
        zh, en = _LABELS[q]
    else:
        zh, en = metric_label(q, "zh"), metric_label(q, "en")
    return zh if lang == "zh" else en if lang == "en" else (zh if zh == en else f"{zh} / {en}")


def is_money(q: str) -> bool:
    """True for a quantity in CNY (shown in millions)."""
    from ..metrics import info

    i = info(q) if derived(q) is None else None
    return i is not None and i.unit.startswith("CNY") and "household" not in i.unit
