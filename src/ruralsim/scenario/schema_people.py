"""Schema of the household-side mechanisms of model 3.0 (issue 21): village consent by ballot,
influence by ties with a threshold response, and demolition as a decision.

Each mechanism has a ``mode`` whose first value keeps model 2.0 (``gate``, ``anonymous``,
``drawn``): the defaults change nothing, and a scenario switches a mechanism on by its mode.
Evidence for the priors is cited where used; "assumption" marks a value no source gives.
"""
from __future__ import annotations

from typing import Literal

from .schema import ASSUMPTION, NANPU, P, Strict

#: Sources cited by several fields below.
TIANJIN_CHENGDU = ("PATTERNS.md §6: Tianjin homestead-for-housing pilots admitted a village only "
                   "with more than 95% in favour at the villagers' representative assembly; "
                   "decisions on collective land need two-thirds of the members (Chengdu "
                   "exchange rules)")
GRANOVETTER = ("Granovetter (1978), Threshold models of collective behavior, Am. J. Sociology "
               "83(6): thresholds as the share of others who must act first, normally "
               "distributed in his worked example (mean 0.25; the outcome tips from almost "
               "none to almost all as the spread passes about 0.12)")
JIUQUAN = ("PATTERNS.md §6: conformity from the new site's amenities, village bellwethers and "
           "collective approval, strongest once most of the village has chosen (Jiuquan, 638 "
           "households who withdrew): an S-shaped within-village curve with a majority tipping "
           "point; logit of peri-urban Urumqi households (Ma Changfa & Wen Tingting): herd "
           "behaviour (从众心理) and the "
           "example of those who withdrew (示范效应) raise withdrawal significantly")
CADRES = ("Organic Law of the Villagers' Committees art. 6 (a committee of 3-7 members); party "
          "members are about 7% of China's population, fewer in villages; PATTERNS.md §6: "
          "village cadres' willingness ratio 1.23, business owners' 1.26")
LINEAGE = ("Bossen (CICRED volume; Missing girls, land and population controls in rural "
           "China), Huang Tu village household registers 1989/2004: in each team of "
           "about 50 households one surname holds 45-77% of households and a second 8-36%; "
           "Chinese lineages are weaker in northern China (Henan): a close-kin group (the "
           "households of brothers and cousins of one grandfather, 近支) is taken as the tie")


class Consent(Strict):
    mode: Literal["gate", "ballot"] = P(
        "gate", "-", TIANJIN_CHENGDU, "'gate' (model 2.0): a village's registered households "
        "are allocated units once strategy.consent_share of it has registered; 'ballot': a "
        "village may not register household by household; it is put to a vote when it is "
        "open (its batch, its community's registration), passes at rule_share, and a village "
        "that passes is scheduled whole.")
    rule_share: float = P(2 / 3, "fraction of the village's households present",
                          TIANJIN_CHENGDU, "Share in favour at which a ballot passes.",
                          ge=0, le=1)
    horizon_months: int = P(36, "months", ASSUMPTION + ": a household asked to vote weighs "
                            "whether it would go within the work plan's span (Nanpu's plan ran "
                            "2003-2008; three years is the usual span of a village's "
                            "relocation)", "A household votes yes when its probability of "
                            "registering of its own accord within this many months, at this "
                            "month's terms, is at least yes_probability.", ge=1, le=1200)
    yes_probability: float = P(0.5, "probability", ASSUMPTION + ": a household votes for what "
                               "it more likely than not would do", "Probability of going "
                               "within horizon_months at which a household votes yes.",
                               gt=0, lt=1)
    reballot_after_months: int = P(12, "months", ASSUMPTION + ": outreach and a package are "
                                   "reworked over a year before a village votes again",
                                   "A village whose ballot failed is balloted again this many "
                                   "months later (its households' terms then: outreach, a "
                                   "better package, neighbours who moved).", ge=1, le=1200)
    holdout_rule: Literal["move", "stay"] = P(
        "move", "-", TIANJIN_CHENGDU + " (households signed agreements once the village "
        "passed)", "What a household that voted no in a village that passed does: 'move' "
        "(scheduled after the yes-voters, with the package and compensation), or 'stay' (a "
        "holdout: it keeps deciding for itself, as in a voluntary programme).")
    holdout_delay_months: int = P(6, "months", ASSUMPTION + ": the moving window puts those "
                                  "who voted yes first and the rest about half a year later",
                                  "Under holdout_rule 'move', no-voters are scheduled this many "
                                  "months after the yes-voters.", ge=0, le=1200)
    scheduled_may_give_up: bool = P(False, "-", ASSUMPTION + ": a household scheduled by its "
                                    "village's decision holds a reserved unit and has signed; "
                                    "it does not leave the list of its own accord",
                                    "Whether households scheduled by a ballot may give up "
                                    "waiting (the patience clock of a voluntary registrant).")


class Influence(Strict):
    mode: Literal["anonymous", "ties"] = P(
        "anonymous", "-", JIUQUAN, "'anonymous' (model 2.0): the pull of the shares of one's "
        "village registered and moved (b_social_registered, b_social_moved), linear; 'ties': a "
        "threshold response to the weighted share of one's ties who moved (kin, neighbours, "
        "bellwethers).")
    b_social: float = P(3.0, "log hazard", JIUQUAN + "; value assumed: the full pull equals "
                        "model 2.0's at a wholly moved and registered village (1.0 + 2.0)",
                        "Pull of the threshold response: term = b_social × [F((exposure − θ) / "
                        "width) − F(−θ / width)], F logistic (0 when no tie moved).", ge=0, le=100)
    width: float = P(0.1, "share of ties", GRANOVETTER + "; value assumed: the response goes "
                     "from 27% to 73% of its full pull over ±0.1 of exposure around the "
                     "threshold", "Width of the threshold response.", gt=0, le=10)
    threshold_mean: float = P(0.25, "share of ties", GRANOVETTER, "Mean of the households' "
                              "thresholds θ (normal, clipped to [0, 1]; stream 'threshold').",
                              ge=0, le=1)
    threshold_sd: float = P(0.15, "share of ties", GRANOVETTER + "; value assumed above his "
                            "tipping spread, so that the first movers can start a village",
                            "Spread of the households' thresholds.", ge=0, le=1)
    kin_group_mean_households: float = P(
        6.0, "households", LINEAGE + "; value assumed", "Mean size of a close-kin group; "
        "groups are runs of households within a village with geometric sizes of this mean "
        "(stream 'kin').", ge=1, le=1e6)
    w_kin: float = P(3.0, "weight per tie", LINEAGE + "; value assumed: a relative counts "
                     "three times a neighbour", "Weight of a tie to a household of one's own "
                     "kin group.", ge=0, le=1e3)
    w_neighbour: float = P(1.0, "weight per tie", "reference weight", "Weight of a tie to "
                           "another household of one's village.", ge=0, le=1e3)
    w_bellwether: float = P(5.0, "weight multiplier", CADRES + "; " + JIUQUAN + "; value "
                            "assumed", "Multiplier of the weight of a tie to a bellwether "
                            "(a cadre or party member, or a household of a bellwether type).",
                            ge=0, le=1e3)
    cadre_share: float = P(0.05, "fraction of households", CADRES + "; value assumed",
                           "Share of households that are cadres or party members (stream "
                           "'bellwether').", ge=0, le=1)
    bellwether_types: list[str] = P(["wealthy"], "-", NANPU + " (抓两头: the wealthy go "
                                    "first as an example); " + CADRES, "Household types "
                                    "whose households are all bellwethers.", max_length=100)
    registered_weight: float = P(0.5, "fraction", "model 2.0's ratio of b_social_registered "
                                 "to b_social_moved (1.0 / 2.0)", "A tie who registered but "
                                 "has not moved counts this much of one who moved.", ge=0,
                                 le=1)
    cross_village: bool = P(False, "-", ASSUMPTION + ": off, so that villages influence each "
                            "other only through documented channels", "Whether ties reach "
                            "the other villages of one's community (as neighbours, weight "
                            "w_neighbour × cross_village_weight).")
    cross_village_weight: float = P(0.1, "fraction", ASSUMPTION, "Weight of a tie to a "
                                    "household of another village of one's community, "
                                    "relative to a neighbour (only with cross_village).",
                                    ge=0, le=1)


class DemolitionDecision(Strict):
    """Log-odds drivers of keeping or demolishing the old house (mode 'decision')."""

    b_compensation_per_10k_cny: float = P(
        0.5, "log-odds per 10,000 CNY", "Shaanxi planned demolition of old homes to stop "
        "returns; compensation paid only on demolition is the lever (Henan 2012 about 420 "
        "CNY/m2); value assumed", "Pull of compensation paid only to movers who demolish.",
        ge=0, le=100)
    b_house_value_per_10k_cny: float = P(
        0.3, "log-odds per 10,000 CNY", "建新不拆旧 and 一户多宅 common where houses are newer "
        "(Nanjing Agricultural University survey 2018); value assumed", "Push to keep of the "
        "remaining value of the old house.", ge=0, le=100)
    b_farm: float = P(1.0, "log-odds at full farm income", NANPU + " (远离责任田: the old house "
                      "is near the fields); value assumed", "Push to keep of farming (times "
                      "the household's farm income share).", ge=0, le=100)
    b_second_homestead: float = P(-0.5, "log-odds", "一户多宅 (multiple homesteads per "
                                  "household) common; value assumed: a household with a "
                                  "second homestead demolishes the one it leaves more easily",
                                  "Shift for a household with a second homestead.", ge=-100,
                                  le=100)
    b_savings_per_10k_cny: float = P(-0.05, "log-odds per 10,000 CNY", "Chengdu 2025 (wealthier "
                                     "households hold on to the old homestead); value assumed",
                                     "Shift per 10,000 CNY of savings (negative: money makes "
                                     "keeping a second home affordable).", ge=-100, le=100)
    b_deadline: float = P(1.0, "log-odds", ASSUMPTION + ": a demolition deadline persuades "
                          "some of those the enforcement does not reach", "Shift when "
                          "policy.demolition.required (on top of the enforcement share, which "
                          "demolishes the households it reaches).", ge=0, le=100)
