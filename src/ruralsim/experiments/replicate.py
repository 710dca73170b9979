"""Replications and comparisons of scenarios with common random numbers.

Replication ``i`` of every scenario uses the same child seed
``SeedSequence(seed).spawn(reps)[i]``, and draws are indexed by household id, so two
packages compared this way differ only where the policy acts.

Example:
    >>> from ruralsim.experiments import replicate
    >>> reps = replicate("teaching", reps=3, seed=1)
    >>> reps.summary.shape[0], sorted(reps.bands("n_ever_moved").columns)[:2]
    (3, ['mean', 'month'])
"""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ArgumentTypeError, RuralsimError, UsageError, check_list_arg
from ..rng import seed_label, spawn_seeds
from ..scenario.load import LoadedScenario, load_scenario
from .executors import Progress, SerialExecutor, batch_size, run_all
from .runs import RunSpec, run_one

#: Time-series columns kept for bands unless asked otherwise.
DEFAULT_COLUMNS = ("n_ever_moved", "n_in_community", "n_in_village", "n_waiting",
                   "exposed_households", "n_stranded", "cash_cny", "financing_gap_cny",
                   "arrears_cny", "debt_cny", "land_freed_mu", "land_reclaimed_mu",
                   "service_level_mean")
#: Most replications of one scenario (each keeps its time series in memory until the end).
MAX_REPS = 10_000
#: Largest root seed accepted (numpy's SeedSequence takes any non-negative integer).
MAX_SEED = 2**63 - 1   # as run.seed and simulate()
#: Summary metrics reported by compare.
COMPARE_METRICS = ("share_moved", "months_to_50pct_moved", "months_to_90pct_moved",
                   "share_ever_registered", "households_reneged", "households_kept_old_house",
                   "total_public_cost_cny", "cost_per_relocated_household_cny",
                   "peak_financing_gap_cny", "months_in_arrears", "npv_cny", "land_freed_mu",
                   "households_registered_after_withdrawal", "exposure_household_months",
                   "share_movers_worse_off", "households_in_distress_peak", "vulnerable_moved",
                   "mean_household_debt_cny")


@dataclass
class Replications:
    """Replications of one scenario: summary metrics per replication, tidy time series."""

    name: str
    summary: pd.DataFrame        # one row per replication (column 'rep', 'seed', metrics...)
    timeseries: pd.DataFrame     # long: rep, month, metric, value
    errors: pd.DataFrame         # failed replications: rep, error

    def bands(self, metric: str, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per-month quantiles of ``metric`` across replications (columns q05, q50, q95...);
        a metric the replications did not keep is a :class:`KeyError` naming those kept."""
        if not (self.timeseries["metric"] == metric).any():
            kept = ", ".join(sorted(self.timeseries["metric"].unique()))
            raise KeyError(f"no time series {metric!r} in these replications (kept: {kept}) / "
                           f"重复运行未保留时间序列 {metric!r}（已保留：{kept}）")
        wide = self.timeseries[self.timeseries["metric"] == metric].pivot(
            index="month", columns="rep", values="value")
        q = wide.quantile(list(quantiles), axis=1).T
        q.columns = [f"q{round(x * 100):02d}" for x in quantiles]
        q["mean"] = wide.mean(axis=1)
        return q.reset_index()

    @property
    def metrics(self) -> pd.DataFrame:
        """The numeric summary metrics, one row per replication (index ``rep``), as floats:
        ``NaN`` where not reached or undefined (see :attr:`censored`; :mod:`ruralsim.data`)."""
        from ..data import reps_metrics

        return reps_metrics(self.summary)[0]

    @property
    def censored(self) -> pd.DataFrame:
        """For each time-to-event metric and replication: True when not reached within the
        horizon."""
        from ..data import reps_metrics

        return reps_metrics(self.summary)[1]

    def to_long(self) -> pd.DataFrame:
        """The kept time series as a tidy table: rep, month, variable, value."""
        from ..data import reps_long

        return reps_long(self)

    def to_xarray(self):
        """An ``xarray.Dataset`` over rep x month (metrics over rep; needs ``xarray``)."""
        from ..data import reps_xarray

        return reps_xarray(self)

    def plot(self, variable: str = "n_ever_moved", ax=None, lang: str | None = None):
        """Median and 5-95% band of a kept time series; a matplotlib figure (on ``ax`` when
        given), never shown."""
        from ..data import plot_reps

        return plot_reps(self, variable, ax=ax, lang=lang)


def check_reps(reps: Any, least: int = 1) -> int:
    """``reps`` as a whole number from ``least`` to :data:`MAX_REPS`, else a UsageError."""
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)):
        raise ArgumentTypeError(f"reps (--reps) must be a whole number, not "
                                f"{type(reps).__name__} {reps!r} / 重复次数须为整数")
    if not least <= reps <= MAX_REPS:
        raise UsageError(f"--reps must be from {least} to {MAX_REPS:,} (got {reps}) "
                         f"/ 重复次数须在 {least} 到 {MAX_REPS:,} 之间")
    return int(reps)


def check_seed(seed: Any) -> Any:
    """``seed`` as None, a SeedSequence or a whole number from 0 to 2**63-1, else a UsageError."""
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be a whole number from 0 to 2**63-1 (got {seed!r}) "
                         "/ 随机种子须为 0 到 2**63-1 的整数")
    return int(seed)


def _check_resources(results: list[dict]) -> None:
    """Refuse to report an experiment with replications lost to a lack of memory or disk."""
    short = [r for r in results if r["status"] == "resource"]
    if short:
        raise RuralsimError(f"{len(short)} of {len(results)} replications ran short of "
                            f"resources ({short[0]['error'][:200]}); nothing was written. Use "
                            "fewer --workers or fewer replications / 内存等资源不足，未写出结果，"
                            "请减少并行进程数或重复次数")


def _specs(sc: LoadedScenario, seeds: list, columns: Sequence[str], start_id: int,
           scenario_index: int) -> list[RunSpec]:
    return [RunSpec(start_id + i, sc, s, (), tuple(columns),
                    {"scenario": scenario_index, "rep": i, "seed": seed_label(s)})
            for i, s in enumerate(seeds)]


def _collect(name: str, results: list[dict], columns: Sequence[str]) -> Replications:
    ok = sorted((r for r in results if r["status"] == "ok"), key=lambda r: r["rep"])
    rows = [{"rep": r["rep"], "seed": r["seed"], **r["metrics"]} for r in ok]
    summary = pd.DataFrame(rows)
    long = []
    for r in ok:
        for c in columns:
            v = r["timeseries"][c]
            long.append(pd.DataFrame({"rep": r["rep"], "month": np.arange(v.size), "metric": c,
                                      "value": v}))
    ts = pd.concat(long, ignore_index=True) if long else pd.DataFrame(
        columns=["rep", "month", "metric", "value"])
    errors = pd.DataFrame([{"rep": r["rep"], "error": r["error"]} for r in results
                           if r["status"] != "ok"], columns=["rep", "error"])
    return Replications(name, summary, ts, errors)


def replicate(scenario: Any, reps: int = 30, seed: int | None = None,
              executor: Executor | None = None, overrides: Iterable = (),
              packages: Iterable[str] = (), columns: Sequence[str] = DEFAULT_COLUMNS,
              progress: bool = False) -> Replications:
    """Run ``scenario`` ``reps`` times with child seeds of ``seed`` (default: its run.seed)."""
    reps, seed = check_reps(reps), check_seed(seed)
    sc = load_scenario(scenario, overrides, packages)
    seed = sc.model.run.seed if seed is None else seed
    specs = _specs(sc, spawn_seeds(seed, reps), columns, 0, 0)
    executor = executor or SerialExecutor()
    results = run_all(executor, run_one, specs, Progress(len(specs), "运行 runs", progress),
                      batch=batch_size(len(specs), executor))
    _check_resources(results)
    return _collect(sc.name, results, columns)


@dataclass
class Comparison:
    """Scenarios replicated with the same seeds; ``table`` has one row per metric x scenario.

    The first scenario is the **baseline** and the others are **reforms** compared against it
    (``diff_vs_first`` in ``table`` is reform - baseline, paired by replication).
    """

    names: list[str]
    replications: list[Replications]
    table: pd.DataFrame

    @property
    def baseline(self) -> str:
        """The name of the scenario the others are compared against (the first)."""
        return self.names[0]

    @property
    def reforms(self) -> list[str]:
        """The names of the scenarios compared against the baseline."""
        return self.names[1:]

    def differences(self) -> pd.DataFrame:
        """Each reform's paired difference to the baseline: metric, reform, diff_vs_baseline,
        ci_low, ci_high (95%), reps."""
        t = self.table[self.table["scenario"] != self.baseline]
        return pd.DataFrame({"metric": t["metric"].to_numpy(), "reform": t["scenario"].to_numpy(),
                             "baseline": self.baseline,
                             "diff_vs_baseline": t["diff_vs_first"].to_numpy(),
                             "ci_low": t["diff_ci_low"].to_numpy(),
                             "ci_high": t["diff_ci_high"].to_numpy(),
                             "reps": t["reps"].to_numpy()})

    @property
    def metrics(self) -> pd.DataFrame:
        """Numeric metrics of every replication of every scenario: index (scenario, rep)."""
        return pd.concat({n: r.metrics for n, r in zip(self.names, self.replications)},
                         names=["scenario", "rep"])

    @property
    def censored(self) -> pd.DataFrame:
        """Censoring flags of the time-to-event metrics: index (scenario, rep)."""
        return pd.concat({n: r.censored for n, r in zip(self.names, self.replications)},
                         names=["scenario", "rep"])

    def to_long(self) -> pd.DataFrame:
        """The kept time series as one tidy table: scenario, role (baseline / reform), rep,
        month, variable, value."""
        from ..data import comparison_long

        return comparison_long(self)

    def to_xarray(self):
        """An ``xarray.Dataset`` over scenario x rep x month (needs ``xarray``)."""
        from ..data import comparison_xarray

        return comparison_xarray(self)

    def plot(self, variable: str = "n_ever_moved", ax=None, lang: str | None = None):
        """Median and 5-95% band of a kept time series per scenario; a matplotlib figure."""
        from ..data import plot_reps

        return plot_reps(self, variable, ax=ax, lang=lang)

    def readable(self, lang: str = "zh", metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """The comparison as a planner reads it: one row per metric (labelled), the first
        scenario's mean [2.5%, 97.5%], then each other scenario's paired difference to it
        [95% CI] with better / worse / no clear difference for that metric; readable units
        (:mod:`ruralsim.report.formatting`)."""
        from ..report.formatting import MARKS, fmt_estimate, judge, verdict_text
        from ..report.labels import metric_label

        rows = []
        for metric, g in self.table.groupby("metric", sort=False):
            if metrics is not None and metric not in metrics:
                continue
            row = {"指标" if lang == "zh" else "metric": metric_label(metric, lang)}
            for r in g.itertuples():
                if r.scenario == self.names[0]:
                    row[r.scenario] = fmt_estimate(metric, r.mean, r.p2_5, r.p97_5, lang)
                else:
                    v = judge(metric, r.diff_vs_first, r.diff_ci_low, r.diff_ci_high)
                    text = fmt_estimate(metric, r.diff_vs_first, r.diff_ci_low,
                                        r.diff_ci_high, lang, diff=True)
                    row[r.scenario] = (text if v == "missing" else
                                       f"{text} {MARKS[v]} {verdict_text(v, lang)}")
            rows.append(row)
        return pd.DataFrame(rows)


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    return float(x.mean()), float(np.percentile(x, 2.5)), float(np.percentile(x, 97.5))


def _mean_ci(d: np.ndarray) -> tuple[float, float, float]:
    d = d[np.isfinite(d)]
    if d.size == 0:
        return np.nan, np.nan, np.nan
    m = float(d.mean())
    if d.size < 2 or np.all(d == d[0]):
        return m, m, m
    from scipy import stats   # imported here: scipy.stats is slow to import

    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return m, m - half, m + half


def comparison_table(reps: list[Replications], metrics: Sequence[str]) -> pd.DataFrame:
    """Each metric per scenario: mean with 2.5-97.5% range over replications, and the paired
    difference to the first scenario: mean with its 95% confidence interval (t)."""
    rows = []
    base = reps[0].summary.set_index("rep")
    for r in reps:
        s = r.summary.set_index("rep")
        for m in metrics:
            if m not in s.columns:
                continue
            x = pd.to_numeric(s[m], errors="coerce").to_numpy(dtype=float)
            mean, lo, hi = _interval(x)
            common = s.index.intersection(base.index)
            d = (pd.to_numeric(s.loc[common, m], errors="coerce")
                 - pd.to_numeric(base.loc[common, m], errors="coerce")).to_numpy(dtype=float)
            dm, dlo, dhi = _mean_ci(d)
            rows.append({"metric": m, "scenario": r.name, "mean": mean, "p2_5": lo, "p97_5": hi,
                         "diff_vs_first": dm, "diff_ci_low": dlo, "diff_ci_high": dhi,
                         "reps": int(np.isfinite(x).sum()), "runs": int(x.size)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Variant:
    """A named variant of the base scenario (the first one compared).

    ``packages``: ``+name`` (or ``name``) stacks a package on the base, ``-name`` takes one
    of the base's packages off (built-in names or ``.yaml`` files); then ``overrides``
    (``key.path=value``, as ``--set``; a list item may be named:
    ``policy.instruments.cash_or_cement.value_cny=4000``).
    """

    name: str
    packages: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> "Variant":
        """A variant from ``"NAME: ITEM ITEM ..."`` (or, with ``name``, from the items alone).

        Items are separated by spaces (quote an item holding spaces): ``+package`` stacks a
        package, ``-package`` takes one off, ``key.path=value`` overrides a parameter.

        >>> Variant.parse("免息: -subsidised_loans +interest_free_loans run.horizon_months=120")
        Variant(name='免息', packages=('-subsidised_loans', '+interest_free_loans'), overrides=('run.horizon_months=120',))
        """
        import shlex

        if name is None:
            head, sep, text = text.partition(":")
            if not sep:
                head, sep, text = head.partition("：")
            name = head.strip()
            if not sep or not name or "=" in name:
                raise UsageError(f"variant {_shorten(head)!r}: write NAME: ITEMS, e.g. "
                                 "'loans: -subsidised_loans +interest_free_loans' / 变体应写作 "
                                 "名称: 内容")
        return cls.of(name, _split(text, name, shlex))

    @classmethod
    def of(cls, name: str, items: Iterable[str]) -> "Variant":
        """A variant from its items (see :meth:`parse`); bad items raise UsageError."""
        name = str(name).strip()
        if not name or len(name) > 80 or any(ord(c) < 32 for c in name):
            raise UsageError(f"variant name {_shorten(name)!r} must be 1 to 80 printable "
                             "characters / 变体名称须为1至80个可见字符")
        packages, overrides = [], []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise UsageError(f"variant '{name}': an item must be text, not {item!r}")
            item = item.strip()
            if item[0] in "+-":
                if len(item) == 1 or "=" in item:
                    raise UsageError(f"variant '{name}': {_shorten(item)!r} is not a package: "
                                     "write +name to stack a package or -name to take it off "
                                     "/ 政策包请写作 +名称 或 -名称")
                packages.append(item)
            elif "=" in item:
                overrides.append(item)
            else:
                raise UsageError(f"variant '{name}': {_shorten(item)!r} is neither +package, "
                                 "-package nor key.path=value (to stack a package write "
                                 f"+{_shorten(item)}) / 变体内容须为 +政策包、-政策包 或 参数=值")
        if not packages and not overrides:
            raise UsageError(f"variant '{name}' changes nothing: give +package, -package or "
                             "key.path=value / 变体没有任何改动")
        return cls(name, tuple(packages), tuple(overrides))


def _split(text: str, name: str, shlex) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:   # an unclosed quote
        raise UsageError(f"variant '{name}': {exc} / 引号不成对") from None


def _shorten(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def as_variant(v: Any, name: str | None = None) -> Variant:
    """A :class:`Variant` from a Variant, ``"NAME: items"`` text, or (with ``name``) items
    as text or a list."""
    if isinstance(v, Variant):
        return v
    if name is not None:
        return Variant.parse(v, name) if isinstance(v, str) else Variant.of(name, v)
    if isinstance(v, str):
        return Variant.parse(v)
    raise UsageError(f"a variant is 'NAME: items' text or a Variant, not {type(v).__name__}")


def build_scenarios(scenarios: Any, overrides: Iterable = (), packages: Iterable[str] = (),
                    variants: Any = ()) -> list[tuple[str, LoadedScenario]]:
    """The scenarios of a comparison, loaded and named.

    ``scenarios``: one scenario (path, built-in name, dict...), a list of them, or a mapping
    name -> scenario; ``packages`` and ``overrides`` apply to every scenario; ``variants``
    (``"NAME: items"`` texts, :class:`Variant` objects, or a mapping name -> items) are built
    on the first scenario, after its own packages and before its overrides.
    """
    if isinstance(scenarios, Mapping):
        named = [(str(k), v) for k, v in scenarios.items()]
    else:
        if isinstance(scenarios, (str, Path, LoadedScenario)) or scenarios is None:
            scenarios = [scenarios]
        named = [(None, s) for s in scenarios]
    if not named:
        raise UsageError("nothing to compare / 没有要比较的方案")
    overrides = check_list_arg(overrides, "overrides", (str, tuple, list),
                               "'key.path=value' strings or (key path, value) pairs")
    packages = check_list_arg(packages, "packages", (str,), "package names or .yaml files")
    loaded = [load_scenario(s, overrides, packages) for _, s in named]
    names = [n if n is not None else _label(s, sc) for (n, s), sc in zip(named, loaded)]
    if isinstance(variants, Mapping):
        vs = [as_variant(items, name) for name, items in variants.items()]
    else:
        vs = [as_variant(v) for v in ([variants] if isinstance(variants, (str, Variant))
                                      else variants)]
    for v in vs:   # from the base's source, so an error can name the base file's lines
        loaded.append(load_scenario(named[0][1], [*overrides, *v.overrides],
                                    [*packages, *v.packages],
                                    origin=f"variant '{_shorten(v.name, 40)}':"))
        names.append(v.name)
    return list(zip(_unique_names(names), loaded))


def compare(scenarios: Any, reps: int = 30, seed: int | None = None,
            executor: Executor | None = None, overrides: Iterable = (),
            metrics: Sequence[str] = COMPARE_METRICS, columns: Sequence[str] = DEFAULT_COLUMNS,
            progress: bool = False, packages: Iterable[str] = (),
            variants: Any = ()) -> Comparison:
    """Replicate every scenario with the same child seeds and tabulate the differences to the
    first one.

    ``scenarios`` and ``variants`` as in :func:`build_scenarios`; for example, the Nanpu
    package against interest-free loans *instead of* its subsidised loans, and a larger
    subsidy::

        compare("nanpu", variants=["免息贷款: -subsidised_loans +interest_free_loans",
                                   "高补助: policy.instruments.cash_or_cement.value_cny=20000"])
    """
    reps, seed = check_reps(reps), check_seed(seed)
    built = build_scenarios(scenarios, overrides, packages, variants)
    names = [n for n, _ in built]
    loaded = [sc for _, sc in built]
    if tuple(metrics) != COMPARE_METRICS:   # the defaults are declared (ruralsim.metrics)
        from ..metrics import check_metric_names

        metrics = check_metric_names(metrics, loaded[0], where="compare metrics")
    seed = loaded[0].model.run.seed if seed is None else seed
    seeds = spawn_seeds(seed, reps)
    specs = [sp for i, sc in enumerate(loaded) for sp in _specs(sc, seeds, columns, i * reps, i)]
    executor = executor or SerialExecutor()
    results = run_all(executor, run_one, specs, Progress(len(specs), "运行 runs", progress),
                      batch=batch_size(len(specs), executor))
    _check_resources(results)
    per = [_collect(names[i], [r for r in results if r["scenario"] == i], columns)
           for i in range(len(loaded))]
    return Comparison(names, per, comparison_table(per, metrics))


def compare_reform(baseline: Any, reform: Any, **kwargs: Any) -> Comparison:
    """Compare ``reform`` (a scenario, or a list of them) against ``baseline`` with common
    random numbers: :func:`compare` with the baseline first.  Other keyword arguments
    (``reps``, ``seed``, ``variants``...) as for :func:`compare`.

    >>> c = compare_reform("teaching", "teaching_naive", reps=2, seed=1,
    ...                    overrides=["run.horizon_months=12"])
    >>> c.baseline, c.reforms
    ('teaching', ['teaching_naive'])
    """
    reforms = list(reform) if isinstance(reform, (list, tuple)) else [reform]
    return compare([baseline, *reforms], **kwargs)


def _label(source: Any, sc: LoadedScenario) -> str:
    """A scenario's label in comparisons: its file name when given a file, else its name."""
    if isinstance(source, (str, Path)) and str(source).endswith((".yaml", ".yml")):
        return Path(source).stem
    return sc.name


def _unique_names(names: list[str]) -> list[str]:
    """Distinct labels: a repeated name gets ``#2``, ``#3``... never a label already used.

    (Output file names made from these labels are made unique again after sanitising, by
    :func:`ruralsim.outputs.unique_file_stems`.)
    """
    out: list[str] = []
    taken = set(names)
    for i, n in enumerate(names):
        if n not in names[:i]:
            out.append(n)
            continue
        k = 2
        while f"{n}#{k}" in taken:
            k += 1
        out.append(f"{n}#{k}")
        taken.add(out[-1])
    return out
