"""The township's one budget rule, developer finance and construction that can stall
(issue 11): known answers for the payment order, the arrears cap, stalls and abandonment,
and the budget identity every month."""
import numpy as np
import pytest

import ruralsim
from ruralsim.model import construction as cons
from ruralsim.model import Model
from ruralsim.rng import Streams
from ruralsim.scenario.schema import Developer as DeveloperSpec
from ruralsim.scenario.schema import Government
from ruralsim.model.state import ABANDONED, DEVELOPER, DONE, PLANNED, init_phases
from ruralsim.model.treasury import Developer, Treasury

from kit import household_type, scenario


class Book:
    """Records payments by line, like the engine's Recorder."""

    def __init__(self):
        self.lines = {}

    def spend(self, line, t, x):
        self.lines[line] = self.lines.get(line, 0.0) + x

    earn = spend


def treasury(cash=100.0, limit=50.0, cap=25.0, rate=0.12, arrears_rate=0.12, buffer=0.0):
    g = Government(opening_cash_cny=cash,
                   borrowing={"limit_cny": limit, "interest_rate_per_year": rate,
                              "cash_buffer_cny": buffer},
                   arrears={"cap_cny": cap, "interest_rate_per_year": arrears_rate})
    book = Book()
    return Treasury(g, book), book


# ------------------------------------------------------------------ the rule itself
def test_sources_in_order_cash_then_credit_then_arrears_up_to_the_cap():
    tr, book = treasury()
    assert tr.headroom() == 175.0
    assert tr.pay("exp_a_cny", 0, 120.0) == 120.0          # 100 cash + 20 to be borrowed
    assert tr.pay("exp_b_cny", 0, 80.0) == 55.0             # the rest of the credit and cap
    assert tr.pay("exp_c_cny", 0, 1.0) == 0.0               # nothing left
    tr.close_month(0)
    assert (tr.debt, tr.arrears, tr.overcommitted) == (50.0, 25.0, True)
    assert book.lines["rev_borrowing_cny"] == 50.0
    assert tr.cash == -25.0                                  # arrears are negative cash


def test_all_or_nothing_payments_are_not_split():
    tr, _ = treasury(cash=10.0, limit=0.0, cap=0.0)
    assert tr.pay("exp_construction_cny", 0, 11.0, partial=False) == 0.0
    assert tr.pay("exp_construction_cny", 0, 10.0, partial=False) == 10.0
    assert tr.cash == 0.0


def test_interest_is_always_booked_and_only_it_passes_the_cap():
    tr, book = treasury(cash=0.0, limit=0.0, cap=100.0)
    tr.pay("exp_a_cny", 0, 500.0)
    tr.close_month(0)
    assert tr.arrears == 100.0 and tr.overcommitted
    tr.interest(1)                                            # 12%/year: 1% a month
    assert book.lines["exp_arrears_interest_cny"] == pytest.approx(1.0)
    assert tr.arrears == pytest.approx(101.0)
    assert tr.pay("exp_a_cny", 1, 1.0) == 0.0                 # nothing else can be paid
    tr2, book2 = treasury(cash=0.0, limit=1000.0, cap=0.0)
    tr2.pay("exp_a_cny", 0, 600.0)
    tr2.close_month(0)
    tr2.interest(1)
    assert book2.lines["exp_interest_cny"] == pytest.approx(6.0)


def test_household_payments_are_deferred_then_paid_first_oldest_line_first():
    tr, book = treasury(cash=30.0, limit=0.0, cap=0.0)
    tr.pay_household("exp_instr_a_cny", 0, 50.0)
    tr.pay_household("exp_compensation_cny", 0, 40.0)
    assert book.lines["exp_instr_a_cny"] == 30.0
    assert dict(tr.deferred) == {"exp_instr_a_cny": 20.0, "exp_compensation_cny": 40.0}
    assert tr.deferred_total == 60.0
    tr.earn("rev_x_cny", 1, 45.0)
    tr.pay_deferred(1)                           # the older line first, then as far as it goes
    assert dict(tr.deferred) == {"exp_compensation_cny": 15.0}
    assert book.lines["exp_instr_a_cny"] == 50.0 and book.lines["exp_compensation_cny"] == 25.0


def test_surplus_above_the_buffer_repays_debt():
    tr, book = treasury(cash=0.0, limit=100.0, cap=0.0, buffer=10.0)
    tr.pay("exp_a_cny", 0, 80.0)
    tr.close_month(0)
    assert tr.debt == 80.0 and tr.cash == 0.0
    tr.earn("rev_x_cny", 1, 50.0)
    tr.close_month(1)
    assert tr.debt == 40.0 and tr.cash == 10.0
    assert book.lines["exp_debt_repayment_cny"] == 40.0


def test_developer_builds_on_credit_and_is_repaid_by_sales():
    dev = Developer(DeveloperSpec(credit_limit_cny=100.0, interest_rate_per_year=0.12))
    assert dev.can_pay(100.0) and not dev.can_pay(100.5)
    dev.pay(60.0)
    dev.accrue_interest()
    assert dev.debt == pytest.approx(60.6)
    dev.sell(70.0)                               # sales repay the debt first, the rest is cash
    assert dev.debt == 0.0 and dev.cash == pytest.approx(9.4)
    dev.pay(20.0)                                # cash first, then credit
    assert dev.cash == 0.0 and dev.debt == pytest.approx(10.6)
    assert dev.debt - dev.cash == pytest.approx(dev.spent + dev.interest_paid - dev.sales)


# ------------------------------------------------------------------ which phase goes next
def test_phase_rules_order_ready_phases():
    rows = np.array([0, 1, 2, 3])
    demand = np.array([0.5, 2.0, 1.0, 2.0])
    assert cons.order_key(rows, "demand_first", demand, None).tolist() == [1, 3, 2, 0]
    assert cons.order_key(rows, "planner_order", demand, np.array([3, 0, 2, 1])).tolist() == \
        [1, 3, 2, 0]
    assert cons.order_key(rows, "planner_order", demand, None).tolist() == [0, 1, 2, 3]


def test_a_phase_is_ready_after_its_predecessor_started_and_with_enough_registrations():
    sc = ruralsim.load_scenario(scenario(10, communities=1, phases=[
        {"units": {"apartment": 10, "courtyard": 0}, "earliest_month": 2},
        {"units": {"apartment": 10, "courtyard": 0}, "earliest_month": 0,
         "min_registered_share": 0.5}])).model
    ph = init_phases(sc, Streams(1))
    to_date = cons.units_to_date(ph)
    assert to_date.tolist() == [10.0, 20.0]
    regs = np.array([10])
    assert cons.ready(ph, 1, regs, to_date).tolist() == [False, False]   # too early
    assert cons.ready(ph, 2, regs, to_date).tolist() == [True, False]    # 2nd waits for 1st
    ph.state[0] = ABANDONED
    assert cons.ready(ph, 2, regs, to_date).tolist() == [False, True]    # 10 >= 0.5 x 20
    assert cons.ready(ph, 2, np.array([9]), to_date).tolist() == [False, False]
    assert ph.state[1] == PLANNED


# ------------------------------------------------------------------ in a run
MONTHLY = 1.0e6


def _site(opening: float, changes: dict | None = None, horizon: int = 30, n: int = 100,
          revenues: list | None = None):
    """Households who all register in month 0; phase 1 (free, two months, started in month 1)
    houses them all, they move in month 6; phase 2 (ready once phase 1 started, funded in
    month 1, started in month 2) costs 1,000,000 CNY for each of its twelve paid months.
    No borrowing, no arrears, no upkeep, no land to reclaim: what the township can pay is
    exactly its cash."""
    quick = {"units": {"apartment": n, "courtyard": n}, "earliest_month": 0,
             "funding": "committed", "public_cost_cny": 0.0,
             "build_months": {"low": 2, "mode": 2, "high": 2}}
    slow = {"units": {"apartment": 10, "courtyard": 10}, "earliest_month": 0,
            "funding": "committed", "public_cost_cny": 12 * MONTHLY,
            "build_months": {"low": 12, "mode": 12, "high": 12}}
    ch = {"household_types.h": household_type(asc=5.0),
          "government": {"opening_cash_cny": opening, "borrowing": {"limit_cny": 0.0},
                         "arrears": {"cap_cny": 0.0}, "revenues": revenues or []}}
    ch.update(changes or {})
    data = scenario(n, villages=2, horizon=horizon, phases=[quick, slow], changes=ch)
    for v in data["villages"]:
        v["maintenance_cny_per_month"] = 0.0
        v["homestead_mu_per_household"] = 0.0       # nothing to reclaim
    r = ruralsim.simulate(data, seed=1, check=True, keep_model=True)
    return r, r.timeseries, r.model.ph


def test_a_stalled_phase_progresses_only_in_months_it_is_paid():
    # 3.5 months of cash: paid months 2-4; no progress in months 5-7 (a month's payment is
    # made in full or not at all); 5,000,000 in month 8 pays months 8-12, 4,000,000 in month
    # 16 the last four
    grant = [{"name": "grant", "amount_cny": 5.0e6, "every_months": 1200, "start_month": 8}]
    later = [{"name": "later", "amount_cny": 4.0e6, "every_months": 1200, "start_month": 16}]
    r, ts, ph = _site(3.5e6, revenues=grant + later)
    paid = ts["exp_construction_cny"].to_numpy()
    assert ph.month_started[1] == 2
    assert set(np.flatnonzero(paid)) == {2, 3, 4, 8, 9, 10, 11, 12, 16, 17, 18, 19}
    np.testing.assert_allclose(paid[paid > 0], MONTHLY)
    stalled = ts["phases_stalled"].to_numpy()
    assert stalled[5:8].tolist() == [1, 1, 1] and stalled[13:16].tolist() == [1, 1, 1]
    assert stalled[[4, 8, 12, 16]].tolist() == [0, 0, 0, 0]
    assert ph.progress[1] == 12 and ph.state[1] == DONE and ph.month_done[1] == 19
    assert ph.stalled_total[1] == 6
    built = (ts["units_built_apartment"] + ts["units_built_courtyard"]).to_numpy()
    assert built[18] == 2 * 100 and built[19] == 2 * 100 + 20     # delivered when done only
    assert r.summary["phases_abandoned"] == 0


def test_an_abandoned_phase_never_delivers_a_unit():
    # paid months 2-4, then unpaid: abandoned after stall_limit_months = 4 unpaid months
    r, ts, ph = _site(3.5e6, {"government.stall_limit_months": 4})
    assert ph.state[1] == ABANDONED and ph.month_done[1] == 8 and ph.progress[1] == 3
    assert ts["phases_abandoned"].iloc[7] == 0 and (ts["phases_abandoned"].iloc[8:] == 1).all()
    assert (ts["units_built_apartment"] + ts["units_built_courtyard"] == 200)[3:].all()
    assert r.summary["units_built"] == 200                  # phase 1's units only
    assert r.summary["sunk_cost_abandoned_cny"] == 3 * MONTHLY
    assert (ts["sunk_cost_cny"].iloc[8:] == 3 * MONTHLY).all()
    assert ts["exp_construction_cny"].iloc[5:].sum() == 0


def test_household_payments_come_before_construction_and_are_deferred_when_nothing_is_left():
    # movers (100, month 6) are promised 20,000 CNY each: 2,000,000 falls due in month 6, when
    # 1,500,000 is left; it is paid as far as it goes, the rest deferred, and construction
    # stalls. A grant in month 9 pays the households first, then construction.
    grant = [{"name": "grant", "amount_cny": 2.0e6, "every_months": 1200, "start_month": 9}]
    r, ts, ph = _site(5.5e6, {"policy.instruments": [{"name": "x", "cost_once_cny": 2.0e4}]},
                      horizon=12, revenues=grant)
    assert ts["new_moves"].iloc[6] == 100 and ts["new_moves"].sum() == 100
    instr = ts["exp_instr_x_cny"].to_numpy()
    owed = ts["deferred_household_cny"].to_numpy()
    con = ts["exp_construction_cny"].to_numpy()
    np.testing.assert_allclose(con[2:6], MONTHLY)
    assert instr[6] == 1.5e6 and owed[6] == 5.0e5 and con[6] == 0
    assert instr[7:9].sum() == 0 and (owed[7:9] == 5.0e5).all() and con[7:9].sum() == 0
    assert instr[9] == 5.0e5 and owed[9] == 0 and con[9] == MONTHLY
    assert con[10] == 0                                  # 500,000 left: no month can be paid
    assert r.summary["months_household_payments_deferred"] == 3
    assert r.summary["cost_by_instrument_cny"]["x"] == 2.0e6


def test_households_trust_falls_while_payments_are_overdue():
    m = Model(ruralsim.load_scenario(scenario(50, changes={
        "behaviour.trust_shift_overdue": -1.5})).model, 1)
    m.reg_open = True
    before = m.visible_terms(0)
    m.tr.deferred["exp_compensation_cny"] = 1.0
    np.testing.assert_allclose(m.visible_terms(0) - before, -1.5)


def test_past_the_arrears_cap_the_township_stops_committing():
    # a 5,000,000 fair in month 0 with no cash and no credit: upkeep (priority 3) is paid
    # before it (priority 6), the fair up to the 1,000,000 cap. Then only interest is booked
    # (1% a month), nobody may register and no phase starts, until a grant in month 12.
    gov = {"government": {"opening_cash_cny": 0.0, "borrowing": {"limit_cny": 0.0},
                          "arrears": {"cap_cny": 1.0e6, "interest_rate_per_year": 0.12},
                          "revenues": [{"name": "grant", "amount_cny": 2.0e7,
                                        "every_months": 1200, "start_month": 12}]},
           "household_types.h": household_type(asc=-2.0),
           "policy.events": [{"name": "fair", "month": 0, "cost_cny": 5.0e6}]}
    phase = {"units": {"apartment": 100, "courtyard": 100}, "earliest_month": 2,
             "funding": "committed", "public_cost_cny": 1.2e6,
             "build_months": {"low": 12, "mode": 12, "high": 12}}
    r = ruralsim.simulate(scenario(400, horizon=16, phases=[phase], changes=gov), seed=1,
                          check=True, keep_model=True)
    ts = r.timeseries
    upkeep = 4 * 6000.0
    assert ts["exp_maintenance_cny"].iloc[0] == upkeep
    assert ts["exp_events_cny"].iloc[0] == 1.0e6 - upkeep
    arrears = ts["arrears_cny"].to_numpy()
    np.testing.assert_allclose(arrears[:12], 1.0e6 * 1.01 ** np.arange(12))
    np.testing.assert_allclose(ts["exp_arrears_interest_cny"].iloc[1:12], 0.01 * arrears[:11])
    assert (ts["overcommitted"].iloc[:12] == 1).all() and ts["overcommitted"].iloc[12] == 0
    assert ts["new_registrations"].iloc[0] > 0
    assert ts["new_registrations"].iloc[1:13].sum() == 0
    assert ts["new_registrations"].iloc[13] > 0
    assert ts[["exp_events_cny", "exp_maintenance_cny", "exp_construction_cny"]]\
        .iloc[1:12].to_numpy().sum() == 0
    assert r.model.ph.month_funded[0] == 13               # the first month not overcommitted
    assert ts["exp_events_cny"].iloc[12] == pytest.approx(5.0e6 - 1.0e6 + upkeep)
    assert ts["exp_arrears_interest_cny"].iloc[12] == 0  # the grant came in first
    assert r.summary["months_overcommitted"] == 12


# ------------------------------------------------------------------ the books balance
@pytest.fixture(scope="module")
def weak():
    # model 2.0's finance (no plan): under the plan arrears never arise, so arrears interest
    # would not occur
    return ruralsim.simulate("weak_finance", seed=1, check=True, keep_model=True,
                             overrides=["government.plan.enabled=false"])


def test_budget_identity_every_month_with_arrears_interest_developer_and_dividends(weak):
    ts, m, s = weak.timeseries, weak.model, weak.summary
    # every kind of flow occurs in this run
    assert s["arrears_interest_paid_cny"] > 0 and s["interest_paid_cny"] > 0
    assert s["dividends_paid_cny"] > 0 and s["developer_interest_cny"] > 0 and m.dev.sales > 0
    assert ts["exp_debt_repayment_cny"].sum() > 0
    assert s["months_household_payments_deferred"] > 0
    rev = ts.filter(regex=r"^rev_.*_cny$").sum(axis=1).cumsum()
    exp = ts.filter(regex=r"^exp_.*_cny$").sum(axis=1).cumsum()
    opening = weak.scenario.government.opening_cash_cny
    np.testing.assert_allclose(ts["cash_cny"], opening + rev - exp, atol=0.5)
    np.testing.assert_allclose(ts["arrears_cny"], np.maximum(0, -ts["cash_cny"]), atol=1e-6)
    np.testing.assert_allclose(ts["financing_gap_cny"], ts["debt_cny"] + ts["arrears_cny"])
    # borrowing less repayment is the debt
    np.testing.assert_allclose((ts["rev_borrowing_cny"] - ts["exp_debt_repayment_cny"]).cumsum(),
                               ts["debt_cny"], atol=0.5)
    # every yuan of collective income is paid out as dividends or still owed to households
    land = weak.scenario.land
    owed = m.tr.deferred.get("exp_dividends_cny", 0.0)
    assert ts["exp_dividends_cny"].sum() + owed == pytest.approx(
        land.dividend_share * ts["rev_collective_land_cny"].sum(), rel=1e-9, abs=1.0)
    # the developer: debt less cash = housing it paid + interest − sales
    dev, ph = m.dev, m.ph
    spent = float(ph.housing_paid_cny[ph.financing == DEVELOPER].sum())
    assert dev.spent == pytest.approx(spent)
    assert dev.debt - dev.cash == pytest.approx(spent + dev.interest_paid - dev.sales, abs=1.0)
    assert ts["developer_debt_cny"].iloc[-1] == pytest.approx(dev.debt)
    assert weak.summary["developer_interest_cny"] == pytest.approx(dev.interest_paid)


def test_weak_finance_stalls_and_runs_bounded_arrears(weak):
    s, ts = weak.summary, weak.timeseries
    cap = weak.scenario.government.arrears.cap_cny
    assert s["phases_stalled"] > 0 and s["months_in_arrears"] > 0
    assert s["developer_peak_debt_cny"] > 0
    # arrears pass the cap only by the interest they carry
    interest = (ts["exp_interest_cny"] + ts["exp_arrears_interest_cny"]).to_numpy()
    arrears = ts["arrears_cny"].to_numpy()
    prev = np.r_[0.0, arrears[:-1]]
    assert (arrears <= np.maximum(prev, cap) + interest + 0.5).all()
    assert s["peak_arrears_cny"] < 2 * cap
