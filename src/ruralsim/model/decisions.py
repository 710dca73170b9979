"""The monthly decision to register: a hazard clock per household.

A household in its old village registers for a unit with a monthly hazard

    h(t) = exp(V(t)),   P(register in month t | not before) = 1 − exp(−h(t))

(a discrete-time proportional-hazards, or complementary log-log, model; for monthly
probabilities below 0.1 it is within 5% of a logit).  ``V`` is the household's log hazard:

    V(t) = A                         persistent and policy terms (computed on refresh):
                                       asc[type] + asc_offset + own taste + covariates
                                       + instrument and event shifts − b_cost × net cost
                                       − b_farm × farm share × km to fields × (1 − relief)
                                       + reneged_shift if it gave up before
         + W[village, type](t)        what it sees this month: shares of its village
                                       registered and moved, a finished phase of its community,
                                       lost services, outreach to its type, trust; −inf where
                                       it may not register (registration not yet open,
                                       village or community not open, community closed:
                                       all its phases ended and no unit free, township past
                                       its arrears cap)
         − max(0, H0 − Hs × t)        the remaining value of the old house it would give up
         − max(0, G0 − Gs × Δt)       the part of the cost savings and credit do not cover,
                                       shrinking as savings grow (Δt: months since the yearly
                                       update)

Instead of a uniform draw each month, each household draws once per registration spell a
threshold ``E ~ Exp(1)`` (stream ``decide``, slot = spell) and registers in the first month its
accumulated hazard reaches it.  This is exactly the monthly draw in distribution
(P(no registration through t) = exp(−Σ h)), costs no random numbers on the monthly path, and
makes common random numbers exact: a twin run with the same seed registers the household in
the first month *its own* accumulated hazard crosses *its own* threshold.

:class:`ActiveSet` keeps these terms compacted for the households that are deciding, so a
month costs a few array operations over them; leavers are marked and compacted away lazily.

Example:
    >>> a = ActiveSet()
    >>> a.add(np.array([7, 8]), A=np.array([0.0, -50.0]), code=np.array([0, 0]),
    ...       hv0=np.zeros(2), hslope=np.zeros(2), g0=np.zeros(2), gflow=np.zeros(2),
    ...       thresh=np.array([0.5, 0.5]))
    >>> a.step(np.zeros(1, np.float32), month=0, months_since_update=0).tolist()  # h = 1 and ~0
    [7]
"""
from __future__ import annotations

import numpy as np

from .. import compiled as _c
from . import households as hhm
from .policy import outreach_shift, village_batches
from .state import DONE, F_AFTER_WITHDRAWAL, F_EVER_REGISTERED, NO_MONTH, REGISTERED

_F = np.float32
#: Largest log hazard passed to ``exp`` (a numerical bound, not a model parameter).  A
#: household's clock crosses its threshold, an Exp(1) draw of at most −log(2⁻⁶⁴) ≈ 44.4,
#: in the month its hazard reaches exp(60) ≈ 10²⁶ whether or not the log hazard is cut
#: here, so results are unchanged; without the cut a log hazard above 88.7 (a subsidy of
#: millions of yuan) overflows float32 to inf and the clocks stop being numbers.  Month
#: after month, exp(60) accumulates to inf only after 10¹² months.
LOG_HAZARD_CAP = 60.0
_NO_EXTRA = np.zeros(0, dtype=_F)
#: Compact the active set once this share of its rows has left.
COMPACT_AT = 0.25


class ActiveSet:
    """Compacted decision terms of the households deciding whether to register.

    Rows live in preallocated buffers that grow by doubling; ``n`` rows are in use, of which
    ``n_dead`` have left (marked, and compacted away once they are a quarter of the rows).
    """

    FIELDS = {"ids": np.int64, "A": _F, "code": np.int32, "hv0": _F, "hslope": _F, "g0": _F,
              "gflow": _F, "C": _F, "cumhaz": _F, "thresh": _F, "alive": bool}

    def __init__(self, capacity: int = 0) -> None:
        self._buf = {f: np.zeros(capacity, dtype=d) for f, d in self.FIELDS.items()}
        self.n = 0
        self.n_dead = 0
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None

    def __setattr__(self, name: str, value) -> None:
        if name in self.FIELDS:   # a field is a view of its buffer: write into it instead
            raise AttributeError(f"assign into ActiveSet.{name}[...], not to it")
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> np.ndarray:
        buf = self.__dict__.get("_buf")
        if buf is None or name not in buf:
            raise AttributeError(name)
        return buf[name][: self.n]

    @property
    def size(self) -> int:
        """Households deciding (alive rows)."""
        return self.n - self.n_dead

    def members(self) -> np.ndarray:
        """Ids of the households deciding."""
        return self.ids[self.alive] if self.n_dead else self.ids

    def add(self, ids: np.ndarray, **terms) -> None:
        """Households ``ids`` start deciding with a fresh clock (accumulated hazard 0).

        ``terms``: A, code, hv0, hslope, g0, gflow, thresh and optionally C.
        """
        k = ids.size
        if k == 0:
            return
        need = self.n + k
        if need > self._buf["ids"].size and self.n_dead:
            # rows that left make room first: compacting keeps the order of the rows
            # deciding, so the new rows follow them as they would after the dead ones
            self.compact()
            need = self.n + k
        if need > self._buf["ids"].size:
            cap = max(need, 2 * self._buf["ids"].size, 1024)
            for f, arr in self._buf.items():
                new = np.zeros(cap, dtype=arr.dtype)
                new[: self.n] = arr[: self.n]
                self._buf[f] = new
        sl = slice(self.n, need)
        b = self._buf
        b["ids"][sl] = ids
        for f in ("A", "code", "hv0", "hslope", "g0", "gflow", "thresh"):
            b[f][sl] = terms[f]
        b["C"][sl] = terms.get("C", 0.0)
        b["cumhaz"][sl] = 0.0
        b["alive"][sl] = True
        self.n = need

    def set_terms(self, **terms) -> None:
        """Replace terms of the alive rows (in :meth:`members` order), e.g. ``A=..., g0=...``."""
        rows = np.flatnonzero(self.alive) if self.n_dead else slice(None)
        for name, value in terms.items():
            getattr(self, name)[rows] = value

    def remove(self, rows: np.ndarray) -> None:
        """Rows ``rows`` (positions, not ids) stop deciding."""
        if rows.size == 0:
            return
        self.alive[rows] = False
        self.thresh[rows] = np.inf
        self.A[rows] = -np.inf
        self.n_dead += int(rows.size)
        if self.n_dead > COMPACT_AT * self.n:
            self.compact()

    def compact(self) -> None:
        keep = np.flatnonzero(self.alive)
        for arr in self._buf.values():
            arr[: keep.size] = arr[keep]
        self.n = keep.size
        self.n_dead = 0

    def step_rows(self, table: np.ndarray, month: int, months_since_update: int,
                  extra: np.ndarray | None = None) -> np.ndarray:
        """Accumulate one month of hazard; return the rows whose clock crossed its threshold.

        ``table`` is the flattened [village × type] term ``W`` (float32; −inf where one may not
        register); ``extra`` an optional term per row (float32, all ``n`` rows: influence by
        ties).  The caller removes the rows that register (:meth:`remove`).  Works in
        place on two scratch arrays (no allocation per month beyond the result).
        """
        n = self.n
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        two = not _c.ENABLED   # the compiled path needs one scratch array
        if self._scratch is None or self._scratch[0].size < n or \
                (two and self._scratch[1].size < n):
            cap = self._buf["ids"].size
            self._scratch = (np.empty(cap, _F), np.empty(cap if two else 0, _F))
        v, w = self._scratch[0][:n], self._scratch[1][:n]
        if _c.ENABLED:   # the same float32 operations in one pass; numpy's own exp
            _c.log_hazard(np.asarray(table, dtype=_F), self.code, self.A, self.hv0, self.hslope,
                          self.g0, self.gflow, _F(month), _F(months_since_update),
                          _F(LOG_HAZARD_CAP),
                          _NO_EXTRA if extra is None else np.ascontiguousarray(extra), v)
            np.exp(v, out=v)
            return _c.accumulate(self.cumhaz, v, self.thresh)
        np.take(table, self.code, out=v)
        v += self.A
        if extra is not None:
            v += extra
        np.multiply(self.hslope, _F(month), out=w)          # house term: max(0, H0 − Hs t)
        np.subtract(self.hv0, w, out=w)
        np.maximum(w, _F(0), out=w)
        v -= w
        np.multiply(self.gflow, _F(months_since_update), out=w)   # gap: max(0, G0 − Gs Δt)
        np.subtract(self.g0, w, out=w)
        np.maximum(w, _F(0), out=w)
        v -= w
        np.minimum(v, _F(LOG_HAZARD_CAP), out=v)   # exp stays finite: see LOG_HAZARD_CAP
        np.exp(v, out=v)
        cumhaz = self.cumhaz
        cumhaz += v
        return np.flatnonzero(cumhaz >= self.thresh)

    def step(self, table: np.ndarray, month: int, months_since_update: int) -> np.ndarray:
        """:meth:`step_rows`, removing the rows that crossed; returns their ids."""
        rows = self.step_rows(table, month, months_since_update)
        ids = self.ids[rows]
        self.remove(rows)
        return ids

    def gap(self, rows: np.ndarray | slice, months_since_update: int) -> np.ndarray:
        """The affordability term of rows (in units of the log hazard)."""
        return np.maximum(self.g0[rows] - self.gflow[rows] * _F(months_since_update), _F(0))


def village_shares(n0: np.ndarray, count: np.ndarray, community: np.ndarray, n_communities: int,
                   prior: float) -> np.ndarray:
    """Share of a village's households in some state, as its members see it.

    With ``prior`` > 0 a village's own share is shrunk toward its community's share with weight
    ``(n0 − 1) / (n0 − 1 + prior)``, so a village of one household sees its community and a
    large village sees itself: a channel between the villages of a community (off by default,
    ``behaviour.social_prior_households: 0``; a lone household still feels the package,
    outreach, a finished phase of its community and lost services).

    >>> village_shares(np.array([1, 99]), np.array([0, 50]), np.array([0, 0]), 1, 10.0).round(3).tolist()
    [0.5, 0.505]
    """
    n0f = n0.astype(np.float64)
    own = np.divide(count, n0f, out=np.zeros(n0.size), where=n0 > 0)
    c_n = np.bincount(community, weights=n0f, minlength=n_communities)
    c_count = np.bincount(community, weights=count, minlength=n_communities)
    comm = np.divide(c_count, c_n, out=np.zeros(n_communities), where=c_n > 0)[community]
    if prior <= 0:
        return own
    w = np.divide(np.maximum(n0f - 1, 0), np.maximum(n0f - 1, 0) + prior,
                  out=np.zeros(n0.size), where=(n0f - 1 + prior) > 0)
    return w * own + (1 - w) * comm


def cumulative_probability(log_hazard: np.ndarray, months: int) -> np.ndarray:
    """Probability of registering within ``months`` at a constant log hazard (closed form).

    >>> round(float(cumulative_probability(np.array([np.log(0.1)]), 10)[0]), 4)
    0.6321
    """
    return 1.0 - np.exp(-months * np.exp(log_hazard))


def renege_wait(patience: np.ndarray, e: np.ndarray, slope: float) -> np.ndarray:
    """Months from registration until a household gives up, if it is still waiting.

    The hazard of leaving the list is ``slope × (w − patience)`` for a wait ``w`` beyond the
    household's patience, so the cumulative hazard is ``slope/2 × (w − patience)²`` and the
    household leaves when it reaches its threshold ``e ~ Exp(1)``:
    ``w = patience + sqrt(2 e / slope)``.

    >>> renege_wait(np.array([12.0]), np.array([1.0]), 0.02).round(2).tolist()
    [22.0]
    """
    if slope <= 0:
        return np.full(np.shape(patience), np.inf)
    with np.errstate(over="ignore"):
        return patience + np.sqrt(2.0 * e / slope)


class Decisions:
    """Step 4: households in their old village accumulate their monthly hazard; those whose
    clock crosses its threshold (and can pay the deposit) register for a unit.

    Reads what a household sees this month (:meth:`visible_terms`); writes the registrations
    into the waiting list, the village and community counts and the deposits held, and hands
    the new registrations to giving up (``on_register``) to schedule when they would leave.
    """

    #: The township's plan (set by the loop when ``government.plan.enabled``) and the
    #: strategy's priority rank by type (who its quota admits first).
    plan = None
    rank = None

    def __init__(self, sc, pop, vil, com, ph, tr, terms, active: ActiveSet, waiting, keys,
                 clock, ledger, rec, closed: np.ndarray, ever_registered_v: np.ndarray,
                 on_register) -> None:
        self.supply = None   # supply.mode 'demand': set by the loop (supply.py)
        self.sc, self.pop, self.vil, self.com, self.ph, self.tr = sc, pop, vil, com, ph, tr
        self.terms, self.active, self.waiting, self.keys = terms, active, waiting, keys
        self.clock, self.ledger, self.rec = clock, ledger, rec
        self.closed, self.ever_registered_v, self.on_register = closed, ever_registered_v, \
            on_register
        self.b = sc.behaviour
        self.batches = village_batches(sc, vil.names)
        self.open_village = np.zeros(vil.n, dtype=bool)
        self.open_village[self.batches[0]] = True
        self.n_batches_open = 1
        self.batch_opened_month = sc.policy.registration_opens_month
        self.consent = None     # model 3.0 village ballots (consent.py), set by the loop
        self.influence = None   # model 3.0 influence by ties (influence.py), set by the loop
        self._outreach: dict[tuple[int, ...], np.ndarray] = {}   # shifts by active items

    def visible_terms(self, t: int, for_ballot: bool = False) -> np.ndarray:
        """The [village × type] term W of the log hazard this month (−inf: may not register).

        With influence by ties the village's shares are not in W (each household's ties term
        is added per household); with ballots a village may register once it passed
        (``for_ballot``: the terms its households vote on, before it passed)."""
        vil, com, b, C = self.vil, self.com, self.b, len(self.com.names)
        if self.supply is None:
            done = np.bincount(self.ph.community, weights=self.ph.state == DONE,
                               minlength=C) > 0
        else:   # supply.mode 'demand': a first home finished in the community (supply.py)
            done = self.supply.any_home_done()
        if self.influence is None:
            sreg = village_shares(vil.n0, vil.n_waiting, vil.community, C,
                                  b.social_prior_households)
            smov = village_shares(vil.n0, vil.n_out, vil.community, C, b.social_prior_households)
            wv = (b.b_social_registered * sreg + b.b_social_moved * smov
                  + b.b_demonstration * done[vil.community]
                  + b.b_service * (1.0 - vil.service.mean(axis=1)))
        else:   # influence by ties: the social terms are per household (influence.py)
            wv = (b.b_demonstration * done[vil.community]
                  + b.b_service * (1.0 - vil.service.mean(axis=1)))
        if self.supply is not None:   # what households see of the community (supply.py)
            wv = wv + self.supply.view()[vil.community]
        active = tuple(i for i, o in enumerate(self.sc.strategy.outreach)
                       if o.start_month <= t and (o.end_month is None or t <= o.end_month))
        tt = self._outreach.get(active)
        if tt is None:   # the same outreach items give the same shifts: computed once
            tt = self._outreach[active] = outreach_shift(self.sc, self.pop.type_names, t)
        if self.tr.deferred:
            tt = tt + b.trust_shift_overdue
        W = (wv[:, None] + tt[None, :]).astype(np.float32)
        may = self.open_village & (t >= com.open_month[vil.community]) & \
            ~self.closed[vil.community]   # reg_open: by the month or by an event
        if self.consent is not None and not for_ballot:
            may &= self.consent.ballots.passed
        stopped = self.tr.overcommitted if self.plan is None else self.plan.quota_left == 0
        if stopped or not self.clock.reg_open:   # with a plan: its quota, not the arrears cap
            may[:] = False
        W[~may] = -np.inf
        return W

    def step(self, t: int) -> None:
        if not self.clock.reg_open or self.active.size == 0:
            return
        self._open_batches(t)
        if self.consent is not None:    # villages vote before households decide alone
            self.consent.step(t)
        msu = self.clock.months_since_update
        extra = None
        if self.influence is not None:
            extra = self.influence.terms(self.active.ids, t, self.active.alive)
        rows = self.active.step_rows(self.visible_terms(t).ravel(), t, msu, extra)
        if rows.size == 0:
            return
        self.register_rows(rows, t)

    def log_hazard_rows(self, rows: np.ndarray, W: np.ndarray, t: int) -> np.ndarray:
        """This month's log hazard of active-set rows ``rows`` under terms ``W`` (a ballot's
        vote: what each household would do of its own accord)."""
        a = self.active
        V = (W.ravel()[a.code[rows]].astype(np.float64) + a.A[rows]
             - np.maximum(a.hv0[rows] - a.hslope[rows] * t, 0.0)
             - a.gap(rows, self.clock.months_since_update))
        if self.influence is not None:
            V = V + self.influence.terms(a.ids[rows], t)
        return V

    def register_rows(self, rows: np.ndarray, t: int) -> np.ndarray:
        """Households of active-set rows ``rows`` register (those who can pay the deposit);
        returns their ids."""
        msu = self.clock.months_since_update
        hh, vil = self.pop.hh, self.vil
        ids = self.active.ids[rows]
        deposit = self.sc.policy.registration.deposit_cny
        if deposit > 0:   # a household that cannot pay the deposit stays and decides again
            ok = hhm.savings_at(hh, ids, msu) >= deposit
            rows, ids = rows[ok], ids[ok]
        if self.plan is not None:   # the year's quota admits the first by priority
            rows = self.plan.admit(rows, self.rank[hh.htype[ids]])
            ids = self.active.ids[rows]
        self.active.remove(rows)
        if ids.size == 0:
            return ids
        self.pop.transition(ids, REGISTERED)
        hh.month_registered[ids] = t
        hh.kind[ids] = self.terms.intended_kind(ids)
        after = vil.month_withdrawn[hh.village[ids]] != NO_MONTH
        first = (hh.flags[ids] & F_EVER_REGISTERED) == 0
        self.ever_registered_v += np.bincount(hh.village[ids[first]], minlength=vil.n)
        hh.flags[ids] = (hh.flags[ids] & ~F_AFTER_WITHDRAWAL) | F_EVER_REGISTERED | \
            np.where(after, F_AFTER_WITHDRAWAL, np.uint8(0))
        c = vil.community[hh.village[ids]]
        self.com.registrations += np.bincount(c, minlength=len(self.com.names))
        vil.n_waiting += np.bincount(hh.village[ids], minlength=vil.n)
        self.waiting.add(ids, self.keys(ids))
        if deposit > 0:
            hh.savings_cny[ids] -= deposit
            self.ledger.escrow_cny += deposit * ids.size
        self.on_register(ids, t)
        hh.spells[ids] = np.minimum(hh.spells[ids].astype(np.int64) + 1, 255)
        cols = self.rec.cols   # a month may register twice (a village's schedule, then alone)
        cols["new_registrations"][t] += ids.size
        cols["new_registrations_after_withdrawal"][t] += int(after.sum())
        cols["new_registrations_apartment"][t] += int((hh.kind[ids] == 0).sum())
        return ids

    def _open_batches(self, t: int) -> None:
        """Village-by-village sequencing: open the next batch once most households of the open
        villages have committed (registered, allocated or moved): the share still undecided
        in their village falls below ``open_next_below_share``."""
        seq, vil = self.sc.strategy.sequence, self.vil
        while self.n_batches_open < len(self.batches):
            opened = self.open_village & (vil.n0 > 0)
            undecided = (vil.n_present - vil.n_waiting)[opened].sum()
            share = undecided / max(1, vil.n0[opened].sum())
            waited = t - self.batch_opened_month
            overdue = seq.open_next_after_months is not None and \
                waited >= seq.open_next_after_months
            if opened.any() and share >= seq.open_next_below_share and not overdue:
                break
            self.open_village[self.batches[self.n_batches_open]] = True
            self.n_batches_open += 1
            self.batch_opened_month = t
