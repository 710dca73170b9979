"""The scenario schema: every parameter declared once, with default, unit and source.

Each field is made with :func:`P`, which records a unit and a source next to the
default; ``ruralsim.scenario.docs.parameter_table()`` turns these declarations into
the reference table of ``scenarios/README.md``.  Models forbid unknown keys and
are strict about types (YAML already gives typed values), so a typo or a
quoted number is an error rather than a silent default.

Money is in yuan (CNY), land in mu (1 mu = 666.7 m2), time in months from the
scenario start unless a name says otherwise.  Every money, count and duration is
bounded to a physically meaningful range (:func:`P` adds the bound from the unit
where a declaration gives none), so that no sum in a run can overflow.

Sources are cited where they are used.  "Assumption" marks a value no source gives;
its reasoning is in the text.  The priors from published studies are collected in
``docs/model.md`` (section "Parameters and their evidence").
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ASSUMPTION = "assumption (plausible value, to calibrate)"
NANPU = ("seed essay 4 (社区建设工作谋划范文4: Nanpu sub-district office, Changyuan County, "
         "Xinxiang, Henan, 2003-2008)")
ESSAY2 = "seed essay 2 (民生保障 and 以奖代补 as the measure and the lever of success)"
#: Published evidence cited by several parameters (full references in docs/model.md).
WILLINGNESS = ("logit studies of willingness to give up homesteads / relocate, 333-6,768 "
               "households (NE Chongqing; Nanjing 2021; Guangdong; Zhu 2017, Land)")
HENAN_2012 = ("Henan new-community campaign press reports 2012: units about 1,000 CNY/m2 to "
              "villagers against about 420 CNY/m2 of compensation")
RENTS = ("farmland rents after transfer 770-1,000 CNY/mu/year (Henan > 800, Anhui 1,000, "
         "Jiangsu 772); 30-50% of transferred land pays no rent")

#: Largest amount of money a single parameter may hold (1 trillion yuan).
MONEY_MAX = 1e12
#: Largest number of months a duration may span (100 years).
MONTHS_MAX = 1200
#: Largest area in mu a single parameter may hold.
MU_MAX = 1e9


def P(default: Any, unit: str, source: str, doc: str, **constraints: Any) -> Any:
    """Declare a parameter: default, unit, source and meaning in one place.

    Money (a unit containing ``CNY``), months and mu get a bound from the unit when the
    declaration gives none, so every quantity of a scenario stays in a range where sums over
    households and months cannot overflow.
    """
    if isinstance(default, (dict, list)):
        pass   # a nested model or a list: its own fields carry the bounds
    elif "CNY" in unit:
        constraints.setdefault("le", MONEY_MAX)
        constraints.setdefault("ge", -MONEY_MAX)
    elif unit in ("months", "month"):
        constraints.setdefault("le", MONTHS_MAX)
    elif unit.startswith("mu"):
        constraints.setdefault("le", MU_MAX)
    extra = {"unit": unit, "source": source}
    if isinstance(default, (list, dict)):
        return Field(default_factory=lambda d=default: _copy(d), description=doc,
                     json_schema_extra=extra, **constraints)
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


def _copy(d: Any) -> Any:
    import copy

    return copy.deepcopy(d)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False,
                              validate_default=True)


from .schema_people import Consent, DemolitionDecision, Influence  # noqa: E402 (uses P, Strict)


# ----------------------------------------------------------------------------- run
class Run(Strict):
    start_year: int = P(2004, "year", NANPU + ": consolidation work began 2003-2004",
                        "Calendar year of month 0.", ge=1900, le=2200)
    start_month: int = P(1, "month of year", ASSUMPTION, "Calendar month (1-12) of month 0.",
                         ge=1, le=12)
    horizon_months: int = P(180, "months", ASSUMPTION, "Number of monthly rounds simulated.",
                            ge=1, le=1200)
    seed: int = P(20040101, "-", "-", "Default random seed (the --seed option overrides it).",
                  ge=0, le=2**63 - 1)


# ----------------------------------------------------------------------------- distributions
class LogNormal(Strict):
    median: float = P(0.0, "as the quantity", ASSUMPTION, "Median of the distribution.", ge=0,
                      le=MONEY_MAX)
    sigma: float = P(0.5, "log units", ASSUMPTION, "Standard deviation of the log.", ge=0, le=5)


#: Oldest house at the start, in years: the bound of household_types.<name>.house_age_years
#: (assumption: rural houses older than this are rebuilt or counted as this old; the built-in
#: types reach 50).
MAX_HOUSE_AGE_YEARS = 50


class Uniform(Strict):
    low: float = P(0.0, "as the quantity", ASSUMPTION, "Lower bound.", ge=-MONEY_MAX,
                   le=MONEY_MAX)
    high: float = P(1.0, "as the quantity", ASSUMPTION, "Upper bound.", ge=-MONEY_MAX,
                    le=MONEY_MAX)

    @model_validator(mode="after")
    def _order(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self


class Normal01(Strict):
    mean: float = P(0.5, "0-1", ASSUMPTION, "Mean (values are clipped to [0, 1]).", ge=0, le=1)
    sd: float = P(0.15, "0-1", ASSUMPTION, "Standard deviation before clipping.", ge=0, le=1)


# ----------------------------------------------------------------------------- households
class HouseholdType(Strict):
    label_zh: str = P("", "-", "-", "Chinese name shown in plots and reports.", max_length=200)
    label_en: str = P("", "-", "-", "English name shown in plots and reports.", max_length=200)
    share: float = P(0.0, "fraction of households", ASSUMPTION,
                     "Share of this type among all households (shares must sum to 1).", ge=0, le=1)
    # money over time
    savings_cny: LogNormal = P({"median": 40000, "sigma": 0.6}, "CNY", ASSUMPTION,
                               "Liquid savings at the start.")
    income_cny_per_year: LogNormal = P({"median": 20000, "sigma": 0.4}, "CNY/year", ASSUMPTION,
                                       "Net household income per year at the start.")
    income_growth_per_year: float = P(
        0.10, "fraction/year", "Henan rural net income per person 2,553 CNY (2004) and 10,853 "
        "CNY (2015), statistical yearbooks: about 14%/year in current prices; 10% taken "
        "(prices of units are held at their 2004 level)", "Trend growth of income.", ge=-0.5,
        le=0.5)
    income_shock_sd: float = P(0.15, "log units/year", ASSUMPTION + ": transitory income "
                               "variance of rural households is of this order",
                               "Standard deviation of the household's yearly income shock "
                               "(drawn each year, independent across years).", ge=0, le=2)
    living_cost_cny_per_person_per_year: float = P(
        2500, "CNY/person/year", "rural consumption per person in Henan about 2,000-3,000 CNY "
        "around 2004-2008 (statistical yearbooks); assumption within that range",
        "Living costs that come before saving; savings are drawn down when income falls short.",
        ge=0)
    saving_rate: float = P(0.25, "fraction of income above living costs", ASSUMPTION,
                           "Share of income above living costs added to savings.", ge=0, le=1)
    # people, land and house
    size_persons: Uniform = P({"low": 2, "high": 6}, "persons", ASSUMPTION,
                              "Household size, uniform integer between low and high.")
    head_age_years: Uniform = P({"low": 30, "high": 70}, "years", ASSUMPTION,
                                "Age of the household head (uniform).")
    nonfarm_income_share: Uniform = P({"low": 0.2, "high": 0.8}, "fraction of income",
                                      ASSUMPTION, "Share of income from non-farm work "
                                      "(uniform); the rest comes from farming.")
    farmland_mu: Uniform = P({"low": 4, "high": 8}, "mu", NANPU + ": 46 km2 of arable land for "
                             "about 10,900 households, 6.3 mu each", "Contracted farmland "
                             "(uniform).")
    two_homesteads_share: float = P(0.11, "fraction of households", "national survey of 4,090 "
                                    "households: about 11% hold two or more homesteads",
                                    "Share holding two homesteads.", ge=0, le=1)
    house_age_years: Uniform = P({"low": 5, "high": 35}, "years", ASSUMPTION,
                                 "Age of the house in the old village at the start "
                                 f"(from 0 to {MAX_HOUSE_AGE_YEARS} years).")

    @field_validator("house_age_years")
    @classmethod
    def _house_age_bounds(cls, v: Uniform) -> Uniform:
        if v.low < 0 or v.high > MAX_HOUSE_AGE_YEARS:
            raise ValueError(f"house ages must lie from 0 to {MAX_HOUSE_AGE_YEARS} years (got "
                             f"{v.low:g} to {v.high:g}); older houses are not modelled "
                             f"/ 房龄须在0到{MAX_HOUSE_AGE_YEARS}年之间")
        return v
    house_m2: Uniform = P({"low": 100, "high": 180}, "m2", ASSUMPTION + ": a rural house of two "
                          "to three rooms per floor on a homestead of about 466 m2 (2022 survey)",
                          "Floor area of the old house (for compensation per m2).")
    house_value_new_cny: float = P(80000, "CNY", ASSUMPTION,
                                   "Value of the old house when new; it depreciates linearly "
                                   "over behaviour.house_life_years. Also what rebuilding costs.",
                                   ge=0)
    attachment: Normal01 = P({"mean": 0.5, "sd": 0.15}, "0-1", ASSUMPTION,
                             "Attachment to the old village (clan, habit, fields).")
    # decisions
    asc: float = P(-5.0, "log hazard per month", ASSUMPTION,
                   "Alternative-specific constant of the monthly move hazard (need, taste).",
                   ge=-30, le=30)
    taste_sd: float = P(2.5, "log hazard", ASSUMPTION + ": mixed-logit studies of relocation "
                        "willingness find large unobserved heterogeneity",
                        "Standard deviation of the household's own, persistent taste for moving "
                        "(drawn once: a mixed logit).", ge=0, le=10)
    patience_months: Uniform = P({"low": 24, "high": 72}, "months", ASSUMPTION,
                                 "Months a registered household waits for its unit before its "
                                 "hazard of giving up starts to grow (uniform).")
    needs_to_build: bool = P(False, "-", NANPU + " (急需建房户: households that must build now)",
                             "Needs a house now: may rebuild on its old plot when it gives up "
                             "waiting (where policy.rebuild_allowed).")
    demolish_share: float = P(0.5, "fraction of movers", "surveys: many who accept a new unit "
                              "never demolish the old house (Jinzhai, Shaanxi, Tianjin); "
                              "homestead area grew while rural population fell, 2008-2013; "
                              "value assumed, lower for wealthier households",
                              "Probability that a mover demolishes its old house of its own "
                              "accord (no requirement, no conditional compensation).", ge=0, le=1)
    apartment_share: float = P(0.5, "fraction", ASSUMPTION,
                               "Probability that a registering household asks for an apartment "
                               "rather than a courtyard house.", ge=0, le=1)
    vulnerable: bool = P(False, "-", NANPU + " (特困户、五保户)",
                         "Extremely poor or five-guarantee: reported separately.")


# ----------------------------------------------------------------------------- villages
class Village(Strict):
    name: str = P(..., "-", "-", "Village name (unique).", min_length=1, max_length=200)
    households: int = P(..., "households", "-", "Households living in the village at the start.",
                        ge=0, le=10_000_000)
    community: str = P(..., "-", "-", "Name of the new community it is assigned to.",
                       max_length=200)
    homestead_mu_per_household: float = P(1.1, "mu/household", NANPU + ": 村庄占地户均达1.1亩",
                                          "Village land per household at the start (households "
                                          "with two homesteads hold twice the area of the others).",
                                          ge=0, le=100)
    maintenance_cny_per_month: float = P(6000, "CNY/month", ASSUMPTION,
                                         "Public service upkeep (roads, water, power, school, "
                                         "clinic) paid while services are maintained.", ge=0)
    field_distance_km: float = P(2.0, "km", ASSUMPTION,
                                 "Distance from the new community to the village's fields.",
                                 ge=0, le=500)
    x_km: float | None = P(None, "km", "-", "Optional map coordinate (east).", ge=-1e5, le=1e5)
    y_km: float | None = P(None, "km", "-", "Optional map coordinate (north).", ge=-1e5, le=1e5)


class VillageFile(Strict):
    file: str = P(..., "-", "-", "CSV file of villages, relative to the scenario file. Columns: "
                  "name, households, community, and optionally the other village keys.")


# ----------------------------------------------------------------------------- communities
class Kinds(Strict):
    apartment: float = P(0.0, "per kind", "-", "Value for multi-storey apartments (多层楼房).",
                         ge=0, le=MONEY_MAX)
    courtyard: float = P(0.0, "per kind", "-", "Value for courtyard houses (独院).", ge=0,
                         le=MONEY_MAX)


class IntKinds(Strict):
    apartment: int = P(0, "units", "-", "Apartments (多层楼房).", ge=0, le=10_000_000)
    courtyard: int = P(0, "units", "-", "Courtyard houses (独院).", ge=0, le=10_000_000)


class Triangular(Strict):
    low: float = P(12, "months", ASSUMPTION, "Shortest build time.", gt=0, le=600)
    mode: float = P(18, "months", ASSUMPTION, "Most likely build time.", gt=0, le=600)
    high: float = P(30, "months", ASSUMPTION, "Longest build time.", gt=0, le=600)

    @model_validator(mode="after")
    def _order(self) -> "Triangular":
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self


# supply (model 3.0): sections, facilities and the supply mode; imported here, after the
# base classes it uses, so that Community and Scenario can hold them
from .schema_supply import Facility, Section, Supply, check_demand_communities  # noqa: E402


class Phase(Strict):
    units: IntKinds = P(..., "units", "-", "Units this phase delivers, by kind.")
    public_cost_cny: float = P(
        10_000_000, "CNY", NANPU + " (government pays roads, water, power, plaza, service "
        "centre, school, kindergarten, clinic); 20-30 million CNY per 5,000 residents (Henan "
        "2012 press reports)", "Public works cost paid by the township, month by month over "
        "the paid build months.", ge=0)
    build_months: Triangular = P({"low": 12, "mode": 18, "high": 30}, "months", ASSUMPTION,
                                 "Build time in paid months, drawn from a triangular "
                                 "distribution.")
    earliest_month: int = P(0, "month", ASSUMPTION, "Month from which the phase may start.", ge=0)
    funding: Literal["cash", "committed"] = P(
        "cash", "-", "-", "'cash': starts only when cash plus unused credit covers its whole "
        "remaining cost beyond what phases under way still need; 'committed': starts at its "
        "turn regardless (and stalls when it cannot be paid).")
    financing: Literal["township", "households", "developer"] = P(
        "households", "-", NANPU + " (households pay for their unit, at least 100,000 CNY; the "
        "government pays the public works)", "Who pays for the housing: 'households' (units paid "
        "by their buyers, outside the township's books), 'developer' (a developer builds against "
        "future sales on its own credit, government.developer) or 'township' (the township pays "
        "the housing cost and sells the units).")
    min_registered_share: float = P(0.0, "fraction of units", ASSUMPTION,
                                    "Start only once registrations for the community reach this "
                                    "share of the units planned up to this phase.", ge=0, le=10)


class Community(Strict):
    name: str = P(..., "-", "-", "Community name (unique).", min_length=1, max_length=200)
    label_zh: str = P("", "-", "-", "Chinese name.", max_length=200)
    x_km: float | None = P(None, "km", "-", "Optional map coordinate (east).", ge=-1e5, le=1e5)
    y_km: float | None = P(None, "km", "-", "Optional map coordinate (north).", ge=-1e5, le=1e5)
    price_cny: Kinds = P({"apartment": 100000, "courtyard": 150000}, "CNY/unit",
                         NANPU + ": 平均每户最低需要投入10万元; courtyard assumed",
                         "Price a household pays for a unit.")
    unit_m2: Kinds = P({"apartment": 100, "courtyard": 150}, "m2/unit", ASSUMPTION + " (price "
                       "per m2 then about 1,000 CNY, as in Henan 2012)",
                       "Floor area of a unit (reported as price per m2 against compensation).")
    housing_cost_cny: Kinds = P({"apartment": 90000, "courtyard": 135000}, "CNY/unit",
                                ASSUMPTION + ": construction at about 900 CNY/m2",
                                "What building a unit costs the builder (developer or township "
                                "financing only).")
    land_mu_per_unit: Kinds = P({"apartment": 0.15, "courtyard": 0.35}, "mu/unit", ASSUMPTION,
                                "Construction land used per unit in the new community.")
    phases: list[Phase] = P(..., "-", "-", "Construction phases, in order.", min_length=1,
                            max_length=1000)
    sections: list[Section] = P([], "-", "-", "Public works in sections, in order (supply.mode "
                                "'demand'; each opens plots and building sites when done).",
                                max_length=1000)
    facilities: list[Facility] = P([], "-", "-", "Public facilities (supply.mode 'demand').",
                                   max_length=100)

    @model_validator(mode="after")
    def _unique_sections(self) -> "Community":
        names = [s.name for s in self.sections]
        if len(set(names)) != len(names):
            raise ValueError(f"section names repeat in community {self.name}")
        return self


# ----------------------------------------------------------------------------- government
class Revenue(Strict):
    name: str = P(..., "-", "-", "Identifier of the revenue line (column rev_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label_zh: str = P("", "-", "-", "Chinese name.", max_length=200)
    label_en: str = P("", "-", "-", "English name.", max_length=200)
    amount_cny: float = P(..., "CNY per payment", ASSUMPTION, "Amount of each payment.", ge=0)
    every_months: int = P(12, "months", ASSUMPTION, "Interval between payments.", ge=1, le=1200)
    start_month: int = P(0, "month", ASSUMPTION, "Month of the first payment.", ge=0)
    end_month: int | None = P(None, "month", ASSUMPTION, "Last month a payment may fall (none: "
                              "until the horizon).", ge=0)
    growth_per_year: float = P(0.0, "fraction/year", ASSUMPTION, "Compound growth of the amount.",
                               ge=-0.5, le=0.5)


class Borrowing(Strict):
    limit_cny: float = P(30_000_000, "CNY", ASSUMPTION, "Largest debt the township may hold.",
                         ge=0)
    interest_rate_per_year: float = P(0.06, "fraction/year", ASSUMPTION + " (bank lending rate)",
                                      "Interest on outstanding debt, charged monthly.", ge=0, le=1)
    cash_buffer_cny: float = P(1_000_000, "CNY", ASSUMPTION,
                               "Cash kept before surplus repays debt.", ge=0)


class Arrears(Strict):
    interest_rate_per_year: float = P(0.06, "fraction/year", ASSUMPTION + ": late-payment "
                                      "interest owed to contractors at about the lending rate",
                                      "Interest on payments owed and not yet paid (arrears).",
                                      ge=0, le=1)
    cap_cny: float = P(10_000_000, "CNY", ASSUMPTION + ": what contractors and suppliers will "
                       "carry before they stop working", "Most arrears the township can run up; "
                       "past it the township stops committing (no phase starts, no new "
                       "registrations) and household payments are deferred.", ge=0)


class Developer(Strict):
    credit_limit_cny: float = P(0.0, "CNY", ASSUMPTION, "Credit line of the developer that builds "
                                "'developer' phases (0: no developer).", ge=0)
    interest_rate_per_year: float = P(0.08, "fraction/year", ASSUMPTION + " (commercial lending "
                                      "to developers above the benchmark rate)",
                                      "Interest on the developer's debt.", ge=0, le=1)


from .schema_plan import Plan  # noqa: E402  (after P and Strict: schema_plan uses them)

#: What "public cost" means wherever a budget is checked (summary["budget"], ruralsim
#: optimize): the township's spending on every expense line of the time series (columns
#: ``exp_*_cny``: works, housing, instruments, compensation, events, upkeep, dividends,
#: reclamation, interest on debt and on arrears) except repayments of debt
#: (``exp_debt_repayment_cny``, a financing line), i.e. the summary's
#: ``total_public_cost_cny``; a calendar year's cost is the same sum over that year's months.
PUBLIC_COST_DEFINITION = (
    "the township's spending on every expense line (exp_*_cny: works, housing, instruments, "
    "compensation, events, upkeep, dividends, reclamation, interest) except debt repayment, "
    "as total_public_cost_cny / 公共成本：除偿还本金外的全部支出(同 total_public_cost_cny)")


class Budget(Strict):
    total_cny: float | None = P(None, "CNY", "the township's own statement (none: not stated)",
                                "Most public cost over the whole horizon (none: no budget "
                                "stated). Public cost: " + PUBLIC_COST_DEFINITION + ". The "
                                "summary says whether a run stays within it; it does not "
                                "change what the model does.", ge=0)
    per_year_cny: float | None = P(None, "CNY/year", "the township's own statement (none: not "
                                   "stated)", "Most public cost in any calendar year (none: not "
                                   "stated); checked like total_cny, not enforced by the model.",
                                   ge=0)


class Government(Strict):
    opening_cash_cny: float = P(20_000_000, "CNY", ASSUMPTION, "Cash at month 0.", ge=0)
    revenues: list[Revenue] = P([], "-", "-", "Regular revenue lines (transfers, awards, taxes).",
                                max_length=1000)
    borrowing: Borrowing = P({}, "-", "-", "Borrowing when cash runs out.")
    arrears: Arrears = P({}, "-", "-", "Payments owed beyond cash and credit.")
    developer: Developer = P({}, "-", "-", "Developer finance for 'developer' phases.")
    construction_teams: int | None = P(None, "teams", ASSUMPTION, "Phases that can be under way "
                                       "at once (none: unlimited).", ge=1, le=1000)
    phase_rule: Literal["planner_order", "demand_first", "one_community_at_a_time"] = P(
        "planner_order", "-", "-", "Which ready phase is funded first when money or teams are "
        "short: the planner's order (planner_order, else scenario order), the most demand per "
        "planned unit first, or one community at a time (the next community only once every "
        "phase of the current one has been funded).")
    planner_order: list[str] | None = P(None, "-", "-", "Phases in the planner's order, as "
                                        "'community/phase number' (1-based), e.g. '南蒲新村/2'; "
                                        "phases not listed come after, in scenario order.",
                                        max_length=100_000)
    stall_limit_months: int = P(24, "months", ASSUMPTION + ": contractors leave a site unpaid "
                                "for two years", "A phase unpaid for this many months in a row "
                                "is abandoned: its sunk cost is recorded and its units are "
                                "never delivered.", ge=1, le=1200)
    plan: Plan = P({}, "-", "-", "The township's yearly plan (issue 20; off by default).")
    budget: Budget = P({}, "-", "-", "The budget the package must keep to (issue 24): "
                       "summary['budget'] says pass or fail; ruralsim optimize uses it as its "
                       "default cost constraint.")
    discount_rate_per_year: float = P(0.05, "fraction/year", ASSUMPTION + " (close to the "
                                      "long-term lending rate)", "Discount rate for NPV.",
                                      ge=0, le=1)


# ----------------------------------------------------------------------------- services, land
SERVICES = ("road", "water", "power", "school", "clinic")


class Services(Strict):
    names: list[Literal["road", "water", "power", "school", "clinic"]] = P(
        list(SERVICES), "-", NANPU + " (roads, water and living conditions deteriorate)",
        "Services tracked per village, each in [0, 1].", min_length=1, max_length=5)


class PricePoint(Strict):
    month: int = P(..., "month", "-", "Month from which the price holds.", ge=0)
    cny_per_mu: float = P(..., "CNY/mu", "-", "Price of quota sold.", ge=0)


class Quota(Strict):
    enabled: bool = P(False, "-", NANPU + ": freed land stays collective; quota markets existed "
                      "only in Chongqing (from December 2008) and Chengdu",
                      "Sell reclaimed land as construction-land quota (城乡建设用地增减挂钩).")
    available_from_month: int = P(0, "month", "pilots from 2006, extended about 2008",
                                  "First month quota can be sold.", ge=0)
    share: float = P(0.5, "fraction of reclaimed land", ASSUMPTION, "Share of reclaimed land "
                     "sold as quota; the rest stays collective.", ge=0, le=1)
    sale_lag_months: int = P(6, "months", ASSUMPTION, "Delay from reclamation to sale.", ge=0,
                             le=600)
    price_path: list[PricePoint] = P(
        [{"month": 0, "cny_per_mu": 100000}], "CNY/mu", "Chongqing land tickets: about 139 "
        "CNY/m2 of reclaimed homestead (about 93,000 CNY/mu paid to a household in 2012)",
        "Quota price over time (step function by month).", min_length=1, max_length=1200)
    price_sd_log: float = P(0.3, "log units", ASSUMPTION + ": quota revenue varied widely across "
                            "projects (Zhejiang, 1,907 projects)", "Uncertainty of the price "
                            "level: one multiplicative draw per run.", ge=0, le=3)


class Land(Strict):
    reclaim_lag_months: int = P(12, "months", ASSUMPTION, "Delay from a homestead's demolition "
                                "to its reclamation.", ge=0, le=600)
    reclaim_cost_cny_per_mu: float = P(15000, "CNY/mu", ASSUMPTION, "Reclamation cost paid by "
                                       "the township.", ge=0)
    collective_use: Literal["rent", "forest"] = P(
        "rent", "-", NANPU + ": freed land is managed collectively, with dividends to villagers",
        "How reclaimed land that stays collective earns: leased out as farmland (rent) or "
        "planted with fast-growing forest (forest).")
    rent_cny_per_mu_per_year: float = P(800, "CNY/mu/year", RENTS,
                                        "Rent of collective land leased as farmland.", ge=0)
    rent_paid_share: float = P(0.6, "fraction", RENTS, "Share of leased land that actually pays "
                               "rent.", ge=0, le=1)
    forest_net_cny_per_mu_per_year: float = P(
        600, "CNY/mu/year", NANPU + ": forestry raised gross output to about 2,000 CNY/mu; net of "
        "labour, seedlings and land costs assumed at 30%", "Net income of collective forest.",
        ge=0)
    dividend_share: float = P(1.0, "fraction", NANPU + " (村民分红)", "Share of collective land "
                              "income paid as dividends to the village's households.", ge=0, le=1)
    quota: Quota = P({}, "-", "-", "Construction-land quota sales (a switch).")


# ----------------------------------------------------------------------------- behaviour
class Behaviour(Strict):
    asc_offset: float = P(0.0, "log hazard per month", "fitted (calibration section); 0 "
                          "elsewhere", "Calibration constant added to every household type's "
                          "asc.", ge=-30, le=30)
    b_cost_per_10k_cny: float = P(0.25, "log hazard per 10,000 CNY", WILLINGNESS + " "
                                  "(relocation cost: −; compensation level and full payment: +, "
                                  "Shanghai, Weinan/Shizuishan 2022); value assumed: a net cost "
                                  "of six years' income (100,000 CNY) lowers the hazard by "
                                  "e^2.5, about 12 times",
                                  "Disutility of the household's net cost of moving.", ge=0,
                                  le=100)
    b_gap_per_10k_cny: float = P(0.3, "log hazard per 10,000 CNY", ASSUMPTION,
                                 "Disutility of the part of the cost that savings and credit "
                                 "cannot cover (affordability).", ge=0, le=100)
    b_social_registered: float = P(1.0, "log hazard per unit share", "Jiuquan, 638 households: "
                                   "conformity grows as more of the village chooses; value "
                                   "assumed", "Pull of the share of one's village registered "
                                   "(visible commitment).", ge=0, le=100)
    b_social_moved: float = P(2.0, "log hazard per unit share", "Huai'an census of 872,414 "
                              "households ('following behaviour'); value assumed",
                              "Pull of the share of one's village already moved out.", ge=0,
                              le=100)
    social_prior_households: float = P(
        0, "households", ASSUMPTION + ": off by default, so that villages influence each "
        "other only through the documented channels (budget, teams, phase rules)",
        "When above 0, shrinks a village's shares toward its community's: weight of the "
        "village = (n − 1) / (n − 1 + this); a village of one household then sees its "
        "community.", ge=0, le=1e6)
    influence: Influence = P({}, "-", "-", "Influence by ties (model 3.0; mode 'anonymous' "
                             "keeps the linear shares above).")
    b_demonstration: float = P(0.5, "log hazard", NANPU + " (参观学习: seeing a finished "
                               "community); value assumed", "Pull once a phase of one's own "
                               "community is completed.", ge=0, le=100)
    b_service: float = P(3.0, "log hazard per unit service loss", NANPU + " (抓两头、带中间); "
                         "value assumed", "Push of lost services in the old village "
                         "(1 − mean level).", ge=0, le=100)
    b_attachment: float = P(2.0, "log hazard per unit attachment", ASSUMPTION,
                            "Disutility of attachment to the old village.", ge=0, le=100)
    b_farm_distance_per_km: float = P(
        0.3, "log hazard per km at full farm income", NANPU + " (远离责任田); PLoS ONE 2024: "
        "larger land holdings, less relocation; value assumed",
        "Disutility of farming from farther away, times the household's farm income share.",
        ge=0, le=100)
    b_head_age_per_10y: float = P(0.2, "log hazard per 10 years", WILLINGNESS + ": older heads "
                                  "less willing (mostly −); value assumed",
                                  "Disutility per 10 years of the head's age above 40.", ge=0,
                                  le=100)
    b_nonfarm_share: float = P(1.0, "log hazard per unit share", "Zhu 2017 (Land); national "
                               "survey of 4,275 households 2025 (+, via out-migration); value "
                               "assumed", "Pull of non-farm income (share of income).", ge=0,
                               le=100)
    b_two_homesteads: float = P(0.3, "log hazard", "households with idle extra homesteads are "
                                "more willing to withdraw one (survey literature); value "
                                "assumed", "Pull of holding a second homestead.", ge=-100,
                                le=100)
    b_house_value_per_10k_cny: float = P(0.25, "log hazard per 10,000 CNY", NANPU + " (新建房户 "
                                         "resist); older houses more willing (Nanjing 2021, "
                                         "Anhui 2023); value assumed",
                                         "Disutility of abandoning the remaining value of the "
                                         "old house.", ge=0, le=100)
    house_life_years: float = P(30, "years", ASSUMPTION, "Years over which a rural house "
                                "depreciates to zero.", gt=0, le=200)
    house_kept_factor: float = P(0.3, "fraction", ASSUMPTION + ": a house kept standing is not "
                                 "lost, only left empty (两头住)", "Share of the house term felt by "
                                 "a household that would keep its old house after moving.",
                                 ge=0, le=1)
    fit_out_cny: float = P(20000, "CNY", ASSUMPTION, "Moving and fitting-out cost on top of the "
                           "unit price.", ge=0)
    credit_years_of_income: float = P(1.5, "years of income", ASSUMPTION,
                                      "Informal credit (relatives, rural credit co-operative) "
                                      "available without any loan programme.", ge=0, le=50)
    switch_kind_after_months: int = P(12, "months", ASSUMPTION, "A household waiting this long "
                                      "for a sold-out unit kind accepts the other kind when one "
                                      "is free.", ge=0, le=1200)
    move_lag_months: int = P(3, "months", ASSUMPTION, "Delay from allocation of a unit to moving "
                             "in.", ge=0, le=120)
    renege_slope_per_month2: float = P(
        0.005, "hazard per month per month of excess wait", ASSUMPTION + ": about half of those "
        "kept waiting beyond their patience give up within a year and a half",
        "Growth of the monthly hazard of leaving the waiting list per month waited beyond the "
        "household's patience (hazard = slope × excess months).", ge=0, le=10)
    reneged_shift: float = P(-0.5, "log hazard", ASSUMPTION + ": disappointment after giving "
                             "up", "Shift of the move hazard of a household that gave up "
                             "waiting once.", ge=-30, le=30)
    trust_shift_overdue: float = P(-1.0, "log hazard", "trust in the village committee and "
                                   "compensation paid in full raise willingness (Sichuan pilots, "
                                   "Land 2020 9(12) 477; Weinan/Shizuishan 2022); value assumed",
                                   "Shift of the move hazard of every household while the "
                                   "township owes households deferred payments.", ge=-30, le=30)
    overdue_wait_weight: float = P(
        2.0, "months of waiting per month", ASSUMPTION + ": a household on the waiting list that "
        "sees the township behind on what it owes movers (the source stresses paying on time, "
        "按时兑现) loses patience twice as fast; 1 turns the effect off",
        "How many months of waiting a month counts for, on the patience clock of every "
        "registered household, while the township owes households deferred payments.",
        ge=1, le=12)


class Livelihood(Strict):
    loan_rate_per_year: float = P(0.07, "fraction/year", ASSUMPTION + " (rural credit "
                                  "co-operative lending rate)", "Interest on what a mover "
                                  "borrows beyond its savings.", ge=0, le=1)
    loan_term_years: float = P(10, "years", ASSUMPTION, "Term of movers' loans (repaid monthly, "
                               "as an annuity).", gt=0, le=50)
    distress_debt_service_ratio: float = P(0.4, "fraction of income", ASSUMPTION + ": a common "
                                           "affordability threshold of lenders",
                                           "A mover whose debt service exceeds this share of its "
                                           "income is counted as in distress.", gt=0, le=10)
    living_cost_change_cny_per_month: Kinds = P(
        {"apartment": 150, "courtyard": 60}, "CNY/month", "satisfaction studies: property fees "
        "and utilities ('上楼债') limit satisfaction in consolidated communities; values assumed",
        "Extra living costs in the new unit (property fees, utilities, buying what was grown).")
    nonfarm_income_gain_share: float = P(
        0.15, "fraction of non-farm income", "Jinzhai, 626 households (propensity-score "
        "matching): withdrawal lowered farm income and raised wage and total income; 42 "
        "whole-village projects in Jiangsu: income grew faster in 88%, mainly from non-farm "
        "work; value assumed", "Rise of a mover's non-farm income (nearer to jobs).", ge=0,
        le=10)
    labour_redeployed_share: float = P(
        0.6, "fraction", ASSUMPTION + ": labour freed by transferring land mostly finds "
        "non-farm work", "Share of the farm income given up by transferring land that the "
        "freed labour earns back elsewhere.", ge=0, le=1)
    farm_commute_cost_cny_per_mu_km_year: float = P(
        15, "CNY/mu/km/year", ASSUMPTION + ": a tricycle trip per mu and week of the season",
        "Cost of farming one mu from one km farther away (unless the land is transferred).",
        ge=0)
    return_hazard_worse_per_month: float = P(
        0.005, "per month", "panel of 1,880 relocated households in 8 provinces (PLoS ONE 2024): "
        "returns more likely where land and family remain; value assumed",
        "Monthly hazard that a mover who kept its old house and is worse off returns to it.",
        ge=0, le=1)
    return_hazard_base_per_month: float = P(0.001, "per month", ASSUMPTION, "The same for a mover "
                                            "who kept its old house and is not worse off.", ge=0,
                                            le=1)


# ----------------------------------------------------------------------------- policy
class Eligibility(Strict):
    types: list[str] | None = P(None, "-", "-", "Household types eligible (none: all types).",
                                max_length=100)
    villages: list[str] | None = P(None, "-", "-", "Villages eligible (none: all villages).",
                                   max_length=1_000_000)
    max_income_cny_per_year: float | None = P(None, "CNY/year", "-",
                                              "Only households with income at most this.", ge=0)


class Instrument(Strict):
    name: str = P(..., "-", "-", "Identifier (column exp_instr_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label_zh: str = P("", "-", "-", "Chinese name, e.g. 一补助.", max_length=200)
    label_en: str = P("", "-", "-", "English name.", max_length=200)
    eligible: Eligibility = P({}, "-", "-", "Who may receive it.")
    start_month: int = P(0, "month", "-", "First month it is offered.", ge=0)
    end_month: int | None = P(None, "month", "-", "Last month it is offered (none: to the end).",
                              ge=0)
    value_cny: float = P(0.0, "CNY", "-", "Money value to the household: lowers its net cost of "
                         "moving.", ge=-10_000_000, le=10_000_000)
    utility_shift: float = P(0.0, "log hazard", "-", "Shift in the monthly move hazard "
                             "(non-monetary value, persuasion, pressure).", ge=-30, le=30)
    credit_cny: float = P(0.0, "CNY", "-", "Extra credit available to the household (loans).",
                          ge=0, le=10_000_000)
    covers_price: bool = P(False, "-", "-", "Government pays the unit price (free housing).")
    cost_once_cny: float = P(0.0, "CNY per recipient", "-", "Township payment when a recipient "
                             "moves.", ge=0)
    cost_monthly_cny: float = P(0.0, "CNY per recipient per month", "-",
                                "Township payment each month after a recipient moves.", ge=0)
    cost_months: int = P(0, "months", "-", "Months the monthly cost (and revenue) lasts.",
                         ge=0, le=1200)
    revenue_monthly_cny: float = P(0.0, "CNY per recipient per month", "-",
                                   "Paid back to the township each month after a recipient "
                                   "moves, for cost_months (rent, instalments).", ge=0)
    field_distance_relief: float = P(0.0, "fraction", NANPU + " (土地流转 eases 'fields far from "
                                     "the new flats')", "Share of the recipient's farmland "
                                     "transferred (土地流转): it earns rent instead of farm "
                                     "income and needs no commuting.", ge=0, le=1)
    income_gain_cny_per_year: float = P(0.0, "CNY/year", "-", "Non-farm income a recipient gains "
                                        "after moving (priority hiring, skills training).",
                                        ge=0, le=10_000_000)


class Event(Strict):
    name: str = P(..., "-", "-", "Identifier.", pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label_zh: str = P("", "-", "-", "Chinese name, e.g. 参观学习.", max_length=200)
    month: int = P(..., "month", "-", "Month the event happens.", ge=0)
    cost_cny: float = P(0.0, "CNY", "-", "One-off township cost (column exp_events_cny).", ge=0)
    eligible: Eligibility = P({}, "-", "-", "Households affected.")
    utility_shift: float = P(0.0, "log hazard", "-", "Lasting shift of the move hazard of those "
                             "affected.", ge=-30, le=30)
    apartment_share_shift: float = P(0.0, "fraction", "-", "Lasting shift of the probability of "
                                     "asking for an apartment.", ge=-1, le=1)
    opens_registration: bool = P(False, "-", "-", "Registration for new units opens at this event.")


class Registration(Strict):
    lead_months: int = P(12, "months", ASSUMPTION, "A community accepts registrations from this "
                         "many months before its first phase may start, once registration is "
                         "open at all (policy.registration_opens_month or an event that opens "
                         "it).", ge=0, le=1200)
    deposit_cny: float = P(0.0, "CNY", ASSUMPTION, "Deposit paid from savings when registering "
                           "(held in escrow, credited to the unit price at the move).", ge=0,
                           le=10_000_000)
    deposit_rule: Literal["refund", "forfeit"] = P("refund", "-", "-", "What happens to the "
                                                   "deposit of a household that gives up: "
                                                   "refunded, or forfeited to the township.")


class Compensation(Strict):
    cny_per_m2: float = P(0.0, "CNY/m2", NANPU + " names no compensation for the old house; "
                          + HENAN_2012, "Compensation for the old house per m2 of floor area "
                          "when new (paid by the township at demolition).", ge=0, le=1e6)
    condition_floor: float = P(0.3, "fraction", ASSUMPTION, "Smallest share of the per-m2 rate "
                               "paid for an old house (the rate falls with age over "
                               "behaviour.house_life_years down to this share).", ge=0, le=1)
    requires_demolition: bool = P(True, "-", "Shaanxi planned demolition of old homes to stop "
                                  "returns", "Compensation is paid only to movers who demolish.")


class Demolition(Strict):
    required: bool = P(False, "-", NANPU + ": not required; demolition deadlines elsewhere",
                       "Movers must demolish their old house.")
    enforcement_share: float = P(1.0, "fraction", ASSUMPTION, "Share of movers who would keep "
                                 "their house that the requirement actually reaches.", ge=0, le=1)
    mode: Literal["drawn", "decision"] = P("drawn", "-", "-", "'drawn' (model 2.0): a mover "
                                           "demolishes by its type's demolish_share, "
                                           "compensation above the house's value, or "
                                           "enforcement; 'decision': a logit with drivers "
                                           "(decision).")
    decision: DemolitionDecision = P({}, "-", "-", "Drivers of the demolition decision.")


class Policy(Strict):
    registration_opens_month: int = P(0, "month", ASSUMPTION, "Households may register from this "
                                      "month (an event with opens_registration may open it "
                                      "earlier); each community from registration.lead_months "
                                      "before its first phase may start.", ge=0)
    registration: Registration = P({}, "-", "-", "How registration for units works.")
    compensation: Compensation = P({}, "-", "-", "Compensation for the old house.")
    demolition: Demolition = P({}, "-", "-", "Whether movers must demolish the old house.")
    rebuild_allowed: bool = P(True, "-", NANPU + " (urgent builders 'may not rebuild on the old "
                              "plot' once the plan is adopted: set false to forbid)",
                              "A household that needs to build and gives up waiting may rebuild "
                              "on its old plot.")
    instruments: list[Instrument] = P([], "-", "-", "The incentive package, instrument by "
                                      "instrument.", max_length=60)
    events: list[Event] = P([], "-", "-", "Policy events at given months.", max_length=10_000)
    packages: list[str] = P([], "-", "-", "Names of the packages stacked on this scenario (filled "
                            "in by the loader from the top-level 'packages' key; informational).",
                            max_length=100)
    awards: list["Award"] = P([], "-", ESSAY2, "Awards paid to the township by a higher level "
                              "when consolidation milestones are reached.", max_length=1000)


class Award(Strict):
    name: str = P(..., "-", "-", "Identifier (column rev_award_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label_zh: str = P("以奖代补", "-", ESSAY2, "Chinese name.", max_length=200)
    moved_share: float = P(..., "fraction of households moved", "-",
                           "Milestone: paid once this share of all households has moved.",
                           gt=0, le=1)
    amount_cny: float = P(..., "CNY", ASSUMPTION, "Award paid by the higher level.", ge=0)
    per: Literal["total", "household", "per_1000_households"] = P(
        "total", "-", ESSAY2 + " (awards scale with the work done)", "What amount_cny is for: "
        "the whole town, each household of the town, or each 1,000 households.")


# ----------------------------------------------------------------------------- strategy
class Outreach(Strict):
    types: list[str] = P(..., "-", "-", "Household types targeted.", max_length=100)
    utility_shift: float = P(1.0, "log hazard", ASSUMPTION, "Shift of the move hazard while "
                             "active.", ge=-30, le=30)
    start_month: int = P(0, "month", "-", "First month.", ge=0)
    end_month: int | None = P(None, "month", "-", "Last month (none: to the end).", ge=0)


class Withdrawal(Strict):
    enabled: bool = P(True, "-", NANPU, "Stop maintaining services of emptying villages.")
    threshold_share: float = P(0.3, "fraction of households remaining", NANPU + " (当大部分村民集中"
                               "到新型社区之后); value assumed",
                               "Withdraw once the remaining share falls below this.", ge=0, le=1)
    services: list[Literal["road", "water", "power", "school", "clinic"]] | None = P(
        None, "-", "-", "Services withdrawn (none: all tracked services).")
    decay_per_month: float = P(0.05, "fraction/month", ASSUMPTION,
                               "Relative decay of each withdrawn service per month.", ge=0, le=1)
    earliest_month: int = P(0, "month", "-", "No withdrawal before this month.", ge=0)
    stranded_service_level: float = P(0.5, "0-1", ASSUMPTION,
                                      "A household still in its village that cannot afford to "
                                      "move is 'stranded' once the village's mean service level "
                                      "falls below this.", ge=0, le=1)
    exposure_service_level: float = P(0.5, "0-1", ASSUMPTION, "Household-months lived in a "
                                      "village whose mean service level is below this count as "
                                      "exposure (everyone present: registered or not).", ge=0,
                                      le=1)


class Sequence(Strict):
    mode: Literal["all", "batches"] = P("all", "-", "-", "'all': every village may register at "
                                        "once; 'batches': villages open a batch at a time "
                                        "(village-by-village clearing).")
    order: list[str] | None = P(None, "-", "-", "Village order for batches (none: community by "
                                "community, in the order of the communities' first phases, "
                                "villages in file order within each).", max_length=1_000_000)
    batch_villages: int = P(1, "villages", ASSUMPTION, "Villages opened per batch.", ge=1,
                            le=1_000_000)
    open_next_below_share: float = P(0.3, "fraction of households undecided", ASSUMPTION,
                                     "The next batch opens once the share of the open villages' "
                                     "households that have not registered (nor moved) falls "
                                     "below this.", ge=0, le=1)
    open_next_after_months: int | None = P(24, "months", ASSUMPTION + ": a work plan moves on "
                                           "to the next villages after two years even if "
                                           "holdouts remain", "The next batch opens at the "
                                           "latest this many months after the last one "
                                           "opened (none: only by the share).", ge=1, le=1200)


class Strategy(Strict):
    name: str = P("zhua_liangtou", "-", "-", "Identifier.", max_length=200)
    label_zh: str = P("抓两头、带中间", "-", NANPU, "Chinese name.", max_length=200)
    priority: list[str] = P([], "-", NANPU, "Allocation order of household types on the waiting "
                            "list (types not listed come after).", max_length=100)
    allocation: Literal["priority", "lottery", "registration_order"] = P(
        "priority", "-", "-", "How free units go to an oversubscribed waiting list: by the "
        "priority list, then registration month ('priority'); by lottery among all waiting "
        "('lottery'); or first come, first served ('registration_order').")
    outreach: list[Outreach] = P([], "-", NANPU, "Targeted persuasion of chosen types.",
                                 max_length=1000)
    consent_share: float = P(0.0, "fraction of a village's households", "Tianjin homestead-for-"
                             "housing pilots required more than 95% approval before a village "
                             "joined", "A village's registered households are allocated units "
                             "only once this share of the village has signed up (registered at "
                             "least once): near-unanimous consent. 0: no such rule.",
                             ge=0, le=1)
    consent: Consent = P({}, "-", "-", "How villages consent (model 3.0; mode 'gate' keeps "
                         "consent_share).")
    withdrawal: Withdrawal = P({"enabled": False}, "-", "-", "Service withdrawal rule.")
    sequence: Sequence = P({}, "-", "-", "Which villages may register when.")


# ----------------------------------------------------------------------------- calibration
class Fitted(Strict):
    value: float = P(..., "as the parameter", "-", "Value used in the scenario (posterior mean "
                     "or point estimate).", ge=-MONEY_MAX, le=MONEY_MAX)
    sd: float = P(0.0, "as the parameter", "-", "Posterior standard deviation (or spread of the "
                  "fit across replication batches).", ge=0, le=MONEY_MAX)
    q05: float | None = P(None, "as the parameter", "-", "5% posterior quantile.",
                          ge=-MONEY_MAX, le=MONEY_MAX)
    q95: float | None = P(None, "as the parameter", "-", "95% posterior quantile.",
                          ge=-MONEY_MAX, le=MONEY_MAX)
    batches: int = P(1, "batches", "-", "Independent replication batches fitted.", ge=1,
                     le=1_000_000)
    reps_per_batch: int = P(1, "replications", "-", "Replications averaged per batch.", ge=1,
                            le=1_000_000)


class Calibration(Strict):
    method: str = P("", "-", "-", "How the values were fitted.", max_length=10_000)
    fitted: dict[str, Fitted] = P({}, "-", "-", "Fitted parameters by dotted key path.")
    targets: dict[str, str] = P({}, "-", "-", "Patterns fitted to, with their source.")
    posterior_sample: dict[str, list[float]] | None = P(
        None, "-", "-", "A sample of the joint posterior (equal-weight draws, one list per fitted "
        "parameter), for propagating calibration uncertainty.")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = P("scenario", "-", "-", "Short name of the scenario.", max_length=200)
    description: str = P("", "-", "-", "What the scenario represents.", max_length=100_000)
    run: Run = P({}, "-", "-", "Run settings.")
    household_types: dict[str, HouseholdType] = P(..., "-", "-", "Household types by identifier.",
                                                  min_length=1, max_length=60)
    villages: list[Village] | VillageFile = P(..., "-", "-", "Villages, inline or from a CSV.")
    communities: list[Community] = P(..., "-", "-", "New communities.", min_length=1,
                                     max_length=10_000)
    government: Government = P({}, "-", "-", "The township / sub-district government.")
    services: Services = P({}, "-", "-", "Village services.")
    land: Land = P({}, "-", "-", "Land reclamation, collective use and quota sales.")
    behaviour: Behaviour = P({}, "-", "-", "Decision-model coefficients.")
    livelihood: Livelihood = P({}, "-", "-", "Household finances after moving.")
    policy: Policy = P({}, "-", "-", "Incentive package and policy events.")
    strategy: Strategy = P({}, "-", "-", "Sequencing strategy.")
    supply: Supply = P({}, "-", "-", "How homes and public works are supplied (phases or "
                       "demand).")
    calibration: Calibration | None = P(None, "-", "-", "Record of fitted coefficients "
                                        "(informational; the values themselves are set above).")

    @model_validator(mode="after")
    def _supply_fits(self) -> "Scenario":
        if self.supply.mode == "demand":
            check_demand_communities(self.communities)
        return self

    @property
    def village_list(self) -> list[Village]:
        assert isinstance(self.villages, list), "villages are resolved by load_scenario"
        return self.villages


Policy.model_rebuild()
