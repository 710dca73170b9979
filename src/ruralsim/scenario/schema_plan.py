"""Schema of the township's yearly plan (issue 20): ``government.plan``.

Off by default (``enabled: false``): every scenario without a ``plan`` section runs as in
model 2.0 (no plan, registration stopped after the fact when arrears reach their cap, phases
started when cash plus credit cover their whole cost, phases under way drawing on the arrears
cap).  The built-in Nanpu scenario switches it on.  The rule itself is in
:mod:`ruralsim.model.plan` and docs/model.md (section "The township's plan").
"""
from __future__ import annotations

from typing import Literal

from .schema import ASSUMPTION, P, Strict

#: Source of the practice of planning a year's budget before committing to it.
BUDGET_LAW = ("PRC Budget Law (预算法, 1994, revised 2014): township budgets are drawn up "
              "yearly, expenditure within revenue (量入为出), with a reserve fund (预备费) of "
              "1-3% of expenditure")


class PlanWorks(Strict):
    credit_share: float = P(1.0, "fraction of unused credit", ASSUMPTION + ": a township counts "
                            "on its whole credit line when it plans works (it was granted for "
                            "them)", "Share of the unused borrowing limit the plan counts as a "
                            "source when it checks a work's projected cash flow.", ge=0, le=1)


class Plan(Strict):
    enabled: bool = P(False, "-", "-", "Plan the money each year before promising (issue 20). "
                      "Off: model 2.0 (no plan, the arrears cap stops registration after the "
                      "fact).")
    forecast: Literal["schedule", "last_year_trend"] = P(
        "schedule", "-", ASSUMPTION + ": transfers and taxes are announced a year ahead; a "
        "township without such notice extrapolates its receipts",
        "How the year's own revenue is forecast: 'schedule' (the scenario's revenue lines for "
        "the coming year plus collective land income at its current level) or "
        "'last_year_trend' (last year's own receipts times last year's growth, bounded by "
        "trend_cap; the schedule in the first year).")
    trend_cap: float = P(0.2, "fraction/year", ASSUMPTION + ": a planner does not extrapolate "
                         "growth or decline beyond a fifth a year", "Largest growth or decline "
                         "the 'last_year_trend' forecast carries forward.", ge=0, le=1)
    reserve_share: float = P(0.05, "fraction of forecast revenue", BUDGET_LAW + "; value above "
                             "the legal range to cover forecast error (assumption)",
                             "Share of the year's forecast revenue kept as a reserve, not "
                             "appropriated to any promise.", ge=0, le=1)
    works_share: float = P(0.5, "fraction", ASSUMPTION + ": new housing needs both new works "
                           "and new movers; the planner splits what is left for new promises "
                           "evenly", "Share of the money left for new promises appropriated to "
                           "new public works; the rest opens registrations (the quota).",
                           ge=0, le=1)
    defer_rule: Literal["households_first", "contractors_first", "pro_rata"] = P(
        "households_first", "-", "model 2.0's order (households before contractors); the "
        "others are alternatives a township may choose",
        "Who is paid first when the month's money falls short: households (contractors' sites "
        "stall), contractors (households' payments are deferred: trust falls while they are "
        "owed) or both in proportion to what is due.")
    expected_mover_share: float = P(
        0.85, "fraction of households", ASSUMPTION + ": model 2.0 moves 85-93% of Nanpu's "
        "households in 15 years", "Share of the households (at most the units planned) the "
        "affordability statement before the run counts as movers.", ge=0, le=1)
    works: PlanWorks = P({}, "-", "-", "How works are started on projected cash flow.")
