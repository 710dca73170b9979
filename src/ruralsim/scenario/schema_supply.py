"""Scenario schema of supply (model 3.0, issue 19): how homes and public works get built.

``supply.mode`` chooses between model 2.0's fixed phases (``phases``: each community's
``phases`` list, unchanged) and supply that follows paying demand (``demand``):

* the township builds each community's public works in **sections** (each opens courtyard
  plots and apartment building sites when done) and its **facilities** (school, kindergarten,
  clinic, service centre, plaza), paid through its budget;
* a household that chose a courtyard is given a free plot in an open section and builds its
  house with a **local builder** when it can pay (savings, credit, instrument values), paying
  monthly from its savings and stalling in a month it cannot;
* a household that chose an apartment pre-pays a share of the price; a **building** of tens of
  units starts when enough of its units are spoken for, a site is open and builders allow, and
  is financed by the buyers' payments plus bridging credit;
* the local builders' capacity (homes under construction at once) follows demand with a lag
  and their price rises when they are stretched.

Defaults keep every scenario that does not set ``supply`` exactly as before (``mode: phases``,
no sections, no facilities).  Sections and facilities are declared per community
(``communities[i].sections`` and ``communities[i].facilities``).
"""
from __future__ import annotations

from typing import Literal

from .schema import ASSUMPTION, NANPU, P, Strict, Triangular

#: Kinds of public facility a community may have (the source's list, essay 4).
FACILITIES = ("school", "kindergarten", "clinic", "service_centre", "plaza")


class Section(Strict):
    name: str = P(..., "-", "-", "Section identifier (unique within its community).",
                  pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)
    cost_cny: float = P(10_000_000, "CNY", NANPU + " (roads, water and power paid by the "
                        "government)", "Public works of the section (roads, water, power), paid "
                        "by the township month by month over its build months.", ge=0)
    build_months: Triangular = P({"low": 8, "mode": 12, "high": 18}, "months", ASSUMPTION +
                                 ": site works of one residential block take about a year",
                                 "Build time in paid months (triangular).")
    earliest_month: int = P(0, "month", ASSUMPTION, "Month from which the section may start.",
                            ge=0)
    plots: int = P(0, "plots", ASSUMPTION, "Courtyard plots (宅基地) the section opens when done.",
                   ge=0, le=1_000_000)
    building_sites: int = P(0, "buildings", ASSUMPTION, "Apartment building sites the section "
                            "opens when done.", ge=0, le=100_000)
    min_registered_share: float = P(0.0, "fraction of homes", ASSUMPTION + " (as a phase's "
                                    "min_registered_share)", "Start only once registrations for "
                                    "the community reach this share of the homes (plots + "
                                    "sites x units per building) opened by the sections up to "
                                    "this one.", ge=0, le=10)


class Facility(Strict):
    kind: Literal["school", "kindergarten", "clinic", "service_centre", "plaza"] = P(
        ..., "-", NANPU + " (休闲广场、服务中心、中心小学、幼儿园和卫生室 built by the government)",
        "What the facility is.")
    cost_cny: float = P(3_000_000, "CNY", ASSUMPTION, "Cost paid by the township over its build "
                        "months.", ge=0)
    build_months: Triangular = P({"low": 8, "mode": 12, "high": 18}, "months", ASSUMPTION,
                                 "Build time in paid months (triangular).")
    opens_after_section: int = P(1, "section number", ASSUMPTION + ": a facility is built on a "
                                 "serviced section", "It may start once this section (1-based, "
                                 "in the community's order) is done.", ge=1, le=1000)


class Builders(Strict):
    scope: Literal["township", "community"] = P(
        "township", "-", ASSUMPTION + ": a sub-district's local builders work anywhere in it",
        "Capacity shared by the whole township or held by each community.")
    initial_capacity: float = P(60.0, "homes under construction at once", ASSUMPTION + ": a few "
                                "local building teams of ten to twenty homes each", "Capacity "
                                "at month 0 (per community when scope is 'community').", ge=0,
                                le=1e7)
    max_capacity: float | None = P(None, "homes under construction at once", ASSUMPTION + ": "
                                   "none means builders from outside come as long as there is "
                                   "work", "Largest capacity (none: unlimited).", ge=0, le=1e7)
    lag_months: float = P(12.0, "months", ASSUMPTION + ": new teams form or come in from "
                          "outside in about a year", "Capacity moves toward demand by "
                          "(demand - capacity) / lag each month (never below its initial "
                          "value).", ge=1, le=1200)
    price_elasticity: float = P(0.3, "fraction per unit of excess demand", ASSUMPTION + ": "
                                "building at twice capacity raises prices by about 30% (no "
                                "source gives it)", "Price factor = 1 + elasticity x max(0, "
                                "demand / capacity - 1).", ge=0, le=10)
    max_price_factor: float = P(1.5, "factor", ASSUMPTION + ": in county construction booms "
                                "prices rose by up to about half; past that, households wait "
                                "rather than pay more", "Largest price factor.", ge=1, le=10)


class Courtyards(Strict):
    cost_per_m2_cny: float = P(700.0, "CNY/m2", NANPU + ": 平均每户最低需要投入10万元 (at least "
                               "100,000 CNY a household): 150 m2 at 700 CNY/m2 self-built is "
                               "105,000 CNY, below the 900 CNY/m2 of contracted construction",
                               "Building cost per m2 of a courtyard house at price factor 1 "
                               "(floor area: communities[i].unit_m2.courtyard).", ge=0,
                               le=1e6)
    build_months: Triangular = P({"low": 6, "mode": 9, "high": 14}, "months", ASSUMPTION + ": a "
                                 "two-storey rural house takes half a year to a year",
                                 "Months of work on a house (triangular, drawn per household).")
    stall_limit_months: int = P(12, "months", ASSUMPTION + ": a household that cannot pay for "
                                "a year abandons the site", "A house unpaid this many months in "
                                "a row is given up: the household returns to deciding, what it "
                                "paid is sunk and the plot is freed.", ge=1, le=1200)


class Apartments(Strict):
    units_per_building: int = P(36, "units", ASSUMPTION + ": a six-storey walk-up of three "
                                "stairwells with two flats per floor (多层住宅)", "Units in one "
                                "building.", ge=1, le=10_000)
    presale_share: float = P(0.3, "fraction of the price", ASSUMPTION + ": presale deposits of "
                             "about a third are usual in county towns", "Share of the price a "
                             "buyer pre-pays when its unit is spoken for (the rest at "
                             "handover, borrowed if need be).", ge=0, le=1)
    start_share: float = P(0.6, "fraction of units", ASSUMPTION + ": a contractor starts when "
                           "most of a building is sold", "A building starts when this share of "
                           "its units is spoken for.", ge=0, le=1)
    build_months: Triangular = P({"low": 10, "mode": 14, "high": 20}, "months", ASSUMPTION + ": "
                                 "a multi-storey brick-concrete building takes about a year",
                                 "Build time in paid months (triangular, drawn per building).")
    bridging_credit_cny: float = P(0.0, "CNY per building", ASSUMPTION + ": none unless a "
                                   "scenario says a bank lends against presales", "Credit a "
                                   "building may draw beyond its buyers' payments (repaid at "
                                   "handover).", ge=0)
    stall_limit_months: int = P(24, "months", ASSUMPTION + ": as government.stall_limit_months",
                                "A building unpaid this many months in a row is abandoned; "
                                "its buyers get their pre-payments back and decide again.",
                                ge=1, le=1200)


class View(Strict):
    b_homes_occupied: float = P(0.0, "log hazard at full scale", ASSUMPTION + ": the example of "
                                "those who moved (示范), to calibrate", "Term of the log hazard "
                                "from the new community's occupied homes, scaled by "
                                "min(1, occupied / homes_scale).", ge=-30, le=30)
    homes_scale: float = P(200.0, "homes", ASSUMPTION + ": a few hundred occupied homes make "
                           "a community look lived-in", "Occupied homes at which the term "
                           "reaches its full value.", gt=0, le=1e7)
    b_facilities: float = P(0.0, "log hazard at all facilities open", ASSUMPTION + ": to "
                            "calibrate", "Term of the log hazard from the share of the "
                            "community's facilities open.", ge=-30, le=30)


class Supply(Strict):
    mode: Literal["phases", "demand"] = P(
        "phases", "-", "-", "'phases': each community's fixed phases (model 2.0); 'demand': "
        "public works in sections and facilities, courtyards built by households on free plots, "
        "apartments in buildings started when their units are spoken for.")
    builders: Builders = P({}, "-", "-", "Local builders (demand mode).")
    courtyards: Courtyards = P({}, "-", "-", "Courtyard houses built by households (demand "
                               "mode).")
    apartments: Apartments = P({}, "-", "-", "Apartment buildings (demand mode).")
    view: View = P({}, "-", "-", "What a household sees of a new community (demand mode).")


def check_demand_communities(communities) -> None:
    """Demand mode needs every community to have sections, and facilities to name one."""
    for i, c in enumerate(communities):
        if not c.sections:
            raise ValueError(f"communities[{i}] ({c.name}) 没有分段公共工程 / has no sections: supply.mode "
                             "'demand' builds homes on the plots and sites that sections open (give "
                             "it sections, or set supply.mode: phases to build its phases)")
        for j, f in enumerate(c.facilities):
            if f.opens_after_section > len(c.sections):
                raise ValueError(f"communities[{i}].facilities[{j}].opens_after_section is "
                                 f"{f.opens_after_section} but the community has "
                                 f"{len(c.sections)} sections")

