"""Named streams: reproducible, indexed by household id (common random numbers)."""
import os
import subprocess
import sys

import numpy as np

from ruralsim.rng import Streams, seed_label, spawn_seeds


def test_draws_depend_on_id_not_on_who_else_is_drawn():
    s = Streams(11)
    all_ids = s.uniform("decide", np.arange(1000), 7)
    some = np.array([3, 500, 999])
    np.testing.assert_array_equal(s.uniform("decide", some, 7), all_ids[some])


def test_streams_months_and_seeds_are_distinct():
    ids = np.arange(10_000)
    a = Streams(1).uniform("decide", ids, 1)
    assert abs(np.corrcoef(a, Streams(1).uniform("decide", ids, 2))[0, 1]) < 0.05
    assert abs(np.corrcoef(a, Streams(1).uniform("other", ids, 1))[0, 1]) < 0.05
    assert abs(np.corrcoef(a, Streams(2).uniform("decide", ids, 1))[0, 1]) < 0.05
    assert ((a > 0) & (a < 1)).all()
    assert abs(a.mean() - 0.5) < 0.01


def test_spawned_replication_seeds_differ_and_are_labelled():
    kids = spawn_seeds(5, 3)
    draws = [Streams(k).uniform("x", np.arange(100)) for k in kids]
    assert not np.array_equal(draws[0], draws[1])
    assert seed_label(kids[1]) == "5/1"
    np.testing.assert_array_equal(draws[2], Streams(spawn_seeds(5, 3)[2]).uniform("x", np.arange(100)))


def test_same_draws_in_another_process_with_another_hash_seed():
    code = ("from ruralsim.rng import Streams; import numpy as np; "
            "print(Streams(3).uniform('decide', np.arange(5), 9).tolist())")
    outs = []
    for hs in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                   text=True, check=True).stdout)
    assert outs[0] == outs[1]
    assert outs[0].strip() == str(Streams(3).uniform("decide", np.arange(5), 9).tolist())
