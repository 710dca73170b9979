"""The scenario schema: every parameter declared once, with default, unit and source.

Each field is made with :func:`P`, which records a unit and a source next to the
default; ``ruralsim.scenario.docs.parameter_table()`` turns these declarations into
the reference table of ``scenarios/README.md``.  Models forbid unknown keys and
are strict about types (YAML already gives typed values), so a typo or a
quoted number is an error rather than a silent default.

Money is in yuan (CNY), land in mu (1 mu = 666.7 m2), time in months from the
scenario start unless a name says otherwise.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ASSUMPTION = "assumption (plausible value, to calibrate)"
NANPU = "seed essay 4 (Nanpu, Changyuan), see DESIGN.md §2"


def P(default: Any, unit: str, source: str, doc: str, **constraints: Any) -> Any:
    """Declare a parameter: default, unit, source and meaning in one place."""
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


Money = float
NonNeg = dict(ge=0)


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


# ----------------------------------------------------------------------------- households
class LogNormal(Strict):
    median: float = P(0.0, "as the quantity", ASSUMPTION, "Median of the distribution.", ge=0)
    sigma: float = P(0.5, "log units", ASSUMPTION, "Standard deviation of the log.", ge=0, le=5)


class Uniform(Strict):
    low: float = P(0.0, "as the quantity", ASSUMPTION, "Lower bound.")
    high: float = P(1.0, "as the quantity", ASSUMPTION, "Upper bound.")

    @model_validator(mode="after")
    def _order(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self


class Normal01(Strict):
    mean: float = P(0.5, "0-1", ASSUMPTION, "Mean (values are clipped to [0, 1]).", ge=0, le=1)
    sd: float = P(0.15, "0-1", ASSUMPTION, "Standard deviation before clipping.", ge=0, le=1)


class HouseholdType(Strict):
    label_zh: str = P("", "-", "-", "Chinese name shown in plots and reports.")
    label_en: str = P("", "-", "-", "English name shown in plots and reports.")
    share: float = P(0.0, "fraction of households", ASSUMPTION,
                     "Share of this type among all households (shares must sum to 1).", ge=0, le=1)
    savings_cny: LogNormal = P({"median": 40000, "sigma": 0.6}, "CNY", ASSUMPTION,
                               "Liquid savings at the start.")
    income_cny_per_year: LogNormal = P({"median": 20000, "sigma": 0.4}, "CNY/year", ASSUMPTION,
                                       "Net household income per year.")
    saving_rate: float = P(0.25, "fraction of income", ASSUMPTION,
                           "Share of income added to savings each month.", ge=0, le=1)
    size_persons: Uniform = P({"low": 2, "high": 6}, "persons", ASSUMPTION,
                              "Household size, uniform integer between low and high.")
    house_age_years: Uniform = P({"low": 5, "high": 35}, "years", ASSUMPTION,
                                 "Age of the house in the old village at the start.")
    house_value_new_cny: float = P(80000, "CNY", ASSUMPTION,
                                   "Value of the old house when new; it depreciates linearly "
                                   "over behaviour.house_life_years.", ge=0)
    attachment: Normal01 = P({"mean": 0.5, "sd": 0.15}, "0-1", ASSUMPTION,
                             "Attachment to the old village (clan, habit, fields).")
    asc: float = P(-5.0, "logit units per month", ASSUMPTION,
                   "Alternative-specific constant of the monthly move logit (need, taste).",
                   ge=-30, le=30)
    apartment_share: float = P(0.5, "fraction", ASSUMPTION,
                               "Probability that a registering household asks for an apartment "
                               "rather than a courtyard house.", ge=0, le=1)
    vulnerable: bool = P(False, "-", NANPU + " (特困户、五保户)",
                         "Extremely poor or five-guarantee: counted as 'poor protected/harmed'.")


# ----------------------------------------------------------------------------- villages
class Village(Strict):
    name: str = P(..., "-", "-", "Village name (unique).", min_length=1)
    households: int = P(..., "households", "-", "Households living in the village at the start.",
                        ge=0, le=10_000_000)
    community: str = P(..., "-", "-", "Name of the new community it is assigned to.")
    homestead_mu_per_household: float = P(1.1, "mu/household", NANPU + ": 村庄占地户均达1.1亩",
                                          "Village land per household freed when it leaves.",
                                          ge=0, le=100)
    maintenance_cny_per_month: float = P(6000, "CNY/month", ASSUMPTION,
                                         "Public service upkeep (roads, water, power, school, "
                                         "clinic) paid while services are maintained.", ge=0)
    field_distance_km: float = P(2.0, "km", ASSUMPTION,
                                 "Distance from the new community to the village's fields.",
                                 ge=0, le=500)
    x_km: float | None = P(None, "km", "-", "Optional map coordinate (east).")
    y_km: float | None = P(None, "km", "-", "Optional map coordinate (north).")


class VillageFile(Strict):
    file: str = P(..., "-", "-", "CSV file of villages, relative to the scenario file. Columns: "
                  "name, households, community, and optionally the other village keys.")


# ----------------------------------------------------------------------------- communities
class Kinds(Strict):
    apartment: float = P(0.0, "per kind", "-", "Value for multi-storey apartments (多层楼房).", ge=0)
    courtyard: float = P(0.0, "per kind", "-", "Value for courtyard houses (独院).", ge=0)


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


class Phase(Strict):
    units: IntKinds = P(..., "units", "-", "Units this phase delivers, by kind.")
    public_cost_cny: float = P(10_000_000, "CNY", NANPU + " (government pays roads, water, power, "
                               "plaza, service centre, school, kindergarten, clinic); amount assumed",
                               "Public works cost paid by the government, spread evenly over the "
                               "build months.", ge=0)
    build_months: Triangular = P({"low": 12, "mode": 18, "high": 30}, "months", ASSUMPTION,
                                 "Build time, drawn from a triangular distribution.")
    earliest_month: int = P(0, "month", ASSUMPTION, "Month from which the phase may start.", ge=0)
    funding: Literal["cash", "committed"] = P(
        "cash", "-", "DESIGN.md §3", "'cash': starts only when cash plus unused credit covers its "
        "whole cost (a financing gap delays it); 'committed': starts at earliest_month regardless.")
    min_registered_share: float = P(0.0, "fraction of units", ASSUMPTION,
                                    "Start only once registrations for the community reach this "
                                    "share of the phase's units.", ge=0, le=10)


class Community(Strict):
    name: str = P(..., "-", "-", "Community name (unique).", min_length=1)
    label_zh: str = P("", "-", "-", "Chinese name.")
    x_km: float | None = P(None, "km", "-", "Optional map coordinate (east).")
    y_km: float | None = P(None, "km", "-", "Optional map coordinate (north).")
    price_cny: Kinds = P({"apartment": 100000, "courtyard": 150000}, "CNY/unit",
                         NANPU + ": 平均每户最低需要投入10万元", "Price a household pays for a unit.")
    land_mu_per_unit: Kinds = P({"apartment": 0.15, "courtyard": 0.35}, "mu/unit", ASSUMPTION,
                                "Construction land used per unit in the new community.")
    phases: list[Phase] = P(..., "-", "-", "Construction phases, started in order.", min_length=1)


# ----------------------------------------------------------------------------- government
class Revenue(Strict):
    name: str = P(..., "-", "-", "Identifier of the revenue line (column rev_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = P("", "-", "-", "Chinese name.")
    label_en: str = P("", "-", "-", "English name.")
    amount_cny: float = P(..., "CNY per payment", ASSUMPTION, "Amount of each payment.", ge=0)
    every_months: int = P(12, "months", ASSUMPTION, "Interval between payments.", ge=1, le=1200)
    start_month: int = P(0, "month", ASSUMPTION, "Month of the first payment.", ge=0)
    end_month: int | None = P(None, "month", ASSUMPTION, "Last month a payment may fall (none: "
                              "until the horizon).", ge=0)
    growth_per_year: float = P(0.0, "fraction/year", ASSUMPTION, "Compound growth of the amount.",
                               ge=-1, le=1)


class Borrowing(Strict):
    limit_cny: float = P(30_000_000, "CNY", ASSUMPTION, "Largest debt the government may hold.",
                         ge=0)
    interest_rate_per_year: float = P(0.06, "fraction/year", ASSUMPTION + " (bank lending rate)",
                                      "Interest on outstanding debt, charged monthly.", ge=0, le=1)
    cash_buffer_cny: float = P(1_000_000, "CNY", ASSUMPTION,
                               "Cash kept before surplus repays debt.", ge=0)


class Government(Strict):
    opening_cash_cny: float = P(20_000_000, "CNY", ASSUMPTION, "Cash at month 0.", ge=0)
    revenues: list[Revenue] = P([], "-", "-", "Regular revenue lines (transfers, awards, taxes).")
    borrowing: Borrowing = P({}, "-", "-", "Borrowing when cash runs out.")
    construction_teams: int | None = P(None, "teams", ASSUMPTION, "Phases that can be built at "
                                       "once (none: unlimited).", ge=1, le=1000)
    discount_rate_per_year: float = P(0.05, "fraction/year", ASSUMPTION, "Discount rate for NPV.",
                                      ge=0, le=1)


# ----------------------------------------------------------------------------- services, land
SERVICES = ("road", "water", "power", "school", "clinic")


class Services(Strict):
    names: list[Literal["road", "water", "power", "school", "clinic"]] = P(
        list(SERVICES), "-", "DESIGN.md §3", "Services tracked per village, each in [0, 1].",
        min_length=1)


class Land(Strict):
    reclaim_lag_months: int = P(12, "months", ASSUMPTION, "Delay from a homestead's vacancy to "
                                "its demolition and reclamation.", ge=0, le=600)
    reclaim_cost_cny_per_mu: float = P(15000, "CNY/mu", ASSUMPTION, "Demolition and reclamation "
                                       "cost paid by the government.", ge=0)
    quota_share: float = P(0.5, "fraction", ASSUMPTION, "Share of reclaimed land sold as "
                           "construction-land quota (城乡建设用地增减挂钩); the rest stays in "
                           "collective use.", ge=0, le=1)
    quota_price_cny_per_mu: float = P(100000, "CNY/mu", "Chongqing land tickets ≈139 CNY/m2 "
                                      "(≈92,700 CNY/mu), DESIGN.md §2; rounded",
                                      "Price of quota sold.", ge=0)
    quota_sale_lag_months: int = P(6, "months", ASSUMPTION, "Delay from reclamation to sale.",
                                   ge=0, le=600)
    collective_income_cny_per_mu_per_year: float = P(
        2000, "CNY/mu/year", NANPU + ": output per mu rose to ≈2,000 yuan with land transfer",
        "Income of reclaimed land in collective use, paid to villagers as dividends.", ge=0)


# ----------------------------------------------------------------------------- behaviour
class Behaviour(Strict):
    asc_offset: float = P(0.0, "logit per month", "fitted to the Nanpu registrations (docs/"
                          "validation.md); 0 elsewhere", "Calibration constant added to every "
                          "household type's asc.", ge=-30, le=30)
    b_cost_per_10k_cny: float = P(0.08, "logit per 10,000 CNY", ASSUMPTION,
                                  "Disutility of the household's net cost of moving.", ge=0)
    b_gap_per_10k_cny: float = P(0.3, "logit per 10,000 CNY", ASSUMPTION,
                                 "Disutility of the part of the cost savings and credit cannot "
                                 "cover (affordability).", ge=0)
    b_social: float = P(3.0, "logit per unit share", "following behaviour among neighbours "
                        "(Huai'an census of 872,414 households), DESIGN.md §2; value assumed",
                        "Pull of the share of one's village already gone (moved out).", ge=0)
    b_service: float = P(3.0, "logit per unit service loss", NANPU + " (抓两头、带中间); value "
                         "assumed", "Push of lost services in the old village (1 - mean level).",
                         ge=0)
    b_attachment: float = P(2.0, "logit per unit attachment", ASSUMPTION,
                            "Disutility of attachment to the old village.", ge=0)
    b_field_distance_per_km: float = P(0.15, "logit per km", NANPU + " (远离责任田); value assumed",
                                       "Disutility of living far from one's fields.", ge=0)
    b_house_value_per_10k_cny: float = P(0.25, "logit per 10,000 CNY", NANPU + " (新建房户 resist); "
                                         "value assumed",
                                         "Disutility of abandoning the remaining value of the old "
                                         "house.", ge=0)
    house_life_years: float = P(30, "years", ASSUMPTION, "Years over which a rural house "
                                "depreciates to zero.", gt=0, le=200)
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


# ----------------------------------------------------------------------------- policy
class Eligibility(Strict):
    types: list[str] | None = P(None, "-", "-", "Household types eligible (none: all types).")
    villages: list[str] | None = P(None, "-", "-", "Villages eligible (none: all villages).")
    max_income_cny_per_year: float | None = P(None, "CNY/year", "-",
                                              "Only households with income at most this.", ge=0)


class Instrument(Strict):
    name: str = P(..., "-", "-", "Identifier (column exp_instr_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = P("", "-", "-", "Chinese name, e.g. 一补助.")
    label_en: str = P("", "-", "-", "English name.")
    eligible: Eligibility = P({}, "-", "-", "Who may receive it.")
    start_month: int = P(0, "month", "-", "First month it is offered.", ge=0)
    end_month: int | None = P(None, "month", "-", "Last month it is offered (none: to the end).",
                              ge=0)
    value_cny: float = P(0.0, "CNY", "-", "Money value to the household: lowers its net cost of "
                         "moving.", ge=-10_000_000, le=10_000_000)
    utility_shift: float = P(0.0, "logit", "-", "Shift in the monthly move logit (non-monetary "
                             "value, persuasion, pressure).", ge=-30, le=30)
    credit_cny: float = P(0.0, "CNY", "-", "Extra credit available to the household (loans).",
                          ge=0, le=10_000_000)
    covers_price: bool = P(False, "-", "-", "Government pays the unit price (free housing).")
    cost_once_cny: float = P(0.0, "CNY per recipient", "-", "Government cost when a recipient "
                             "moves.", ge=0)
    cost_monthly_cny: float = P(0.0, "CNY per recipient per month", "-",
                                "Government cost each month after a recipient moves.", ge=0)
    cost_months: int = P(0, "months", "-", "Months the monthly cost (and revenue) lasts.",
                         ge=0, le=1200)
    revenue_monthly_cny: float = P(0.0, "CNY per recipient per month", "-",
                                   "Paid back to the government each month after a recipient "
                                   "moves, for cost_months (rent, instalments).", ge=0)
    field_distance_relief: float = P(0.0, "fraction", NANPU + " (土地流转 eases 'fields far from "
                                     "the new flats')", "Share of the distance-to-fields "
                                     "disutility removed (land transfer, 土地流转).", ge=0, le=1)


class Event(Strict):
    name: str = P(..., "-", "-", "Identifier.", pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = P("", "-", "-", "Chinese name, e.g. 参观学习.")
    month: int = P(..., "month", "-", "Month the event happens.", ge=0)
    cost_cny: float = P(0.0, "CNY", "-", "One-off government cost (column exp_events_cny).", ge=0)
    eligible: Eligibility = P({}, "-", "-", "Households affected.")
    utility_shift: float = P(0.0, "logit", "-", "Lasting shift of the move logit of those "
                             "affected.", ge=-30, le=30)
    apartment_share_shift: float = P(0.0, "fraction", "-", "Lasting shift of the probability of "
                                     "asking for an apartment.", ge=-1, le=1)
    opens_registration: bool = P(False, "-", "-", "Registration for new units opens at this event.")


class Outreach(Strict):
    types: list[str] = P(..., "-", "-", "Household types targeted.")
    utility_shift: float = P(1.0, "logit", ASSUMPTION, "Shift of the move logit while active.",
                             ge=-30, le=30)
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
                                      "A household that cannot afford to move is 'stranded' once "
                                      "its village's mean service level falls below this.",
                                      ge=0, le=1)


class Sequence(Strict):
    mode: Literal["all", "batches"] = P("all", "-", "-", "'all': every village may register at "
                                        "once; 'batches': villages open a batch at a time "
                                        "(village-by-village clearing).")
    order: list[str] | None = P(None, "-", "-", "Village order for batches (none: scenario order).")
    batch_villages: int = P(1, "villages", ASSUMPTION, "Villages opened per batch.", ge=1)
    open_next_below_share: float = P(0.3, "fraction of households remaining", ASSUMPTION,
                                     "The next batch opens once the open villages' remaining "
                                     "share falls below this.", ge=0, le=1)


class Award(Strict):
    name: str = P(..., "-", "-", "Identifier (column rev_award_<name>_cny).",
                  pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = P("以奖代补", "-", "seed essay 2 (以奖代补)", "Chinese name.")
    moved_share: float = P(..., "fraction of households moved", "-",
                           "Milestone: paid once this share of all households has moved.",
                           gt=0, le=1)
    amount_cny: float = P(..., "CNY", ASSUMPTION, "Award paid by the higher level.", ge=0)


class Strategy(Strict):
    name: str = P("zhua_liangtou", "-", "-", "Identifier.")
    label_zh: str = P("抓两头、带中间", "-", NANPU, "Chinese name.")
    priority: list[str] = P([], "-", NANPU, "Allocation order of household types on the waiting "
                            "list (types not listed come after, in registration order).")
    outreach: list[Outreach] = P([], "-", NANPU, "Targeted persuasion of chosen types.")
    withdrawal: Withdrawal = P({"enabled": False}, "-", "-", "Service withdrawal rule.")
    sequence: Sequence = P({}, "-", "-", "Which villages may register when.")


class Policy(Strict):
    registration_opens_month: int = P(0, "month", ASSUMPTION, "Households may register from this "
                                      "month (an event with opens_registration may open it "
                                      "earlier).", ge=0)
    instruments: list[Instrument] = P([], "-", "-", "The incentive package, instrument by "
                                      "instrument.")
    events: list[Event] = P([], "-", "-", "Policy events at given months.")
    packages: list[str] = P([], "-", "-", "Names of the packages stacked on this scenario (filled "
                            "in by the loader from the top-level 'packages' key; informational).")
    awards: list[Award] = P([], "-", "seed essay 2 (以奖代补)", "Awards paid to the government "
                            "by a higher level when consolidation milestones are reached.")


# ----------------------------------------------------------------------------- scenario
class Fitted(Strict):
    value: float = P(..., "as the parameter", "-", "Fitted value (the one used in the scenario).")
    sd: float = P(0.0, "as the parameter", "-", "Spread of the fit across replication batches.",
                  ge=0)
    batches: int = P(1, "batches", "-", "Independent replication batches fitted.", ge=1)
    reps_per_batch: int = P(1, "replications", "-", "Replications averaged per batch.", ge=1)


class Calibration(Strict):
    method: str = P("", "-", "-", "How the values were fitted.")
    fitted: dict[str, Fitted] = P({}, "-", "-", "Fitted parameters by dotted key path.")
    targets: dict[str, str] = P({}, "-", "-", "Patterns fitted to, with their source.")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = P("scenario", "-", "-", "Short name of the scenario.")
    description: str = P("", "-", "-", "What the scenario represents.")
    run: Run = P({}, "-", "-", "Run settings.")
    household_types: dict[str, HouseholdType] = P(..., "-", "-", "Household types by identifier.",
                                                  min_length=1)
    villages: list[Village] | VillageFile = P(..., "-", "-", "Villages, inline or from a CSV.")
    communities: list[Community] = P(..., "-", "-", "New communities.", min_length=1)
    government: Government = P({}, "-", "-", "The township / sub-district government.")
    services: Services = P({}, "-", "-", "Village services.")
    land: Land = P({}, "-", "-", "Land reclamation and quota sales.")
    behaviour: Behaviour = P({}, "-", "-", "Decision-model coefficients.")
    policy: Policy = P({}, "-", "-", "Incentive package and policy events.")
    strategy: Strategy = P({}, "-", "-", "Sequencing strategy.")
    calibration: Calibration | None = P(None, "-", "-", "Record of fitted coefficients "
                                        "(informational; the values themselves are set above).")

    @property
    def village_list(self) -> list[Village]:
        assert isinstance(self.villages, list), "villages are resolved by load_scenario"
        return self.villages
