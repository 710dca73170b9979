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
    "finding (docs/model.md 7.22): in demand mode a larger subsidy moves more households by "
    "month 180 but not in every month: a household drawn to register and start building "
    "earlier, with less saved, stalls and moves later (one household at month 43 in one of "
    "four seeds, 20,000 against 80,000 CNY, money, builders and bridging credit not binding)"))
def test_money_not_binding_a_larger_subsidy_never_lowers_moved_in_any_month():
    """Over four seeds (common random numbers) the mean number moved is never lower in any
    month at a larger subsidy when the township's money does not bind."""
    levels, seeds = (2_000, 20_000, 80_000), range(1, 5)
    moved = {level: _moved(level, seeds) for level in levels}
    for a, b in zip(levels, levels[1:]):
        assert (moved[b].mean(axis=0) >= moved[a].mean(axis=0) - 1e-9).all(), (a, b)


def test_money_not_binding_a_larger_subsidy_never_moves_fewer_by_the_end():
    """Seed by seed (common random numbers), a larger subsidy never moves fewer households by
    month 180 when money, builders and bridging credit do not bind."""
    levels, seeds = (2_000, 20_000, 80_000), range(1, 5)
    moved = {level: _moved(level, seeds)[:, -1] for level in levels}
    for a, b in zip(levels, levels[1:]):
        assert (moved[b] >= moved[a]).all(), (a, b, moved[a], moved[b])


def test_demand_mode_households_change_kind_when_theirs_has_nothing_free():
    """behaviour.switch_kind_after_months acts in demand mode too: households who waited that
    long for a kind with nothing free take the other kind (twin: a wait no one reaches)."""
    kinds = {}
    for after in (12, 1_200):
        m = ruralsim.simulate(None, seed=1, keep_model=True,
                              overrides=[f"behaviour.switch_kind_after_months={after}"]).model
        kinds[after] = m.hh.kind.copy()
        if after == 12:
            waited = m.hh.month_registered
    switched = kinds[12] != kinds[1_200]
    assert switched.any()
    # a household that changed kind had registered at least the wait before the end
    assert (waited[switched] <= 180 - 12).all()
