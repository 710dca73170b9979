"""Refresh the regression baseline of the Nanpu run: its summary
(tests/baselines/nanpu_summary.json) and the sha256 of its monthly time series and village
table as CSV (tests/baselines/nanpu_tables.sha256.json).

    python tests/baselines/update.py

Run it only when a change is meant to move the model's results, and say so in the commit
message (what moved and why); tests/test_trust.py fails until then.  The hashes make "the
time series stays byte-identical" a tested promise: a refactoring or a speed-up must leave
every number of every month as it was.
"""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import ruralsim

PATH = Path(__file__).with_name("nanpu_summary.json")
TABLES = Path(__file__).with_name("nanpu_tables.sha256.json")
SEED = 20040101


@lru_cache(maxsize=1)
def _run():
    return ruralsim.simulate("nanpu", seed=SEED)


def current() -> dict:
    s = _run().summary
    return {k: v for k, v in s.items() if k not in ("version",)}


def table_hashes() -> dict:
    """sha256 of the time series and the village table, written as CSV without the index."""
    r = _run()
    return {name: hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
            for name, frame in (("timeseries", r.timeseries), ("villages", r.villages))}


if __name__ == "__main__":
    PATH.write_text(json.dumps(current(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    TABLES.write_text(json.dumps(table_hashes(), indent=2, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"wrote {PATH} and {TABLES}")
