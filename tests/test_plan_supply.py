"""The township's plan (issue 20) and supply that follows paying demand (issue 19) as one
model: Nanpu runs both.  Invariants, the yearly quota, no arrears, the start rule for
sections and facilities, and the subsidy property when money does not bind, over seeds with
common random numbers."""
import numpy as np
import pytest

import ruralsim
from ruralsim.model import works as wk
from ruralsim.model.loop import Model
from ruralsim.model.plan import cash_flow_ok
from ruralsim.scenario.load import load_scenario

SEEDS = (1, 2, 3)
#: Nanpu with little credit: the plan's start rule refuses works.
TIGHT = ["government.borrowing.limit_cny=0"]


def subsidy(level: float) -> list[str]:
    return [f"policy.instruments.cash_or_cement.value_cny={level}",
            f"policy.instruments.cash_or_cement.cost_once_cny={level}"]


def test_nanpu_runs_the_plan_with_supply_in_demand_mode():
    sc = load_scenario(None).model
    assert sc.government.plan.enabled and sc.supply.mode == "demand"


@pytest.mark.parametrize("seed", SEEDS)
def test_invariants_hold_every_month_under_plan_and_demand_supply(seed):
    r = ruralsim.simulate(None, seed=seed, check=True)
    assert r.summary["households_moved"] > 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("overrides", [[], TIGHT], ids=["nanpu", "little_credit"])
def test_registrations_stay_within_each_years_quota_and_no_arrears_are_drawn(seed, overrides):
    """Every payment under the plan is made from cash and credit (the interest due until the
    next revenue is kept back), so arrears never arise, even when credit is short."""
    r = ruralsim.simulate(None, seed=seed, overrides=overrides)
    ts = r.timeseries
    for y in r.summary["plan_years"]:
        regs = int(ts["new_registrations"].iloc[y["month"]:y["month"] + 12].sum())
        assert regs == y["registrations"]
        assert y["quota"] is None or regs <= y["quota"]
    assert r.summary["months_in_arrears"] == 0
    assert ts["arrears_cny"].max() == 0.0
    assert ts["exp_arrears_interest_cny"].sum() == 0.0
    assert r.summary["months_overcommitted"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_works_never_start_when_the_projected_cash_flow_says_no(seed):
    """Each month, the sections and facilities that start are exactly those the plan's rule
    admits, in order, on the plan's projection (which counts the works under way); the
    others are counted as waiting for money."""
    sc = load_scenario(None, TIGHT).model
    m = Model(sc, seed)
    sup, plan = m.supply, m.plan
    works_step = m._construction
    seen = {"refused": 0, "started": 0}

    def checked(t):
        w = sup.w
        rows = np.flatnonzero(wk.ready(w, t, m.com.registrations)) if m.reg_open else \
            np.zeros(0, dtype=np.int64)
        expect = []
        if rows.size:
            horizon = int(w.build_months[rows].max())
            room, committed = plan.projection(horizon)
            inflow = plan.inflow(horizon)
            for r in rows:
                bm, pm = int(w.build_months[r]), float(w.monthly_cny[r])
                if cash_flow_ok(room, inflow, plan.fixed_pm, committed, pm, bm):
                    committed[:bm] += pm
                    expect.append(int(r))
        works_step(t)
        started = np.flatnonzero(w.month_started == t)
        assert started.tolist() == expect, t
        assert plan.works_waiting == rows.size - len(expect)
        seen["refused"] += rows.size - len(expect)
        seen["started"] += len(expect)

    m._construction = checked
    m.run()
    assert seen["refused"] > 0 and seen["started"] > 0
    assert int(m.rec.cols["plan_works_waiting"].sum()) == seen["refused"]


def test_works_waiting_for_money_are_counted_in_the_outputs():
    r = ruralsim.simulate(None, seed=1, overrides=TIGHT)
    assert r.summary["plan_works_waiting_months"] > 0


RICH = ["government.opening_cash_cny=1.0e+11", "supply.builders.initial_capacity=1.0e+6",
        "supply.apartments.bridging_credit_cny=1.0e+10"]


def _moved(level: float, seeds, extra=()) -> np.ndarray:
    return np.array([ruralsim.simulate(None, seed=s, overrides=RICH + subsidy(level) + list(extra))
                     .timeseries["n_ever_moved"].to_numpy() for s in seeds])


def test_money_not_binding_the_plan_opens_no_quota_and_refuses_no_works():
    r = ruralsim.simulate(None, seed=1, overrides=RICH + subsidy(80_000))
    assert r.summary["plan_years_quota_binding"] == 0
    assert r.summary["plan_works_waiting_months"] == 0
    assert r.summary["plan_unpaid_works_cny"] < 1.0          # CNY (rounding)
    assert r.summary["plan_deferred_households_cny"] < 1.0


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/model.md 7.22): in demand mode a larger subsidy can lower the number moved "
    "late in the run by up to about 0.5% of households (mean of 4 seeds, 20,000 against "
    "80,000 CNY, months 150-179) with the township's money, builders and bridging credit not "
    "binding; the same happens with the plan off, so it comes from supply (households drawn "
    "to register by the subsidy take plots and units they are slow to pay for), not from "
    "the plan"))
def test_money_not_binding_a_larger_subsidy_never_lowers_moved_in_any_month():
    """Over four seeds (common random numbers) the mean number moved is never lower in any
    month at a larger subsidy when the township's money does not bind."""
    levels, seeds = (2_000, 20_000, 80_000), range(1, 5)
    moved = {level: _moved(level, seeds) for level in levels}
    for a, b in zip(levels, levels[1:]):
        assert (moved[b].mean(axis=0) >= moved[a].mean(axis=0) - 1e-9).all(), (a, b)
