"""The township's money: one budget rule for every payment.

Every payment draws on the same sources, in this order: cash, then credit (borrowing up to
``government.borrowing.limit_cny``), then arrears (payments owed and not yet paid, which carry
interest, up to ``government.arrears.cap_cny``).  What finds no source is not paid:

============  =============================  ==========================================
priority      payment                        when nothing is left
============  =============================  ==========================================
1             interest on debt and arrears   always booked (adds to arrears; the only
                                             way arrears can pass the cap)
2             household payments: deferred   deferred: owed to households, paid first
              ones first, then instruments,  when money returns; while any is owed,
              compensation, dividends        households' trust falls
3             maintenance of village         the unpaid share of services is not kept up
              services                       this month (it decays as if withdrawn)
4             construction of phases under   the phase makes no progress this month (a
              way, in the phase rule's       stall); a phase stalled too long is abandoned
              order
5             land reclamation               postponed to the next month
6             one-off event costs            postponed to the next month
============  =============================  ==========================================

Arrears are kept as negative cash, so the cash identity
``cash = opening + Σ revenues − Σ expenditures`` holds every month; borrowing happens when the
month closes (credit before arrears), and surplus cash above the buffer repays debt.  Once
arrears reach the cap the township is *overcommitted*: it starts no phase and accepts no
registration until they fall below it.

Example:
    >>> from ruralsim.scenario.schema import Government
    >>> class Rec:
    ...     def __init__(self): self.lines = {}
    ...     def spend(self, line, t, x): self.lines[line] = self.lines.get(line, 0) + x
    ...     def earn(self, line, t, x): self.lines[line] = self.lines.get(line, 0) + x
    >>> g = Government(opening_cash_cny=100.0, borrowing={"limit_cny": 50.0},
    ...                arrears={"cap_cny": 25.0})
    >>> tr = Treasury(g, Rec())
    >>> tr.pay("exp_a_cny", 0, 160.0), tr.pay("exp_b_cny", 0, 100.0)  # 175 available in all
    (160.0, 15.0)
    >>> tr.close_month(0); round(tr.debt, 1), round(tr.arrears, 1), tr.overcommitted
    (50.0, 25.0, True)
"""
from __future__ import annotations

from collections import defaultdict

#: Half the smallest unit of money (0.5 fen): a shortfall smaller than this is the rounding of
#: sums of millions, not a payment owed to households (it would shift trust and patience).
HALF_FEN_CNY = 0.005


class Treasury:
    """Cash, debt, arrears and deferred household payments of the township."""

    def __init__(self, gov, rec) -> None:
        self.rec = rec
        self.cash = float(gov.opening_cash_cny)
        self.debt = 0.0
        self.limit = float(gov.borrowing.limit_cny)
        self.rate = float(gov.borrowing.interest_rate_per_year)
        self.buffer = float(gov.borrowing.cash_buffer_cny)
        self.cap = float(gov.arrears.cap_cny)
        self.arrears_rate = float(gov.arrears.interest_rate_per_year)
        #: Household payments owed and not yet paid, by expenditure line.
        self.deferred: dict[str, float] = defaultdict(float)
        self.overcommitted = False
        #: Whether payments may draw on the arrears cap (model 2.0).  With the township's
        #: plan (``government.plan.enabled``) every payment is made from cash and credit
        #: only, less the interest kept back (:attr:`reserve`): arrears then arise only from
        #: interest when no revenue comes within a year (docs/model.md 7.10, 7.22).
        self.use_cap = not gov.plan.enabled
        #: Room kept back from every refusable payment (CNY; set each month by the plan: the
        #: interest due until the next revenue comes in, so that interest - the one payment
        #: that cannot be refused - finds cash or credit).  0 without a plan.
        self.reserve = 0.0
        #: Household payments deferred (CNY) since the run began.
        self.deferred_in_all = 0.0
        #: The same, by payment line (whom the township kept waiting).
        self.deferred_by_line: dict[str, float] = defaultdict(float)

    @property
    def arrears(self) -> float:
        """Payments owed beyond cash and credit (negative cash)."""
        return max(0.0, -self.cash)

    @property
    def deferred_total(self) -> float:
        return float(sum(self.deferred.values()))

    def headroom(self) -> float:
        """What can still be paid now: cash, unused credit and room under the arrears cap."""
        return max(0.0, self.cash + (self.limit - self.debt) - self.reserve
                   + (self.cap if self.use_cap else 0.0))

    def earn(self, line: str, t: int, amount: float) -> None:
        if amount:
            self.rec.earn(line, t, amount)
            self.cash += amount

    def pay(self, line: str, t: int, amount: float, partial: bool = True) -> float:
        """Pay ``amount`` on ``line`` as far as the sources allow; returns what was paid.

        With ``partial=False`` the payment is made in full or not at all.
        """
        if amount <= 0:
            return 0.0
        avail = self.headroom()
        paid = min(amount, avail) if partial else (amount if amount <= avail + 1e-9 else 0.0)
        if paid:
            self.rec.spend(line, t, paid)
            self.cash -= paid
        return paid

    def pay_always(self, line: str, t: int, amount: float) -> None:
        """Book a payment that cannot be refused (interest): it may push arrears past the cap."""
        if amount:
            self.rec.spend(line, t, amount)
            self.cash -= amount

    def pay_household(self, line: str, t: int, amount: float,
                      budget: list[float] | None = None) -> None:
        """A payment promised to households: paid if possible (within ``budget[0]`` when a
        budget is given; it is reduced by what is paid), otherwise deferred."""
        paid = self.pay(line, t, amount if budget is None else min(amount, budget[0]))
        if budget is not None:
            budget[0] -= paid
        if amount - paid >= HALF_FEN_CNY:   # rounding of sums is not a debt
            self.deferred[line] += amount - paid
            self.deferred_in_all += amount - paid
            self.deferred_by_line[line] += amount - paid

    def pay_deferred(self, t: int, budget: list[float] | None = None) -> None:
        """Pay what is owed to households, oldest lines first, as far as possible (within
        ``budget[0]`` when given)."""
        for line in list(self.deferred):
            owed = self.deferred[line]
            paid = self.pay(line, t, owed if budget is None else min(owed, budget[0]))
            if budget is not None:
                budget[0] -= paid
            if owed - paid < HALF_FEN_CNY:
                del self.deferred[line]
            else:
                self.deferred[line] = owed - paid
                break

    def interest(self, t: int) -> None:
        """Interest on debt and on arrears outstanding at settlement (after this month's
        revenues have come in) (priority 1).

        With the plan, interest on arrears is charged on the arrears outstanding before this
        month's interest on debt is booked (that interest is covered by the credit the plan
        keeps back, :attr:`reserve`, and borrowed when the month closes).  Model 2.0 charges
        it after (on the debt interest just booked when cash is nil), and keeps that order so
        that its results do not change."""
        before = self.arrears
        self.pay_always("exp_interest_cny", t, self.debt * self.rate / 12.0)
        owed = self.arrears if self.use_cap else before
        self.pay_always("exp_arrears_interest_cny", t, owed * self.arrears_rate / 12.0)

    def close_month(self, t: int) -> None:
        """Borrow to cover negative cash (credit before arrears), or repay from surplus."""
        if self.cash < 0 and self.debt < self.limit:
            draw = min(-self.cash, self.limit - self.debt)
            self.rec.earn("rev_borrowing_cny", t, draw)
            self.cash += draw
            self.debt += draw
        elif self.cash > self.buffer and self.debt > 0:
            repay = min(self.debt, self.cash - self.buffer)
            self.rec.spend("exp_debt_repayment_cny", t, repay)
            self.cash -= repay
            self.debt -= repay
        self.overcommitted = self.arrears >= self.cap - 1e-6 and self.arrears > 0


class Developer:
    """A developer that builds 'developer' phases on its own credit and is repaid by sales."""

    def __init__(self, dev) -> None:
        self.limit = float(dev.credit_limit_cny)
        self.rate = float(dev.interest_rate_per_year)
        self.debt = 0.0
        self.cash = 0.0
        self.interest_paid = 0.0
        self.sales = 0.0
        self.spent = 0.0

    def can_pay(self, amount: float) -> bool:
        return amount <= self.cash + (self.limit - self.debt) + 1e-9

    def pay(self, amount: float) -> None:
        use = min(self.cash, amount)
        self.cash -= use
        self.debt += amount - use
        self.spent += amount

    def sell(self, amount: float) -> None:
        self.sales += amount
        repay = min(self.debt, amount)
        self.debt -= repay
        self.cash += amount - repay

    def accrue_interest(self) -> None:
        i = self.debt * self.rate / 12.0
        self.debt += i
        self.interest_paid += i
