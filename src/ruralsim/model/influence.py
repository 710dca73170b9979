"""Influence by ties (``behaviour.influence.mode: ties``).

Each household has ties to every other household of its village: to its close-kin group
(weight ``w_kin``) and to the rest of the village (``w_neighbour``); a tie to a bellwether (a
cadre or party member, or a household of a bellwether type) weighs ``w_bellwether`` times more.
Its exposure is the weighted share of its ties who moved (a registered tie counts
``registered_weight``):

    exposure_i = Σ_j a_ij s_j / Σ_j a_ij,   a_ij = (w_kin if j in i's kin group else
                 w_neighbour) × (w_bellwether if j is a bellwether else 1),  j ≠ i

and its social term is a threshold response (Granovetter 1978), with its own threshold θ_i,
measured from no exposure (no tie moved, no pull, as under the anonymous shares):

    term_i = b_social × [F((exposure_i − θ_i) / width) − F(−θ_i / width)],   F logistic.

Sums are bincounts by village and by kin group, so a month costs a few passes over the
households.  With ``cross_village`` the other villages of one's community add ties of weight
``w_neighbour × cross_village_weight``.  The exposure is split by source (kin, neighbours,
bellwethers, other villages) for the outputs.

>>> g = kin_groups(np.array([0, 0, 0, 1, 1]), np.array([0.9, 0.1, 0.9, 0.9, 0.9]), 2.0)
>>> g.tolist()   # a new group where u < 1/mean, and at each village's first household
[0, 1, 1, 2, 2]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import compiled as _c
from .state import ALLOCATED, MOVED, REGISTERED, RETURNED, TWO_HOMES

SOURCES = ("kin", "neighbours", "bellwethers", "other_villages")
_ALL = np.zeros(0, dtype=bool)   # tie_parts: every row
#: Households whose ties' exposure the numpy path computes at once (bounds working arrays).
_CHUNK = 1 << 16


def kin_groups(village: np.ndarray, u: np.ndarray, mean_size: float) -> np.ndarray:
    """Close-kin group of each household: runs of households of a village in id order, a new
    group starting with probability 1/mean_size (geometric sizes of that mean, cut at the
    village's end).  Group ids are 0..G−1."""
    n = village.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(village, kind="stable")
    v = village[order]
    start = np.r_[True, v[1:] != v[:-1]] | (u[order] < 1.0 / mean_size)
    g = np.empty(n, dtype=np.int64)
    g[order] = np.cumsum(start) - 1
    return g


def bellwethers(htype: np.ndarray, type_is_bellwether: np.ndarray, u: np.ndarray,
                cadre_share: float) -> np.ndarray:
    """Bellwether flag: a household of a bellwether type, or a cadre/party member (u < share).

    >>> bellwethers(np.array([0, 1, 1]), np.array([True, False]), np.array([0.9, 0.01, 0.9]),
    ...             0.05).tolist()
    [True, True, False]
    """
    return type_is_bellwether[htype] | (u < cadre_share)


def thresholds(z: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Thresholds θ = mean + sd z, clipped to [0, 1] (z standard normal)."""
    return np.clip(mean + sd * z, 0.0, 1.0)


def response(exposure: np.ndarray, theta: np.ndarray, width: float) -> np.ndarray:
    """The threshold response F((exposure − θ) / width), F logistic, in (0, 1).

    >>> response(np.array([0.25, 1.0]), np.array([0.25, 0.25]), 0.1).round(3).tolist()
    [0.5, 0.999]
    """
    x = np.subtract(exposure, theta, dtype=np.float64)
    x /= width
    x *= 0.5
    np.tanh(x, out=x)
    x += 1.0
    x *= 0.5
    return x


@dataclass
class Ties:
    """The tie structure of a run (fixed): village, kin group, bellwether flag, community."""

    village: np.ndarray
    kin: np.ndarray
    bell: np.ndarray
    community_of_village: np.ndarray
    w_kin: float
    w_neighbour: float
    w_bellwether: float
    cross_weight: float = 0.0

    def __post_init__(self) -> None:
        small = self.village.size < 2**31   # indices as int32: half the memory to read
        self.village = np.asarray(self.village, dtype=np.int32 if small else np.int64)
        self.kin = np.asarray(self.kin, dtype=np.int32 if small else np.int64)
        self.community_of_village = np.asarray(self.community_of_village, dtype=np.int64)
        self.n_villages = self.community_of_village.size
        self.n_kin = int(self.kin.max()) + 1 if self.kin.size else 0
        self.n_comm = int(self.community_of_village.max()) + 1 if self.n_villages else 0
        m = self.multiplier()
        self.Mv = np.bincount(self.village, weights=m, minlength=self.n_villages)
        self.Mk = np.bincount(self.kin, weights=m, minlength=self.n_kin)
        self.Mc = np.bincount(self.community_of_village, weights=self.Mv, minlength=self.n_comm)
        self._split: tuple | None = None   # numpy path: the ties by bellwether (_numpy)
        # observe(): the status codes seen, what each code shows, the sums of the ties'
        # states by village and kin group (bellwethers apart) and whether they are exact
        self._seen: np.ndarray | None = None
        self._shows: np.ndarray | None = None
        self._sums: tuple[np.ndarray, ...] | None = None
        self._exact = False
        self._denom_kb: np.ndarray | bool | None = None   # _denominators(), once

    def multiplier(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The weight multiplier of households ``rows`` as ties: ``w_bellwether`` for a
        bellwether, else 1 (made when needed, not kept: 8 bytes a household)."""
        return np.where(self.bell[rows], self.w_bellwether, 1.0)

    def exact(self, shows: np.ndarray) -> bool:
        """Whether every sum of the ties' weighted states is exact in float64 whatever the
        order of its terms: each weighted state (``w_bellwether × s`` or ``s``) is a multiple
        of one power of two ``q`` and ``households × max |term| / q`` stays below 2**53, so
        that every partial sum is a representable multiple of ``q``.  Then the sums can be
        kept up to date household by household as codes change (:meth:`observe`) and are
        the same bits as the sums over all households (e.g. ``registered_weight`` 0.5 and
        ``w_bellwether`` 5, the defaults: multiples of 0.5)."""
        terms = np.concatenate([shows, float(self.w_bellwether) * shows])
        if not np.all(np.isfinite(terms)):
            return False
        top = float(np.abs(terms).max()) * max(1, self.village.size)
        for k in range(0, 40):
            q = np.ldexp(terms, k)    # terms × 2**k, exact
            if np.all(q == np.floor(q)):
                return top * 2.0 ** k < 2.0 ** 53
        return False

    def observe(self, status: np.ndarray, registered_weight: float) -> None:
        """Take the households' status codes as the states their ties show (until the next
        call): the sums by village and kin group are brought up to date from the codes seen
        last, household by household where the codes changed, when the sums are exact
        (:meth:`exact`); otherwise they are summed anew over all households."""
        shows = _shows(registered_weight)
        code = np.minimum(status, shows.size - 1) if status.size and \
            int(status.max()) >= shows.size else status
        fresh = self._sums is None or self._shows is None or \
            not np.array_equal(shows, self._shows)
        if fresh:
            self._shows, self._exact = shows, self.exact(shows)
            self._sums = (np.zeros(self.n_villages), np.zeros(self.n_villages),
                          np.zeros(self.n_kin), np.zeros(self.n_kin))
        if fresh or not self._exact:
            self._seen = np.array(code, dtype=status.dtype, copy=True)
            self._sum_all()
            return
        seen = self._seen
        if _c.ENABLED:   # one-byte codes compared eight at a time, as 64-bit words
            code = np.ascontiguousarray(code)
            nw = code.size // 8 if code.itemsize == 1 and seen.itemsize == 1 else 0
            _c.tie_sums_update(code, seen, code[:8 * nw].view(np.uint64),
                               seen[:8 * nw].view(np.uint64), shows, self.village, self.kin,
                               self.bell, float(self.w_bellwether), *self._sums)
            return
        ch = np.flatnonzero(code != seen)
        if ch.size == 0:
            return
        sv_b, sv_o, sk_b, sk_o = self._sums
        new, old = shows[code[ch]], shows[seen[ch]]
        seen[ch] = code[ch]
        bw = self.bell[ch]
        wb = float(self.w_bellwether)
        d = wb * new[bw] - wb * old[bw]     # each term exact (see exact())
        np.add.at(sv_b, self.village[ch[bw]], d)
        np.add.at(sk_b, self.kin[ch[bw]], d)
        d = new[~bw] - old[~bw]
        np.add.at(sv_o, self.village[ch[~bw]], d)
        np.add.at(sk_o, self.kin[ch[~bw]], d)

    def _sum_all(self) -> None:
        """The sums over all households of the states of the codes seen."""
        if _c.ENABLED:
            _c.tie_sums(self._seen, self._shows, self.village, self.kin, self.bell,
                        float(self.w_bellwether), *self._sums)
            return
        rows_b, rows_o, v_b, v_o, k_b, k_o, m_b = self._split_ties()
        s = self._shows[self._seen]
        ms_b = m_b * s.take(rows_b)   # (m s)[bw]
        ms_o = s.take(rows_o)         # (m s)[~bw]: m is exactly 1 for ordinary households
        for out, (g, w, size) in zip(self._sums, ((v_b, ms_b, self.n_villages),
                                                  (v_o, ms_o, self.n_villages),
                                                  (k_b, ms_b, self.n_kin),
                                                  (k_o, ms_o, self.n_kin))):
            out[:] = np.bincount(g, weights=w, minlength=size)

    def exposure(self, s: np.ndarray, idx: np.ndarray | None = None
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Exposure of households ``idx`` (all if None) to the states ``s`` (0..1, all
        households) of their ties, and its parts by source (summing to the exposure)."""
        if idx is None:
            idx = np.arange(self.village.size)
        if _c.ENABLED:   # household j's state is s[arange[j]]
            return self._compiled(np.arange(self.village.size), s, idx)
        return self._numpy(s, idx)

    def exposure_of_status(self, status: np.ndarray, registered_weight: float,
                           idx: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:meth:`exposure` to the states the households' status codes show
        (:func:`tie_states`): :meth:`observe`, then :meth:`exposure_observed`."""
        self.observe(status, registered_weight)
        return self.exposure_observed(idx)

    def exposure_observed(self, idx: np.ndarray, alive: np.ndarray | None = None
                          ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:meth:`exposure` of households ``idx`` to the states of the codes last observed
        (:meth:`observe`).  With ``alive`` (a flag per entry of ``idx``) the parts are those
        of the flagged entries only, in order, and the exposure of the others is 0.  The
        numpy path works through the households in chunks (per household: the same
        numbers), so that its working arrays stay small."""
        if _c.ENABLED:
            out = np.empty((5, idx.size))
            n = _c.tie_parts(self._seen, self._shows, np.ascontiguousarray(idx, dtype=np.int64),
                             self.village, self.kin, self.bell, float(self.w_bellwether),
                             self.Mv, self.Mk, self.Mc, self.community_of_village, self.n_comm,
                             float(self.w_kin), float(self.w_neighbour),
                             float(self.cross_weight), *self._sums,
                             _ALL if alive is None else alive, out)
            return out[4], dict(zip(SOURCES, out[:4, :n]))
        rows = np.arange(idx.size) if alive is None else np.flatnonzero(alive)
        e = np.zeros(idx.size)
        parts = {s: np.empty(rows.size) for s in SOURCES}
        for a in range(0, rows.size, _CHUNK):
            r = rows[a:a + _CHUNK]
            sub = idx[r]
            total, p = self._numpy_parts(*self._sums, self._shows[self._seen[sub]], sub)
            e[r] = total
            for s in SOURCES:
                parts[s][a:a + _CHUNK] = p[s]
        return e, parts

    def response_argument(self, idx: np.ndarray, alive: np.ndarray, theta: np.ndarray,
                          width: float) -> tuple[np.ndarray, np.ndarray, int]:
        """Compiled path: the argument of tanh in the response of households ``idx`` to the
        codes last observed, ``(exposure − θ) / width × 0.5`` (an exposure of 0 where
        ``alive`` is not set), and the parts of the exposure summed over the entries flagged
        ``alive`` (the same bits as ``parts.sum()`` of :meth:`exposure_observed`), without
        keeping the parts; and how many are flagged."""
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        n = int(np.count_nonzero(alive))
        arg, sums = np.empty(idx.size), np.zeros(len(SOURCES))
        _c.tie_response_sums(self._seen, self._shows, idx, self.village, self.kin, self.bell,
                             float(self.w_bellwether), self.Mv, self.Mk, self.Mc,
                             self.community_of_village, self.n_comm, float(self.w_kin),
                             float(self.w_neighbour), float(self.cross_weight), *self._sums,
                             alive, n, theta, float(width), arg, sums)
        return arg, sums, n

    def _compiled(self, code: np.ndarray, shows: np.ndarray, idx: np.ndarray,
                  out: np.ndarray | None = None):
        """One pass for the sums, one for the households (the same numbers as numpy)."""
        if out is None:
            out = np.empty((5, idx.size))
        _c.tie_exposure(np.ascontiguousarray(code), np.ascontiguousarray(shows, dtype=np.float64),
                        np.ascontiguousarray(idx, dtype=np.int64), self.village, self.kin,
                        self.bell, float(self.w_bellwether), self.Mv, self.Mk, self.Mc,
                        self.community_of_village, self.n_villages, self.n_kin,
                        self.n_comm, float(self.w_kin), float(self.w_neighbour),
                        float(self.cross_weight), out)
        return out[4], dict(zip(SOURCES, out[:4]))

    def _split_ties(self) -> tuple:
        if self._split is None:   # the ties split by bellwether once (they are fixed)
            bw = self.bell
            ix = np.int32 if self.village.dtype == np.int32 else np.int64
            rows_b, rows_o = np.flatnonzero(bw).astype(ix), np.flatnonzero(~bw).astype(ix)
            self._split = (rows_b, rows_o, self.village[rows_b], self.village[rows_o],
                           self.kin[rows_b], self.kin[rows_o], self.multiplier(rows_b))
        return self._split

    def _numpy(self, s: np.ndarray, idx: np.ndarray):
        rows_b, rows_o, v_b, v_o, k_b, k_o, m_b = self._split_ties()
        ms_b = m_b * s.take(rows_b)   # (m s)[bw]
        ms_o = s.take(rows_o)         # (m s)[~bw]: m is exactly 1 for ordinary households
        Sv_b = np.bincount(v_b, weights=ms_b, minlength=self.n_villages)
        Sv_o = np.bincount(v_o, weights=ms_o, minlength=self.n_villages)
        Sk_b = np.bincount(k_b, weights=ms_b, minlength=self.n_kin)
        Sk_o = np.bincount(k_o, weights=ms_o, minlength=self.n_kin)
        return self._numpy_parts(Sv_b, Sv_o, Sk_b, Sk_o, s[idx], idx)

    def _denominator(self, v: np.ndarray, k: np.ndarray, mi: np.ndarray) -> np.ndarray:
        """The weight of a household's ties (fixed): ``wn (Mv − Mk) + wk (Mk − m)`` and, with
        ties to other villages, ``+ cw (Mc − Mv)``, by village ``v``, kin group ``k`` and own
        multiplier ``mi``."""
        wk, wn = self.w_kin, self.w_neighbour
        Mk = self.Mk[k]
        denom = wn * (self.Mv[v] - Mk) + wk * (Mk - mi)
        if self.cross_weight > 0:
            denom = denom + wn * self.cross_weight * (self.Mc[self.community_of_village[v]]
                                                       - self.Mv[v])
        return denom

    def _denominators(self) -> np.ndarray | None:
        """:meth:`_denominator` by kin group and bellwether flag (entry ``2 k + bell``),
        computed once, when a kin group lies in one village (as :func:`kin_groups` makes
        them); else None."""
        if self._denom_kb is None:
            denom = self._denominator(self.village, self.kin, self.multiplier())
            key = 2 * self.kin.astype(np.int64) + self.bell
            table = np.zeros(2 * self.n_kin)
            table[key] = denom
            vil_of = np.full(self.n_kin, -1, dtype=np.int64)
            vil_of[self.kin] = self.village
            one = bool(np.array_equal(vil_of[self.kin], self.village)) and \
                bool(np.array_equal(table[key], denom))
            self._denom_kb = table if one else False
        return self._denom_kb if self._denom_kb is not False else None

    def _numpy_parts(self, Sv_b, Sv_o, Sk_b, Sk_o, si: np.ndarray, idx: np.ndarray):
        """Each household's parts of its exposure from the sums (``si``: its own state), in
        the order of operations of the compiled kernel (each value gathered once)."""
        bi = self.bell[idx]
        v, k = self.village[idx], self.kin[idx]
        mi = np.where(bi, self.w_bellwether, 1.0)                 # multiplier(idx)
        own = mi * si                                              # i is not its own tie
        wk, wn = self.w_kin, self.w_neighbour
        sko, skb = Sk_o[k], Sk_b[k]
        kin_o = sko - np.where(bi, 0.0, own)
        kin_b = skb - np.where(bi, own, 0.0)
        nb_o = Sv_o[v] - sko                                       # non-kin ordinary ties
        nb_b = Sv_b[v] - skb                                       # non-kin bellwether ties
        table = self._denominators()
        if table is not None:
            denom = table[2 * k.astype(np.int64) + bi]
        else:
            denom = self._denominator(v, k, mi)
        parts = {"kin": wk * kin_o, "neighbours": wn * nb_o,
                 "bellwethers": wk * kin_b + wn * nb_b}
        if self.cross_weight > 0:
            Sc = np.bincount(self.community_of_village, weights=Sv_b + Sv_o,
                             minlength=self.n_comm)
            c = self.community_of_village[v]
            cw = wn * self.cross_weight
            parts["other_villages"] = cw * (Sc[c] - Sv_b[v] - Sv_o[v])
        else:
            parts["other_villages"] = np.zeros(idx.size)
        safe = denom > 0
        out = {}
        every = bool(safe.all())   # then a plain division: the same numbers, no mask
        for name, p in parts.items():
            out[name] = np.divide(p, denom, out=p) if every else \
                np.divide(p, denom, out=np.zeros(idx.size), where=safe)
        total = out["kin"] + out["neighbours"] + out["bellwethers"] + out["other_villages"]
        return total, out


# ----------------------------------------------------------------------------- in the month
def build(sc, streams, hh, vil, type_names: list[str]) -> tuple[Ties, np.ndarray]:
    """The run's ties and thresholds (streams ``kin``, ``bellwether``, ``threshold``)."""
    inf = sc.behaviour.influence
    ids = np.arange(hh.n, dtype=np.int64)
    kin = kin_groups(hh.village, streams.uniform("kin", ids), inf.kin_group_mean_households)
    is_bt = np.isin(np.array(type_names), inf.bellwether_types)
    bell = bellwethers(hh.htype, is_bt, streams.uniform("bellwether", ids), inf.cadre_share)
    ties = Ties(hh.village.astype(np.int64), kin, bell, vil.community.astype(np.int64),
                inf.w_kin, inf.w_neighbour, inf.w_bellwether,
                inf.cross_village_weight if inf.cross_village else 0.0)
    theta = thresholds(streams.normal("threshold", ids), inf.threshold_mean, inf.threshold_sd)
    return ties, theta


def tie_states(status: np.ndarray, registered_weight: float) -> np.ndarray:
    """What a tie shows: 1 moved (living in a new community), ``registered_weight`` registered
    or allocated, 0 otherwise (in the village, or returned).

    >>> tie_states(np.array([0, 1, 2, 3, 4, 5], dtype=np.int8), 0.5).tolist()
    [0.0, 0.5, 0.5, 1.0, 1.0, 0.0]
    """
    shows = _shows(registered_weight)
    return shows[np.minimum(status, shows.size - 1)]


def _shows(registered_weight: float) -> np.ndarray:
    """What each status code shows (:func:`tie_states`), indexed by the code."""
    shows = np.zeros(max(MOVED, TWO_HOMES, REGISTERED, ALLOCATED, RETURNED) + 1)
    shows[[MOVED, TWO_HOMES]] = 1.0
    shows[[REGISTERED, ALLOCATED]] = registered_weight
    return shows


class Influence:
    """The ties term of step 4 (``influence.mode: ties``): each household's pull from the
    ties who moved, from the states at the start of the month."""

    def __init__(self, sc, streams, pop, vil, rec) -> None:
        self.inf, self.pop, self.rec = sc.behaviour.influence, pop, rec
        self.ties, self.theta = build(sc, streams, pop.hh, vil, pop.type_names)
        # the response at no exposure, F(−θ/width), fixed per household
        self.at_zero = response(np.zeros(self.theta.size), self.theta, self.inf.width)
        self.zero = None
        self.s_month = -1
        self.received = np.zeros(len(SOURCES))
        for name in SOURCES:
            rec.cols[f"influence_{name}"] = np.zeros(sc.run.horizon_months)

    def terms(self, ids: np.ndarray, t: int, alive: np.ndarray | None = None) -> np.ndarray:
        """The ties term of the log hazard of households ``ids`` this month; with ``alive``
        (the households of ``ids`` deciding) the exposure they receive is recorded by
        source."""
        inf = self.inf
        if self.s_month != t:          # tie states once a month (before anyone registers)
            self.ties.observe(self.pop.hh.status, inf.registered_weight)
            self.s_month = t
        if _c.ENABLED:   # the same operations in two passes around numpy's own tanh
            ids = np.ascontiguousarray(ids, dtype=np.int64)
            x, sums, n = self.ties.response_argument(
                ids, np.ones(ids.size, dtype=bool) if alive is None else alive, self.theta,
                inf.width)
            if alive is not None and n:
                self._record(sums, n, t)
            np.tanh(x, out=x)
            out = np.empty(ids.size, dtype=np.float32)
            _c.tie_response_term(x, self.at_zero, ids, float(inf.b_social), out)
            return out
        e, parts = self.ties.exposure_observed(ids, alive)   # parts: of those deciding
        n = parts["kin"].size
        if alive is not None and n:
            self._record(np.array([parts[s].sum() for s in SOURCES]), n, t)
        # response(e, θ) − response(0, θ), times b_social, in place in one work array
        x = self.theta.take(ids)
        np.subtract(e, x, out=x)     # response(e, θ): as :func:`response`, in place
        x /= inf.width
        x *= 0.5
        np.tanh(x, out=x)
        x += 1.0
        x *= 0.5
        x -= self.at_zero.take(ids)
        x *= inf.b_social
        return x.astype(np.float32)

    def _record(self, sums: np.ndarray, n: int, t: int) -> None:
        """The exposure the ``n`` households deciding received this month, by source."""
        for name, total in zip(SOURCES, sums):   # ndarray.mean: the same sum / count
            self.rec.put(f"influence_{name}", t, float(total / n))
        self.received += sums

    def summary(self) -> dict:
        tot = self.received
        return {"bellwethers": int(self.ties.bell.sum()), "kin_groups": int(self.ties.n_kin),
                "received_by_source_share": {
                    s: (float(tot[i] / tot.sum()) if tot.sum() > 0 else None)
                    for i, s in enumerate(SOURCES)}}
