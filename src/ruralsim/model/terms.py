"""The terms of each household's decision: what the package gives it, what moving costs it,
what it would give up, and the unit kind it asks for.

Behaviour, not a process of the month: :class:`Terms` turns the scenario, the policy active in
a month and the lasting shifts of past events into the terms of the log hazard of
:mod:`ruralsim.model.decisions` (``A``, ``hv0``, ``hslope``, ``g0``, ``gflow``, ``C``).  The
processes that start a household's decision clock (decisions at the start, giving up,
calendar items on a policy change or a new year) ask it; nothing here knows about SimPy.

Example:
    >>> import numpy as np, ruralsim
    >>> from ruralsim.rng import Streams
    >>> from ruralsim.model.households import init_households
    >>> from ruralsim.model.state import init_communities, init_villages
    >>> sc = ruralsim.load_scenario("teaching").model
    >>> st = Streams(1)
    >>> hh = init_households(sc, st)
    >>> terms = Terms(sc, st, hh, init_villages(sc), init_communities(sc))
    >>> A, hv0, hslope, g0, gflow, C, kind = terms.decision_terms(np.arange(3), 0)
    >>> A.shape, set(kind.tolist()) <= {0, 1}
    ((3,), True)
"""
from __future__ import annotations

import numpy as np

from . import households as hhm
from .policy import PolicyTable, active_set
from .state import F_RENEGED, Communities, Households, Villages

#: Households whose decision terms are recomputed at once (bounds the working arrays).
REFRESH_CHUNK = 1 << 17


class Terms:
    """Decision terms of households, from the scenario, the policy and past events."""

    def __init__(self, sc, streams, hh: Households, vil: Villages, com: Communities) -> None:
        self.sc, self.streams, self.hh, self.vil, self.com = sc, streams, hh, vil, com
        self.b = b = sc.behaviour
        self.type_names = list(sc.household_types)
        self.T = T = len(self.type_names)
        tt = lambda get: hhm.type_table(sc, get)  # noqa: E731
        self.asc = tt(lambda t: t.asc) + b.asc_offset
        self.apt_share = tt(lambda t: t.apartment_share)
        self.needs_build = tt(lambda t: t.needs_to_build).astype(bool)
        self.growth = tt(lambda t: t.income_growth_per_year)
        self.value_new = tt(lambda t: t.house_value_new_cny)
        # events: lasting shifts by (village, type); per household only with income limits
        self.event_shift = np.zeros((vil.n, T))
        self.event_apt = np.zeros((vil.n, T))
        self.event_shift_hh: np.ndarray | None = None
        self.event_apt_hh: np.ndarray | None = None
        self._tables: dict[tuple[int, ...], PolicyTable] = {}
        self._active_month, self._active_key = None, ()
        self.demolition = None   # model 3.0 demolition as a decision (demolition.py), by the loop

    def policy_terms(self, ids: np.ndarray, t: int):
        """What the package active in month ``t`` gives households ``ids`` (policy.py)."""
        if self._active_month != t:   # the instruments offered: once a month
            self._active_month, self._active_key = t, active_set(self.sc, t)
        key = self._active_key
        if key not in self._tables:
            self._tables[key] = PolicyTable(self.sc, key, self.type_names, self.vil.names)
        hh = self.hh
        return self._tables[key].terms(hh.htype[ids], hh.village[ids], hh.income_cny[ids])

    def code(self, ids: np.ndarray) -> np.ndarray:
        """The [village x type] cell of households (index into the visible term W)."""
        return self.hh.village[ids].astype(np.int32) * self.T + self.hh.htype[ids]

    def intended_kind(self, ids: np.ndarray) -> np.ndarray:
        """The unit kind households ask for: apartment (0) when the fixed taste draw is below
        the type's apartment share plus the shifts of events."""
        hh = self.hh
        apt = self.apt_share[hh.htype[ids]] + self.event_apt[hh.village[ids], hh.htype[ids]]
        if self.event_apt_hh is not None:
            apt = apt + self.event_apt_hh[ids]
        return np.where(hh.kind_draw[ids] / hhm.DRAW_SCALE < apt, 0, 1).astype(np.int8)

    def gap_terms(self, ids: np.ndarray, net_cost: np.ndarray):
        """Affordability term at the last yearly update and its monthly decline (log hazard)."""
        hh, b = self.hh, self.b
        bg = b.b_gap_per_10k_cny / 1e4
        g0 = bg * (net_cost - hh.savings_cny[ids] - b.credit_years_of_income * hh.income_cny[ids])
        return g0, bg * hh.flow_cny_pm[ids]

    def decision_terms(self, ids: np.ndarray, t: int):
        """The terms of the log hazard of households ``ids`` (decisions.py) and their unit kind."""
        hh, vil, com, b, sc = self.hh, self.vil, self.com, self.b, self.sc
        ty, v = hh.htype[ids], hh.village[ids]
        terms = self.policy_terms(ids, t)
        kind = self.intended_kind(ids)
        price = np.where(terms.covers_price, 0.0, com.price_cny[vil.community[v], kind])
        dem = hhm.demolishes(sc, self.streams, hh, ids, t) if self.demolition is None else \
            self.demolition.decide(ids, t)[0]
        comp = hhm.compensation(sc, hh, ids, t)
        if sc.policy.compensation.requires_demolition:
            comp = comp * dem
        cost = price + b.fit_out_cny - terms.value_cny - comp
        C = cost - terms.credit_cny
        g0, gflow = self.gap_terms(ids, C)
        life = 12.0 * b.house_life_years
        f = np.where(dem, 1.0, b.house_kept_factor) * b.b_house_value_per_10k_cny / 1e4
        vn = self.value_new[ty]
        hv0 = f * vn * (1.0 + hh.house_built[ids] / life)
        hslope = f * vn / life
        farm = b.b_farm_distance_per_km * hhm.farm_share(hh, ids) * vil.field_km[v] * \
            (1.0 - terms.field_relief)
        A = (hh.base_util[ids] + self.asc[ty] + terms.shift + self.event_shift[v, ty]
             - b.b_cost_per_10k_cny * cost / 1e4 - farm
             + b.reneged_shift * ((hh.flags[ids] & F_RENEGED) != 0))
        if self.event_shift_hh is not None:
            A = A + self.event_shift_hh[ids]
        return A, hv0, hslope, g0, gflow, C, kind

    def per_spell(self, stream: str, ids: np.ndarray) -> np.ndarray:
        """An Exp(1) draw of ``stream`` for each household's current registration spell."""
        return self.streams.exponential(stream, ids, 0, self.hh.spells[ids])

    def thresholds(self, ids: np.ndarray) -> np.ndarray:
        """Exp(1) thresholds of the hazard clocks: spell 0 from a packed draw of stream
        ``decide.first`` (four households per Philox block), later spells per household."""
        spells = self.hh.spells[ids]
        if not spells.any():
            return -np.log(self.streams.uniform_packed("decide.first", ids))
        return self.per_spell("decide", ids)

    def refresh(self, active, t: int) -> None:
        """Recompute the decision terms of the households deciding (policy changed), in chunks
        so that the working arrays stay small."""
        rows = np.flatnonzero(active.alive) if active.n_dead else None
        names = ("A", "hv0", "hslope", "g0", "gflow", "C")
        for a in range(0, active.size, REFRESH_CHUNK):   # into the set's rows, chunk by chunk
            r = slice(a, a + REFRESH_CHUNK) if rows is None else rows[a:a + REFRESH_CHUNK]
            terms = self.decision_terms(active.ids[r], t)
            for k, v in zip(names, terms):
                getattr(active, k)[r] = v

    def refresh_finances(self, active) -> None:
        """A new year: only the affordability term of the households deciding changes."""
        ids = active.members()
        if ids.size:
            g0, gflow = self.gap_terms(ids, active.C[active.alive] if active.n_dead else active.C)
            active.set_terms(g0=g0, gflow=gflow)
