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


def type_label(sc, name: str, lang: str) -> str:
    """Label of a household type from the scenario, falling back to its identifier."""
    ht = sc.household_types[name]
    label = ht.label_zh if lang == "zh" else ht.label_en
    return label or name
