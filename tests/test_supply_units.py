"""Supply that follows paying demand (issue 19): known answers and properties of the pure
array functions (builders, public works, courtyards, apartment buildings), without SimPy."""
import numpy as np
import pytest

from ruralsim.model import builders, supply, works
from ruralsim.rng import Streams
from ruralsim.scenario.schema_supply import Facility, Section, Triangular
from ruralsim.model.state import ABANDONED, BUILDING, DONE, PLANNED


# ------------------------------------------------------------------ builders
def test_capacity_moves_toward_demand_with_the_lag_and_stays_in_bounds():
    cap = np.array([10.0, 10.0, 10.0])
    demand = np.array([70.0, 10.0, 0.0])
    nxt = builders.grow(cap, demand, lag_months=6.0, floor=10.0, ceiling=15.0)
    assert nxt.tolist() == [15.0, 10.0, 10.0]   # +10 capped at 15; never below the floor
    assert builders.grow(cap, demand, 6.0, 10.0, None).tolist() == [20.0, 10.0, 10.0]


def test_capacity_converges_to_steady_demand():
    cap = np.array([5.0])
    for _ in range(200):
        cap = builders.grow(cap, np.array([50.0]), 12.0, 5.0, None)
    assert cap[0] == pytest.approx(50.0, rel=1e-3)


def test_price_factor_is_one_until_stretched_then_rises_with_excess_demand():
    cap = np.full(4, 10.0)
    f = builders.price_factor(np.array([0.0, 10.0, 15.0, 30.0]), cap, 0.3)
    assert f.tolist() == pytest.approx([1.0, 1.0, 1.15, 1.6])
    assert np.all(np.diff(f) >= 0)


def test_free_slots_never_negative():
    assert builders.free_slots(np.array([10.4, 3.0]), np.array([4, 9])).tolist() == [6, 0]


# ------------------------------------------------------------------ public works
def _community(sections, facilities=()):
    class C:   # the two fields init_works reads
        pass
    c = C()
    c.sections = [Section(**s) for s in sections]
    c.facilities = [Facility(**f) for f in facilities]
    return c


def test_sections_start_in_order_and_facilities_after_their_section():
    com = _community([{"name": "a", "cost_cny": 10.0, "plots": 5, "building_sites": 1,
                       "build_months": {"low": 2, "mode": 2, "high": 2}},
                      {"name": "b", "cost_cny": 10.0, "plots": 7,
                       "build_months": {"low": 1, "mode": 1, "high": 1}}],
                     [{"kind": "school", "cost_cny": 5.0, "opens_after_section": 1,
                       "build_months": {"low": 1, "mode": 1, "high": 1}}])
    w = works.init_works([com], Streams(1))
    assert w.build_months.tolist() == [2, 1, 1]
    assert works.ready(w, 0).tolist() == [True, False, False]
    works.start(w, np.flatnonzero(works.ready(w, 0)), room=100.0, t=0)
    assert works.ready(w, 0).tolist() == [False, True, False]   # b after a started
    works.start(w, np.array([1]), room=100.0, t=0)
    rows = np.flatnonzero(w.state == BUILDING)
    works.progress(w, rows, np.array([True, True]), t=0)          # b done, a half-way
    assert works.opened(w, 1)[0].tolist() == [7]
    assert not works.ready(w, 1)[2]                               # school waits for section a
    works.progress(w, np.array([0]), np.array([True]), t=1)
    assert works.opened(w, 1)[0].tolist() == [12] and works.opened(w, 1)[1].tolist() == [1]
    assert works.ready(w, 2)[2]
    works.start(w, np.array([2]), 100.0, 2)
    assert works.facilities_open_share(w, 1).tolist() == [0.0]
    works.progress(w, np.array([2]), np.array([True]), 2)
    assert works.facilities_open_share(w, 1).tolist() == [1.0]


def test_works_start_only_when_room_covers_their_whole_cost_and_unpaid_months_stall():
    w = works.Works.from_lists(community=[0, 1, 2], facility=[False] * 3, cost=[30.0, 80.0, 20.0],
                               months=[3, 3, 3], earliest=[0, 0, 5], after=[-1, -1, -1],
                               plots=[1, 1, 1], sites=[0, 0, 0])
    rows = np.flatnonzero(works.ready(w, 0))
    assert rows.tolist() == [0, 1]                                # earliest month 5 for row 2
    assert works.start(w, rows, room=60.0, t=0).tolist() == [0]  # 80 does not fit, skipped
    works.progress(w, np.array([0]), np.array([False]), 0)
    assert w.progress[0] == 0 and w.stalled[0] == 1 and w.paid_cny[0] == 0
    assert works.remaining_cny(w).tolist() == [30.0, 0.0, 0.0]


def test_work_build_months_are_common_random_numbers_by_row():
    com = [_community([{"name": f"s{i}"} for i in range(4)])]
    a = works.init_works(com, Streams(7)).build_months
    b = works.init_works(com, Streams(7)).build_months
    c = works.init_works(com, Streams(8)).build_months
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert a.min() >= 8 and a.max() <= 18


# ------------------------------------------------------------------ households
def test_first_per_group_serves_in_order_within_each_group():
    group = np.array([2, 0, 2, 1, 0, 2])
    served = supply.first_per_group(group, np.array([1, 0, 2]))
    assert served.tolist() == [True, True, True, False, False, False]


def test_first_per_group_never_serves_more_than_the_limit():
    rng = np.random.default_rng(3)
    for _ in range(20):
        g = rng.integers(0, 5, 200)
        lim = rng.integers(0, 60, 5)
        s = supply.first_per_group(g, lim)
        assert (np.bincount(g[s], minlength=5) == np.minimum(lim, np.bincount(g, minlength=5))
                ).all()


def test_a_household_that_cannot_pay_does_not_start():
    cost = supply.home_cost(np.full(3, 150.0), 700.0, np.array([1.0, 1.0, 1.3]))
    assert cost.tolist() == pytest.approx([105_000, 105_000, 136_500])
    ok = supply.can_pay(np.array([90_000.0, 70_000.0, 120_000.0]), np.array([10_000.0] * 3),
                        np.array([5_000.0, 2_000.0, 2_000.0]), cost)
    assert ok.tolist() == [True, False, False]


def test_instalments_are_paid_from_savings_then_credit_or_not_at_all():
    paid, sav, cred = supply.pay_instalments(np.array([100.0, 30.0, 10.0]),
                                             np.array([50.0, 50.0, 50.0]),
                                             np.array([0.0, 25.0, 25.0]))
    assert paid.tolist() == [True, True, False]
    assert sav.tolist() == [50.0, 0.0, 10.0] and cred.tolist() == [0.0, 5.0, 25.0]


def test_more_savings_never_stalls_a_house_that_was_paid():
    rng = np.random.default_rng(5)
    s = rng.uniform(0, 100, 500)
    due = rng.uniform(0, 100, 500)
    c = rng.uniform(0, 20, 500)
    p0, _, _ = supply.pay_instalments(s, due, c)
    p1, _, _ = supply.pay_instalments(s + rng.uniform(0, 50, 500), due, c)
    assert (p1 >= p0).all()


# ------------------------------------------------------------------ apartment buildings
def _buildings(n_per_c=(2, 1), units=10, months=2):
    com = np.repeat(np.arange(len(n_per_c)), n_per_c)
    return supply.Buildings.empty_sites(com, units, np.full(com.size, months))


def test_presales_fill_open_buildings_of_the_buyers_community_in_order():
    b = _buildings()
    supply.open_sites(b, np.array([1, 1]))
    assert b.site_open.tolist() == [True, False, True]
    got = supply.presell(b, np.array([0] * 12 + [1] * 3))
    assert got.tolist() == [0] * 10 + [-1, -1] + [2] * 3   # community 0's 2nd site is closed
    assert b.sold.tolist() == [10, 0, 3]


def test_a_building_starts_when_enough_units_are_spoken_for_and_builders_allow():
    b = _buildings()
    supply.open_sites(b, np.array([2, 1]))
    supply.presell(b, np.array([0] * 16 + [1] * 5))
    assert b.sold.tolist() == [10, 6, 5]
    rows = supply.start_buildings(b, 0.6, np.array([25]), np.array([1.0, 2.0]),
                                  np.array([1.0, 1.5]), t=3, scope_community=False)
    assert rows.tolist() == [0, 1]        # row 2 has 5 of 10 spoken for; slots 25 allow two
    assert b.cost_cny[:2].tolist() == [10.0, 10.0]
    b2 = _buildings()
    supply.open_sites(b2, np.array([2, 1]))
    supply.presell(b2, np.array([0] * 20))
    assert supply.start_buildings(b2, 0.6, np.array([15]), np.ones(2), np.ones(2), 0,
                                  False).tolist() == [0]   # the second waits for builders


def test_bridging_credit_is_used_only_up_to_its_limit():
    b = _buildings((3,), units=10, months=2)
    supply.open_sites(b, np.array([3]))
    supply.presell(b, np.array([0] * 30))
    supply.start_buildings(b, 0.5, np.array([100]), np.array([10.0]), np.ones(1), 0, False)
    b.cash_cny[:] = [100.0, 20.0, 0.0]   # each costs 100: 50 a month
    paid, done = supply.finance_buildings(b, bridging_limit=40.0, t=0)
    assert paid.tolist() == [0, 1]       # row 1 borrows 30; row 2 would need 50 > 40
    assert b.credit_cny.tolist() == [0.0, 30.0, 0.0] and b.stalled.tolist() == [0, 0, 1]
    paid, done = supply.finance_buildings(b, bridging_limit=40.0, t=1)
    assert done.tolist() == [0] and b.state.tolist() == [DONE, BUILDING, BUILDING]
    for t in range(2, 30):
        supply.finance_buildings(b, 40.0, t)
    assert supply.abandon_stalled(b, 24, 30).tolist() == [1, 2]
    assert (b.state[1:] == ABANDONED).all()


def test_view_term_grows_with_occupied_homes_and_open_facilities():
    v = supply.view_term(np.array([0.0, 100.0, 400.0]), np.array([0.0, 0.5, 1.0]),
                         b_homes=1.0, scale=200.0, b_facilities=0.4)
    assert v.tolist() == pytest.approx([0.0, 0.7, 1.4])


def test_draw_months_within_the_spec():
    u = np.linspace(0, 1, 101)
    m = supply.draw_months(u, Triangular(low=6, mode=9, high=14))
    assert m.min() == 6 and m.max() == 14 and np.all(np.diff(m) >= 0)
