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
first ``k`` entries of its block, and registrations are merged in, never sorted anew;
households leaving are marked, not cut out (no event moves the whole list).

Example:
    >>> wl = WaitingList()
    >>> wl.add(np.array([5, 6, 7]), sort_key(np.array([0, 0, 1]), np.array([2, 1, 0]),
    ...                                    np.array([5, 6, 7])))
    >>> wl.serve(np.array([1, 0, 0, 0])).tolist()   # one unit in group 0: rule key 1 first
    [6]
"""
from __future__ import annotations

import numpy as np

from .. import compiled as _c
from .state import KINDS

#: Bits of the sort key: group (20) | rule key (18) | household id (26).
ID_BITS, RULE_BITS, GROUP_BITS = 26, 18, 19
MAX_HOUSEHOLDS = 1 << ID_BITS
MAX_GROUPS = 1 << GROUP_BITS
_ID_MASK = np.int64(MAX_HOUSEHOLDS - 1)
#: Compact the list once this share of its entries is marked as gone.
COMPACT_AT = 0.25


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
    """Registered households, sorted by their allocation key.

    Keys live in one sorted array with lazy deletion: a household that leaves (gives up,
    switches kind, is served) is only marked, so no event moves the whole list; registrations
    are merged in one pass that also drops the marked entries, and the list is compacted when
    a quarter of it is marked.  The number waiting in each group is kept as events happen.
    """

    def __init__(self) -> None:
        self._key = np.zeros(0, dtype=np.int64)
        self._dead = np.zeros(0, dtype=bool)
        self._n_dead = 0
        self.counts = np.zeros(0, dtype=np.int64)   # households waiting, by group

    @property
    def size(self) -> int:
        return int(self._key.size - self._n_dead)

    @property
    def key(self) -> np.ndarray:
        """The sort keys of the households waiting, in order (compacts marked entries)."""
        self._compact()
        return self._key

    @property
    def ids(self) -> np.ndarray:
        return self.key & _ID_MASK

    @property
    def group(self) -> np.ndarray:
        return self.key >> (RULE_BITS + ID_BITS)

    def _compact(self) -> None:
        if self._n_dead:
            self._key = self._key[~self._dead]
            self._dead = np.zeros(self._key.size, dtype=bool)
            self._n_dead = 0

    def _count(self, keys: np.ndarray, sign: int) -> None:
        g = keys >> (RULE_BITS + ID_BITS)
        top = int(g.max()) + 1
        if top > self.counts.size:
            self.counts = np.concatenate([self.counts, np.zeros(top - self.counts.size, np.int64)])
        self.counts[:top] += sign * np.bincount(g, minlength=top)

    def group_counts(self, n_groups: int) -> np.ndarray:
        """Households waiting in each of ``n_groups`` groups (kept up to date, no scan)."""
        out = np.zeros(n_groups, dtype=np.int64)
        k = min(n_groups, self.counts.size)
        out[:k] = self.counts[:k]
        return out

    def add(self, ids: np.ndarray, keys: np.ndarray) -> None:
        """Merge households with sort keys ``keys`` into the list (one pass)."""
        if keys.size == 0:
            return
        keys = np.sort(keys)
        alive = self._key[~self._dead] if self._n_dead else self._key
        if _c.ENABLED:
            self._key = _c.merge_sorted(alive, keys)
        else:
            self._key = np.insert(alive, np.searchsorted(alive, keys), keys)
        self._dead = np.zeros(self._key.size, dtype=bool)
        self._n_dead = 0
        self._count(keys, 1)

    def _drop(self, pos: np.ndarray) -> None:
        """Mark entries at positions ``pos`` as gone; compact once a quarter is marked."""
        self._dead[pos] = True
        self._n_dead += int(pos.size)
        self._count(self._key[pos], -1)
        if self._n_dead > COMPACT_AT * self._key.size:
            self._compact()

    def remove(self, keys: np.ndarray) -> None:
        """Remove the households with sort keys ``keys`` (all must be on the list)."""
        if keys.size == 0:
            return
        self._drop(np.searchsorted(self._key, keys))

    def change_kind(self, at: np.ndarray, kind: np.ndarray, keys) -> None:
        """The households at the list's positions flagged in ``at`` take the other unit kind
        (``kind``: the households' kind array, changed in place) and are re-keyed by ``keys``
        (:class:`WaitKeys`) into their new group."""
        if not at.any():
            return
        ids = self.ids[at]
        self.remove(self.key[at])
        kind[ids] ^= 1
        self.add(ids, keys(ids))

    def serve(self, free: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
        """Take the first ``free[g]`` households of each group ``g``; returns their ids.

        ``eligible`` (a mask over household ids) skips households that may not be served yet
        (their village has not consented); they keep their place.
        """
        groups = np.flatnonzero(free > 0)
        if groups.size == 0 or self.size == 0:
            return np.zeros(0, dtype=np.int64)
        key, dead = self._key, self._dead
        shift = RULE_BITS + ID_BITS
        lo = np.searchsorted(key, groups.astype(np.int64) << shift)
        hi = np.searchsorted(key, (groups.astype(np.int64) + 1) << shift)
        parts = []
        for a, b, k in zip(lo.tolist(), hi.tolist(), free[groups].tolist()):
            # walk the group's block in windows until k households are found: the cost grows
            # with what is taken and what is skipped, not with the list
            want, start = int(k), a
            width = max(2 * want, 64)
            while want > 0 and start < b:
                stop = min(b, start + width)
                pos = np.arange(start, stop)
                ok = ~dead[start:stop]
                if eligible is not None:
                    ok &= eligible[key[start:stop] & _ID_MASK]
                pos = pos[ok][:want]
                parts.append(pos)
                want -= pos.size
                start, width = stop, 2 * width
        if not parts:
            return np.zeros(0, dtype=np.int64)
        pos = np.concatenate(parts)
        if pos.size == 0:
            return np.zeros(0, dtype=np.int64)
        served = key[pos]
        self._drop(pos)
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
