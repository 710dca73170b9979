"""The township's yearly plan: forecast, appropriation, quota, and one start-and-pay rule.

Pure functions (numbers and arrays in, numbers and arrays out); the engine calls them at
month 0 and at each new year, and each month when works may start or money falls short.

**Forecast.**  ``schedule``: the scenario's revenue lines falling in the coming twelve months
(:func:`scheduled_revenue`) plus collective land income at its current level;
``last_year_trend``: last year's own receipts times (1 + last year's growth), the growth
bounded by ``trend_cap`` (the schedule in the first year, when there is no history).

**Appropriation** (:func:`appropriate`): the year's resources (cash + forecast revenue +
unused credit − what is owed to households) are given to the lines in this order, each as
far as the money goes: debt service, upkeep, payments already due to households (recurring
instruments, dividends), works under way (their remaining monthly payments this year), the
reserve (``reserve_share`` of the forecast), promises outstanding (registered households not
yet moved whom units free now or finishing within the year can take in × the expected cost
of one mover; later movers are paid from later years' plans), then what is left for new promises: a share
``works_share`` for new works and the rest for new registrations.

**Quota** (:func:`quota`): new registrations the year may open = money for new registrations
/ expected township cost of one mover (unbounded when a mover costs the township nothing).

**Start and pay rule** (:func:`cash_flow_ok`), documented once and used for every project
with a monthly cost schedule (a construction phase today; a section or facility with
``cost_cny`` and ``build_months`` when supply is in demand mode): a payment for works is made
from cash and credit only (never from the arrears cap); a project starts only if, month by
month over its build time, cash + credit + forecast revenue − the fixed lines (debt service,
upkeep, household payments due) − the payments of all projects under way − its own payments
never falls below zero.  A project under way is paid a month when the month's cash and
credit cover its payment; otherwise it stalls (the deferral rule says who is paid first).

**Deferral** (:func:`split_shortfall`): when the month's money is less than what is due to
households and contractors, ``households_first`` pays households first (sites stall),
``contractors_first`` pays contractors first (households' payments are deferred),
``pro_rata`` gives each group the same share of what it is due.

Example:
    >>> appropriate(100.0, [("debt_service", 30.0), ("upkeep", 50.0), ("reserve", 40.0)])
    {'debt_service': 30.0, 'upkeep': 50.0, 'reserve': 20.0}
    >>> quota(1_000_000.0, 20_000.0), quota(5.0, 0.0) is None
    (50, True)
    >>> split_shortfall("pro_rata", 60.0, 40.0, 80.0)
    (20.0, 40.0)
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

#: Households per chunk of the expected cost of a mover (working arrays of this size, not of
#: every household: the run's peak memory at 10^6 households).
CHUNK = 65_536
#: Lines of the plan, in the order money is appropriated to them.
LINES = ("debt_service", "upkeep", "households_due", "works_under_way", "reserve",
         "households_promised", "works_new", "households_new")
#: Chinese names of the lines (outputs and report).
LINES_ZH = {"debt_service": "偿债付息", "upkeep": "村庄公共服务维护", "households_due": "已到期的农户支付",
            "works_under_way": "在建工程", "reserve": "预备费", "households_promised": "已登记农户的承诺",
            "works_new": "新开工工程", "households_new": "新登记名额"}


def scheduled_revenue(revenues: Sequence, start: int, months: int = 12) -> float:
    """Revenue of the scenario's lines paid in months ``start .. start + months − 1``.

    ``revenues`` are :class:`ruralsim.scenario.schema.Revenue` items (the same rule as the
    budget opens: a payment every ``every_months`` from ``start_month`` to ``end_month``,
    growing by ``growth_per_year``).
    """
    total = 0.0
    t = np.arange(start, start + months)
    for r in revenues:
        due = (t >= r.start_month) & ((t - r.start_month) % r.every_months == 0)
        if r.end_month is not None:
            due &= t <= r.end_month
        total += float((r.amount_cny * (1 + r.growth_per_year)
                        ** ((t[due] - r.start_month) / 12)).sum())
    return total


def forecast(rule: str, scheduled: float, last_year: float | None, year_before: float | None,
             trend_cap: float) -> float:
    """The year's own revenue forecast by ``rule`` (module docstring).

    >>> forecast("last_year_trend", 50.0, 110.0, 100.0, 0.2)
    121.00000000000001
    >>> forecast("last_year_trend", 50.0, None, None, 0.2)
    50.0
    """
    if rule == "schedule" or last_year is None:
        return float(scheduled)
    growth = 0.0
    if year_before is not None and year_before > 0:
        growth = float(np.clip(last_year / year_before - 1.0, -trend_cap, trend_cap))
    return float(last_year) * (1.0 + growth)


def appropriate(resources: float, needs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Give ``resources`` to the lines ``needs`` (name, amount) in order, each as far as the
    money goes; a line that finds nothing gets 0."""
    left = max(0.0, float(resources))
    out: dict[str, float] = {}
    for name, need in needs:
        got = min(max(0.0, float(need)), left)
        out[name] = got
        left -= got
    return out


def quota(money: float, cost_per_mover: float) -> int | None:
    """Registrations the plan can pay for (None: unbounded, a mover costs the township
    nothing)."""
    if cost_per_mover <= 0:
        return None
    return int(max(0.0, money) // cost_per_mover)


def schedule(monthly: np.ndarray, months_left: np.ndarray, horizon: int) -> np.ndarray:
    """Payments per month over the next ``horizon`` months of projects paying ``monthly``
    for ``months_left`` more months (summed over projects)."""
    k = np.arange(horizon)
    due = k[None, :] < np.asarray(months_left, dtype=np.int64)[:, None]
    return (np.asarray(monthly, dtype=np.float64)[:, None] * due).sum(axis=0)


def cash_flow_ok(room: float, inflow_pm: float, fixed_pm: float, committed: np.ndarray,
                 monthly: float, months: int) -> bool:
    """May a project paying ``monthly`` for ``months`` start now?

    ``room`` is cash plus the credit the plan counts on; ``inflow_pm`` the forecast revenue
    per month (a number, or one number per month of the build time: revenue arrives when
    its lines pay, :meth:`TownshipPlan.inflow`); ``fixed_pm`` the fixed lines per month (debt service, upkeep, household
    payments due and the reserve); ``committed`` the payments per month of the projects
    already under way (:func:`schedule`, at least ``months`` long).  Yes when the
    cumulative projected balance never falls below zero over the build time.

    >>> cash_flow_ok(200.0, 10.0, 5.0, np.zeros(12), 20.0, 12)
    True
    >>> cash_flow_ok(200.0, 10.0, 5.0, np.full(12, 10.0), 20.0, 12)
    False
    """
    if months <= 0:
        return monthly <= room
    inflow = np.asarray(inflow_pm, dtype=np.float64)
    inflow = inflow[:months] if inflow.ndim else inflow
    flow = inflow - fixed_pm - np.asarray(committed[:months], dtype=np.float64) - monthly
    balance = room + np.cumsum(flow)
    return bool(balance.min() >= -1e-6)


def split_shortfall(rule: str, available: float, households: float,
                    works: float) -> tuple[float, float]:
    """What goes to households and to contractors out of ``available`` when they are due
    ``households`` and ``works`` (module docstring)."""
    available = max(0.0, available)
    if households + works <= available:
        return households, works
    if rule == "contractors_first":
        w = min(works, available)
        return min(households, available - w), w
    if rule == "pro_rata":
        share = available / (households + works)
        return households * share, works * share
    h = min(households, available)
    return h, min(works, available - h)


def per_household_amount(amount: float, per: str, households: int) -> float:
    """A fixed sum set per ``total``, ``household`` or ``per_1000_households`` as CNY for a
    town of ``households``.

    >>> per_household_amount(230_000, "per_1000_households", 1_030)
    236900.0
    """
    if per == "household":
        return float(amount) * households
    if per == "per_1000_households":
        return float(amount) * households / 1000.0
    return float(amount)


# ----------------------------------------------------------------------------- before the run
def _eligible_share(el, type_shares: dict[str, float], village_hh: dict[str, int]) -> float:
    """Share of households an eligibility rule reaches (types × villages; an income limit is
    not applied, so the share is an upper bound)."""
    tshare = sum(s for n, s in type_shares.items() if el.types is None or n in el.types)
    total = sum(village_hh.values())
    vshare = 1.0 if el.villages is None or total == 0 else \
        sum(h for v, h in village_hh.items() if v in el.villages) / total
    return tshare * vshare


def affordability(sc) -> dict:
    """The package's expected cost against the township's own revenue, before the run.

    Movers are ``plan.expected_mover_share`` of the households (at most the units planned);
    an instrument reaches the eligible share of them (types × villages).  Its cost per
    recipient is its one-off cost, its monthly cost net of monthly revenue over its months,
    and the mean unit price when it covers the price.  Own revenue per year is the mean over
    the horizon of the scenario's revenue lines.  Returns the numbers, one bilingual line per
    instrument that costs money and warnings when the package, the awards or the whole
    programme cannot be paid for.
    """
    gov, pol = sc.government, sc.policy
    villages = sc.village_list
    village_hh = {v.name: v.households for v in villages}
    households = sum(village_hh.values())
    units = sum(p.units.apartment + p.units.courtyard for c in sc.communities for p in c.phases)
    movers = min(households, units) * gov.plan.expected_mover_share
    shares = {n: t.share for n, t in sc.household_types.items()}
    tot_share = sum(shares.values()) or 1.0
    shares = {n: s / tot_share for n, s in shares.items()}
    apt = sum(shares[n] * t.apartment_share for n, t in sc.household_types.items())
    prices = [apt * c.price_cny.apartment + (1 - apt) * c.price_cny.courtyard
              for c in sc.communities]
    mean_price = float(np.mean(prices)) if prices else 0.0
    years = sc.run.horizon_months / 12.0
    own_total = scheduled_revenue(gov.revenues, 0, sc.run.horizon_months)
    own_py = own_total / years if years > 0 else 0.0
    items = []
    for ins in pol.instruments:
        per = ins.cost_once_cny + (ins.cost_monthly_cny - ins.revenue_monthly_cny) * ins.cost_months
        if ins.covers_price:
            per += mean_price
        if per <= 0:
            continue
        n = movers * _eligible_share(ins.eligible, shares, village_hh)
        items.append({"name": ins.name,   # labels: its own, else the other language's, else
                      "label_zh": ins.label_zh or ins.label_en or ins.name,   # its identifier
                      "label_en": ins.label_en or ins.label_zh or ins.name,
                      "per_recipient_cny": per, "recipients": n, "total_cny": per * n,
                      "years_of_own_revenue": per * n / own_py if own_py > 0 else None})
    package = sum(i["total_cny"] for i in items)
    works = sum(p.public_cost_cny + (0.0 if p.financing != "township" else
                                     p.units.apartment * c.housing_cost_cny.apartment
                                     + p.units.courtyard * c.housing_cost_cny.courtyard)
                for c in sc.communities for p in c.phases)
    awards = sum(per_household_amount(a.amount_cny, a.per, households) for a in pol.awards)
    upkeep = sum(v.maintenance_cny_per_month for v in villages) * sc.run.horizon_months
    means = own_total + gov.opening_cash_cny + gov.borrowing.limit_cny
    lines, warnings = [], []
    for i in items:
        yrs = i["years_of_own_revenue"]
        y_en = f", {yrs:.1f} years of the township's own revenue" if yrs is not None else ""
        y_zh = f"，相当于乡镇{yrs:.1f}年的自有收入" if yrs is not None else ""
        lines.append(f"{i['label_en']}: {i['per_recipient_cny']:,.0f} yuan each for about "
                     f"{i['recipients']:,.0f} movers, {i['total_cny'] / 1e6:,.1f} million yuan"
                     f"{y_en} / {i['label_zh']}：每户{i['per_recipient_cny']:,.0f}元，约"
                     f"{i['recipients']:,.0f}户搬迁，共{i['total_cny'] / 1e4:,.0f}万元{y_zh}")
    if own_py > 0:
        lines.append(f"the package in all: {package / 1e6:,.1f} million yuan, "
                     f"{package / own_py:.1f} years of the township's own revenue "
                     f"({own_py / 1e6:,.1f} million a year) / 政策包合计{package / 1e4:,.0f}万元，"
                     f"相当于乡镇{package / own_py:.1f}年的自有收入（每年{own_py / 1e4:,.0f}万元）")
    need = package + works + upkeep
    if need > means:
        warnings.append(
            f"the package ({package / 1e6:,.0f} million yuan), public works ({works / 1e6:,.0f}"
            f" million) and village upkeep ({upkeep / 1e6:,.0f} million) exceed the township's own revenue over {years:.0f} years, opening cash "
            f"and credit ({means / 1e6:,.0f} million): the plan cannot pay for it / 政策包"
            f"（{package / 1e4:,.0f}万元）、公共工程（{works / 1e4:,.0f}万元）与村庄维护"
            f"（{upkeep / 1e4:,.0f}万元）超过乡镇{years:.0f}年"
            f"自有收入、期初现金与信贷额度之和（{means / 1e4:,.0f}万元），规划无力支付")
    first_year = scheduled_revenue(gov.revenues, 0, 12)
    if awards > 0 and awards > first_year:
        warnings.append(
            f"awards of {awards / 1e6:,.1f} million yuan for a town of {households:,} households "
            f"exceed a year of its scheduled revenue ({first_year / 1e6:,.1f} million): set the "
            f"awards per household or per 1,000 households (per:) / 以奖代补共{awards / 1e4:,.0f}"
            f"万元，超过{households:,}户乡镇一年的预定收入（{first_year / 1e4:,.0f}万元）：请按户"
            f"或每千户设定（per:）")
    return {"movers": movers, "households": households, "own_revenue_per_year_cny": own_py,
            "items": items, "package_cny": package, "works_cny": works, "upkeep_cny": upkeep, "awards_cny": awards,
            "means_cny": means, "affordable": need <= means, "lines": lines,
            "warnings": warnings}


# ----------------------------------------------------------------------------- the process
class TownshipPlan:
    """Step 0 of the month: the yearly plan of one run, opened at month 0 and each new year
    (:meth:`step`), consulted when households register (:meth:`admit`, decisions.py), when
    works start (:meth:`projection`, construction.py) and when money falls short (settlement.py).
    Reads the model's state; changes nothing but its own."""

    def __init__(self, sc, model) -> None:
        from .construction import units_to_date
        from .policy import Eligible

        self.p, self.sc, self.m = sc.government.plan, sc, model
        self.to_date = units_to_date(model.ph)
        self.eligible = [Eligible(i.eligible, model.type_names, model.vil.names)
                         for i in sc.policy.instruments]
        self.years: list[dict] = []
        self.quota_left: int | None = None
        self.forecast_pm = 0.0
        self.fixed_pm = 0.0
        self.cost_per_mover = 0.0
        self.turned_away = 0
        self.deferred_households_cny = 0.0
        self.unpaid_works_cny = 0.0
        self.works_waiting = 0
        self.t = 0
        self.scale = 1.0          # forecast / scheduled revenue of the year
        self.recurring_pm = 0.0   # land income and recurring instrument revenue per month
        self._by_month = np.zeros(0)   # scheduled revenue of each month (fixed in a run)

    def month_revenue(self, start: int, months: int) -> np.ndarray:
        """Scheduled revenue of each month ``start .. start + months − 1``
        (:func:`scheduled_revenue` of one month each; the schedule is fixed in a run, so each
        month is computed once)."""
        stop = start + months
        if stop > self._by_month.size:
            revs, have = self.sc.government.revenues, self._by_month.size
            top = max(stop, 2 * have, self.sc.run.horizon_months + 25)
            self._by_month = np.concatenate([self._by_month, [
                scheduled_revenue(revs, k, 1) for k in range(have, top)]])
        return self._by_month[start:stop]

    def step(self, t: int) -> None:
        self.t = t
        if t % 12 == 0:
            self.open_year(t)

    def inflow(self, horizon: int) -> np.ndarray:
        """Forecast revenue in each of the next ``horizon`` months (the first paid month of a
        work starting now is next month): the scheduled lines in the months they pay, scaled
        to the year's forecast, plus the recurring income per month."""
        return self.month_revenue(self.t + 1, horizon) * self.scale + self.recurring_pm

    def own_lines(self) -> list[str]:
        return [n for n in self.m.rec.rev_lines if n != "rev_borrowing_cny"]

    def mover_cost(self, t: int) -> float:
        """Expected township cost of one more mover: the mean, over households not yet moved,
        of the instruments they would receive (one-off, monthly net of revenue over their
        months, the unit price where one covers it) and compensation if demolished.

        Each household's cost depends on that household only, so it is computed in chunks of
        :data:`CHUNK` households (smaller working arrays at 10^6 households) into one array
        whose mean is taken once (the same number as in one piece)."""
        from .state import ALLOCATED

        hh = self.m.hh
        ids = np.flatnonzero(hh.status <= ALLOCATED)
        if ids.size == 0:
            return 0.0
        total = np.empty(ids.size)
        for a in range(0, ids.size, CHUNK):
            total[a:a + CHUNK] = self._costs(ids[a:a + CHUNK], t)
        return float(total.mean())

    def _costs(self, ids: np.ndarray, t: int) -> np.ndarray:
        """The township's expected cost of moving each of households ``ids`` (mover_cost)."""
        from . import households as hhm
        from .policy import active_at

        m = self.m
        hh, vil, com = m.hh, m.vil, m.com
        cost = np.zeros(ids.size)
        covered = np.zeros(ids.size, dtype=bool)
        price = None
        flat = 0.0   # while ``cost`` is all zeros: the sum so far, added later in one pass
        for i, ins in enumerate(self.sc.policy.instruments):
            if not active_at(ins, t):
                continue
            each = ins.cost_once_cny + (ins.cost_monthly_cny - ins.revenue_monthly_cny) \
                * ins.cost_months
            el = self.eligible[i]
            if not ins.covers_price:
                if each == 0:   # adds zero to every entry
                    continue
                if el.types is None and el.villages is None and el.max_income is None:
                    # everyone gets it: the same number added to every entry (in order)
                    if flat is None:
                        cost += each
                    else:
                        flat += each
                    continue
            if flat is not None:
                cost += flat
                flat = None
            got = el.mask(hh.htype[ids], hh.village[ids], hh.income_cny[ids])
            cost += got * each
            if ins.covers_price:
                if price is None:
                    price = com.price_cny[vil.community[hh.village[ids]], m.intended_kind(ids)]
                cost += np.where(got & ~covered, price, 0.0)
                covered |= got
        if flat is not None:
            cost += flat
        if self.sc.policy.compensation.cny_per_m2 == 0:   # none paid: nothing to add
            return cost
        comp = hhm.compensation(self.sc, hh, ids, t)
        if self.sc.policy.compensation.requires_demolition:
            comp = comp * hhm.demolishes(self.sc, m.streams, hh, ids, t)
        return cost + comp

    def _own_schedule(self):
        from .construction import remaining_cost, remaining_housing
        from .state import BUILDING, FUNDED, TOWNSHIP

        ph = self.m.ph
        own_pm = ph.monthly_cny + np.where(ph.financing == TOWNSHIP, ph.housing_monthly_cny, 0.0)
        active = (ph.state == FUNDED) | (ph.state == BUILDING)
        remaining = remaining_cost(ph) + np.where(ph.financing == TOWNSHIP,
                                                  remaining_housing(ph), 0.0)
        sup = self.m.supply
        if sup is not None:   # supply.mode demand: the sections and facilities (7.21)
            pm, on, left = sup.own_schedule()
            own_pm = np.concatenate([own_pm, pm])
            active = np.concatenate([active, on])
            remaining = np.concatenate([remaining, left])
        return own_pm, active, remaining

    def open_year(self, t: int) -> None:
        """Forecast the year, appropriate it by line and open the year's quota."""
        from .construction import ready
        from .state import ALLOCATED, TOWNSHIP

        m, sc, p = self.m, self.sc, self.p
        tr, ph, rec, vil = m.tr, m.ph, m.rec, m.vil
        lines = self.own_lines()
        last = prev = None
        if t >= 12:
            last = float(sum(rec.cols[n][t - 12:t].sum() for n in lines))
        if t >= 24:
            prev = float(sum(rec.cols[n][t - 24:t - 12].sum() for n in lines))
        land_pm = float(vil.land_collective_mu.sum()) * m.land.income_per_mu_year / 12.0
        rate = m.ledger.recurring_rate
        scheduled = scheduled_revenue(sc.government.revenues, t) + \
            12 * (land_pm + float(rate[1].sum()))
        fc = forecast(p.forecast, scheduled, last, prev, p.trend_cap)
        self.scale = fc / scheduled if scheduled > 0 else 1.0
        self.recurring_pm = (land_pm + float(rate[1].sum())) * self.scale
        maintained = 1.0 - vil.withdrawn.mean(axis=1)
        upkeep = 12 * float((vil.maintenance_cny_pm * maintained)[vil.n_present > 0].sum())
        debt_service = tr.debt * tr.rate + tr.arrears * tr.arrears_rate
        hh_due = tr.deferred_total + 12 * (float(rate[0].sum()) + land_pm * sc.land.dividend_share)
        own_pm, active, remaining = self._own_schedule()
        works_now = float(np.minimum(remaining, 12 * own_pm)[active].sum())
        # new works: the projects ready now (their demand gate met: registrations justify
        # them) - phases, or in demand mode the sections and facilities (7.21)
        sup = m.supply
        if sup is None:
            nxt = ready(ph, t, m.com.registrations, self.to_date)
            works_next = float(np.minimum(ph.cost_cny + np.where(
                ph.financing == TOWNSHIP, ph.housing_cny, 0.0), 12 * own_pm[:ph.n])[nxt].sum())
        else:
            works_next = sup.ready_works_cost(t, 12)
        self.cost_per_mover = cpm = self.mover_cost(t)
        # promises falling due this year: registered households that units free now or
        # finishing within the year can take in (the others are paid from later years' plans)
        if sup is None:
            finishing = active[:ph.n] & (ph.progress + 12 >= ph.build_months)
            units_year = float(m.com.free.sum()) + float(ph.units[finishing].sum())
        else:   # demand mode: units spoken for and courtyards finishing within the year
            units_year = float(m.com.free.sum()) + sup.homes_finishing_within(12)
        promised = min(m.waiting.size + int(m.pop.counts[:, ALLOCATED].sum()), units_year) * cpm
        credit = p.works.credit_share * max(0.0, tr.limit - tr.debt)
        resources = tr.cash + fc + credit
        got = appropriate(resources, [("debt_service", debt_service), ("upkeep", upkeep),
                                      ("households_due", hh_due),
                                      ("works_under_way", works_now),
                                      ("reserve", p.reserve_share * fc),
                                      ("households_promised", promised)])
        left = max(0.0, resources - sum(got.values()))
        got["works_new"] = min(works_next, p.works_share * left)
        got["households_new"] = max(0.0, left - got["works_new"])
        self.quota_left = quota(got["households_new"], cpm)
        self.forecast_pm = fc / 12.0
        self.fixed_pm = sum(got[k] for k in ("debt_service", "upkeep", "households_due",
                                             "reserve", "households_promised")) / 12.0
        self.years.append({"year": len(self.years), "month": t, "forecast_cny": fc,
                           "resources_cny": resources, "cost_per_mover_cny": cpm,
                           "appropriation_cny": got,
                           "quota": self.quota_left, "registrations": 0})

    def admit(self, rows: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Of the households whose clocks crossed (``rows``, with the strategy's priority
        ``rank``), those the year's quota admits: highest priority first; the others wait at
        the door (their clocks stay crossed) until the quota opens again."""
        if self.quota_left is None:
            keep = rows
        else:
            k = min(self.quota_left, rows.size)
            keep = rows[np.sort(np.argsort(rank, kind="stable")[:k])]
            self.quota_left -= k
        self.turned_away = rows.size - keep.size
        if self.years:
            self.years[-1]["registrations"] += int(keep.size)
        return keep

    def interest_reserve(self, t: int) -> float:
        """Room kept back this month from every payment but interest (Treasury.reserve): the
        interest on debt at the credit limit for each month before the next month a scheduled
        revenue line pays (that month's revenue comes in before its interest is booked; 12
        months when none pays within a year)."""
        tr = self.m.tr
        pays = np.flatnonzero(self.month_revenue(t + 1, 12) > 0)
        k = int(pays[0]) if pays.size else 12
        return k * tr.limit * tr.rate / 12.0

    def projection(self, horizon: int) -> tuple[float, np.ndarray]:
        """Room (cash + counted credit, no arrears, less the interest kept back:
        :meth:`interest_reserve`) and the monthly payments of the works under way over the
        next ``horizon`` months (the start rule's inputs): phases, and in demand mode the
        sections and facilities (:meth:`ruralsim.model.supply.DemandSupply.own_schedule`)."""
        tr = self.m.tr
        own_pm, active, remaining = self._own_schedule()
        left = np.ceil(np.divide(remaining, own_pm, out=np.zeros(own_pm.size), where=own_pm > 0))
        committed = schedule(own_pm[active], left[active], horizon)
        room = tr.cash + self.p.works.credit_share * max(0.0, tr.limit - tr.debt) - tr.reserve
        return room, committed
