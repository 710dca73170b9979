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
    "flows_title": ("政府收支(按年、分项)与年末资金余额", "Government revenue and spending by line (per year) and cash at year end"),
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
    for r in sc.government.revenues:
        if name == r.name:
            return (r.label_zh if lang == "zh" else "") or r.name
    for kind, items in (("instr_", sc.policy.instruments), ("award_", sc.policy.awards)):
        for i in items:
            if name == kind + i.name:
                label = i.label_zh if lang == "zh" else getattr(i, "label_en", "")
                return label or i.name
    return name


def type_label(sc, name: str, lang: str) -> str:
    """Label of a household type from the scenario, falling back to its identifier."""
    ht = sc.household_types[name]
    label = ht.label_zh if lang == "zh" else ht.label_en
    return label or name
