"""Validation of the Nanpu case against the patterns reported in the source (DESIGN.md §2).

Each pattern has a source, a target and a tolerance. :func:`measure` runs replications
(child seeds from ``SeedSequence.spawn``) and returns one row per replication;
:func:`pattern_table` summarises them with 95% intervals and whether each pattern holds.
``python -m ruralsim.validation`` rewrites the table in docs/validation.md.

Example:
    >>> rows = measure("nanpu", reps=2, seed=1)
    >>> sorted(rows.columns)[:2]
    ['apartment_tour_effect', 'land_at_full_consolidation_mu']
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .rng import spawn_seeds
from .scenario.load import LoadedScenario, load_scenario
from .simulate import simulate

TOUR_EVENT = "study_tour"
TOUR_WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Pattern:
    key: str
    label_zh: str
    label_en: str
    source: str
    target: str
    low: float
    high: float
    statistic: str = "mean"   # 'mean' of the replications, or 'share' of replications true
    fmt: str = ".3g"


PATTERNS = (
    Pattern("first_community_oversubscription", "南蒲新村报名户数/计划户数",
            "Registrations for the first community per planned unit",
            "essay 4: 报名农户超过了计划入住户数的290%", "3.9 (290% above plan)", 2.9, 4.9),
    Pattern("apartment_tour_effect", "参观学习后要求住楼房比例提高(百分点)",
            "Rise in apartment requests after the study tour (share points)",
            "essay 4: 报名主动要求居住楼房的人数提高了10多个百分点", "> 0.10", 0.08, 0.16,
            fmt=".3f"),
    Pattern("ends_before_middle", "富裕户、急需建房户先于普通户、新建房户搬迁",
            "Wealthy and urgent builders move before ordinary, ordinary before recently built",
            "essay 4: 抓两头、带中间", "holds in >= 90% of replications", 0.9, 1.0, "share"),
    Pattern("land_at_full_consolidation_mu", "全部整合可腾出建设用地(亩)",
            "Land freed at full consolidation (mu)",
            "essay 4: 预算可腾出1.2万亩建设用地", "12,000 ± 5%", 11_400, 12_600, fmt=",.0f"),
)


def _tour_index(sc: LoadedScenario) -> int | None:
    for i, ev in enumerate(sc.model.policy.events):
        if ev.name == TOUR_EVENT:
            return i
    return None


def _apartment_share(ts: pd.DataFrame, start: int, months: int) -> float:
    w = ts.iloc[start:start + months]
    n = w["new_registrations"].sum()
    return float(w["new_registrations_apartment"].sum() / n) if n else float("nan")


def measure_one(sc: LoadedScenario, seed: Any) -> dict[str, float]:
    """The four pattern statistics for one replication (plus its no-tour twin)."""
    r = simulate(sc, seed=seed)
    s = r.summary
    med = s["median_move_month_by_type"]
    out = {
        "first_community_oversubscription": s["first_community_registrations_per_planned_unit"],
        "ends_before_middle": float(max(med["wealthy"], med["urgent"]) < med["ordinary"]
                                    < med["recent"]),
        "land_at_full_consolidation_mu": s["land_freed_mu"] / s["share_moved"]
        if s["share_moved"] else float("nan"),
        "apartment_tour_effect": float("nan"),
    }
    i = _tour_index(sc)
    if i is not None:
        ev = sc.model.policy.events[i]
        end = ev.month + TOUR_WINDOW_MONTHS
        short = [("run.horizon_months", min(end, sc.model.run.horizon_months))]
        tour = simulate(sc, seed=seed, overrides=short)
        none = simulate(sc, seed=seed, overrides=short + [
            (f"policy.events.{i}.apartment_share_shift", 0.0)])
        out["apartment_tour_effect"] = (_apartment_share(tour.timeseries, ev.month, 12)
                                        - _apartment_share(none.timeseries, ev.month, 12))
    return out


def measure(scenario: Any = "nanpu", reps: int = 30, seed: int = 20040101,
            overrides=()) -> pd.DataFrame:
    """One row of pattern statistics per replication."""
    sc = load_scenario(scenario, overrides)
    return pd.DataFrame([measure_one(sc, s) for s in spawn_seeds(seed, reps)])


def pattern_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95% interval over replications, tolerance and verdict per pattern."""
    out = []
    for p in PATTERNS:
        x = rows[p.key].dropna().to_numpy(dtype=float)
        value = float(x.mean()) if x.size else float("nan")
        if p.statistic == "share":  # a share of replications: Wilson 95% interval
            lo, hi = wilson(value, x.size)
        else:
            lo, hi = (np.percentile(x, [2.5, 97.5]) if x.size else (np.nan, np.nan))
        out.append({"pattern": p.key, "label_zh": p.label_zh, "label_en": p.label_en,
                    "source": p.source, "target": p.target, "tolerance": f"[{p.low:g}, {p.high:g}]",
                    "model": value, "model_text": format(value, p.fmt),
                    "interval_95": f"[{lo:{p.fmt}}, {hi:{p.fmt}}]",
                    "holds": bool(p.low <= value <= p.high), "reps": int(x.size)})
    return pd.DataFrame(out)


def wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed in ``n`` trials."""
    if n == 0:
        return float("nan"), float("nan")
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| pattern | source | target | tolerance | model (mean) | 95% interval | holds |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.label_zh} / {r.label_en} | {r.source} | {r.target} | {r.tolerance} "
                     f"| {r.model_text} | {r.interval_95} | {'yes' if r.holds else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the table between the markers in docs/validation.md."""
    argv = sys.argv[1:] if argv is None else argv
    reps = int(argv[0]) if argv else 30
    table = pattern_table(measure("nanpu", reps=reps))
    md = markdown(table)
    path = Path("docs/validation.md")
    text = path.read_text(encoding="utf-8")
    a, b = "<!-- BEGIN TABLE -->\n", "<!-- END TABLE -->"
    text = text[: text.index(a) + len(a)] + md + text[text.index(b):]
    path.write_text(text, encoding="utf-8")
    print(md)
    return 0 if table["holds"].all() else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
