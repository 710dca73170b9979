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

from .formatting import finite
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
            unit_zh: str = "", unit_en: str = "", count: bool = False) -> str:
    m, lo, hi = (_get(r, k) * scale for k in ("mean", "ci_low", "ci_high"))
    a, b = sorted((abs(lo), abs(hi)))
    biggest = max(abs(m), b)
    d = 0 if biggest >= 100 else 1 if biggest >= 10 else 2   # three significant digits
    if count:   # a mean number of households: at most one decimal
        d = min(d, 0 if biggest >= 10 else 1)
    if _clear(r) == 0 or round(abs(m), d) == 0 or round(a, d) == 0:   # as shown, spans zero
        return f"{what_zh}无明显变化" if lang == "zh" else f"no clear change in {what_en}"
    up = m > 0
    if lang == "zh":
        return (f"{what_zh}{'增加' if up else '减少'}约{abs(m):,.{d}f}{unit_zh}"
                f"[{a:,.{d}f}, {b:,.{d}f}]")
    return (f"{'raises' if up else 'lowers'} {what_en} by {abs(m):,.{d}f}{unit_en} "
            f"[{a:,.{d}f}, {b:,.{d}f}]")


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
    reps = {int(v) for r in rows if "reps" in _fields(r) and finite(v := _get(r, "reps"))}
    if len(reps) == 1:    # the replications the intervals rest on
        n = reps.pop()
        out.append(f"以上区间基于每种组合{n}次重复(相同随机数)。" if lang == "zh" else
                   f"These intervals rest on {n} replications of each combination (common "
                   "random numbers).")
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
        return ("模型显示：在这个情景中，动员两头和停止服务都没有明显加快90%农户入住。"
                if lang == "zh" else
                "What the model shows: in this scenario neither targeting the two ends nor "
                "withdrawing services clearly speeds up the time to 90% moved.")
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
        # what a leader weighs first: share moved, speed, public cost, arrears, the vulnerable
        if "share_moved" in r and _get(r["share_moved"], "diff_vs_first") is not None:
            parts.append(_amount(_as_effect(r["share_moved"]), "期末入住比例", "the share moved "
                                 "by the end", lang, 100.0, "个百分点", " percentage points"))
        for metric, share in (("months_to_50pct_moved", "50%"), ("months_to_90pct_moved", "90%")):
            if metric not in r:
                continue
            if finite(_get(r[metric], "diff_vs_first")) is None:   # not reached in some run
                parts.append(f"{share}入住所需时间无法比较(有的重复期内未达到)" if lang == "zh"
                             else f"the time to {share} moved cannot be compared (not reached "
                             "within the horizon in some runs)")
            else:
                parts.append(_months(_as_effect(r[metric]), share, lang))
        if "total_public_cost_cny" in r:
            parts.append(_amount(_as_effect(r["total_public_cost_cny"]), "政府公共支出",
                                 "public cost", lang, 1e-4 if lang == "zh" else 1e-6, "万元",
                                 " million CNY"))
        if "months_in_arrears" in r:
            parts.append(_amount(_as_effect(r["months_in_arrears"]), "拖欠款月数",
                                 "months in arrears", lang))
        if "vulnerable_moved" in r:
            parts.append(_amount(_as_effect(r["vulnerable_moved"]), "入住的特困户、五保户",
                                 "poor and five-guarantee households moved", lang,
                                 unit_zh="户", count=True))
        if "exposure_household_months" in r:
            parts.append(_amount(_as_effect(r["exposure_household_months"]),
                                 "生活在服务恶化村庄中的户·月", "household-months lived with "
                                 "degraded services", lang))
        if not parts:
            continue
        shown = display_name(name, lang)
        if lang == "zh":
            out.append(f"与{first}相比，{shown}" + "；".join(p for p in parts if p) + "。")
        else:
            out.append(f"{shown} compared with {first}: " + "; ".join(p for p in parts if p)
                       + ".")
    return out


def display_name(name: str, lang: str) -> str:
    """A scenario as a sentence names it: a teaching strategy by its title; in Chinese in
    quotation marks (a title holds 、), any other identifier quoted as a scheme's name
    (方案“my_town”), never bare in the sentence.

    >>> display_name("teaching_middle_first", "zh"), display_name("awards", "zh")
    ('“先动员中间户”', '方案“awards”')
    """
    title = scenario_title(str(name), lang)
    if lang == "zh":
        return f"方案“{title}”" if _IDENTIFIER.fullmatch(title) else f"“{title}”"
    return title


def _as_effect(r) -> dict:
    return {"mean": _get(r, "diff_vs_first"), "ci_low": _get(r, "diff_ci_low"),
            "ci_high": _get(r, "diff_ci_high"), "censored": False}


# ------------------------------------------------------------------ the notebooks' sentences

def _month_text(v, lang: str) -> str:
    return ((f"第{v:g}个月" if lang == "zh" else f"month {v:g}") if v is not None and v == v
            else ("期内未过半" if lang == "zh" else "not half within the horizon"))


def who_moves_first(table, scenario, lang: str = "zh") -> list[str]:
    """One sentence per household type from ``table`` (rows: types, columns: strategies,
    values: the median month a type's households moved): under which strategy it moved
    first, with every strategy's month, or that they moved in the same month.

    >>> import pandas as pd, ruralsim
    >>> sc = ruralsim.load_scenario("teaching").model
    >>> t = pd.DataFrame({"A": {"urgent": 27.5}, "B": {"urgent": 24.0}})
    >>> who_moves_first(t, sc, "en")
    ['Urgent builders: first under B (median month 24); A month 27.5.']
    """
    from .labels import type_label

    out = []
    for tn, row in table.iterrows():
        vals = {str(k): (None if v != v else round(float(v), 1)) for k, v in row.items()}
        who = type_label(scenario, tn, lang)
        known = {k: v for k, v in vals.items() if v is not None}
        if not known:
            out.append(f"{who}：各策略下期内都未过半入住。" if lang == "zh" else
                       f"{who}: fewer than half moved within the horizon under every strategy.")
            continue
        best = min(known.values())
        first = [k for k, v in known.items() if v == best]
        if len(first) == len(vals):
            out.append(f"{who}：各策略下都在第{best:g}个月(中位数)入住，没有先后。" if lang == "zh"
                       else f"{who}: the same median month ({best:g}) under every strategy.")
            continue
        rest = [(k, v) for k, v in vals.items() if k not in first]
        names = ("和".join(display_name(k, lang) for k in first) if lang == "zh" else
                 " and ".join(first))
        if lang == "zh":
            tail = "；".join(f"{display_name(k, lang)}下{_month_text(v, lang)}" for k, v in rest)
            out.append(f"{who}：在{names}下最早入住(中位数第{best:g}个月)；{tail}。")
        else:
            tail = "; ".join(f"{display_name(k, lang)} {_month_text(v, lang)}" for k, v in rest)
            out.append(f"{who}: first under {names} (median month {best:g}); {tail}.")
    return out


def withdrawal_cost_lessons(cf: Mapping, registered_after: int, lang: str = "zh") -> list[str]:
    """What withdrawal caused (``cf``: a run's ``summary['counterfactual']`` against its
    no-withdrawal twin), set against the count of households registered after withdrawal.

    >>> cf = {"moved_only_in_run": 98, "mean_months_earlier": 6.27,
    ...       "exposure_household_months_difference": 9100,
    ...       "exposure_vulnerable_household_months_difference": 1200}
    >>> print(withdrawal_cost_lessons(cf, 150, "en")[0])  # doctest: +NORMALIZE_WHITESPACE
    Withdrawing services made 98 households move who would otherwise not have; 150
    registered after a withdrawal, 52 more than it caused to move.
    """
    only = int(cf["moved_only_in_run"])
    after = int(registered_after)
    diff = after - only
    if lang == "zh":
        cmp_ = (f"比因果数多{diff}户" if diff > 0 else f"比因果数少{-diff}户" if diff < 0
                else "与因果数相同")
        out = [f"停止服务使{only}户本不会搬迁的农户搬迁；停止服务后才报名的有{after}户，{cmp_}。"]
    else:
        cmp_ = (f"{diff} more than it caused to move" if diff > 0 else
                f"{-diff} fewer than it caused to move" if diff < 0 else "as many as it caused")
        out = [f"Withdrawing services made {only} households move who would otherwise not "
               f"have; {after} registered after a withdrawal, {cmp_}."]
    early = cf.get("mean_months_earlier")
    if early is not None and early == early:
        out.append(f"其余搬迁农户平均提前{early:.1f}个月入住。" if lang == "zh" else
                   f"The other movers moved {early:.1f} months earlier on average.")
    exp, vul = (int(round(cf[k])) for k in ("exposure_household_months_difference",
                                             "exposure_vulnerable_household_months_difference"))
    out.append(f"代价：生活在服务恶化村庄中的户·月增加{exp:,}，其中特困户、五保户{vul:,}。"
               if lang == "zh" else
               f"The cost: {exp:,} more household-months lived with degraded services, "
               f"{vul:,} of them by the poor and five-guarantee households.")
    return out


#: The signs that money binds, from a comparison's table: (metric, zh, en).
MONEY_BINDS = (
    ("plan_years_quota_binding", "年度计划因资金限制报名配额的年数", "years the plan quota was cut by money"),
    ("plan_household_months_turned_away", "因配额被拒的户·月", "household-months turned away by the quota"),
    ("phase_months_stalled", "因缺钱停工的期·月", "phase-months stalled for money"),
    ("months_in_arrears", "拖欠工程款的月数", "months in arrears"),
)


def financing_lessons(rows: Iterable[Any], names: list[str], lang: str = "zh") -> list[str]:
    """For each scenario of a comparison: whether money binds (the means over replications
    of :data:`MONEY_BINDS`), stated with the numbers.

    >>> rows = [{"scenario": "base", "metric": "plan_years_quota_binding", "mean": 9.0},
    ...         {"scenario": "base", "metric": "months_in_arrears", "mean": 0.0}]
    >>> financing_lessons(rows, ["base"], "en")
    ['base: money binds: years the plan quota was cut by money 9.0 (mean).']
    """
    rows = list(rows)
    out = []
    for name in names:
        r = {_get(x, "metric"): _get(x, "mean") for x in rows if _get(x, "scenario") == name}
        shown = display_name(name, lang)
        binds = [(zh, en, float(r[m])) for m, zh, en in MONEY_BINDS
                 if m in r and r[m] is not None and r[m] == r[m] and round(float(r[m]), 1) > 0]
        if not binds:
            out.append(f"{shown}：资金没有成为约束(各项均为0)。" if lang == "zh" else
                       f"{shown}: money does not bind (every sign is 0).")
        elif lang == "zh":
            out.append(f"{shown}：资金约束起作用：" + "，".join(f"{zh}平均{v:,.1f}"
                                                       for zh, _, v in binds) + "。")
        else:
            out.append(f"{shown}: money binds: " + "; ".join(f"{en} {v:,.1f} (mean)"
                                                           for _, en, v in binds) + ".")
    return out


def response_lessons(table, param: str, metrics: Mapping[str, tuple[str, str]],
                     param_name: tuple[str, str], lang: str = "zh") -> list[str]:
    """How each metric's mean moves as ``param`` goes from its lowest to its highest value
    in ``table`` (one row per run), said with the means at each value.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"x": [0.3, 0.3, 0.7, 0.7], "y": [10, 12, 4, 6]})
    >>> response_lessons(t, "x", {"y": ("户数", "households")}, ("门槛", "threshold"), "en")
    ['As threshold goes from 0.3 to 0.7, households falls: 11 → 5 (means).']
    """
    means = table.groupby(param).mean(numeric_only=True)
    out = []
    for m, (zh, en) in metrics.items():
        v = means[m]
        a, b = float(v.iloc[0]), float(v.iloc[-1])
        seq = " → ".join(f"{x:,.0f}" for x in v)
        lo, hi = v.index[0], v.index[-1]
        if round(a) == round(b):
            word_zh, word_en = "基本不变", "hardly changes"
        else:
            word_zh, word_en = ("上升", "rises") if b > a else ("下降", "falls")
        out.append(f"{param_name[0]}从{lo:g}提高到{hi:g}时，{zh}{word_zh}：{seq}(均值)。"
                   if lang == "zh" else
                   f"As {param_name[1]} goes from {lo:g} to {hi:g}, {en} {word_en}: {seq} "
                   "(means).")
    return out
