"""Numbers as a planner reads them: one module for the report, the terminal and the notebooks.

Every value shown to a user goes through here, so the run summary, the comparison table,
the decomposition table and the terminal output of ``run``, ``compare`` and ``decompose``
agree:

* money in 元/万元/亿元 (Chinese) or CNY/thousand/million/billion CNY (English), months and
  counts as whole numbers with thousands separators, shares as percentages and differences of
  shares in percentage points; never scientific notation;
* a value that is undefined says why (from the metric's entry in
  :data:`ruralsim.report.labels.METRICS`), e.g. "期内未达到 / not reached within the horizon";
* a difference is judged better or worse *for that metric* (fewer months is better, more land
  freed is better), and "no clear difference" when its 95% interval spans zero.

Example:
    >>> fmt_value("total_public_cost_cny", 47_741_518, "zh")
    '4,774万元'
    >>> fmt_value("total_public_cost_cny", 47_741_518, "en")
    '47.7 million CNY'
    >>> fmt_estimate("months_to_90pct_moved", -9.1, -12.4, -5.8, "en", diff=True)
    '-9 [-12, -6]'
    >>> judge("months_to_90pct_moved", -9.1, -12.4, -5.8), judge("total_public_cost_cny", 6e5, 2e5, 9e5)
    ('better', 'worse')
    >>> fmt_value("months_to_90pct_moved", None, "en")
    'not reached within the horizon'
"""
from __future__ import annotations

import math
from typing import Iterable

from .labels import fmt_share, metric_info

#: Verdicts of :func:`judge`, with their words (zh, en).
VERDICTS = {
    "better": ("更好", "better"),
    "worse": ("更差", "worse"),
    "unclear": ("无明显差异", "no clear difference"),
    "changed": ("有明显变化", "clear change"),
    "missing": ("无法比较", "cannot be compared"),
}
#: One-character marks of the verdicts in the terminal (all in GBK, so a Chinese Windows
#: console prints them too).
MARKS = {"better": "√", "worse": "×", "unclear": "≈", "changed": "*", "missing": " "}


def finite(x) -> float | None:
    """``x`` as a finite float, or None (None, NaN, infinities, text)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _unit(key: str) -> str:
    info = metric_info(key)
    return info.unit if info is not None else "number"


def missing_reason(key: str, lang: str) -> str:
    """Why ``key`` can be undefined, in ``lang``."""
    info = metric_info(key)
    if info is None:
        return "无数据" if lang == "zh" else "no data"
    return info.missing_zh if lang == "zh" else info.missing_en


def _plain(x: float, decimals: int, signed: bool) -> str:
    """``x`` with thousands separators and ``decimals`` places; a value that rounds to zero
    is shown unsigned."""
    if round(x, decimals) == 0:
        return f"{0:.{decimals}f}"
    text = f"{x:,.{decimals}f}"
    return "+" + text if signed and x > 0 else text


def _decimals(biggest: float) -> int:
    return 0 if biggest >= 100 else 1 if biggest >= 10 else 2


def _money_scale(biggest: float, lang: str) -> tuple[float, str]:
    if lang == "zh":
        for scale, unit in ((1e8, "亿元"), (1e4, "万元")):
            if biggest >= scale:
                return scale, unit
        return 1.0, "元"
    # below 10,000 whole yuan read best ("1,527 CNY", not "1.53 thousand CNY")
    for above, scale, unit in ((1e9, 1e9, " billion CNY"), (1e6, 1e6, " million CNY"),
                               (1e4, 1e3, " thousand CNY")):
        if biggest >= above:
            return scale, unit
    return 1.0, " CNY"


def _percent(x: float, signed: bool = False) -> str:
    """A share as a percentage; 100.0% only when it is 1 (likewise 0.0%)."""
    if not signed:
        return fmt_share(x)
    return _plain(x * 100, 1, signed) + "%"


def _numbers(key: str, values: Iterable[float], lang: str, diff: bool) -> tuple[list[str], str]:
    """``values`` (finite) formatted on one scale, and the unit to put after the first."""
    values = list(values)
    unit = _unit(key)
    biggest = max((abs(v) for v in values), default=0.0)
    if unit == "share":
        if diff:   # a difference of shares is in percentage points
            return ([_plain(v * 100, 1, True) for v in values],
                    "个百分点" if lang == "zh" else " pp")
        return [_percent(v) for v in values], ""
    if unit == "cny":
        scale, label = _money_scale(biggest, lang)
        dec = 0 if scale == 1 else _decimals(biggest / scale)
        return [_plain(v / scale, dec, diff) for v in values], label
    if unit in ("months", "count"):
        return [_plain(v, 0, diff) for v in values], ""
    if unit == "mu":
        return [_plain(v, 0 if biggest >= 100 else 1, diff) for v in values], ""
    dec = 0 if biggest >= 1000 else 1 if biggest >= 10 else 3
    return [_plain(v, dec, diff) for v in values], ""


def fmt_value(key: str, value, lang: str = "zh", diff: bool = False) -> str:
    """One value of metric ``key`` (a difference when ``diff``), or why it is missing."""
    v = finite(value)
    if v is None:
        return missing_reason(key, lang)
    (text,), unit = _numbers(key, [v], lang, diff)
    return text + unit


def fmt_metric(key: str, value, lang: str = "zh") -> str:
    """A summary value formatted as in reports and on screen (why it is missing when it is)."""
    return fmt_value(key, value, lang)


def fmt_estimate(key: str, mean, low, high, lang: str = "zh", diff: bool = False) -> str:
    """``mean [low, high]`` on one scale with the unit after the mean, e.g.
    ``4,651万元 [4,540, 4,810]``; the reason when ``mean`` is missing, the mean alone when
    the interval is."""
    value, interval = estimate_parts(key, mean, low, high, lang, diff)
    return f"{value} {interval}" if interval else value


def estimate_parts(key: str, mean, low, high, lang: str = "zh",
                   diff: bool = False) -> tuple[str, str]:
    """(``mean`` with its unit, ``[low, high]`` or '') as :func:`fmt_estimate` joins them."""
    m, lo, hi = finite(mean), finite(low), finite(high)
    if m is None:
        return missing_reason(key, lang), ""
    if lo is None or hi is None:
        return fmt_value(key, m, lang, diff), ""
    (tm, tlo, thi), unit = _numbers(key, [m, lo, hi], lang, diff)
    return f"{tm}{unit}", f"[{tlo}, {thi}]"


def judge(key: str, mean, low, high) -> str:
    """Whether a difference (or an effect) of ``key`` is better, worse, not clear, or missing.

    'unclear' when the 95% interval [low, high] contains zero, or its mean or interval as
    shown (rounded) does (:func:`shown_spans_zero`); otherwise 'better' or 'worse'
    by the metric's direction ('changed' for a metric where neither way is better).
    """
    m, lo, hi = finite(mean), finite(low), finite(high)
    if m is None:
        return "missing"
    if lo is None or hi is None:
        lo = hi = m
    if lo <= 0 <= hi or shown_spans_zero(key, m, lo, hi):
        return "unclear"
    info = metric_info(key)
    direction = info.better if info is not None else 0
    if direction == 0:
        return "changed"
    return "better" if (lo > 0) == (direction > 0) else "worse"


def shown_spans_zero(key: str, mean, low, high) -> bool:
    """Whether the difference ``mean [low, high]`` of ``key``, as it is *shown* (rounded, in
    either language), has a mean of 0 or an interval that includes 0: such a difference is
    never called better or worse ("0 [-1, 0]" is no clear difference).

    >>> shown_spans_zero("months_to_90pct_moved", -0.4, -1.2, -0.3)
    True
    >>> shown_spans_zero("months_to_90pct_moved", -9.1, -12.4, -5.8)
    False
    """
    for lang in ("zh", "en"):
        texts, _ = _numbers(key, [mean, low, high], lang, diff=True)
        m, lo, hi = (float(x.replace(",", "").replace("+", "")) for x in texts)
        if m == 0 or lo <= 0 <= hi:
            return True
    return False


def verdict_text(verdict: str, lang: str) -> str:
    zh, en = VERDICTS[verdict]
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def direction_text(key: str, lang: str) -> str:
    """'越少越好 / lower is better' for ``key`` ('' when neither way is better)."""
    info = metric_info(key)
    if info is None or info.better == 0:
        return ""
    zh, en = (("越多越好", "higher is better") if info.better > 0 else
              ("越少越好", "lower is better"))
    return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


def legend_text(lang: str, kind: str = "compare") -> str:
    """The legend of the colours and marks of a comparison (``kind`` 'compare': against the
    first scenario; 'effects': a component on against off), in ``lang`` (zh, en or both)."""
    than_zh, than_en = (("比第一个方案", "than the first scenario") if kind == "compare" else
                        ("打开该组成部分比关闭", "with the component on than off"))
    zh = (f"√ 绿色：{than_zh}更好；× 红色：更差；≈ 灰色：无明显差异（95%置信区间包含0）。"
          "好坏按各指标的方向判断（例如所需月数越少越好、腾退土地越多越好）；比例之差以百分点计。")
    en = (f"√ green: better {than_en}; × red: worse; ≈ grey: no clear difference (the 95% "
          "interval includes 0). Better or worse is judged per metric (fewer months is better, "
          "more land freed is better); differences of shares are in percentage points (pp).")
    return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"
