"""The waiting list: registered households, allocation of free units, giving up.

Pure array functions and one small container; nothing here knows about SimPy.

A registration is a commitment with a price (an optional deposit) that can be withdrawn:
each registered household has a patience drawn once; beyond it, its hazard of leaving the
list grows linearly with the wait (:func:`ruralsim.model.decisions.renege_wait` gives the month it
leaves if it is still waiting then).  Free units of a community go to its waiting list by the
strategy's rule: the priority list (then registration month), a lottery ticket drawn at
registration, or registration order.

The list is kept sorted by one 64-bit key per household, ``(group, rule key, id)``, where
``group = community × 2 + kind``.  Serving ``k`` free units of a group is then taking the
first ``k`` entries of its block, and registrations are merged in, never sorted anew.

Example:
    >>> wl = WaitingList()
    >>> wl.add(np.array([5, 6, 7]), sort_key(np.array([0, 0, 1]), np.array([2, 1, 0]),
    ...                                    np.array([5, 6, 7])))
    >>> wl.serve(np.array([1, 0, 0, 0])).tolist()   # one unit in group 0: rule key 1 first
    [6]
"""
from __future__ import annotations

import numpy as np

from .state import KINDS

#: Bits of the sort key: group (20) | rule key (18) | household id (26).
ID_BITS, RULE_BITS, GROUP_BITS = 26, 18, 19
MAX_HOUSEHOLDS = 1 << ID_BITS
MAX_GROUPS = 1 << GROUP_BITS
_ID_MASK = np.int64(MAX_HOUSEHOLDS - 1)


def sort_key(group: np.ndarray, rule_key: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The 64-bit sort key of waiting households (``rule_key`` < 2**18, ids < 2**26)."""
    return ((group.astype(np.int64) << (RULE_BITS + ID_BITS))
            | (rule_key.astype(np.int64) << ID_BITS) | ids.astype(np.int64))


def rule_key(rule: str, rank: np.ndarray, month_registered: np.ndarray,
             ticket: np.ndarray | None) -> np.ndarray:
    """The part of the sort key set by the strategy's allocation rule.

    ``priority``: type rank (7 bits), then registration month (11 bits); ``lottery``: a ticket
    drawn at registration (18 bits); ``registration_order``: registration month.
    """
    if rule == "priority":
        return (rank.astype(np.int64) << 11) | month_registered.astype(np.int64)
    if rule == "lottery":
        assert ticket is not None
        return (ticket * (1 << RULE_BITS)).astype(np.int64)
    return month_registered.astype(np.int64)


class WaitingList:
    """Registered households, sorted by their allocation key."""

    def __init__(self) -> None:
        self.key = np.zeros(0, dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.key.size)

    @property
    def ids(self) -> np.ndarray:
        return self.key & _ID_MASK

    @property
    def group(self) -> np.ndarray:
        return self.key >> (RULE_BITS + ID_BITS)

    def add(self, ids: np.ndarray, keys: np.ndarray) -> None:
        """Merge households with sort keys ``keys`` into the list."""
        if keys.size == 0:
            return
        keys = np.sort(keys)
        self.key = np.insert(self.key, np.searchsorted(self.key, keys), keys)

    def remove(self, keys: np.ndarray) -> None:
        """Remove the households with sort keys ``keys`` (all must be on the list)."""
        if keys.size == 0:
            return
        pos = np.searchsorted(self.key, keys)
        self.key = np.delete(self.key, pos)

    def serve(self, free: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
        """Take the first ``free[g]`` households of each group ``g``; returns their ids.

        ``eligible`` (a mask over household ids) skips households that may not be served yet
        (their village has not consented); they keep their place.
        """
        groups = np.flatnonzero(free > 0)
        if groups.size == 0 or self.key.size == 0:
            return np.zeros(0, dtype=np.int64)
        shift = RULE_BITS + ID_BITS
        lo = np.searchsorted(self.key, groups.astype(np.int64) << shift)
        hi = np.searchsorted(self.key, (groups.astype(np.int64) + 1) << shift)
        if eligible is None:
            take = np.minimum(hi - lo, free[groups])
            if not take.any():
                return np.zeros(0, dtype=np.int64)
            pos = np.concatenate([np.arange(a, a + k) for a, k in zip(lo, take) if k > 0])
        else:
            blocks = [np.arange(a, b) for a, b in zip(lo, hi) if b > a]
            if not blocks:
                return np.zeros(0, dtype=np.int64)
            pos = np.concatenate(blocks)
            g = np.repeat(groups[hi > lo], (hi - lo)[hi > lo])
            ok = eligible[self.key[pos] & _ID_MASK]
            rank = np.cumsum(ok) - 1
            first = np.searchsorted(g, g, side="left")          # start of each group's run
            before = np.where(first > 0, np.cumsum(ok)[np.maximum(first - 1, 0)], 0)
            before = np.where(first > 0, before, 0)
            pos = pos[ok & ((rank - before) < free[g])]
            if pos.size == 0:
                return np.zeros(0, dtype=np.int64)
        served = self.key[pos]
        self.key = np.delete(self.key, pos)
        return served & _ID_MASK


def switch_groups(group: np.ndarray, waited: np.ndarray, free: np.ndarray,
                  after_months: int) -> np.ndarray:
    """Mask of waiting households that take the other kind: they waited ``after_months``
    for a sold-out kind while the other kind of their community is free.

    Groups are ``community × 2 + kind``; the other kind of the same community is ``group ^ 1``.
    """
    other = np.arange(free.size) ^ 1
    switchable = (free <= 0) & (free[other] > 0)
    return switchable[group] & (waited >= after_months)


class WaitKeys:
    """Sort keys of waiting households: (community × kind, the allocation rule's key, id).

    A lottery ticket is drawn at registration, keyed by its month (stream ``lottery``).
    """

    def __init__(self, rule: str, streams, hh, village_community: np.ndarray,
                 rank: np.ndarray) -> None:
        self.rule, self.streams, self.hh, self.community, self.rank = \
            rule, streams, hh, village_community, rank

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        hh = self.hh
        ticket = None
        if self.rule == "lottery":
            ticket = self.streams.uniform("lottery", ids, hh.month_registered[ids])
        group = self.community[hh.village[ids]].astype(np.int64) * len(KINDS) + hh.kind[ids]
        return sort_key(group, rule_key(self.rule, self.rank[hh.htype[ids]],
                                        hh.month_registered[ids], ticket), ids)
