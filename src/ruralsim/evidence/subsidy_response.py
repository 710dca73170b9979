"""The subsidy response on Nanpu (issue 20): households moved and public cost against the
per-household subsidy (一补助, ``cash_or_cement``) from 0 to 80,000 CNY, without and with the
township's plan, on the built-in Nanpu scenario as it is (its supply, plan, influence and
demolition modes are recorded with the results).

Each level is run with the same seeds in every setting (common random numbers), so the
differences between levels are paired::

    ruralsim evidence subsidy-response [SEEDS] [WORKERS] [--settings KEY ...]

writes docs/subsidy_response.md and docs/subsidy_response.json.  When it writes the
repository's docs/, the hand-written reading of the tables (docs/subsidy_response.notes.md)
is appended; :func:`render` rebuilds the document from its .json without running anything.
Nothing is tuned to make a curve look right.  (This module imports nothing heavy at the
top: the command line reads :data:`SETTINGS` from it.)
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

DOC = "subsidy_response.md"
DATA = "subsidy_response.json"
NOTES = "subsidy_response.notes.md"
LEVELS = (0, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000)
#: The level the paired differences are taken against (the source's subsidy).
BASE_LEVEL = 2_000
MONTHS = (60, 120, 180)
#: The settings compared: key -> (label, overrides on the built-in Nanpu scenario).
SETTINGS = {
    "no_plan": ("no plan (the arrears cap stops registration, model 2.0's township) / "
                "无年度计划（欠款上限停止登记）", ["government.plan.enabled=false"]),
    "plan": ("plan, households first / 年度计划，先付农户",
             ["government.plan.enabled=true", "government.plan.defer_rule=households_first"]),
    "plan_contractors": ("plan, contractors first / 年度计划，先付施工方",
                         ["government.plan.enabled=true",
                          "government.plan.defer_rule=contractors_first"]),
    "unbound": ("plan, money not binding (opening cash 10 billion) / 资金不受约束",
                ["government.plan.enabled=true", "government.opening_cash_cny=1.0e+10"]),
}
#: Two-sided 97.5% Student t quantiles by degrees of freedom (for 95% intervals of means).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def _t(df: int) -> float:
    if df in T975:
        return T975[df]
    return 1.96 if df > 30 else T975[max(k for k in T975 if k <= df)]


def overrides(setting: str, level: int) -> list[str]:
    """The overrides of one (setting, subsidy level) on the built-in Nanpu scenario."""
    return SETTINGS[setting][1] + [f"policy.instruments.cash_or_cement.value_cny={level}",
                                   f"policy.instruments.cash_or_cement.cost_once_cny={level}"]


def one_run(job: tuple[str, int, int]) -> dict[str, Any]:
    """Run one (setting, subsidy level, seed); return the measured numbers."""
    from ..simulate import simulate

    setting, level, seed = job
    r = simulate(None, seed=seed, overrides=overrides(setting, level))
    ts, s = r.timeseries, r.summary
    moved = ts["n_ever_moved"].to_numpy()
    sup = s.get("supply") or {}
    demand = sup.get("mode") == "demand"
    out: dict[str, Any] = {
        "setting": setting, "level": level, "seed": seed,
        **{f"moved_{m}": int(moved[min(m, len(moved)) - 1]) for m in MONTHS},
        "public_cost_cny": float(s["total_public_cost_cny"]),
        "subsidy_paid_cny": float(s["cost_by_instrument_cny"].get("cash_or_cement", 0.0)),
        "reneged": int(s["households_reneged"]),
        "gave_up_while_owed": int(s["registrations_given_up_while_owed"]),
        "phases_abandoned": None if demand else int(s["phases_abandoned"]),
        "phase_months_stalled": None if demand else int(s["phase_months_stalled"]),
        "months_overcommitted": int(s["months_overcommitted"]),
        "peak_deferred_household_cny": float(s["peak_deferred_household_cny"]),
        "ever_registered": int(s["households_ever_registered"]),
        "median_move_month": _median_move(moved, s["households"]),
        "units_built": int(s["units_built"]),
        "final_debt_cny": float(s["final_debt_cny"]),
        "final_owed_cny": float(ts["arrears_cny"].iloc[-1]
                                + ts["deferred_household_cny"].iloc[-1]),
        "own_revenue_cny": float(s["total_revenue_own_cny"])}
    for k in ("plan_quota_total", "plan_years_quota_binding",
              "plan_household_months_turned_away", "plan_deferred_households_cny",
              "plan_unpaid_works_cny", "plan_works_waiting_months"):
        out[k] = s.get(k)
    for k in ("courtyards_built", "courtyards_given_up", "apartments_sold",
              "buildings_started", "buildings_finished", "buildings_abandoned",
              "peak_price_factor", "months_registration_to_move_median"):
        out[f"supply_{k}"] = sup.get(k) if demand else None
    out["supply_household_months_stalled"] = (
        int(ts["supply_households_stalled"].sum()) if demand else None)
    out["cost_per_moved_cny"] = out["public_cost_cny"] / max(out["moved_180"], 1)
    return out


def _median_move(moved, households: int) -> float | None:
    import numpy as np

    hit = np.flatnonzero(moved >= households / 2)
    return float(hit[0] + 1) if hit.size else None


def interval(x: list[float | None]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the mean (values that are None left out).

    >>> [round(v, 3) for v in interval([1.0, 2.0, 3.0])]
    [2.0, -0.484, 4.484]
    """
    import numpy as np

    a = np.asarray([v for v in x if v is not None], dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    if a.size == 1:
        return float(a[0]), math.nan, math.nan
    h = _t(a.size - 1) * a.std(ddof=1) / math.sqrt(a.size)
    return float(a.mean()), float(a.mean() - h), float(a.mean() + h)


def jobs(seeds: int, settings: tuple[str, ...] = tuple(SETTINGS)) -> list[tuple[str, int, int]]:
    """Every (setting, level, seed), seeds 1..``seeds`` (the same seeds at every level)."""
    return [(st, lv, sd) for st in settings for lv in LEVELS for sd in range(1, seeds + 1)]


def measure(seeds: int = 12, workers: int | None = 2,
            settings: tuple[str, ...] = tuple(SETTINGS)) -> list[dict[str, Any]]:
    """Run every job; rows in a fixed order (setting, level, seed)."""
    from ..experiments import make_executor
    from ..experiments.executors import Progress, run_all

    todo = jobs(seeds, settings)
    with make_executor(workers) as ex:
        rows = run_all(ex, one_run, todo, Progress(len(todo), "runs"))
    order = {j: i for i, j in enumerate(todo)}
    return sorted(rows, key=lambda r: order[(r["setting"], r["level"], r["seed"])])


def table(rows: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, tuple]]]:
    """Means and intervals by setting and level, and paired differences to 2,000 CNY."""
    out: dict = {}
    for st in SETTINGS:
        rs = [r for r in rows if r["setting"] == st]
        if not rs:
            continue
        base = {r["seed"]: r for r in rs if r["level"] == BASE_LEVEL}
        out[st] = {}
        for lv in LEVELS:
            cell = [r for r in rs if r["level"] == lv]
            keys = [k for k in cell[0] if k not in ("setting", "level", "seed")]
            stats = {k: interval([r[k] for r in cell]) for k in keys
                     if all(isinstance(r[k], (int, float)) or r[k] is None for r in cell)}
            stats["diff_moved_180"] = interval(
                [r["moved_180"] - base[r["seed"]]["moved_180"] for r in cell if r["seed"] in base])
            out[st][lv] = stats
    return out


def _fmt(m: tuple[float, float, float], scale: float = 1.0, digits: int = 0) -> str:
    mean, lo, hi = (v / scale for v in m)
    if math.isnan(mean):
        return "–"
    if math.isnan(lo):
        return f"{mean:,.{digits}f}"
    return f"{mean:,.{digits}f} [{lo:,.{digits}f}, {hi:,.{digits}f}]"


#: Mechanism tables: (title, [(header, key, scale, digits)]); a column whose key is undefined
#: in every cell of a setting (a phases-mode count in demand mode, say) is left out.
MECHANISMS = (
    ("Homes and works (means over seeds)", [
        ("ever registered", "ever_registered", 1, 0), ("gave up waiting", "reneged", 1, 0),
        ("units built", "units_built", 1, 0),
        ("courtyards built", "supply_courtyards_built", 1, 0),
        ("courtyards given up", "supply_courtyards_given_up", 1, 0),
        ("flats sold", "supply_apartments_sold", 1, 0),
        ("buildings started", "supply_buildings_started", 1, 0),
        ("buildings abandoned", "supply_buildings_abandoned", 1, 1),
        ("household-months building stalled", "supply_household_months_stalled", 1, 0),
        ("peak builders' price factor", "supply_peak_price_factor", 1, 2),
        ("median months registration to move", "supply_months_registration_to_move_median",
         1, 0),
        ("phase-months stalled", "phase_months_stalled", 1, 0),
        ("phases abandoned", "phases_abandoned", 1, 1)]),
    ("Plan and money (means over seeds)", [
        ("subsidy paid M CNY", "subsidy_paid_cny", 1e6, 1),
        ("months over the arrears cap", "months_overcommitted", 1, 0),
        ("quota opened (15 y)", "plan_quota_total", 1, 0),
        ("years quota binding", "plan_years_quota_binding", 1, 1),
        ("household-months at the quota door", "plan_household_months_turned_away", 1, 0),
        ("household payments deferred M CNY", "plan_deferred_households_cny", 1e6, 1),
        ("registrations given up sooner while owed", "gave_up_while_owed", 1, 0),
        ("works waiting for money (months)", "plan_works_waiting_months", 1, 0),
        ("debt at 180 M CNY", "final_debt_cny", 1e6, 1),
        ("owed at 180 (arrears + households) M CNY", "final_owed_cny", 1e6, 1)]),
)


def describe_model(record: dict[str, Any]) -> str:
    """The scenario's mode switches as recorded, e.g. ``supply.mode=demand, ...``."""
    from . import describe_modes

    return ", ".join(f"`{m}`" for m in describe_modes(record.get("modes") or {}).split(", ")
                     if m)


def markdown(record: dict[str, Any]) -> str:
    """The generated part of docs/subsidy_response.md, from the record (rows and metadata)."""
    tab = table(record["rows"])
    seeds = record["seeds"]
    lines = ["# Subsidy response on Nanpu / 南蒲补助水平响应曲线", "",
             "Generated by `ruralsim evidence subsidy-response "
             f"{seeds}` (do not edit by hand; ruralsim {record.get('version', '?')}). "
             f"{seeds} seeds per level with common random numbers; the one-off subsidy per "
             "moving household (一补助, `cash_or_cement`: value to the household = cost to the "
             "township) is set to each level; everything else is the built-in Nanpu scenario, "
             f"whose modes were {describe_model(record) or 'not recorded'}. "
             "Cells are means over seeds with 95% t-intervals of the mean in brackets; "
             "'Δ vs 2,000' is the paired difference in households moved by month 180 against "
             "the 2,000 CNY level of the same setting (the source's subsidy). A median move "
             "month is the mean over the seeds in which half of the households moved within "
             "the horizon; '–' when fewer than half did in every seed.", ""]
    for st, (label, ov) in SETTINGS.items():
        if st not in tab:
            continue
        lines += [f"## {label}", "", f"Overrides: `{' '.join(ov)}`", "",
                  "| subsidy CNY | moved by 60 | moved by 120 | moved by 180 | Δ vs 2,000 (180) "
                  "| public cost M CNY | cost per household moved CNY | median move month |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for lv in LEVELS:
            c = tab[st][lv]
            lines.append(f"| {lv:,} | {_fmt(c['moved_60'])} | {_fmt(c['moved_120'])} | "
                         f"{_fmt(c['moved_180'])} | {_fmt(c['diff_moved_180'])} | "
                         f"{_fmt(c['public_cost_cny'], 1e6, 1)} | "
                         f"{_fmt(c['cost_per_moved_cny'])} | "
                         f"{_fmt(c['median_move_month'])} |")
        for title, cols in MECHANISMS:
            cols = [col for col in cols if any(
                col[1] in tab[st][lv] and not math.isnan(tab[st][lv][col[1]][0])
                for lv in LEVELS)]
            lines += ["", f"{title}:", "",
                      "| subsidy CNY | " + " | ".join(h for h, *_ in cols) + " |",
                      "|---:|" + "---:|" * len(cols)]
            for lv in LEVELS:
                c = tab[st][lv]
                cells = [_fmt((c[k][0], math.nan, math.nan), s, d) if k in c else "–"
                         for _h, k, s, d in cols]
                lines.append(f"| {lv:,} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write(record: dict[str, Any], docs: Path) -> None:
    """docs/subsidy_response.json and .md (with the notes, where ``docs`` has them)."""
    from ..outputs import write_text_atomic

    docs.mkdir(parents=True, exist_ok=True)
    notes = docs / NOTES
    text = markdown(record) + ("\n" + notes.read_text(encoding="utf-8")
                               if notes.exists() else "")
    write_text_atomic(docs / DATA, json.dumps(record, indent=1) + "\n")
    write_text_atomic(docs / DOC, text)


def render(docs: Path) -> str:
    """Rebuild docs/subsidy_response.md from its .json (no runs); return the text."""
    record = json.loads((docs / DATA).read_text(encoding="utf-8"))
    write(record, docs)
    return (docs / DOC).read_text(encoding="utf-8")


def modes() -> dict[str, Any]:
    """The built-in Nanpu scenario's mode switches (``ruralsim.evidence.MODES``)."""
    from . import scenario_modes

    return scenario_modes("nanpu")


def run(args, docs: Path) -> int:
    """Measure every setting and level; write the documents into ``docs``."""
    from .. import __version__

    settings = tuple(args.settings or SETTINGS)
    rows = measure(args.seeds, args.workers, settings)
    write({"seeds": args.seeds, "levels": list(LEVELS), "settings": list(settings),
           "version": __version__, "modes": modes(), "rows": rows}, docs)
    print(f"written {docs / DOC}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m ruralsim.evidence.subsidy_response [SEEDS] [WORKERS] [--settings ...]``."""
    from . import main as evidence_main

    return evidence_main("subsidy-response", argv)


if __name__ == "__main__":
    raise SystemExit(main())
