"""Every metric, named once: unit, direction and whether it can be censored.

The one declaration of what a summary metric *is*.  A run's summary (``summary.json``) holds
the metrics; sweeps, ``compare``, ``decompose`` and the sensitivity analysis keep some of
them by name, and every one of those names is checked here (:func:`check_metric_names`);
``ruralsim metrics`` prints the list.  Nested summary entries are named with dots
(``by_type.poor.moved``); their middle part (a household type, an instrument, a revenue
source, a payment line) depends on the scenario and is written ``<type>``, ``<instrument>``,
``<source>``, ``<line>`` in the declaration.

* ``unit``: what the number counts or measures;
* ``better``: +1 more is better, -1 less is better, 0 neither (context, or an input);
* ``censored``: True for a time to an event that may not happen within the horizon (the
  summary then holds ``null``): experiments never impute it; they count it as horizon + 1
  *and* report how many runs were censored (see :func:`censored_summary`).

Bilingual labels come from :mod:`ruralsim.report.labels` where it has them (and directions
of those metrics are taken from there, not declared twice).

Example:
    >>> info("months_to_90pct_moved").censored, info("by_type.poor.moved").better
    (True, 1)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

#: Placeholders for the scenario-dependent middle part of nested metric names.
PLACEHOLDERS = ("<type>", "<instrument>", "<source>", "<line>")


@dataclass(frozen=True)
class MetricInfo:
    key: str
    unit: str
    better: int
    censored: bool
    zh: str
    en: str
    origin: str = "summary"    # 'summary' (summary.json) or 'experiment' (paired runs)

    @property
    def direction(self) -> str:
        return {1: "more is better / 越多越好", -1: "less is better / 越少越好",
                0: "neither / 视情况"}[self.better]


_H, _P, _M, _S, _C, _MU = "households", "persons", "months", "share", "CNY", "mu"
#: (key, unit, better, censored).  better None: from report/labels.py (declared there once).
_DECLARED: tuple[tuple[str, str, int | None, bool], ...] = (
    ("households", _H, None, False), ("persons", _P, 0, False), ("villages", "villages", 0, False),
    ("communities", "communities", 0, False), ("horizon_months", _M, 0, False),
    ("households_moved", _H, 1, False), ("share_moved", _S, None, False),
    ("households_in_community_final", _H, 1, False),
    ("months_to_50pct_moved", _M, None, True), ("months_to_90pct_moved", _M, None, True),
    ("median_move_month_by_type.<type>", "month", -1, True),
    ("households_ever_registered", _H, 1, False), ("share_ever_registered", _S, None, False),
    ("households_never_registered", _H, -1, False), ("households_reneged", _H, None, False),
    ("registrations_given_up_while_owed", "registrations", -1, False),
    ("households_rebuilt", _H, -1, False), ("households_kept_old_house", _H, None, False),
    ("share_movers_kept_old_house", _S, -1, False), ("households_returned", _H, None, False),
    ("households_waiting_final", _H, -1, False),
    ("by_type.<type>.households", _H, 0, False), ("by_type.<type>.ever_registered", _H, 1, False),
    ("by_type.<type>.reneged", _H, -1, False), ("by_type.<type>.moved", _H, 1, False),
    ("by_type.<type>.kept_old_house", _H, -1, False), ("by_type.<type>.returned", _H, -1, False),
    ("by_type.<type>.worse_off", _H, -1, False),
    ("by_type.<type>.in_distress_at_move", _H, -1, False),
    ("by_type.<type>.exposure_household_months", "household-months", -1, False),
    ("by_type.<type>.mean_income_change_cny_per_year", "CNY/year", 1, False),
    ("peak_waiting_list", _H, -1, False),
    ("first_community_registrations_per_planned_unit", "registrations/unit", 0, False),
    ("apartment_share_of_registrations", _S, 0, False),
    ("mean_household_debt_cny", _C, None, False), ("share_movers_in_debt", _S, -1, False),
    ("mean_debt_service_ratio", "ratio", -1, False), ("share_movers_in_distress", _S, -1, False),
    ("households_in_distress_peak", _H, None, False),
    ("mean_income_change_cny_per_year", "CNY/year", 1, False),
    ("share_movers_worse_off", _S, None, False),
    ("units_built", "units", 0, False), ("units_empty_final", "units", -1, False),
    ("share_units_empty_final", _S, -1, False), ("phases", "phases", 0, False),
    ("phases_started", "phases", 0, False), ("phases_done", "phases", 1, False),
    ("phases_never_started", "phases", 0, False), ("phases_stalled", "phases", -1, False),
    ("phase_months_stalled", "phase-months", -1, False), ("phases_abandoned", "phases", None, False),
    ("sunk_cost_abandoned_cny", _C, -1, False),
    ("total_public_cost_cny", _C, None, False),
    # the budget the scenario states (issue 24; government.budget): null when not stated
    ("budget.total_cny", _C, 0, False), ("budget.per_year_cny", "CNY/year", 0, False),
    ("budget.public_cost_cny", _C, -1, False), ("budget.max_year_cost_cny", "CNY/year", -1, False),
    ("budget.max_year", "year", 0, False), ("budget.within_total", "yes/no", 1, False),
    ("budget.within_per_year", "yes/no", 1, False), ("budget.pass", "yes/no", 1, False), ("cost_per_relocated_household_cny", "CNY/household", None, False),
    ("cost_by_instrument_cny.<instrument>", _C, -1, False),
    ("cost_per_household_by_instrument_cny.<instrument>", "CNY/household", -1, False),
    ("total_revenue_own_cny", _C, 1, False), ("revenue_share_by_source.<source>", _S, 0, False),
    ("npv_cny", _C, None, False), ("discount_rate_per_year", "1/year", 0, False),
    ("peak_financing_gap_cny", _C, None, False), ("peak_debt_cny", _C, -1, False),
    ("peak_arrears_cny", _C, -1, False), ("months_in_arrears", _M, None, False),
    ("interest_paid_cny", _C, -1, False), ("arrears_interest_paid_cny", _C, -1, False),
    ("months_overcommitted", _M, -1, False), ("peak_deferred_household_cny", _C, -1, False),
    ("months_household_payments_deferred", _M, -1, False),
    ("deferred_household_by_line_cny.<line>", _C, -1, False), ("final_cash_cny", _C, 1, False),
    ("final_debt_cny", _C, -1, False), ("developer_peak_debt_cny", _C, -1, False),
    ("developer_final_debt_cny", _C, -1, False), ("developer_interest_cny", _C, -1, False),
    ("maintenance_saved_cny", _C, 1, False), ("dividends_paid_cny", _C, 1, False),
    ("dividends_per_household_cny", "CNY/household", None, False),
    ("land_freed_mu", _MU, None, False), ("land_freed_per_moved_household_mu", "mu/household", 1, False),
    ("land_reclaimed_mu", _MU, 1, False), ("land_collective_mu", _MU, 0, False),
    ("land_quota_mu", _MU, 0, False), ("community_land_used_mu", _MU, -1, False),
    ("net_land_freed_mu", _MU, 1, False), ("villages_withdrawn", "villages", 0, False),
    ("households_registered_after_withdrawal", _H, None, False),
    ("exposure_household_months", "household-months", None, False),
    ("exposure_vulnerable_household_months", "household-months", -1, False),
    ("households_stranded_peak", _H, -1, False), ("households_ever_stranded", _H, -1, False),
    ("stranded_household_months", "household-months", -1, False),
    ("vulnerable_households", _H, 0, False), ("vulnerable_moved", _H, None, False),
    ("vulnerable_protected", _H, 1, False), ("vulnerable_ever_stranded", _H, -1, False),
    # model 3.0: supply (issue 19; supply.mode 'demand')
    ("supply.mode", "label", 0, False), ("supply.timeline", "table (per community)", 0, False),
    ("supply.courtyards_started", "homes", 0, False), ("supply.courtyards_built", "homes", 1, False),
    ("supply.courtyards_given_up", "homes", -1, False), ("supply.apartments_sold", "units", 1, False),
    ("supply.buildings_started", "buildings", 0, False),
    ("supply.buildings_finished", "buildings", 1, False),
    ("supply.buildings_abandoned", "buildings", -1, False),
    ("supply.bridging_credit_peak_cny", _C, -1, False), ("supply.works_done", "works", 1, False),
    ("supply.works_cost_paid_cny", _C, 0, False),
    ("supply.months_registration_to_move_median", _M, -1, True),
    ("supply.months_registration_to_move_median_by_type.<type>", _M, -1, True),
    ("supply.peak_price_factor", "ratio", -1, False), ("supply.peak_builders_busy", "homes", 0, False),
    ("supply.peak_households_stalled", _H, -1, False),
    # model 3.0: the township's plan (issue 20; government.plan.enabled)
    ("plan_years", "table (per year)", 0, False), ("plan_quota_total", _H, 0, False),
    ("plan_years_quota_binding", "years", -1, False),
    ("plan_household_months_turned_away", "household-months", -1, False),
    ("plan_deferred_households_cny", _C, -1, False), ("plan_unpaid_works_cny", _C, -1, False),
    ("plan_works_waiting_months", "works-months", -1, False),
    # model 3.0: people (issue 21; consent ballot, influence by ties, demolition decision)
    ("people.consent.villages", "villages", 0, False),
    ("people.consent.villages_balloted", "villages", 0, False),
    ("people.consent.villages_passed", "villages", 1, False),
    ("people.consent.villages_failed_last_ballot", "villages", -1, False),
    ("people.consent.ballots_held", "ballots", 0, False),
    ("people.consent.ballots_failed", "ballots", -1, False),
    ("people.consent.passed_first_time", "villages", 1, False),
    ("people.consent.share_in_favour_first_mean", _S, 1, False),
    ("people.consent.share_in_favour_last_mean", _S, 1, False),
    ("people.consent.month_passed_median", "month", -1, True),
    ("people.consent.households_scheduled", _H, 0, False),
    ("people.consent.holdouts", _H, -1, False),
    ("people.influence.bellwethers", _H, 0, False), ("people.influence.kin_groups", "groups", 0, False),
    ("people.influence.received_by_source_share.<source>", _S, 0, False),
    ("people.demolition.<type>.kept", _H, -1, False),
    ("people.demolition.<type>.own_accord", _H, 0, False),
    ("people.demolition.<type>.compensation", _H, 0, False),
    ("people.demolition.<type>.deadline", _H, 0, False),
    ("people.demolition.<type>.enforced", _H, 0, False),
)
#: Metrics of experiments, not of one run's summary (they pair runs with the same seed).
EXPERIMENT_KEYS = ("households_moved_because_of_withdrawal",)


def _catalogue() -> dict[str, MetricInfo]:
    from .report.labels import metric_info

    out: dict[str, MetricInfo] = {}
    for key, unit, better, cens in _DECLARED:
        lab = metric_info(key)
        if better is None:
            if lab is None:
                raise RuntimeError(f"metric {key}: no direction declared and none in labels")
            better = lab.better
        out[key] = MetricInfo(key, unit, int(better), cens, lab.zh if lab else "",
                              lab.en if lab else "")
    for key in EXPERIMENT_KEYS:
        lab = metric_info(key)
        out[key] = MetricInfo(key, _H, lab.better if lab else 0, False, lab.zh if lab else "",
                              lab.en if lab else "", "experiment")
    return out


_CATALOGUE: dict[str, MetricInfo] | None = None


def catalogue() -> dict[str, MetricInfo]:
    """Every declared metric by its (pattern) name."""
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = _catalogue()
    return _CATALOGUE


def pattern_of(key: str) -> str:
    """The declared name of ``key``: ``by_type.poor.moved`` -> ``by_type.<type>.moved``."""
    cat = catalogue()
    if key in cat:
        return key
    parts = key.split(".")
    for i in range(1, len(parts)):
        for ph in PLACEHOLDERS:
            cand = ".".join([*parts[:i], ph, *parts[i + 1:]])
            if cand in cat:
                return cand
    return key


def info(key: str) -> MetricInfo | None:
    """The declaration of metric ``key`` (nested names matched to their pattern), or None."""
    return catalogue().get(pattern_of(key))


def valid_names(scenario: Any = "nanpu", experiment: bool = False) -> list[str]:
    """The metric names a run of ``scenario`` reports (``experiment``: also the metrics of
    paired experiments, such as households moved because of withdrawal)."""
    from .results import metric_names

    names = metric_names(scenario)
    return names + list(EXPERIMENT_KEYS) if experiment else names


def unknown_names(names: Iterable[str], valid: Sequence[str]) -> list[str]:
    known = set(valid)
    return [m for m in names if m not in known]


def refusal(unknown: Sequence[str], valid: Sequence[str]) -> str:
    """The message that refuses ``unknown`` metric names, listing the valid ones."""
    shown = ", ".join(repr(str(m)[:60]) for m in unknown[:5])
    return (f"unknown metric(s) {shown}; valid metrics are: {', '.join(valid)} (ruralsim "
            "metrics lists them with units) / 未知指标；可用指标如上 (ruralsim metrics)")


def check_metric_names(names: Iterable[str], scenario: Any = "nanpu",
                       experiment: bool = False, where: str = "metrics") -> list[str]:
    """``names`` as a list, or a UsageError naming the unknown ones and listing the valid."""
    from .errors import UsageError

    names = list(names)
    valid = valid_names(scenario, experiment)
    bad = unknown_names(names, valid)
    if bad:
        raise UsageError(f"{where}: {refusal(bad, valid)}")
    return names


def table(scenario: Any = "nanpu") -> list[dict[str, Any]]:
    """One row per metric of ``scenario`` (and the experiment metrics): name, unit,
    direction, censored, labels."""
    rows = []
    for key in valid_names(scenario, experiment=True):
        i = info(key)
        rows.append({"metric": key, "unit": i.unit if i else "?",
                     "better": i.better if i else None,
                     "direction": i.direction if i else "undeclared",
                     "censored": bool(i.censored) if i else False,
                     "origin": i.origin if i else "summary",
                     "label_zh": i.zh if i else "", "label_en": i.en if i else ""})
    return rows


def censored_summary(values: Sequence[Any], horizon: int) -> tuple[list[float], int]:
    """A time-to-event metric over runs: ``None`` (not reached) as horizon + 1, and how many
    runs were censored.  Never the mean of the others."""
    out, n = [], 0
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            out.append(float(horizon + 1))
            n += 1
        else:
            out.append(float(v))
    return out, n


#: Above this share of censored runs a time-to-threshold metric is refused by the
#: sensitivity analyses (its indices would describe the horizon, not the model).
HEAVY_CENSORING = 0.2
