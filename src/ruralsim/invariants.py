"""Model invariants (DESIGN.md §5), checked every month with ``check=True`` / ``--check``.

Each check returns human-readable problems; an empty list means all hold.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import MOVED, PRESENT, STATUS_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Model

#: Tolerance for money identities, in yuan (float sums over many months).
CASH_TOLERANCE_CNY = 0.5
LAND_TOLERANCE_MU = 1e-6


def check_model(m: "Model", t: int) -> list[str]:
    """All invariants of month ``t`` (after the month's record was written)."""
    hh, vil, com, rec = m.hh, m.vil, m.com, m.rec
    out: list[str] = []
    recount = np.bincount(hh.htype.astype(np.int64) * len(STATUS_NAMES) + hh.status,
                          minlength=m.counts.size).reshape(m.counts.shape)
    if not np.array_equal(recount, m.counts):
        out.append("status counts by type do not match the households")
    if m.counts.sum() != hh.n or not np.isin(hh.status, np.arange(len(STATUS_NAMES))).all():
        out.append("not every household is in exactly one status")
    present = np.bincount(hh.village, weights=np.isin(hh.status, PRESENT), minlength=vil.n)
    if not np.array_equal(present.astype(np.int64), vil.n_present):
        out.append("village present counts do not match the households")
    if not np.array_equal(m.present_vt.sum(axis=1), vil.n_present):
        out.append("present households by village and type do not add up")
    if (com.allocated + com.occupied > com.built).any():
        out.append("more units allocated or occupied than built")
    if (com.occupied != np.bincount(
            vil.community[hh.village[hh.status == MOVED]].astype(np.int64) * com.built.shape[1]
            + hh.kind[hh.status == MOVED], minlength=com.built.size).reshape(com.built.shape)).any():
        out.append("occupied units do not match moved households")
    land0 = vil.land0_mu
    land_now = vil.n_present * vil.homestead_mu_ph + vil.land_freed_mu
    if not np.allclose(land_now, land0, atol=LAND_TOLERANCE_MU, rtol=1e-9):
        out.append("land not conserved: occupied + freed != initial homestead land")
    if (vil.land_reclaimed_mu > vil.land_freed_mu + LAND_TOLERANCE_MU).any():
        out.append("more land reclaimed than freed")
    c = rec.cols
    cash = (m.sc.government.opening_cash_cny
            + sum(c[n][: t + 1].sum() for n in rec.rev_lines)
            - sum(c[n][: t + 1].sum() for n in rec.exp_lines))
    if abs(cash - c["cash_cny"][t]) > CASH_TOLERANCE_CNY:
        out.append(f"cash {c['cash_cny'][t]:.2f} != opening + revenues - expenditures {cash:.2f}")
    for name, arr in c.items():
        if (name.startswith(("n_", "units_", "land_", "rev_", "exp_", "debt"))
                and arr[t] < -1e-6):
            out.append(f"negative stock {name} = {arr[t]}")
    if m.debt > m.sc.government.borrowing.limit_cny + 1e-6:
        out.append("debt above the borrowing limit")
    if ((vil.service < -1e-12) | (vil.service > 1 + 1e-12)).any():
        out.append("service level outside [0, 1]")
    return out
