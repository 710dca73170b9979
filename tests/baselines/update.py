"""Refresh the regression baseline of the Nanpu summary (tests/baselines/nanpu_summary.json).

    python tests/baselines/update.py

Run it only when a change is meant to move the model's results, and say so in the commit
message (what moved and why); tests/test_trust.py fails until then.
"""
import json
from pathlib import Path

import ruralsim

PATH = Path(__file__).with_name("nanpu_summary.json")
SEED = 20040101


def current() -> dict:
    s = ruralsim.simulate("nanpu", seed=SEED).summary
    return {k: v for k, v in s.items() if k not in ("version",)}


if __name__ == "__main__":
    PATH.write_text(json.dumps(current(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    print(f"wrote {PATH}")
