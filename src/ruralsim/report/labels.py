"""User-visible text in Chinese and English, in one table.

>>> t("cash", "en")
'Government cash balance'
"""
from __future__ import annotations

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
    "land_title": ("土地腾退、复垦与指标出让", "Land freed, reclaimed and sold"),
    "land_freed": ("腾退宅基地", "Homestead land freed"),
    "land_reclaimed": ("已复垦", "Reclaimed"),
    "land_sold": ("增减挂钩指标出让", "Sold as quota"),
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
    "fig_migration_by_type": ("各类农户入住新社区的先后", "Who moves when, by household type"),
    "fig_status": ("农户状态变化", "Households by status"),
    "fig_housing": ("报名、排队与建成住房", "Registrations, waiting list and units built"),
    "fig_cash_and_gap": ("政府资金余额与资金缺口", "Government cash and financing gap"),
    "fig_cash_flows": ("政府分项收支", "Government revenue and spending by line"),
    "fig_land": ("土地腾退、复垦与指标出让", "Land freed, reclaimed and sold"),
    "fig_services": ("各村公共服务水平", "Service level by village"),
    "fig_village_map": ("村庄剩余户数比例", "Share of households remaining, by village"),
    "fig_compare": ("方案比较(中位数及5%–95%区间)", "Scenarios compared (median and 5–95% band)"),
    # (figure captions above: fig_<figure file name>)
    "stranded": ("滞留(服务恶化且无力搬迁)", "Stranded"),
    "registered": ("已报名待分配", "Registered, waiting"),
    "allocated": ("已分配待入住", "Allocated"),
    "moved": ("已入住新社区", "Moved"),
}


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en')."""
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


LINE_LABELS = {
    "rev_land_quota_cny": ("增减挂钩指标出让", "Land quota sales"),
    "rev_borrowing_cny": ("借款", "Borrowing"),
    "exp_construction_cny": ("社区公共设施建设", "Community public works"),
    "exp_maintenance_cny": ("旧村公共服务维护", "Old-village service upkeep"),
    "exp_events_cny": ("政策活动", "Policy events"),
    "exp_reclamation_cny": ("拆旧复垦", "Demolition and reclamation"),
    "exp_interest_cny": ("利息", "Interest"),
    "exp_debt_repayment_cny": ("还款", "Debt repayment"),
}


def line_label(sc, col: str, lang: str) -> str:
    """Readable label of a revenue or expenditure column, from the scenario where it can."""
    if col in LINE_LABELS:
        zh, en = LINE_LABELS[col]
        return zh if lang == "zh" else en
    name = col.removeprefix("rev_").removeprefix("exp_").removesuffix("_cny")
    for kind, items in (("", sc.government.revenues), ("instr_", sc.policy.instruments),
                        ("award_", sc.policy.awards)):
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


#: Headline metrics: summary key, Chinese label, English label, format.
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("households", "农户总数", "Households", "{:,.0f}"),
    ("share_moved", "期末入住比例", "Share moved by the end", "{:.1%}"),
    ("months_to_50pct_moved", "50%农户入住所需月数", "Months to 50% moved", "{:,.0f}"),
    ("months_to_90pct_moved", "90%农户入住所需月数", "Months to 90% moved", "{:,.0f}"),
    ("total_public_cost_cny", "政府公共支出合计(元)", "Total public cost (CNY)", "{:,.0f}"),
    ("cost_per_relocated_household_cny", "每户入住的公共支出(元)",
     "Public cost per household moved (CNY)", "{:,.0f}"),
    ("peak_financing_gap_cny", "资金缺口峰值(元)", "Peak financing gap (CNY)", "{:,.0f}"),
    ("npv_cny", "政府净现值(元)", "Government NPV (CNY)", "{:,.0f}"),
    ("land_freed_mu", "腾退宅基地(亩)", "Homestead land freed (mu)", "{:,.0f}"),
    ("households_pushed", "因停止服务而搬迁的户数", "Households pushed by service withdrawal",
     "{:,.0f}"),
    ("households_ever_stranded", "曾滞留旧村的户数", "Households ever stranded", "{:,.0f}"),
    ("households_stranded_final", "期末仍滞留的户数", "Households stranded at the end", "{:,.0f}"),
    ("vulnerable_moved", "特困户、五保户入住", "Poor and five-guarantee households moved",
     "{:,.0f}"),
    ("mean_household_debt_cny", "入住农户平均负债(元)", "Mean household debt of movers (CNY)",
     "{:,.0f}"),
)


def fmt_metric(key: str, value) -> str:
    """A summary value formatted as in reports and on screen ('—' when undefined)."""
    if value is None:
        return "—"
    for k, _, _, f in METRICS:
        if k == key:
            return f.format(value)
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def metric_label(key: str, lang: str) -> str:
    for k, zh, en, _ in METRICS:
        if k == key:
            return zh if lang == "zh" else en
    return key
