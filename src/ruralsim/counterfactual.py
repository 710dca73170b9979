"""Counterfactual twins: the same households, the same seed, one policy component removed.

Every draw of a run is a pure function of (stream, household, month or spell), so a twin run
of a scenario with one component switched off, under the same seed, meets the same chances:
a household registers in the first month its own accumulated hazard crosses its own
threshold, in both runs.  Comparing the two runs household by household gives causal
answers:

* ``no_withdrawal`` (services are never withdrawn): households that moved only because of
  withdrawal (moved in the run, not in the twin), how much earlier the others moved, and what
  that speed cost in exposure (household-months lived with degraded services);
* ``no_package`` (no instruments, events or awards), ``no_outreach`` (no targeted
  persuasion), ``no_priority`` (first come, first served): what each buys.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=3, counterfactual="no_withdrawal")
    >>> cf = r.summary["counterfactual"]
    >>> cf["twin"], cf["moved_only_in_run"] >= 0
    ('no_withdrawal', True)
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: Twins by name: the overrides that switch the component off, and what they mean.
TWINS: dict[str, tuple[list[tuple[str, Any]], str, str]] = {
    "no_withdrawal": ([("strategy.withdrawal.enabled", False)],
                      "不停止旧村公共服务", "services never withdrawn"),
    "no_package": ([("policy.instruments", []), ("policy.events", []), ("policy.awards", [])],
                   "没有激励政策包", "no incentive package (instruments, events, awards)"),
    "no_outreach": ([("strategy.outreach", [])], "不针对特定农户动员", "no targeted outreach"),
    "no_priority": ([("strategy.priority", []), ("strategy.allocation", "registration_order")],
                    "不设分配优先次序(先到先得)", "no allocation priority (first come, first served)"),
}

#: Summary metrics whose difference (run − twin) is reported.
DIFF_METRICS = ("households_moved", "months_to_50pct_moved", "months_to_90pct_moved",
                "total_public_cost_cny", "peak_financing_gap_cny", "exposure_household_months",
                "exposure_vulnerable_household_months", "share_movers_worse_off",
                "land_freed_mu")


def twin_overrides(name: str) -> list[tuple[str, Any]]:
    """The overrides that make the twin ``name`` (a ``ValueError`` names the known twins)."""
    if name not in TWINS:
        raise ValueError(f"unknown counterfactual '{name}'; known: {', '.join(TWINS)} "
                         f"/ 未知的反事实情景")
    return list(TWINS[name][0])


def compare_twin(name: str, run_moved: np.ndarray, twin_moved: np.ndarray,
                 run_summary: dict, twin_summary: dict, types: np.ndarray,
                 type_names: list[str]) -> dict[str, Any]:
    """Household-by-household comparison of a run with its twin.

    ``*_moved`` are the month each household moved (−1: never), ``types`` its type index.
    """
    m1, m0 = run_moved >= 0, twin_moved >= 0
    only_run = m1 & ~m0
    only_twin = m0 & ~m1
    both = m1 & m0
    earlier = (twin_moved - run_moved)[both].astype(np.float64)
    out: dict[str, Any] = {
        "twin": name,
        "twin_label_zh": TWINS[name][1],
        "twin_label_en": TWINS[name][2],
        "moved_in_run": int(m1.sum()),
        "moved_in_twin": int(m0.sum()),
        "moved_only_in_run": int(only_run.sum()),
        "moved_only_in_twin": int(only_twin.sum()),
        "moved_in_both": int(both.sum()),
        "moved_earlier_in_run": int((earlier > 0).sum()),
        "moved_later_in_run": int((earlier < 0).sum()),
        "mean_months_earlier": float(earlier.mean()) if earlier.size else None,
        "median_months_earlier": float(np.median(earlier)) if earlier.size else None,
        "moved_only_in_run_by_type": {tn: int((only_run & (types == i)).sum())
                                      for i, tn in enumerate(type_names)},
    }
    for k in DIFF_METRICS:
        a, b = run_summary.get(k), twin_summary.get(k)
        out[f"{k}_difference"] = (a - b) if a is not None and b is not None else None
    if name == "no_withdrawal":
        # the causal count, next to the old label's honest name
        out["households_moved_because_of_withdrawal"] = out["moved_only_in_run"]
        out["households_registered_after_withdrawal"] = run_summary.get(
            "households_registered_after_withdrawal")
    return out
