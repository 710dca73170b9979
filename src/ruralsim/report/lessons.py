"""What the model shows, in plain words: sentences built from effects and their intervals.

Each sentence states a measured effect with its 95% interval, or says plainly that there is
no clear difference (the interval spans zero).  Nothing is written that the numbers do not
support, and where the model disagrees with the slogan 抓两头、带中间 the text says so.

Example:
    >>> rows = [{"metric": "months_to_90pct_moved", "effect": "withdrawal", "mean": -9.0,
    ...          "ci_low": -12.0, "ci_high": -6.0, "censored": False}]
    >>> decomposition_lessons(rows, "en")[0]
    'Service withdrawal: reaches 90% of households moved 9 months sooner [6, 12].'
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .labels import scenario_title

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.\-]+")

COMPONENT_NAMES = {
    "targeting": ("针对性动员(抓两头)", "Targeting (outreach to the two ends)"),
    "priority": ("分配优先", "Allocation priority"),
    "withdrawal": ("停止旧村服务", "Service withdrawal"),
    "sequencing": ("逐村推进", "Village-by-village sequencing"),
}


def _get(r: Any, k: str):
    return r[k] if isinstance(r, Mapping) else getattr(r, k)


def _clear(r, negligible: float = 0.0) -> int:
    """+1 / −1 when the interval lies above / below zero (and the effect is not negligible),
    0 when it spans zero, is missing or is smaller than ``negligible``."""
    lo, hi, m = _get(r, "ci_low"), _get(r, "ci_high"), _get(r, "mean")
    if lo is None or hi is None or m is None or abs(m) < negligible:
        return 0
    return 1 if lo > 0 else -1 if hi < 0 else 0


def _months(r, share: str, lang: str) -> str | None:
    m, lo, hi = (_get(r, k) for k in ("mean", "ci_low", "ci_high"))
    c = _clear(r, negligible=0.5)   # less than half a month is no effect worth stating
    cens = (("（部分情形期末前未达到，按期末计）" if lang == "zh" else
             " (some runs never reached it; counted at the horizon)")
            if _get(r, "censored") else "")
    if c != 0:
        a, b = sorted((abs(lo), abs(hi)))
        n = abs(m)
        if round(a) == 0 or round(n) == 0:   # shown as "[0, 2]": it spans zero as read
            c = 0
    if c == 0:
        return (f"对{share}入住所需时间无明显影响{cens}" if lang == "zh"
                else f"no clear effect on the time to {share} moved{cens}")
    unit = "month" if round(n) == 1 else "months"
    if c < 0:
        return (f"使{share}农户入住提前约{n:.0f}个月[{a:.0f}, {b:.0f}]{cens}" if lang == "zh"
                else f"reaches {share} of households moved {n:.0f} {unit} sooner "
                f"[{a:.0f}, {b:.0f}]{cens}")
    return (f"使{share}农户入住推迟约{n:.0f}个月[{a:.0f}, {b:.0f}]{cens}" if lang == "zh"
            else f"reaches {share} of households moved {n:.0f} {unit} later [{a:.0f}, {b:.0f}]"
            f"{cens}")


def _amount(r, what_zh: str, what_en: str, lang: str, scale: float = 1.0,
            unit_zh: str = "", unit_en: str = "") -> str:
    m, lo, hi = (_get(r, k) * scale for k in ("mean", "ci_low", "ci_high"))
    a, b = sorted((abs(lo), abs(hi)))
    if _clear(r) == 0 or round(abs(m)) == 0 or round(a) == 0:   # as shown, it spans zero
        return f"{what_zh}无明显变化" if lang == "zh" else f"no clear change in {what_en}"
    up = m > 0
    if lang == "zh":
        return f"{what_zh}{'增加' if up else '减少'}约{abs(m):,.0f}{unit_zh}[{a:,.0f}, {b:,.0f}]"
    return (f"{'raises' if up else 'lowers'} {what_en} by {abs(m):,.0f}{unit_en} "
            f"[{a:,.0f}, {b:,.0f}]")


def decomposition_lessons(rows: Iterable[Any], lang: str = "zh") -> list[str]:
    """One sentence per component (main effects), then the comparison of components."""
    rows = [r for r in rows if int(_get(r, "order") if "order" in _fields(r) else 1) == 1]
    by = {(_get(r, "effect"), _get(r, "metric")): r for r in rows}
    comps = [c for c in COMPONENT_NAMES if any(k[0] == c for k in by)]
    out = []
    for c in comps:
        zh, en = COMPONENT_NAMES[c]
        parts = []
        for metric, share in (("months_to_50pct_moved", "50%"), ("months_to_90pct_moved", "90%")):
            if (c, metric) in by:
                parts.append(_months(by[(c, metric)], share, lang))
        if c == "withdrawal":
            if (c, "households_moved_because_of_withdrawal") in by:
                r = by[(c, "households_moved_because_of_withdrawal")]
                parts.append(f"约{_get(r, 'mean'):,.0f}户是因为停止服务才搬迁的" if lang == "zh"
                             else f"about {_get(r, 'mean'):,.0f} households move only because "
                             "services are withdrawn")
            if (c, "exposure_household_months") in by:
                parts.append(_amount(by[(c, "exposure_household_months")],
                                     "生活在服务恶化村庄中的户·月", "household-months lived with "
                                     "degraded services", lang))
        if (c, "total_public_cost_cny") in by:
            parts.append(_amount(by[(c, "total_public_cost_cny")], "政府公共支出",
                                 "public cost", lang, 1e-4 if lang == "zh" else 1e-6,
                                 "万元", " million CNY"))
        if lang == "zh":
            out.append(f"{zh}：" + "；".join(p for p in parts if p) + "。")
        else:
            text = "; ".join(p for p in parts if p)
            out.append(f"{en}: {text}.")
    verdict = _verdict(by, comps, lang)
    if verdict:
        out.append(verdict)
    return out


def _fields(r) -> set[str]:
    return set(r) if isinstance(r, Mapping) else set(vars(r))


def _verdict(by: dict, comps: list[str], lang: str) -> str | None:
    """Which component buys the speed, said against the slogan."""
    key = "months_to_90pct_moved"
    speed = {c: by[(c, key)] for c in comps if (c, key) in by}
    if "withdrawal" not in speed or not ({"targeting", "priority"} & set(speed)):
        return None
    w = speed["withdrawal"]
    ends = [speed[c] for c in ("targeting", "priority") if c in speed]
    w_gain = -_get(w, "mean") if _clear(w, 0.5) < 0 else 0.0
    e_gain = sum(-_get(r, "mean") for r in ends if _clear(r, 0.5) < 0)
    if w_gain == 0 and e_gain == 0:
        return ("模型显示：在这个情景中，动员两头和停止服务都没有明显加快90%农户入住；速度主要受住房建设和资金限制。"
                if lang == "zh" else
                "What the model shows: in this scenario neither targeting the two ends nor "
                "withdrawing services clearly speeds up the time to 90% moved; housing and money "
                "set the pace.")
    if w_gain > 2 * max(e_gain, 0.5):
        return ("模型显示：加快整体搬迁的主要是停止旧村公共服务（推力），而不是对两头农户的动员和优先（拉力）；"
                "这与“抓两头带中间”的说法不完全一致，而且这份速度是以服务恶化村庄中的生活为代价的。"
                if lang == "zh" else
                "What the model shows: the speed comes mostly from withdrawing services (a push), "
                "not from targeting and prioritising the two ends (a pull). That is not what the "
                "slogan credits, and the speed is paid for by the households living with "
                "degraded services.")
    if e_gain > 2 * max(w_gain, 0.5):
        return ("模型显示：加快搬迁的主要是对两头农户的动员和优先，与“抓两头”的说法一致。"
                if lang == "zh" else
                "What the model shows: the speed comes mostly from targeting and prioritising "
                "the two ends, as the slogan says.")
    return ("模型显示：动员两头与停止服务都对速度有作用，二者相当。" if lang == "zh" else
            "What the model shows: targeting the two ends and withdrawing services both add "
            "speed, in comparable measure.")


def comparison_lessons(rows: Iterable[Any], names: list[str], lang: str = "zh") -> list[str]:
    """For each scenario after the first: how it differs from the first on timing, exposure
    and cost (paired differences with their 95% intervals)."""
    out = []
    rows = list(rows)
    first = display_name(names[0], lang)
    for name in names[1:]:
        r = {_get(x, "metric"): x for x in rows if _get(x, "scenario") == name}
        parts = []
        for metric, share in (("months_to_50pct_moved", "50%"), ("months_to_90pct_moved", "90%")):
            if metric in r and _get(r[metric], "diff_vs_first") is not None:
                d = _as_effect(r[metric])
                parts.append(_months(d, share, lang))
        if "exposure_household_months" in r:
            parts.append(_amount(_as_effect(r["exposure_household_months"]),
                                 "生活在服务恶化村庄中的户·月", "household-months lived with "
                                 "degraded services", lang))
        if "total_public_cost_cny" in r:
            parts.append(_amount(_as_effect(r["total_public_cost_cny"]), "政府公共支出",
                                 "public cost", lang, 1e-4 if lang == "zh" else 1e-6, "万元",
                                 " million CNY"))
        if not parts:
            continue
        shown = display_name(name, lang)
        if lang == "zh":
            out.append(f"与{first}相比，{shown}" + "；".join(p for p in parts if p) + "。")
        else:
            out.append(f"Compared with {first}, {shown} " + "; ".join(p for p in parts if p)
                       + ".")
    return out


def display_name(name: str, lang: str) -> str:
    """A scenario as a sentence names it: a teaching strategy by its title; in Chinese, any
    other identifier quoted as a scheme's name (方案“my_town”), never bare in the sentence.

    >>> display_name("teaching_middle_first", "zh"), display_name("awards", "zh")
    ('先动员中间户', '方案“awards”')
    """
    title = scenario_title(str(name), lang)
    if lang == "zh" and _IDENTIFIER.fullmatch(title):
        return f"方案“{title}”"
    return title


def _as_effect(r) -> dict:
    return {"mean": _get(r, "diff_vs_first"), "ci_low": _get(r, "diff_ci_low"),
            "ci_high": _get(r, "diff_ci_high"), "censored": False}
