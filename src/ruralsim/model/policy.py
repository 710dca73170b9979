"""Turning the scenario's package, events and strategy into per-household arrays.

Instruments and events are data; this module evaluates who is eligible and
what each household receives, vectorized over households, so that the engine's
monthly round only gathers precomputed terms.

Example:
    >>> import numpy as np
    >>> from ruralsim.scenario.schema import Eligibility
    >>> eligible_mask(Eligibility(types=["poor"]), ["rich", "poor"], ["v"],
    ...               np.array([0, 1]), np.array([0, 0]), np.array([1e4, 1e4])).tolist()
    [False, True]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import Eligibility, Instrument, Scenario


def eligible_mask(el: Eligibility, type_names: list[str], village_names: list[str],
                  htype: np.ndarray, village: np.ndarray, income: np.ndarray) -> np.ndarray:
    """Households (given by their type, village and income arrays) that ``el`` admits."""
    return Eligible(el, type_names, village_names).mask(htype, village, income)

class Eligible:
    """An eligibility rule compiled to per-type and per-village lookup arrays."""

    def __init__(self, el: Eligibility, type_names: list[str], village_names: list[str]):
        self.types = None if el.types is None else np.isin(np.array(type_names), el.types)
        self.villages = None if el.villages is None else np.isin(np.array(village_names),
                                                                   el.villages)
        self.max_income = el.max_income_cny_per_year

    def mask(self, htype: np.ndarray, village: np.ndarray, income: np.ndarray) -> np.ndarray:
        out = np.ones(htype.shape[0], dtype=bool) if self.types is None else self.types[htype]
        if self.villages is not None:
            out = out & self.villages[village]
        if self.max_income is not None:
            out = out & (income <= self.max_income)
        return out


def active_at(ins: Instrument, month: int) -> bool:
    """Whether an instrument is offered in ``month``."""
    return ins.start_month <= month and (ins.end_month is None or month <= ins.end_month)


@dataclass
class PolicyTerms:
    """What the active package gives each household (one entry per household)."""

    value_cny: np.ndarray      # float64, money value lowering the net cost
    credit_cny: np.ndarray     # float64, extra credit
    shift: np.ndarray          # float64, utility shift from instruments
    covers_price: np.ndarray   # bool, the state pays the unit price
    field_relief: np.ndarray   # float64 in [0, 1], share of the household's farmland transferred
    income_gain: np.ndarray    # float64, non-farm income gained per year after moving


class PolicyTable:
    """The instruments active in a month, compiled: a [term, village, type] table for those
    eligible by type and village, and the few with an income limit, applied per household.

    Built once per set of active instruments (the engine caches it by that set), then
    :meth:`terms` gathers the terms of any households with one lookup per term.
    """

    def __init__(self, sc: Scenario, active: tuple[int, ...], type_names: list[str],
                 village_names: list[str]):
        V, T = len(village_names), len(type_names)
        self.T = T
        # [term, village, type]: value, credit, shift, covers price, field relief, income gain
        table = np.zeros((6, V, T))
        self.per_household = []
        for i in active:
            ins = sc.policy.instruments[i]
            el = Eligible(ins.eligible, type_names, village_names)
            if el.max_income is not None:
                self.per_household.append((ins, el))
                continue
            cell = np.outer(np.ones(V, dtype=bool) if el.villages is None else el.villages,
                            np.ones(T, dtype=bool) if el.types is None else el.types)
            table[0][cell] += ins.value_cny
            table[1][cell] += ins.credit_cny
            table[2][cell] += ins.utility_shift
            if ins.covers_price:
                table[3][cell] = 1.0
            table[4][cell] = np.maximum(table[4][cell], ins.field_distance_relief)
            table[5][cell] += ins.income_gain_cny_per_year
        self.flat = table.reshape(6, V * T)

    def terms(self, htype: np.ndarray, village: np.ndarray, income: np.ndarray) -> PolicyTerms:
        code = village.astype(np.int64) * self.T + htype
        f = self.flat
        terms = PolicyTerms(f[0][code], f[1][code], f[2][code], f[3][code] > 0, f[4][code],
                            f[5][code])
        for ins, el in self.per_household:
            m = el.mask(htype, village, income)
            terms.value_cny[m] += ins.value_cny
            terms.credit_cny[m] += ins.credit_cny
            terms.shift[m] += ins.utility_shift
            if ins.covers_price:
                terms.covers_price |= m
            terms.field_relief[m] = np.maximum(terms.field_relief[m], ins.field_distance_relief)
            terms.income_gain[m] += ins.income_gain_cny_per_year
        return terms


def active_set(sc: Scenario, month: int) -> tuple[int, ...]:
    """Indices of the instruments offered in ``month``."""
    return tuple(i for i, ins in enumerate(sc.policy.instruments) if active_at(ins, month))


def policy_terms(sc: Scenario, month: int, type_names: list[str], village_names: list[str],
                 htype: np.ndarray, village: np.ndarray, income: np.ndarray) -> PolicyTerms:
    """Sum the instruments active in ``month`` over the households eligible for each.

    Eligibility by type and village is summed in a small [village, type] table first and
    broadcast to households with one gather per term; only income limits need a pass over
    households.
    """
    return PolicyTable(sc, active_set(sc, month), type_names, village_names).terms(
        htype, village, income)


def village_batches(sc: Scenario, village_names: list[str]) -> list[np.ndarray]:
    """Village indices of each registration batch, in opening order.

    Without a declared order, villages open community by community (communities in the order
    of their first phase's earliest month, then scenario order; villages in file order within
    each), so that each batch feeds the phases of one community rather than of all.
    """
    seq = sc.strategy.sequence
    if seq.mode == "all":
        return [np.arange(len(village_names))]
    if seq.order:
        order = seq.order
    else:
        first = {c.name: (c.phases[0].earliest_month, i)
                 for i, c in enumerate(sc.communities)}
        order = [v.name for _, v in sorted(enumerate(sc.village_list),
                                           key=lambda iv: (first[iv[1].community], iv[0]))]
    pos = {v: i for i, v in enumerate(village_names)}
    named = set(order)     # once: a set per village made this quadratic
    idx = [pos[v] for v in order] + [i for v, i in pos.items() if v not in named]
    k = seq.batch_villages
    return [np.array(idx[i:i + k]) for i in range(0, len(idx), k)]


def change_months(sc: Scenario) -> list[int]:
    """Months at which the set of active instruments changes (for the calendar)."""
    months = {0}
    for ins in sc.policy.instruments:
        months.add(ins.start_month)
        if ins.end_month is not None:
            months.add(ins.end_month + 1)
    return sorted(m for m in months if m < sc.run.horizon_months)


def outreach_shift(sc: Scenario, type_names: list[str], month: int) -> np.ndarray:
    """Utility shift per household type from the strategy's outreach active in ``month``."""
    out = np.zeros(len(type_names))
    for o in sc.strategy.outreach:
        if o.start_month <= month and (o.end_month is None or month <= o.end_month):
            out[np.isin(np.array(type_names), o.types)] += o.utility_shift
    return out


def priority_rank(sc: Scenario, type_names: list[str]) -> np.ndarray:
    """Allocation rank per type: position in the strategy's priority list, others last."""
    order = sc.strategy.priority
    return np.array([order.index(t) if t in order else len(order) for t in type_names],
                    dtype=np.int64)
