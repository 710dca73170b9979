"""Property-based tests: the loader never fails but with ScenarioError, and every invariant
holds every month on whole runs of random valid scenarios."""
import copy
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim.scenario.yamlio import read_yaml_text

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
    n_types = draw(st.integers(1, 4))
    weights = draw(st.lists(st.integers(1, 10), min_size=n_types, max_size=n_types))
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    types = {f"t{i}": {"share": s, "asc": draw(st.floats(-6, 2)),
                       "apartment_share": draw(st.floats(0, 1)),
                       "vulnerable": draw(st.booleans()),
                       "savings_cny": {"median": draw(st.floats(0, 2e5)), "sigma": 0.5}}
             for i, s in enumerate(shares)}
    n_comm = draw(st.integers(1, 2))
    comms = [{"name": f"C{c}", "phases": [
        {"units": {"apartment": draw(st.integers(0, 150)), "courtyard": draw(st.integers(1, 80))},
         "public_cost_cny": draw(st.floats(0, 2e7)),
         "build_months": {"low": 1, "mode": 2, "high": draw(st.integers(2, 12))},
         "funding": draw(st.sampled_from(["cash", "committed"])),
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
                    "start_month": draw(st.integers(0, 12))}
                   for k in range(draw(st.integers(0, 3)))]
    return {
        "name": "random",
        "run": {"horizon_months": draw(st.integers(1, 48))},
        "household_types": types,
        "villages": villages,
        "communities": comms,
        "government": {"opening_cash_cny": draw(st.floats(0, 5e7)),
                       "borrowing": {"limit_cny": draw(st.floats(0, 5e7))},
                       "construction_teams": draw(st.none() | st.integers(1, 3))},
        "land": {"reclaim_lag_months": draw(st.integers(0, 12)),
                 "quota_sale_lag_months": draw(st.integers(0, 12)),
                 "quota_share": draw(st.floats(0, 1))},
        "behaviour": {"move_lag_months": draw(st.integers(0, 6)),
                      "switch_kind_after_months": draw(st.integers(0, 24))},
        "policy": {"registration_opens_month": draw(st.integers(0, 6)),
                   "instruments": instruments,
                   "awards": [{"name": "a", "moved_share": draw(st.floats(0.01, 1)),
                               "amount_cny": 1e5}]},
        "strategy": {"priority": draw(st.lists(st.sampled_from(list(types)), unique=True)),
                     "withdrawal": {"enabled": draw(st.booleans()),
                                    "threshold_share": draw(st.floats(0, 1)),
                                    "decay_per_month": draw(st.floats(0, 1))},
                     "sequence": {"mode": draw(st.sampled_from(["all", "batches"])),
                                  "batch_villages": draw(st.integers(1, 3))}},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32))
def test_invariants_hold_every_month_on_random_scenarios(data, seed):
    # check=True verifies every invariant after every month and raises if one fails
    r = ruralsim.simulate(data, seed=seed, check=True)
    ts = r.timeseries
    n = r.summary["households"]
    statuses = ["n_in_village", "n_stranded", "n_registered", "n_allocated", "n_moved"]
    assert (ts[statuses].sum(axis=1) == n).all()
    rev = ts.filter(regex=r"^rev_.*_cny$").sum(axis=1).cumsum()
    exp = ts.filter(regex=r"^exp_.*_cny$").sum(axis=1).cumsum()
    assert np.allclose(ts["cash_cny"], data["government"]["opening_cash_cny"] + rev - exp,
                       atol=0.5 + 1e-9 * abs(ts["cash_cny"]).max())
    assert (ts["units_occupied"] <= ts["units_built_apartment"] + ts["units_built_courtyard"]).all()
    assert all(math.isfinite(v) for v in ts.select_dtypes("number").to_numpy().ravel())
