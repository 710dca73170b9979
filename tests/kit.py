"""Small scenarios built from scratch for known-answer tests of model 2.0.

``scenario(...)`` returns a plain dict (validated by :func:`ruralsim.load_scenario` when run):
one household type, a few villages, communities whose phases never start unless asked, and
every time-varying term of the log hazard switched off, so each test turns on exactly the
mechanism it checks.  Keys are deep-merged from ``changes`` (dotted paths allowed).
"""
from __future__ import annotations

import copy
from typing import Any

#: Every coefficient of the log hazard that varies over time or across households.
QUIET_BEHAVIOUR = {
    "b_cost_per_10k_cny": 0.0, "b_gap_per_10k_cny": 0.0, "b_social_registered": 0.0,
    "b_social_moved": 0.0, "b_demonstration": 0.0, "b_service": 0.0, "b_attachment": 0.0,
    "b_farm_distance_per_km": 0.0, "b_head_age_per_10y": 0.0, "b_nonfarm_share": 0.0,
    "b_two_homesteads": 0.0, "b_house_value_per_10k_cny": 0.0, "trust_shift_overdue": 0.0,
}
#: A phase that never starts within any horizon (its community stays open for registration).
NEVER = {"units": {"apartment": 10, "courtyard": 10}, "earliest_month": 1200,
         "public_cost_cny": 0.0}
#: Money that never binds.
RICH = {"opening_cash_cny": 1.0e11, "borrowing": {"limit_cny": 0.0},
        "arrears": {"cap_cny": 0.0}}


def household_type(**kw: Any) -> dict:
    t = {"share": 1.0, "asc": -3.0, "taste_sd": 0.0,
         "savings_cny": {"median": 50_000, "sigma": 0.0},
         "income_cny_per_year": {"median": 20_000, "sigma": 0.0}}
    t.update(kw)
    return t


def scenario(households: int = 1000, villages: int = 4, communities: int = 1,
             phases: list[dict] | None = None, changes: dict | None = None,
             horizon: int = 24) -> dict:
    """A scenario of ``villages`` equal villages (village i in community i % communities)."""
    per = [households // villages + (1 if i < households % villages else 0)
           for i in range(villages)]
    data = {
        "name": "kit",
        "run": {"horizon_months": horizon, "seed": 1},
        "household_types": {"h": household_type()},
        "villages": [{"name": f"V{i}", "households": n, "community": f"C{i % communities}"}
                     for i, n in enumerate(per)],
        "communities": [{"name": f"C{c}", "phases": copy.deepcopy(phases or [NEVER])}
                        for c in range(communities)],
        "government": copy.deepcopy(RICH),
        "behaviour": dict(QUIET_BEHAVIOUR),
        "policy": {"registration": {"lead_months": 1200}},
        "strategy": {"withdrawal": {"enabled": False}},
    }
    for key, value in (changes or {}).items():
        _set(data, key.split("."), value)
    return data


def _set(node: Any, path: list[str], value: Any) -> None:
    for p in path[:-1]:
        if isinstance(node, list):
            node = node[int(p)]
        else:
            node = node.setdefault(p, {})
    last = path[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last] = {**node[last], **value}
    else:
        node[last] = value
