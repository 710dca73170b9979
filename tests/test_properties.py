"""Property-based tests: the loader never fails but with ScenarioError, and every invariant
holds every month on whole runs of random valid scenarios."""
import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim.model.households import two_homesteads
from ruralsim.scenario.yamlio import read_yaml_text
from ruralsim.model.state import ABANDONED, DEVELOPER, DONE, MOVED, STATUS_NAMES

TEACHING = ruralsim.load_scenario("teaching").model.model_dump(mode="python")

leaf_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                           max_size=2))


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


ALL_PATHS = list(_paths(TEACHING))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["set", "delete", "add"]),
                          leaf_values), min_size=1, max_size=3))
def test_mutated_scenarios_load_or_raise_scenario_error(mutations):
    data = copy.deepcopy(TEACHING)
    for path, op, value in mutations:
        node = data
        try:
            for p in path[:-1]:
                node = node[p]
            if op == "set":
                node[path[-1]] = value
            elif op == "delete" and isinstance(node, dict):
                node.pop(path[-1], None)
            elif op == "add" and isinstance(node, dict):
                node["zz_unknown"] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        ruralsim.load_scenario(data)
    except ruralsim.ScenarioError as exc:
        assert exc.issues and all(i.message for i in exc.issues)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_scenario_error(blob):
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    try:
        read_yaml_text(text, "fuzz.yaml")
    except ruralsim.ScenarioError:
        pass


@st.composite
def scenarios(draw):
    """Small random scenarios exercising every mechanism of model 2.0: tastes and covariates,
    deposits, reneging and rebuilding, two homes and returns, loans, compensation, demolition
    rules, the budget rule with arrears, stalls and abandonment, developer and township
    financing, collective land and quota sales."""
    n_types = draw(st.integers(1, 4))
    weights = draw(st.lists(st.integers(1, 10), min_size=n_types, max_size=n_types))
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    types = {f"t{i}": {"share": s, "asc": draw(st.floats(-6, 2)),
                       "taste_sd": draw(st.floats(0, 3)),
                       "apartment_share": draw(st.floats(0, 1)),
                       "vulnerable": draw(st.booleans()),
                       "needs_to_build": draw(st.booleans()),
                       "demolish_share": draw(st.floats(0, 1)),
                       "two_homesteads_share": draw(st.floats(0, 1)),
                       "patience_months": {"low": 0, "high": draw(st.integers(0, 30))},
                       "savings_cny": {"median": draw(st.floats(0, 2e5)), "sigma": 0.5},
                       "income_cny_per_year": {"median": draw(st.floats(0, 6e4)),
                                               "sigma": 0.4},
                       "income_shock_sd": draw(st.floats(0, 1))}
             for i, s in enumerate(shares)}
    n_comm = draw(st.integers(1, 2))
    comms = [{"name": f"C{c}",
              "price_cny": {"apartment": draw(st.floats(0, 3e5)),
                            "courtyard": draw(st.floats(0, 4e5))},
              "phases": [
        {"units": {"apartment": draw(st.integers(0, 150)), "courtyard": draw(st.integers(1, 80))},
         "public_cost_cny": draw(st.floats(0, 2e7)),
         "build_months": {"low": 1, "mode": 2, "high": draw(st.integers(2, 12))},
         "earliest_month": draw(st.integers(0, 12)),
         "funding": draw(st.sampled_from(["cash", "committed"])),
         "financing": draw(st.sampled_from(["households", "developer", "township"])),
         "min_registered_share": draw(st.floats(0, 1))}
        for _ in range(draw(st.integers(1, 3)))]} for c in range(n_comm)]
    villages = [{"name": f"V{v}", "households": draw(st.integers(0, 150)),
                 "community": f"C{draw(st.integers(0, n_comm - 1))}",
                 "homestead_mu_per_household": draw(st.floats(0, 3))}
                for v in range(draw(st.integers(1, 5)))]
    if sum(v["households"] for v in villages) == 0:
        villages[0]["households"] = 1
    instruments = [{"name": f"i{k}", "value_cny": draw(st.floats(-1e4, 5e4)),
                    "utility_shift": draw(st.floats(-2, 2)),
                    "credit_cny": draw(st.floats(0, 5e4)),
                    "covers_price": draw(st.booleans()),
                    "cost_once_cny": draw(st.floats(0, 1e4)),
                    "cost_monthly_cny": draw(st.floats(0, 500)),
                    "revenue_monthly_cny": draw(st.floats(0, 500)),
                    "cost_months": draw(st.integers(0, 24)),
                    "field_distance_relief": draw(st.floats(0, 1)),
                    "income_gain_cny_per_year": draw(st.floats(0, 1e4)),
                    "start_month": draw(st.integers(0, 12))}
                   for k in range(draw(st.integers(0, 3)))]
    return {
        "name": "random",
        "run": {"horizon_months": draw(st.integers(1, 48))},
        "household_types": types,
        "villages": villages,
        "communities": comms,
        "government": {"opening_cash_cny": draw(st.floats(0, 5e7)),
                       "borrowing": {"limit_cny": draw(st.floats(0, 5e7)),
                                     "interest_rate_per_year": draw(st.floats(0, 0.2))},
                       "arrears": {"cap_cny": draw(st.floats(0, 2e7)),
                                   "interest_rate_per_year": draw(st.floats(0, 0.2))},
                       "developer": {"credit_limit_cny": draw(st.floats(1e5, 5e7))},
                       "revenues": [{"name": "grant", "amount_cny": draw(st.floats(0, 1e7)),
                                     "every_months": draw(st.integers(1, 12))}],
                       "construction_teams": draw(st.none() | st.integers(1, 3)),
                       "phase_rule": draw(st.sampled_from(
                           ["planner_order", "demand_first", "one_community_at_a_time"])),
                       "stall_limit_months": draw(st.integers(1, 12))},
        "land": {"reclaim_lag_months": draw(st.integers(0, 12)),
                 "collective_use": draw(st.sampled_from(["rent", "forest"])),
                 "dividend_share": draw(st.floats(0, 1)),
                 "quota": {"enabled": draw(st.booleans()),
                           "available_from_month": draw(st.integers(0, 24)),
                           "sale_lag_months": draw(st.integers(0, 12)),
                           "share": draw(st.floats(0, 1))}},
        "behaviour": {"move_lag_months": draw(st.integers(0, 6)),
                      "switch_kind_after_months": draw(st.integers(0, 24)),
                      "renege_slope_per_month2": draw(st.floats(0, 1)),
                      "social_prior_households": draw(st.floats(0, 50))},
        "livelihood": {"return_hazard_worse_per_month": draw(st.floats(0, 0.5)),
                       "return_hazard_base_per_month": draw(st.floats(0, 0.5)),
                       "loan_rate_per_year": draw(st.floats(0, 0.2))},
        "policy": {"registration_opens_month": draw(st.integers(0, 6)),
                   "registration": {"deposit_cny": draw(st.sampled_from([0.0, 5e3, 3e4])),
                                    "deposit_rule": draw(st.sampled_from(["refund", "forfeit"])),
                                    "lead_months": draw(st.integers(0, 24))},
                   "compensation": {"cny_per_m2": draw(st.sampled_from([0.0, 420.0])),
                                    "requires_demolition": draw(st.booleans())},
                   "demolition": {"required": draw(st.booleans()),
                                  "enforcement_share": draw(st.floats(0, 1))},
                   "rebuild_allowed": draw(st.booleans()),
                   "instruments": instruments,
                   "awards": [{"name": "a", "moved_share": draw(st.floats(0.01, 1)),
                               "amount_cny": 1e5}]},
        "strategy": {"priority": draw(st.lists(st.sampled_from(list(types)), unique=True)),
                     "allocation": draw(st.sampled_from(
                         ["priority", "lottery", "registration_order"])),
                     "withdrawal": {"enabled": draw(st.booleans()),
                                    "threshold_share": draw(st.floats(0, 1)),
                                    "decay_per_month": draw(st.floats(0, 1))},
                     "sequence": {"mode": draw(st.sampled_from(["all", "batches"])),
                                  "batch_villages": draw(st.integers(1, 3))}},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_invariants_hold_every_month_on_random_scenarios(data, seed):
    # check=True verifies every invariant after every month and raises if one fails
    r = ruralsim.simulate(data, seed=seed, check=True, keep_model=True)
    ts, m = r.timeseries, r.model
    n = r.summary["households"]
    # every household in exactly one of the six statuses, every month
    assert (ts[[f"n_{s}" for s in STATUS_NAMES]].sum(axis=1) == n).all()
    assert (ts["units_occupied"] == ts["n_moved"] + ts["n_two_homes"]).all()
    assert ts["n_ever_moved"].iloc[-1] == \
        ts["n_moved"].iloc[-1] + ts["n_two_homes"].iloc[-1] + ts["n_returned"].iloc[-1]
    # the township's money: cash identity, arrears are negative cash, gap = debt + arrears
    rev = ts.filter(regex=r"^rev_.*_cny$").sum(axis=1).cumsum()
    exp = ts.filter(regex=r"^exp_.*_cny$").sum(axis=1).cumsum()
    tol = 0.5 + 1e-9 * abs(ts["cash_cny"]).max()
    assert np.allclose(ts["cash_cny"], data["government"]["opening_cash_cny"] + rev - exp,
                       atol=tol)
    np.testing.assert_allclose(ts["arrears_cny"], np.maximum(0.0, -ts["cash_cny"]), atol=tol)
    np.testing.assert_allclose(ts["financing_gap_cny"], ts["debt_cny"] + ts["arrears_cny"],
                               atol=tol)
    deposit = data["policy"]["registration"]["deposit_cny"]
    np.testing.assert_allclose(ts["deposits_held_cny"],
                               deposit * (ts["n_registered"] + ts["n_allocated"]), atol=0.5)
    # the developer's books: what it owes less its cash is what it spent and was charged
    # in interest less what it sold; it spent exactly the housing of its phases
    dev, ph = m.dev, m.ph
    assert dev.debt - dev.cash == pytest.approx(dev.spent + dev.interest_paid - dev.sales,
                                                abs=1.0)
    assert dev.spent == pytest.approx(float(ph.housing_paid_cny[ph.financing == DEVELOPER]
                                            .sum()), abs=1.0)
    # units come only from phases that were completed; an abandoned phase delivers none
    done = ph.state == DONE
    assert ts["units_built_apartment"].iloc[-1] + ts["units_built_courtyard"].iloc[-1] == \
        int(ph.units[done].sum())
    assert (ph.progress[ph.state == ABANDONED] < ph.build_months[ph.state == ABANDONED]).all()
    # land freed is exactly the homesteads of the households that demolished
    dem = m.hh.status == MOVED
    freed = m.vil.homestead_mu(m.hh.village[dem], two_homesteads(m.hh, dem)).sum()
    assert ts["land_freed_mu"].iloc[-1] == pytest.approx(freed, abs=1e-6)
    assert all(math.isfinite(v) for v in ts.select_dtypes("number").to_numpy().ravel())


# ------------------------------------------------------------------ issue 11: monotone pull
def _unbound_teaching() -> dict:
    """Teaching with money and construction that never bind: a huge opening cash, unlimited
    teams, committed phases with units for everyone, no phase waiting for registrations."""
    sc = copy.deepcopy(TEACHING)
    sc["government"]["opening_cash_cny"] = 1.0e11
    sc["government"]["construction_teams"] = None
    for c in sc["communities"]:
        for ph in c["phases"]:
            ph.update(funding="committed", min_registered_share=0.0,
                      units={"apartment": 2000, "courtyard": 2000})
    return sc


def _moved_by_month(sc: dict, field: str, value: float, seed: int) -> np.ndarray:
    sc = copy.deepcopy(sc)
    sc["policy"]["instruments"].append({"name": "pull", field: value})
    r = ruralsim.simulate(sc, seed=seed)
    assert r.summary["months_overcommitted"] == 0 and r.summary["phase_months_stalled"] == 0
    return r.timeseries["n_ever_moved"].to_numpy()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), field=st.sampled_from(["utility_shift", "value_cny"]),
       low=st.floats(0, 1), step=st.floats(0.05, 1))
def test_a_stronger_pull_never_lowers_moves_when_money_and_teams_do_not_bind(seed, field, low,
                                                                            step):
    # common random numbers: each household keeps its thresholds, so a higher hazard for all
    # registers no one later; with units, money and teams to spare nothing offsets it
    scale = 1.0 if field == "utility_shift" else 20_000.0
    sc = _unbound_teaching()
    base = _moved_by_month(sc, field, scale * low, seed)
    more = _moved_by_month(sc, field, scale * (low + step), seed)
    assert (more >= base).all(), f"fewer moved in months {np.flatnonzero(more < base)}"
    if step >= 0.5:
        assert more[-1] > base[-1]


def test_when_money_binds_a_larger_subsidy_can_lower_moves_only_through_the_budget():
    # Nanpu's own finances: raising the cash subsidy from 2,000 to 20,000 CNY a mover spends
    # the money phases wait for (a 'cash' phase starts only when cash and credit cover it) and
    # pushes the township to its arrears cap, where it accepts no registrations and defers
    # household payments. Any month with fewer households moved must come with one of these
    # documented channels (issue 11): fewer units available by the time that month's movers
    # were allocated (units delivered, plus units freed by households who returned to their
    # old house), or more months overcommitted.
    # (model 2.0's finance: no yearly plan; the plan's channel is tested below)
    def run(value):
        i = [p.name for p in ruralsim.load_scenario("nanpu").model.policy.instruments] \
            .index("cash_or_cement")
        return ruralsim.simulate("nanpu", seed=1, overrides=[
            "government.plan.enabled=false",
            f"policy.instruments.{i}.value_cny={value}",
            f"policy.instruments.{i}.cost_once_cny={value}"])
    low, high = run(2_000), run(20_000)
    a, b = low.timeseries, high.timeseries
    # (with seed 1 there are such months: month 60, then from month 77 on)
    fewer = np.flatnonzero(b["n_ever_moved"].to_numpy() < a["n_ever_moved"].to_numpy())
    # units built at the end of month t are allocated in month t + 1 (phases); in demand mode
    # (Nanpu) a home is allocated in the month it is finished
    lag = low.scenario.behaviour.move_lag_months + (0 if low.scenario.supply.mode == "demand"
                                                    else 1)
    allocated = np.maximum(fewer - lag, 0)

    def units(ts):
        return (ts["units_built_apartment"] + ts["units_built_courtyard"]
                + ts["n_returned"]).to_numpy()
    over_low, over_high = (np.cumsum(ts["overcommitted"].to_numpy()) for ts in (a, b))
    explained = (units(b)[allocated] < units(a)[allocated]) | (over_high[fewer] > over_low[fewer])
    assert explained.all(), f"months {fewer[~explained]} are not explained"
    cap = high.scenario.government.arrears.cap_cny
    assert high.summary["peak_arrears_cny"] <= 1.5 * cap    # bounded, unlike model 1
