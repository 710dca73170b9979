"""The compiled path (extra ``fast``, numba) and the numpy path give the same numbers; the
waiting list with lazy deletion behaves as a sorted list; batched runs equal single runs."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ruralsim import compiled
from ruralsim.experiments.executors import SerialExecutor, run_all
from ruralsim.model.waiting import WaitingList, sort_key

ROOT = Path(__file__).resolve().parents[1]
HAS_NUMBA = importlib.util.find_spec("numba") is not None
NO_NUMBA = pytest.mark.skipif(not HAS_NUMBA, reason="the extra 'fast' (numba) is absent")
PATHS = ["0", pytest.param("1", marks=NO_NUMBA)]


def _in_process(code: str, compiled_flag: str) -> str:
    env = dict(os.environ, RURALSIM_COMPILED=compiled_flag)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout.strip()


@pytest.mark.parametrize("flag", PATHS)
def test_the_switch_chooses_the_path(flag):
    out = _in_process("from ruralsim import compiled; print(compiled.ENABLED, compiled.PATH)", flag)
    enabled, path = out.split(" ", 1)
    assert enabled == ("True" if flag == "1" else "False")
    assert path.startswith("compiled (numba") if flag == "1" else path == "numpy"


ONE_RUN = ("from ruralsim import compiled; small = compiled.for_one_run(10**6); "
           "big = compiled.for_one_run(10**9); print(small == compiled.PATH, small)")


@NO_NUMBA
def test_one_small_run_takes_the_numpy_path_unless_the_switch_is_set():
    env = {k: v for k, v in os.environ.items() if k != compiled.ENV}
    out = subprocess.run([sys.executable, "-c", ONE_RUN], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.split()
    assert out == ["True", "numpy"]        # too small for the kernels' load time to pay back
    forced = _in_process(ONE_RUN, "1")     # asked for: the compiled path, whatever the size
    assert forced.split(" ", 1)[1].startswith("compiled (numba")
    big = subprocess.run([sys.executable, "-c", "from ruralsim import compiled; "
                          "print(compiled.for_one_run(10**9))"], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert big.startswith("compiled (numba")


DRAWS = """
import hashlib, numpy as np
from ruralsim.rng import Streams, philox4x32
s, h = Streams(11), hashlib.sha256()
some = np.random.default_rng(0).integers(0, 2**40, 3000)
for ids in (np.arange(70_000), some, np.sort(some)):
    h.update(s.uniform("decide", ids, 7).tobytes())
    h.update(s.uniform("decide", ids, np.arange(ids.size) % 300, slot=3).tobytes())
    for w in s.words("x", ids, 5, np.arange(ids.size) % 7): h.update(w.tobytes())
    for w in s.uniform4("init.a", ids): h.update(w.tobytes())
    h.update(s.exponential("e", ids, 2, 1).tobytes())
    h.update(s.uniform_packed("income.shock", ids % 10**6, 12).tobytes())
f = np.full(3, 0xFFFFFFFF, np.uint64)
for w in philox4x32(f, f, f, f, 0xFFFFFFFF, 0xFFFFFFFF): h.update(w.tobytes())
print(h.hexdigest())
"""


@pytest.mark.skipif(not HAS_NUMBA, reason="the extra 'fast' (numba) is absent")
def test_random_draws_are_bit_identical_on_both_paths():
    assert _in_process(DRAWS, "1") == _in_process(DRAWS, "0")


BASELINE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("update", "tests/baselines/update.py")
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
print(json.dumps({"summary": json.loads(json.dumps(mod.current())), "tables": mod.table_hashes()}))
"""


@pytest.mark.parametrize("flag", PATHS)
def test_the_regression_baseline_is_byte_identical_on_each_path(flag):
    out = json.loads(_in_process(BASELINE, flag))
    base = ROOT / "tests" / "baselines"
    assert out["tables"] == json.loads((base / "nanpu_tables.sha256.json").read_text("utf-8"))
    assert out["summary"] == json.loads((base / "nanpu_summary.json").read_text("utf-8"))


# ---------------------------------------------------------------- the waiting list
ops = st.lists(st.tuples(st.sampled_from(["add", "remove", "serve", "serve_some"]),
                         st.integers(0, 2**31)), min_size=1, max_size=40)


@pytest.mark.parametrize("on", [False, pytest.param(True, marks=pytest.mark.skipif(
    not HAS_NUMBA, reason="the extra 'fast' (numba) is absent"))])
@settings(max_examples=60, deadline=None)
@given(steps=ops)
def test_waiting_list_behaves_as_a_sorted_list(on, steps):
    """Adds, removals and serving (with and without an eligibility mask) give what a plain
    sorted list gives, whatever marks and compactions happened in between, on each path."""
    with mock.patch.object(compiled, "ENABLED", on):
        _play(steps)


def _play(steps):
    wl, ref, next_id = WaitingList(), [], 0
    for op, r in steps:
        rng = np.random.default_rng(r)
        if op == "add":
            k = int(rng.integers(1, 30))
            ids = np.arange(next_id, next_id + k)
            next_id += k
            keys = sort_key(rng.integers(0, 4, k), rng.integers(0, 50, k), ids)
            wl.add(ids, keys)
            ref = sorted(ref + keys.tolist())
        elif op == "remove" and ref:
            gone = rng.choice(ref, size=int(rng.integers(1, len(ref) + 1)), replace=False)
            wl.remove(np.asarray(gone, dtype=np.int64))
            ref = [k for k in ref if k not in set(gone.tolist())]
        elif op.startswith("serve"):
            free = rng.integers(0, 6, 4)
            eligible = rng.random(max(next_id, 1)) < 0.6 if op == "serve_some" else None
            got = wl.serve(free, eligible)
            expect, taken = [], {g: 0 for g in range(4)}
            for k in ref:
                g, i = k >> 44, k & ((1 << 26) - 1)
                if taken[g] < free[g] and (eligible is None or eligible[i]):
                    taken[g] += 1
                    expect.append(k)
            assert got.tolist() == [k & ((1 << 26) - 1) for k in expect]
            ref = [k for k in ref if k not in set(expect)]
        assert wl.size == len(ref)
        np.testing.assert_array_equal(wl.group_counts(4),
                                      np.bincount([k >> 44 for k in ref], minlength=4)[:4])
    assert wl.key.tolist() == ref


# ---------------------------------------------------------------- batches of runs
def _square(x):
    return x * x


def test_batched_tasks_return_every_result_once():
    seen = []
    out = run_all(SerialExecutor(), _square, range(10), on_result=seen.append, batch=3)
    assert sorted(out) == [x * x for x in range(10)] == sorted(seen)


def test_replications_in_batches_on_a_pool_equal_serial_ones():
    from ruralsim.experiments import make_executor, replicate

    serial = replicate("teaching", reps=16, seed=2, columns=("n_moved",))
    with make_executor(2, oversubscribe=True) as ex:   # 16 runs on 2 workers: batches of 2
        pooled = replicate("teaching", reps=16, seed=2, executor=ex, columns=("n_moved",))
    import pandas as pd

    pd.testing.assert_frame_equal(serial.summary, pooled.summary)
    pd.testing.assert_frame_equal(serial.timeseries, pooled.timeseries)


def test_warm_up_runs_on_the_active_path():
    compiled.warm_up()     # compiles or loads every kernel; a no-op on the numpy path
    assert compiled.PATH == ("numpy" if not compiled.ENABLED else
                             f"compiled (numba {compiled.NUMBA_VERSION})")


@pytest.mark.skipif(not HAS_NUMBA, reason="the extra 'fast' (numba) is absent")
@pytest.mark.parametrize("cross", [0.0, 0.3])
def test_exposure_to_ties_is_the_same_on_both_paths(cross):
    from ruralsim.model.influence import Ties

    rng = np.random.default_rng(4)
    n, V = 5_000, 40
    village = np.sort(rng.integers(0, V, n))
    kin = village * 10 + rng.integers(0, 10, n)
    ties = Ties(village, kin, rng.random(n) < 0.05, rng.integers(0, 4, V), 1.0, 0.3, 3.0, cross)
    s = rng.choice([0.0, 0.5, 1.0], n)
    idx = rng.choice(n, 800, replace=False)
    with mock.patch.object(compiled, "ENABLED", False):
        e0, p0 = ties.exposure(s, idx)
    e1, p1 = ties.exposure(s, idx)
    np.testing.assert_array_equal(e0, e1)
    for name in p0:
        np.testing.assert_array_equal(p0[name], p1[name])


@pytest.mark.parametrize("cross", [0.0, 0.3])
def test_exposure_to_status_codes_is_the_exposure_to_their_states(cross):
    """The status-code form (read in the kernel on the compiled path) gives the same numbers,
    to the bit, as the exposure to the states the codes show, on both paths."""
    from ruralsim.model.influence import Ties, tie_states

    rng = np.random.default_rng(7)
    n, V = 4_000, 30
    village = np.sort(rng.integers(0, V, n))
    kin = village * 8 + rng.integers(0, 8, n)
    ties = Ties(village, kin, rng.random(n) < 0.1, rng.integers(0, 3, V), 1.0, 0.4, 2.5, cross)
    status = rng.integers(0, 6, n).astype(np.int8)
    idx = rng.choice(n, 900, replace=False)
    paths = [False, True] if HAS_NUMBA else [False]
    for enabled in paths:
        with mock.patch.object(compiled, "ENABLED", enabled and compiled.ENABLED):
            e0, p0 = ties.exposure(tie_states(status, 0.3), idx)
            e1, p1 = ties.exposure_of_status(status, 0.3, idx)
        np.testing.assert_array_equal(e0, e1)
        for name in p0:
            np.testing.assert_array_equal(p0[name], p1[name])


@pytest.mark.parametrize("weights", [(0.5, 5.0), (0.5, 2.5), (0.3, 2.5)])
def test_ties_kept_up_to_date_equal_the_sums_anew(weights):
    """Sums of the ties' states kept up to date month by month as status codes change (when
    exact: registered_weight and w_bellwether make multiples of one power of two) give the
    same exposure, to the bit, as summing every household anew, on both paths."""
    from ruralsim.model.influence import Ties, tie_states

    rw, wb = weights
    rng = np.random.default_rng(11)
    n, V = 3_001, 25          # not a multiple of 8: the last codes are compared one by one
    village = np.sort(rng.integers(0, V, n))
    kin = village * 6 + rng.integers(0, 6, n)
    if rw != 0.5:   # kin groups across villages too (no table of denominators)
        kin = rng.integers(0, 60, n)
    paths = [False, True] if HAS_NUMBA else [False]
    for enabled in paths:
        with mock.patch.object(compiled, "ENABLED", enabled and compiled.ENABLED):
            ties = Ties(village, kin, rng.random(n) < 0.1, rng.integers(0, 3, V), 1.0, 0.4, wb,
                        0.2)
            assert ties.exact(np.array([0.0, rw, 1.0])) == (rw == 0.5)
            status = np.zeros(n, dtype=np.int8)
            for month in range(6):
                change = rng.choice(n, 200, replace=False)
                status[change] = rng.integers(0, 6, change.size)
                idx = rng.choice(n, 700, replace=False)
                e1, p1 = ties.exposure_of_status(status, rw, idx)
                e1, p1 = e1.copy(), {k: v.copy() for k, v in p1.items()}
                e0, p0 = ties.exposure(tie_states(status, rw), idx)
                np.testing.assert_array_equal(e0, e1)
                for name in p0:
                    np.testing.assert_array_equal(p0[name], p1[name])
                alive = rng.random(idx.size) < 0.8   # the parts of the flagged entries only
                e2, p2 = ties.exposure_observed(idx, alive)
                np.testing.assert_array_equal(e2[alive], e0[alive])
                for name in p0:
                    np.testing.assert_array_equal(p2[name], p0[name][alive])


@NO_NUMBA
def test_the_compiled_sum_is_numpys_sum():
    """The compiled kernels sum as numpy does (pairwise, leaves of 128 in eight lanes): the
    same bits for every length, large ones included."""
    from ruralsim._kernels import pairwise_sum

    rng = np.random.default_rng(5)
    for n in [*range(0, 300), 1_000, 8_191, 8_192, 8_193, 65_537, 433_032]:
        a = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e6], n)
        assert pairwise_sum(a) == a.sum(), n


@NO_NUMBA
@pytest.mark.parametrize("cross", [0.0, 0.3])
def test_the_ties_response_argument_and_sums_equal_the_parts(cross):
    """Ties.response_argument (compiled, no parts kept) gives the argument of tanh and the
    parts' sums over the deciding households, to the bit, as the parts do."""
    from ruralsim.model.influence import Ties

    rng = np.random.default_rng(9)
    n, V = 5_003, 30
    village = np.sort(rng.integers(0, V, n))
    kin = village * 7 + rng.integers(0, 7, n)
    ties = Ties(village, kin, rng.random(n) < 0.1, rng.integers(0, 3, V), 1.0, 0.4, 5.0, cross)
    ties.observe(rng.integers(0, 6, n).astype(np.int8), 0.5)
    theta = rng.random(n)
    for size in (5, 129, 4_000):
        idx = np.sort(rng.choice(n, size, replace=False))
        alive = rng.random(size) < 0.9
        arg, sums, k = ties.response_argument(idx, alive, theta, 0.1)
        e, parts = ties.exposure_observed(idx, alive)
        assert k == int(alive.sum())
        assert sums.tolist() == [parts[s].sum() for s in parts]
        expect = (e[alive] - theta[idx[alive]]) / 0.1 * 0.5
        np.testing.assert_array_equal(arg[alive], expect)
