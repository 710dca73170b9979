"""User-visible text in Chinese and English, in one table.

>>> t("cash", "en")
'Government cash balance'
"""
from __future__ import annotations

from typing import NamedTuple

#: The teaching strategies by the name of their built-in scenario (zh, en): one name for each
#: everywhere (demo, report, lessons, notebooks, animation).  The naive strategy is the least
#: coercive of the three (nobody targeted, nobody given priority, services kept); it is called
#: what it is, 自愿搬迁、不分先后, never by the word for heavy-handed uniform enforcement, which
#: would reverse the lesson (docs/trainer_guide.md says why).
STRATEGY_TITLES: dict[str, tuple[str, str]] = {
    "teaching": ("抓两头、带中间", "Both ends first, then the middle"),
    "teaching_middle_first": ("先动员中间户", "Middle first"),
    "teaching_naive": ("自愿搬迁、不分先后(不针对、不优先、保留服务)",
                       "Voluntary, untargeted (no priority, services kept)"),
}
#: Short forms for figure titles and table heads.
STRATEGY_SHORT: dict[str, tuple[str, str]] = {
    "teaching": ("抓两头、带中间", "Both ends first"),
    "teaching_middle_first": ("先动员中间户", "Middle first"),
    "teaching_naive": ("自愿搬迁、不分先后", "Voluntary, untargeted"),
}


def scenario_title(name: str, lang: str, short: bool = False) -> str:
    """The display name of scenario ``name`` in ``lang``: a teaching strategy's title, else
    the name itself.

    >>> scenario_title("teaching_naive", "zh", short=True), scenario_title("my_town", "en")
    ('自愿搬迁、不分先后', 'my_town')
    >>> scenario_title("抓两头、带中间", "en")   # a title a Chinese table holds, in English
    'Both ends first, then the middle'
    """
    table = STRATEGY_SHORT if short else STRATEGY_TITLES
    if name in table:
        return table[name][0 if lang == "zh" else 1]
    for key in STRATEGY_TITLES:   # a title already shown (a table written in the other language)
        if name in STRATEGY_TITLES[key] or name in STRATEGY_SHORT[key]:
            return table[key][0 if lang == "zh" else 1]
    return name


TEXT: dict[str, tuple[str, str]] = {
    "month": ("月份", "Month"),
    "households": ("户数", "Households"),
    "migration_by_type": ("各类农户累计入住新社区", "Households moved, by type"),
    "status": ("农户状态", "Households by status"),
    "cash": ("政府资金余额", "Government cash balance"),
    "cash_title": ("政府资金余额与资金缺口", "Government cash and financing gap"),
    "debt": ("负债", "Debt"),
    "gap": ("资金缺口(负债+欠款)", "Financing gap (debt + arrears)"),
    "million_cny": ("百万元", "million CNY"),
    "land_title": ("土地腾退、复垦与集体利用", "Land freed, reclaimed and used"),
    "land_freed": ("腾退宅基地(已拆旧房)", "Homestead land freed (houses demolished)"),
    "land_reclaimed": ("已复垦", "Reclaimed"),
    "land_collective": ("集体经营(分红)", "Collective use (dividends)"),
    "land_sold": ("增减挂钩指标出让", "Sold as quota"),
    "land_net": ("扣除新社区占地后的净腾退", "Freed net of the communities' footprint"),
    "mu": ("亩", "mu"),
    "housing_title": ("报名、排队与建成住房", "Registrations, waiting list and units built"),
    "waiting": ("排队等待分配", "Waiting list"),
    "registered_cum": ("累计报名", "Registrations (cumulative)"),
    "units_built": ("建成住房套数", "Units built"),
    "withdrawn_at": ("首个村庄停止公共服务", "First village services withdrawn"),
    "flows_title": ("政府收支(按年、分项)与年末资金余额", "Government money per year, by line"),
    "year": ("年份", "Year"),
    "revenue": ("收入", "Revenue"),
    "spending": ("支出", "Spending"),
    "service_title": ("各村公共服务水平", "Service level by village"),
    "village": ("村庄", "Village"),
    "service_level": ("服务水平(0-1)", "Service level (0-1)"),
    "map_title": ("村庄剩余户数比例", "Share of households remaining"),
    "community": ("新型社区", "New community"),
    "share_remaining": ("剩余比例", "Share remaining"),
    "km": ("公里", "km"),
    "in_village": ("留在旧村", "In old village"),
    "arrears": ("拖欠款", "Arrears"),
    "deferred": ("拖欠农户的补助", "Payments owed to households"),
    "developer_debt": ("开发商负债", "Developer debt"),
    "finance_title": ("政府欠款、拖欠农户款项与开发商负债", "Arrears, payments owed to households and developer debt"),
    "livelihood_title": ("入住农户的生计：偿债困难户与月还款总额", "Movers' livelihoods: households in distress and debt service"),
    "distress": ("偿债困难户(还款超收入40%)", "Households in distress (debt service above the threshold)"),
    "debt_service": ("入住农户月还款合计", "Movers' debt service per month"),
    "thousand_cny": ("千元", "thousand CNY"),
    "exposure_title": ("生活在公共服务恶化村庄中的农户(按类型)", "Households living with degraded services, by type"),
    "stranded_line": ("其中：滞留且无力搬迁", "Of whom stranded (cannot afford to move)"),
    "service_strip": ("柱下色条：该村公共服务水平(1=正常，0=完全停止)",
                      "Strip under each bar: the village's service level (1 = maintained, 0 = none)"),
    "gap_year_peak": ("资金缺口(负债+欠款)，年内峰值", "Financing gap (debt + arrears), peak of the year"),
    "village_key": ("村庄编号", "Villages by number"),
    # supply that follows paying demand (supply.mode 'demand'): the per-community timeline
    "report_supply_title": ("各社区建设进程(公共工程分段、宅基地与楼栋、住房开工与建成)",
                     "Community timeline (public works in sections, plots and buildings, homes "
                     "started and finished)"),
    "report_supply_note": ("日期为年-月；空白表示期内未发生。",
                    "Dates are year-month; blank: did not happen within the horizon."),
    "report_tl_first_section_started": ("首段公共工程开工", "First section of works started"),
    "report_tl_first_section_done": ("首段公共工程完工", "First section of works done"),
    "report_tl_sections_done": ("完工段数/总段数", "Sections done / all"),
    "report_tl_facilities_open": ("开放的公共设施/总数", "Facilities open / all"),
    "report_tl_plots_opened": ("开放宅基地(块)", "Courtyard plots opened"),
    "report_tl_building_sites_opened": ("开放楼栋用地(栋)", "Building sites opened"),
    "report_tl_buildings": ("楼栋开工/建成", "Buildings started / finished"),
    "report_tl_courtyards": ("独院开工/建成(户)", "Courtyard houses started / built"),
    "report_tl_apartments_delivered": ("交付楼房(套)", "Apartments delivered"),
    "report_tl_first_home_started": ("首套住房开工", "First home started"),
    "report_tl_first_home_finished": ("首套住房建成", "First home finished"),
    "village_order": ("村庄编号按情景中村庄列表的顺序", "Villages are numbered in the order of the scenario's village list"),
    # the HTML report
    "report_title": ("新型农村社区建设模拟报告",
                     "Simulation report: consolidating villages into new rural communities"),
    "report_generated": ("生成时间", "Generated"),
    "report_scenario": ("情景概况", "The scenario"),
    "report_headline": ("主要结果", "Headline numbers"),
    "report_figures": ("图表", "Figures"),
    "report_compare": ("方案比较", "Comparison of scenarios"),
    "report_compare_note": ("第一个方案列出各次重复的均值及2.5%–97.5%范围；其余方案列出与第一个方案的配对差值（相同随机数）及其95%置信区间。",
                            "For the first scenario: mean and 2.5–97.5% range over replications. For the others: the paired difference to the first (same random numbers) with its 95% confidence interval."),
    "report_caveat": ("说明：本报告由模拟模型生成，结果取决于情景中的参数假设（见情景文件及 docs/validation.md）。单次模拟存在随机性，方案比较请以多次重复的区间为准。",
                      "Note: these results come from a simulation model and depend on the assumptions in the scenario (see the scenario file and docs/validation.md). A single run is one draw of chance; compare packages on the intervals of many replications."),
    "report_metric": ("指标", "Metric"),
    "report_animation_print": ("（动画，请在HTML版报告中查看）", " (an animation: see the HTML report)"),
    "report_decompose": ("策略拆分：各组成部分的作用", "The strategy taken apart: what each component does"),
    "report_decompose_note": ("以相同随机数运行各组成部分打开/关闭的全部组合；表中为主效应(打开减去关闭)的均值及95%置信区间。",
                              "Every combination of the components on and off, run with the same random numbers; the table gives each main effect (on minus off) with its 95% confidence interval."),
    "fig_decomposition": ("各组成部分的主效应", "Main effects of the strategy's components"),
    "fig_migration_side_by_side": ("三种策略下谁先搬(单次模拟)", "Who moves when under three strategies (one run each)"),
    "fig_villages": ("村庄逐步搬空(动画)", "Villages emptying (animation)"),
    "fig_migration_by_type": ("各类农户入住新社区的先后", "Who moves when, by household type"),
    "fig_status": ("农户状态变化", "Households by status"),
    "fig_housing": ("报名、排队与建成住房", "Registrations, waiting list and units built"),
    "fig_cash_and_gap": ("政府资金余额与资金缺口", "Government cash and financing gap"),
    "fig_cash_flows": ("政府分项收支", "Government revenue and spending by line"),
    "fig_land": ("土地腾退、复垦与集体利用", "Land freed, reclaimed and used"),
    "fig_finance": ("政府欠款与开发商负债", "Arrears, deferred payments and developer debt"),
    "fig_livelihoods": ("入住农户的生计", "Movers' livelihoods"),
    "fig_exposure": ("公共服务恶化的影响", "Who lives with degraded services"),
    "fig_services": ("各村公共服务水平", "Service level by village"),
    "fig_village_map": ("村庄剩余户数比例", "Share of households remaining, by village"),
    "fig_compare": ("各方案比较：入住、排队、服务恶化、资金余额、资金缺口与腾退土地(中位数及5%–95%区间)",
                    "Options compared: households moved, waiting, living with degraded services, cash, financing gap and land freed (median and 5–95% band)"),
    # (figure captions above: fig_<figure file name>)
    "stranded": ("滞留(服务恶化且无力搬迁)", "Stranded"),
    "registered": ("已报名待分配", "Registered, waiting"),
    "allocated": ("已分配待入住", "Allocated"),
    "moved": ("已入住(旧房已拆)", "Moved (old house demolished)"),
    "two_homes": ("两头住(保留旧房)", "Two homes (kept old house)"),
    "returned": ("返回旧村", "Returned to the old village"),
}


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en')."""
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


LINE_LABELS = {
    "rev_land_quota_cny": ("增减挂钩指标出让", "Land quota sales"),
    "rev_collective_land_cny": ("集体土地租金", "Collective land income"),
    "rev_unit_sales_cny": ("住房销售", "Unit sales"),
    "rev_forfeited_deposits_cny": ("没收的报名押金", "Forfeited deposits"),
    "exp_housing_cny": ("住房建设(政府出资)", "Housing built by the township"),
    "exp_compensation_cny": ("旧房补偿", "Compensation for old houses"),
    "exp_dividends_cny": ("集体土地分红", "Dividends to villagers"),
    "exp_arrears_interest_cny": ("拖欠款利息", "Interest on arrears"),
    "rev_borrowing_cny": ("借款", "Borrowing"),
    "exp_construction_cny": ("社区公共设施建设", "Community public works"),
    "exp_maintenance_cny": ("旧村公共服务维护", "Old-village service upkeep"),
    "exp_events_cny": ("政策活动", "Policy events"),
    "exp_reclamation_cny": ("拆旧复垦", "Demolition and reclamation"),
    "exp_interest_cny": ("利息", "Interest"),
    "exp_debt_repayment_cny": ("还款", "Debt repayment"),
}


def line_label(sc, col: str, lang: str) -> str:
    """Readable label of a revenue or expenditure column, from the scenario where it can
    (a full scenario, or the report's reading of scenario.json, which has no revenue lines
    or awards; ``sc`` None: the column's own words)."""
    if col in LINE_LABELS:
        zh, en = LINE_LABELS[col]
        return zh if lang == "zh" else en
    name = col.removeprefix("rev_").removeprefix("exp_").removesuffix("_cny")
    gov, pol = getattr(sc, "government", None), getattr(sc, "policy", None)
    for kind, items in (("", getattr(gov, "revenues", ())),
                        ("instr_", getattr(pol, "instruments", ())),
                        ("award_", getattr(pol, "awards", ()))):
        for i in items:
            if name == kind + i.name:
                label = i.label_zh if lang == "zh" else getattr(i, "label_en", "")
                return label or i.name.replace("_", " ").capitalize()
    return name.replace("_", " ").capitalize()


def type_label(sc, name: str, lang: str) -> str:
    """Label of a household type from the scenario, falling back to its identifier."""
    ht = sc.household_types[name]
    label = ht.label_zh if lang == "zh" else ht.label_en
    return label or name


class Metric(NamedTuple):
    """A metric as users see it: its labels, its unit, which way is better, and why it can be
    missing.  ``unit`` is one of :data:`UNITS`; ``better`` is +1 (more is better), -1 (less is
    better) or 0 (neither); ``missing_*`` says why a value can be undefined."""

    key: str
    zh: str
    en: str
    unit: str
    better: int
    missing_zh: str = "无数据"
    missing_en: str = "no data"


#: Units: how a value is shown (see :mod:`ruralsim.report.formatting`).
UNITS = ("count", "share", "months", "cny", "mu")

_NOT_REACHED = ("期内未达到", "not reached within the horizon")
_NO_MOVERS = ("无人搬迁", "no movers")

#: Headline metrics, in the order of the run summary and the report (every one is a key of
#: summary.json).  Labels carry the unit where the value does not (money carries its own:
#: 万元/亿元, thousand/million CNY).
METRICS: tuple[Metric, ...] = (
    Metric("households", "农户总数", "Households", "count", 0),
    Metric("share_moved", "期末已入住比例", "Share moved by the end", "share", +1),
    Metric("months_to_50pct_moved", "50%农户入住所需月数", "Months to 50% moved", "months", -1,
           *_NOT_REACHED),
    Metric("months_to_90pct_moved", "90%农户入住所需月数", "Months to 90% moved", "months", -1,
           *_NOT_REACHED),
    Metric("share_ever_registered", "曾报名的农户比例", "Share of households that ever registered",
           "share", +1),
    Metric("households_reneged", "报名后放弃的户数", "Households that gave up waiting", "count", -1),
    Metric("registrations_given_up_while_owed", "政府拖欠期间提前放弃的登记(次)",
           "Registrations given up sooner while the township owed movers", "count", -1),
    Metric("households_kept_old_house", "保留旧房(两头住或返回)的户数",
           "Households that kept their old house", "count", -1),   # homestead not freed
    Metric("households_returned", "返回旧村的户数", "Households that returned", "count", -1),
    Metric("share_movers_worse_off", "入住后收入下降的比例", "Share of movers worse off", "share",
           -1, *_NO_MOVERS),
    Metric("households_in_distress_peak", "偿债困难户峰值", "Peak households in debt distress",
           "count", -1),
    Metric("total_public_cost_cny", "政府公共支出合计", "Total public cost", "cny", -1),
    Metric("cost_per_relocated_household_cny", "每户入住的公共支出",
           "Public cost per household moved", "cny", -1, *_NO_MOVERS),
    Metric("peak_financing_gap_cny", "资金缺口峰值(负债+欠款)",
           "Peak financing gap (debt + arrears)", "cny", -1),
    Metric("months_in_arrears", "拖欠款的月数", "Months in arrears", "months", -1),
    Metric("phases_abandoned", "停工烂尾的建设期数", "Construction phases abandoned", "count", -1),
    Metric("npv_cny", "政府净现值", "Government NPV", "cny", +1),
    Metric("land_freed_mu", "腾退宅基地(亩)", "Homestead land freed (mu)", "mu", +1),
    Metric("dividends_per_household_cny", "户均集体土地分红", "Dividends per household", "cny",
           +1),
    Metric("households_registered_after_withdrawal", "停止服务后才报名并入住的户数",
           "Movers who registered after services were withdrawn", "count", -1),
    Metric("exposure_household_months", "生活在服务恶化村庄的户·月",
           "Household-months lived with degraded services", "count", -1),
    Metric("vulnerable_moved", "特困户、五保户入住", "Poor and five-guarantee households moved",
           "count", +1),
    Metric("mean_household_debt_cny", "入住农户平均负债", "Mean household debt of movers", "cny",
           -1, *_NO_MOVERS),
)
#: Metrics of experiments that are not in a run's summary.
EXPERIMENT_METRICS: tuple[Metric, ...] = (
    Metric("households_moved_because_of_withdrawal", "因停止服务才搬迁的户数",
           "Households that moved only because services were withdrawn", "count", -1),
)
_BY_KEY = {m.key: m for m in METRICS + EXPERIMENT_METRICS}


def metric_info(key: str) -> Metric | None:
    """The :class:`Metric` of ``key``, or None for a key not in the table."""
    return _BY_KEY.get(key)


def fmt_share(value: float) -> str:
    """A share as a percentage with one decimal that never rounds to a whole or to nothing:
    0.9996 is '>99.9%' (households remain), 0.0004 is '<0.1%'; 1 and 0 are exact.

    >>> fmt_share(0.9996), fmt_share(1.0), fmt_share(0.0004), fmt_share(0.5)
    ('>99.9%', '100.0%', '<0.1%', '50.0%')
    """
    text = f"{value:.1%}"
    if 0.999 < value < 1:
        return ">99.9%" if text == "100.0%" else text
    if 0 < value < 0.001:
        return "<0.1%" if text == "0.0%" else text
    return text


def metric_label(key: str, lang: str) -> str:
    """The label of ``key`` in ``lang`` ('zh', 'en' or 'both': "中文 / English")."""
    m = _BY_KEY.get(key)
    if m is None:
        return key
    return m.zh if lang == "zh" else m.en if lang == "en" else f"{m.zh} / {m.en}"
