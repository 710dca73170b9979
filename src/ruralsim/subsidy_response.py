"""The subsidy response on Nanpu: households moved and public cost against the per-household
subsidy (一补助, ``cash_or_cement``) from 0 to 80,000 CNY, without and with the township's plan.

Each level is run with the same seeds in every setting (common random numbers), so the
differences between levels are paired.  Writes docs/subsidy_response.md and
docs/subsidy_response.json (relative to the repository root, where it is run)::

    python -m ruralsim.subsidy_response            # 12 seeds, 2 processes
    python -m ruralsim.subsidy_response --seeds 3  # a quick look

The note's text explaining the segments is written from the measured numbers (which
mechanism's outputs move between levels); nothing is tuned to make a curve look right.
"""
from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DOC = Path("docs") / "subsidy_response.md"
DATA = Path("docs") / "subsidy_response.json"
LEVELS = (0, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000)
MONTHS = (60, 120, 180)
#: The settings compared: label -> overrides on the built-in Nanpu scenario.
SETTINGS = {
    "model2": ("model 2.0: no plan (arrears cap stops registration) / 无年度计划",
               ["government.plan.enabled=false"]),
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


def one_run(job: tuple[str, int, int]) -> dict:
    """Run one (setting, subsidy level, seed); return the measured numbers."""
    import ruralsim

    setting, level, seed = job
    ov = SETTINGS[setting][1] + [f"policy.instruments.cash_or_cement.value_cny={level}",
                                 f"policy.instruments.cash_or_cement.cost_once_cny={level}"]
    r = ruralsim.simulate(None, seed=seed, overrides=ov)
    ts, s = r.timeseries, r.summary
    moved = ts["n_ever_moved"].to_numpy()
    out = {"setting": setting, "level": level, "seed": seed,
           **{f"moved_{m}": int(moved[min(m, len(moved)) - 1]) for m in MONTHS},
           "public_cost_cny": float(s["total_public_cost_cny"]),
           "subsidy_paid_cny": float(s["cost_by_instrument_cny"].get("cash_or_cement", 0.0)),
           "reneged": int(s["households_reneged"]),
           "phases_abandoned": int(s["phases_abandoned"]),
           "phase_months_stalled": int(s["phase_months_stalled"]),
           "months_overcommitted": int(s["months_overcommitted"]),
           "peak_deferred_household_cny": float(s["peak_deferred_household_cny"]),
           "ever_registered": int(s["households_ever_registered"]),
           "median_move_month": _median_move(r),
           "units_built": int(s["units_built"]),
           "final_debt_cny": float(s["final_debt_cny"]),
           "final_owed_cny": float(ts["arrears_cny"].iloc[-1] + ts["deferred_household_cny"].iloc[-1]),
           "own_revenue_cny": float(s["total_revenue_own_cny"])}
    for k in ("plan_quota_total", "plan_years_quota_binding", "plan_household_months_turned_away",
              "plan_deferred_households_cny", "plan_unpaid_works_cny",
              "plan_works_waiting_months"):
        out[k] = s.get(k)
    out["cost_per_moved_cny"] = out["public_cost_cny"] / max(out["moved_180"], 1)
    return out


def _median_move(r) -> float | None:
    moved = r.timeseries["n_ever_moved"].to_numpy()
    half = r.summary["households"] / 2
    hit = np.flatnonzero(moved >= half)
    return float(hit[0] + 1) if hit.size else None


def interval(x: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the mean."""
    a = np.asarray([v for v in x if v is not None], dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    if a.size == 1:
        return float(a[0]), math.nan, math.nan
    h = _t(a.size - 1) * a.std(ddof=1) / math.sqrt(a.size)
    return float(a.mean()), float(a.mean() - h), float(a.mean() + h)


def measure(seeds: int = 12, workers: int = 2, settings=tuple(SETTINGS)) -> list[dict]:
    jobs = [(st, lv, sd) for st in settings for lv in LEVELS for sd in range(1, seeds + 1)]
    if workers <= 1:
        return [one_run(j) for j in jobs]
    with ProcessPoolExecutor(workers) as ex:
        return list(ex.map(one_run, jobs, chunksize=4))


def table(rows: list[dict]) -> dict:
    """Means and intervals by setting and level, and paired differences to 2,000 CNY."""
    out: dict = {}
    for st in SETTINGS:
        rs = [r for r in rows if r["setting"] == st]
        if not rs:
            continue
        base = {r["seed"]: r for r in rs if r["level"] == 2_000}
        out[st] = {}
        for lv in LEVELS:
            cell = [r for r in rs if r["level"] == lv]
            keys = [k for k in cell[0] if k not in ("setting", "level", "seed")]
            stats = {k: interval([r[k] for r in cell]) for k in keys
                     if all(isinstance(r[k], (int, float)) or r[k] is None for r in cell)}
            stats["diff_moved_180_vs_2000"] = interval(
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


def markdown(tab: dict, seeds: int) -> str:
    lines = ["# Subsidy response on Nanpu / 南蒲补助水平响应曲线", "",
             "Generated by `python -m ruralsim.subsidy_response` (do not edit by hand). "
             f"{seeds} seeds per level with common random numbers; the one-off subsidy per "
             "moving household (一补助, `cash_or_cement`: value to the household = cost to the "
             "township) is set to each level; everything else is the built-in Nanpu scenario. "
             "Cells are means over seeds with 95% t-intervals of the mean in brackets; "
             "'Δ vs 2,000' is the paired difference in households moved by month 180 against "
             "the 2,000 CNY level of the same setting (the source's subsidy).", ""]
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
                         f"{_fmt(c['moved_180'])} | {_fmt(c['diff_moved_180_vs_2000'])} | "
                         f"{_fmt(c['public_cost_cny'], 1e6, 1)} | "
                         f"{_fmt(c['cost_per_moved_cny'])} | "
                         f"{_fmt(c['median_move_month'])} |")
        lines += ["", "Mechanisms (means over seeds):", "",
                  "| subsidy CNY | ever registered | gave up waiting | phase-months stalled "
                  "| phases abandoned | months over the arrears cap | quota opened (15 y) "
                  "| years quota binding | household-months at the quota door "
                  "| household payments deferred M CNY | works waiting for money (months) "
                  "| units built | debt at 180 M CNY | owed at 180 (arrears + households) M CNY |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for lv in LEVELS:
            c = tab[st][lv]
            g = lambda k, s=1.0, d=0: _fmt((c[k][0], math.nan, math.nan), s, d) \
                if k in c else "–"  # noqa: E731
            lines.append(f"| {lv:,} | {g('ever_registered')} | {g('reneged')} | "
                         f"{g('phase_months_stalled')} | {g('phases_abandoned', 1, 1)} | "
                         f"{g('months_overcommitted')} | {g('plan_quota_total')} | "
                         f"{g('plan_years_quota_binding', 1, 1)} | "
                         f"{g('plan_household_months_turned_away')} | "
                         f"{g('plan_deferred_households_cny', 1e6, 1)} | "
                         f"{g('plan_works_waiting_months')} | {g('units_built')} | "
                         f"{g('final_debt_cny', 1e6, 1)} | {g('final_owed_cny', 1e6, 1)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS))
    ap.add_argument("--out", default=str(DOC))
    ap.add_argument("--from-json", action="store_true",
                    help="rewrite the document from the measured rows in its .json (no runs)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    if a.from_json:
        saved = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        rows, a.seeds = saved["rows"], saved["seeds"]
    else:
        rows = measure(a.seeds, a.workers, tuple(a.settings))
    tab = table(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    head = markdown(tab, a.seeds)
    notes = out.with_suffix(".notes.md")
    text = head + ("\n" + notes.read_text(encoding="utf-8") if notes.exists() else "")
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"seeds": a.seeds, "levels": LEVELS,
                                                    "rows": rows}, indent=1), encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
