"""What a leader reads first: the options, ranked against the target and the budget, a
recommendation with its uncertainty, and why things stall.

Everything here is built as plain blocks (:class:`Block`: headings, paragraphs, bullet lists,
tables of text) so that the HTML report (:mod:`ruralsim.report.html`) and the editable Word
file (:mod:`ruralsim.report.docx`) say the same things under the same headings.

Example:
    >>> b = Block("table", head=["方案"], rows=[["A"]])
    >>> b.kind, b.head
    ('table', ['方案'])
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .labels import scenario_title
from .formatting import fmt_value
from .labels import fmt_share
from .options import (CONFIDENCE, DEFAULT_TARGET_SHARE, Target, contents_words, month_date,
                      rank, run_record)


@dataclass
class Block:
    """One piece of the report: kind 'h2', 'p', 'note', 'ul' (items), 'table' (head,
    rows: text cells) or 'img' (data: PNG bytes, text: its caption in words)."""

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    data: bytes = b""


def _z(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _money(v: float | None, lang: str) -> str:
    return fmt_value("total_public_cost_cny", v, lang)


def _money_range(mean, lo, hi, lang: str) -> str:
    from .formatting import estimate_parts

    if mean is None:
        return "—"
    if lo is None or hi is None or lo == hi:
        return _money(mean, lang)
    value, interval = estimate_parts("total_public_cost_cny", mean, lo, hi, lang)
    return f"{value} {interval}"


def _share_range(mid, lo, hi) -> str:
    if mid is None:
        return "—"
    if lo is None or hi is None or lo == hi:
        return fmt_share(mid)
    return f"{fmt_share(mid)} [{fmt_share(lo)}, {fmt_share(hi)}]"


# ---------------------------------------------------------------- the options

@dataclass
class Option:
    """An option as the report compares it: its record (options.json or a run) and its
    contents in words."""

    record: dict
    words: str
    source: str          # 'replications' or 'run'


def options_from_inputs(inputs, lang: str) -> tuple[list[Option], str]:
    """The options of the report and where their numbers come from ('replications' when a
    comparison with options.json is given, else 'run': each run one option)."""
    for c in inputs.compares:
        if c.options is not None:
            out = []
            for o in c.options.options:
                rec = o.model_dump()
                out.append(Option(rec, contents_words(rec["contents"], o.is_base, lang),
                                  "replications"))
            return out, "replications"
    out = []
    for r in inputs.runs:
        rec = run_record(r.summary.scenario, r.summary, r.scenario, r.timeseries)
        if r.scenario is not None:
            rec["horizon_months"] = r.scenario.run.horizon_months
            rec["start"] = [r.scenario.run.start_year, r.scenario.run.start_month]
            g = r.scenario.government
            stated = g.budget.model_dump() if g is not None and g.budget is not None else {}
            if any(v is not None for v in stated.values()):   # a budget the scenario states
                rec["budget"] = stated
        b = r.summary.budget
        if b is not None:
            rec["budget_summary"] = {"pass": b.passed, "total_cny": b.total_cny,
                                     "per_year_cny": b.per_year_cny}
            if rec.get("budget") is None and (b.total_cny is not None
                                              or b.per_year_cny is not None):
                rec["budget"] = {"total_cny": b.total_cny, "per_year_cny": b.per_year_cny}
        words = _run_words(r, lang)
        out.append(Option(rec, words, "run"))
    return out, "run"


def _run_words(r, lang: str) -> str:
    sc = r.scenario
    if sc is None:
        return _z(lang, "（无情景文件）", "(no scenario file)")
    sep = "、" if lang == "zh" else ", "
    pkg = [(i.label_zh or i.name) if lang == "zh" else (i.label_en or i.name)
           for i in sc.policy.instruments]
    return _z(lang, "政策包：" + (sep.join(pkg) or "无") + "。",
              "Package: " + (sep.join(pkg) or "none") + ".")


def default_target(options: list[Option], share: float | None, month: int | None) -> Target:
    """The target: ``share`` (default 80%) of households moved by ``month`` (default: the end
    of the first option's horizon)."""
    horizon = next((o.record.get("horizon_months") for o in options
                    if o.record.get("horizon_months")), None)
    if horizon is None:
        horizon = max((len(r.get("moved") or []) for o in options
                       for r in o.record.get("reps", [])), default=1)
    return Target(DEFAULT_TARGET_SHARE if share is None else share,
                  int(horizon if month is None else month))


def budget_words(b: dict | None, lang: str, none_zh: str = "情景未设定预算。",
                 none_en: str = "The scenario states no budget.") -> str:
    """A stated budget (``total_cny``, ``per_year_cny``) in one sentence."""
    b = b or {}
    parts = []
    if b.get("total_cny") is not None:
        parts.append(_z(lang, f"总额{_money(b['total_cny'], 'zh')}",
                        f"{_money(b['total_cny'], 'en')} in all"))
    if b.get("per_year_cny") is not None:
        parts.append(_z(lang, f"每年不超过{_money(b['per_year_cny'], 'zh')}",
                        f"at most {_money(b['per_year_cny'], 'en')} in any year"))
    if not parts:
        return _z(lang, none_zh, none_en)
    return _z(lang, "预算：" + "，".join(parts) + "。", "Budget: " + ", ".join(parts) + ".")


def _budget_words(options: list[Option], lang: str) -> str:
    b = next((o.record.get("budget") for o in options if o.record.get("budget")), None)
    return budget_words(b, lang, "情景未设定预算，排名只看目标与成本。",
                        "The scenario states no budget; the ranking weighs the target and cost "
                        "only.")


def _months_words(j: dict, target: Target, lang: str) -> str:
    m = j["months_to_target"]
    k, n = j["months_reached_in"]
    if m is None and n <= 1:
        return _z(lang, "期内未达到", "not reached within the horizon")
    if m is None:
        return _z(lang, f"多数情形期内未达到（{k}/{n}次达到）",
                  f"not reached in most runs ({k} of {n} reached it)")
    text = _z(lang, f"{m:.0f}个月", f"{m:.0f} months")
    if n > 1 and k < n:
        text += _z(lang, f"（{k}/{n}次达到）", f" ({k} of {n} reached it)")
    return text


def _p_words(p: float | None, n: int, lang: str) -> str:
    if p is None:
        return "—"
    if n == 1:
        return _z(lang, "达到" if p >= 1 else "未达到", "met" if p >= 1 else "missed")
    return _z(lang, f"{p:.0%}的重复达到", f"{p:.0%} of runs")


def _budget_cell(j: dict, lang: str) -> str:
    if j["budget"] is None:
        return _z(lang, "未设定", "not stated")
    ok = j["budget"] == "pass"
    text = _z(lang, "在预算内" if ok else "超出预算", "within" if ok else "over")
    if j["p_budget"] is not None and j["n"] > 1:
        text += _z(lang, f"（{j['p_budget']:.0%}的重复）", f" ({j['p_budget']:.0%} of runs)")
    return text


def decision_blocks(inputs, lang: str, target_share: float | None = None,
                    target_month: int | None = None) -> list[Block]:
    """Page one: the target and the budget, each option in words, the ranking and the
    recommendation with its uncertainty; bullets that lead with what a leader weighs."""
    options, source = options_from_inputs(inputs, lang)
    if not options:
        return []
    target = default_target(options, target_share, target_month)
    start = next((tuple(o.record["start"]) for o in options if o.record.get("start")), None)
    ranked = rank([o.record for o in options], target)
    by_name = {o.record["name"]: o for o in options}
    n_reps = max((j["n"] for j in ranked), default=0)
    out = [Block("h2", _z(lang, "给决策者的摘要", "For the decision: summary"))]
    tgt = target.words(lang, start)
    out.append(Block("p", _z(lang, f"目标：{tgt}（达到目标的把握须不低于{CONFIDENCE:.0%}）。",
                             f"Target: {tgt} (met in at least {CONFIDENCE:.0%} of runs). ")
                     + _budget_words(options, lang)))
    if source == "replications":
        out.append(Block("note", _z(
            lang, f"本页数字来自每个方案{n_reps}次重复模拟（各方案使用相同的随机数），方括号内为"
            "2.5%–97.5%范围。", f"The numbers on this page come from {n_reps} replications of "
            "each option (the same random numbers for every option); brackets give the 2.5-97.5% "
            "range.")))
    else:
        out.append(Block("note", _z(
            lang, "本页数字来自每个方案的一次模拟（一次随机抽样），不含不确定性范围；比较方案请用 "
            "ruralsim compare 的多次重复。", "The numbers on this page come from one run of each "
            "option (one draw of chance), without ranges; compare options with the replications "
            "of ruralsim compare.")))
    head = [_z(lang, "排名", "Rank"), _z(lang, "方案", "Option"),
            _z(lang, "内容", "What it contains"), _z(lang, "达到目标", "Target met"),
            _z(lang, f"第{target.month}个月入住比例", f"Share moved by month {target.month}"),
            _z(lang, f"入住{target.share:.0%}所需月数", f"Months to {target.share:.0%} moved"),
            _z(lang, "政府公共支出", "Public cost"), _z(lang, "拖欠款月数", "Months in arrears"),
            _z(lang, "特困户、五保户入住", "Poor and five-guarantee households moved"),
            _z(lang, "预算", "Budget")]
    rows = []
    for i, j in enumerate(ranked, 1):
        o = by_name[j["name"]]
        rows.append([str(i), scenario_title(j["name"], lang), o.words, _p_words(j["p_target"], j["n"], lang),
                     _share_range(j["share_at"], j["share_at_lo"], j["share_at_hi"]),
                     _months_words(j, target, lang),
                     _money_range(j["cost"], j["cost_lo"], j["cost_hi"], lang),
                     "—" if j["arrears"] is None else f"{j['arrears']:,.0f}",
                     "—" if j["vulnerable"] is None else f"{j['vulnerable']:,.0f}",
                     _budget_cell(j, lang)])
    out.append(Block("table", head=head, rows=rows))
    out.append(Block("p", _recommendation(ranked, target, lang)))
    out.append(Block("ul", items=[_bullet(j, target, lang) for j in ranked]))
    if source == "replications" and any(o.record.get("budget") for o in options) \
            and any((o.record.get("budget") or {}).get("per_year_cny") is not None
                    for o in options):
        out.append(Block("note", _z(
            lang, "年度预算只在单次运行的摘要中逐年核对；方案比较只核对总预算。",
            "The yearly budget is checked year by year in a run's summary; the comparison "
            "checks the total budget only.")))
    return out


def _recommendation(ranked: list[dict], target: Target, lang: str) -> str:
    best = ranked[0]
    unc = _z(lang, "（", " (") + _share_range(best["share_at"], best["share_at_lo"],
                                               best["share_at_hi"])
    unc += _z(lang, f"的农户在第{target.month}个月前入住，政府公共支出",
              f" of households moved by month {target.month}, public cost ")
    unc += _money_range(best["cost"], best["cost_lo"], best["cost_hi"], lang)
    unc += _z(lang, "）", ")")
    if best["feasible"]:
        others = [j for j in ranked[1:] if j["feasible"]]
        text = _z(lang, f"建议：{scenario_title(best['name'], lang)}。在达到目标（且不超预算）的方案中，它的政府公共支出最低",
                  f"Recommended: {scenario_title(best['name'], lang)}. Of the options that meet the target (within "
                  "the budget) it costs the public purse least") + unc
        if best["n"] > 1 and best["p_target"] is not None:
            text += _z(lang, f"；{best['p_target']:.0%}的重复达到目标",
                       f"; {best['p_target']:.0%} of its runs meet the target")
        if others:
            text += _z(lang, f"；另有{len(others)}个方案也达到目标，但成本更高。",
                       f"; {len(others)} other option(s) also meet it, at a higher cost.")
        else:
            text += _z(lang, "。", ".")
        if best["n"] == 1:
            text += _z(lang, "这只是一次模拟的结果，请用多次重复确认。",
                       " This rests on one run; confirm it with replications.")
        return text
    budgeted = any(j["budget"] is not None for j in ranked)
    if len(ranked) == 1:
        text = _z(lang, f"{scenario_title(best['name'], lang)}未达到目标" + ("（或超出预算）" if budgeted else "") + unc,
                  f"{scenario_title(best['name'], lang)} does not meet the target" +
                  (" (or the budget)" if budgeted else "") + unc)
        return text + _z(lang, "。需要更大力度的政策包、更长的期限或更多资金。",
                         ". It needs a stronger package, more time or more money.")
    text = (_z(lang, "没有一个方案同时达到目标并且不超预算。最接近的是",
               "No option meets the target within the budget. The closest is ") if budgeted
            else _z(lang, "没有一个方案达到目标。最接近的是",
                    "No option meets the target. The closest is "))
    text += scenario_title(best["name"], lang) + unc
    if best["budget"] == "fail":
        text += _z(lang, "，但超出预算", ", but it is over the budget")
    text += _z(lang, "。需要更大力度的政策包、更长的期限或更多资金。",
               ". It needs a stronger package, more time or more money.")
    return text


def _bullet(j: dict, target: Target, lang: str) -> str:
    share = _share_range(j["share_at"], j["share_at_lo"], j["share_at_hi"])
    months = _months_words(j, target, lang)
    cost = _money_range(j["cost"], j["cost_lo"], j["cost_hi"], lang)
    arrears = "—" if j["arrears"] is None else f"{j['arrears']:,.0f}"
    vul = "—" if j["vulnerable"] is None else f"{j['vulnerable']:,.0f}"
    if lang == "zh":
        return (f"{scenario_title(j['name'], lang)}：第{target.month}个月入住{share}；入住{target.share:.0%}所需时间："
                f"{months}；政府公共支出{cost}；拖欠款{arrears}个月；特困户、五保户入住{vul}户；"
                f"预算：{_budget_cell(j, lang)}。")
    return (f"{scenario_title(j['name'], lang)}: {share} moved by month {target.month}; time to "
            f"{target.share:.0%} moved: {months}; public cost {cost}; {arrears} months in "
            f"arrears; {vul} poor and five-guarantee households moved; budget: "
            f"{_budget_cell(j, lang)}.")


# ---------------------------------------------------------------- the plan, works, villages

def _date(month, start) -> str:
    if month is None or (isinstance(month, float) and math.isnan(month)):
        return "—"
    return month_date(int(month), start) if start else str(int(month))


def plan_blocks(name: str, summary, start, lang: str, sc=None) -> list[Block]:
    """The township's yearly plan: forecast, appropriations, quota opened and whether it bound;
    what it deferred to households, to whom, and who gave up sooner because of it."""
    years = summary.plan_years
    if not years:
        return []
    out = [Block("h2", _z(lang, f"乡镇年度资金计划：{name}", f"The township's yearly plan: {name}")),
           Block("note", _z(
               lang, "每年年初，乡镇预测当年收入并分配到各项支出；新报名名额（可开放的户数）以计划能支付的为限。"
               "“名额用尽”表示当年报名达到名额，有农户因此等待。金额为当年合计。",
               "At the start of each year the township forecasts its revenue and appropriates "
               "it; new registrations are opened only up to what the plan can pay for (the "
               "quota). 'Quota used up': registrations reached it and households waited. "
               "Amounts are the year's totals."))]
    lines = (("works_new", "新建工程", "New works"),
             ("works_under_way", "在建工程", "Works under way"),
             ("households_new", "新搬迁户的补助", "New movers' payments"),
             ("households_promised", "已承诺农户", "Households promised"),
             ("households_due", "到期应付农户", "Payments due"),
             ("upkeep", "旧村维护", "Upkeep"), ("debt_service", "偿债", "Debt service"),
             ("reserve", "预备费", "Reserve"))
    present = [x for x in lines if any(x[0] in y.appropriation_cny for y in years)]
    head = [_z(lang, "年份", "Year"), _z(lang, "预测收入", "Revenue forecast")] + \
        [_z(lang, "拨款：" + zh, "For " + en.lower()) for _, zh, en in present] + \
        [_z(lang, "实际自有收入", "Own revenue received"),
         _z(lang, "开放名额(户)", "Quota opened (households)"),
         _z(lang, "报名(户)", "Registrations"), _z(lang, "名额用尽", "Quota used up")]
    rows = []
    for y in years:
        when = _date(y.month, start)[:4] if start else str(y.year)
        bound = y.quota is not None and y.registrations >= y.quota
        rows.append([when, _money(y.forecast_cny, lang)] +
                    [_money(y.appropriation_cny.get(k), lang) for k, *_ in present] +
                    [_money(y.actual_cny.get("revenue_own"), lang),
                     _z(lang, "不限", "no limit") if y.quota is None else f"{y.quota:,}",
                     f"{y.registrations:,}", _z(lang, "是", "yes") if bound else
                     _z(lang, "否", "no")])
    out.append(Block("table", head=head, rows=rows))
    nb = sum(1 for y in years if y.quota is not None and y.registrations >= y.quota)
    out.append(Block("p", _z(lang, f"{len(years)}年中有{nb}年名额用尽。",
                             f"The quota was used up in {nb} of {len(years)} years.")))
    owed = deferral_words(summary, sc, lang)
    if owed:
        out.append(Block("p", owed))
    return out


def deferral_words(summary, sc, lang: str) -> str:
    """What the township deferred to households, the largest lines, and how many registered
    households gave up sooner while it owed them ('' when it deferred nothing)."""
    from .labels import line_label

    total = summary.plan_deferred_households_cny or 0.0
    gave_up = summary.registrations_given_up_while_owed or 0
    if total < 0.5 and not gave_up:
        return ""
    lines = sorted((summary.deferred_household_by_line_cny or {}).items(), key=lambda kv: -kv[1])
    top = [(line_label(sc, f"exp_{k}_cny", lang), v) for k, v in lines[:3] if v >= 0.5]
    if lang == "zh":
        whom = "（主要是" + "、".join(f"{n}{_money(v, lang)}" for n, v in top) + "）" if top else ""
        return (f"乡镇共延付农户款{_money(total, lang)}{whom}；拖欠期间，登记等待的农户等得更没耐心，"
                f"有{int(gave_up):,}次登记比原来更早被放弃。")
    whom = " (mostly " + ", ".join(f"{n} {_money(v, lang)}" for n, v in top) + ")" if top else ""
    return (f"The township deferred {_money(total, lang)} of payments to households{whom}; "
            f"while it owed them, registered households lost patience faster and "
            f"{int(gave_up):,} registrations were given up sooner than they otherwise would "
            f"have been.")


def works_blocks(name: str, communities, start, lang: str) -> list[Block]:
    """Per community: planned and actual start, and why works and homes waited."""
    if communities is None or communities.empty or "work_months_waiting_money" not in \
            communities:
        return []
    phases = "work_months_waiting_teams" in communities     # model 2.0's phases
    unit_zh, unit_en = ("期·月", "phase-months") if phases else ("工程·月", "work-months")
    head = [_z(lang, "新型社区", "Community"), _z(lang, "计划开工", "Planned start"),
            _z(lang, "实际开工", "Actual start"), _z(lang, "首套住房建成", "First home finished"),
            _z(lang, "完成/全部", "Done / all"),
            _z(lang, f"等待报名({unit_zh})", f"Waiting for registrations ({unit_en})"),
            _z(lang, f"等待资金({unit_zh})", f"Waiting for money ({unit_en})"),
            _z(lang, f"在建但欠款停工({unit_zh})", f"Under way, unpaid ({unit_en})"),
            _z(lang, f"等待施工队({unit_zh})", f"Waiting for a team ({unit_en})") if phases else
            _z(lang, "等待施工队(户·月)", "Waiting for builders (household-months)"),
            _z(lang, "为什么慢", "Why it stalls")]
    rows = []
    for r in communities.to_dict("records"):
        def g(k):
            v = r.get(k)
            return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) \
                else v
        done = f"{int(r['works_done'])}/{int(r['works'])}"
        if g("works_abandoned"):
            done += _z(lang, f"（烂尾{int(r['works_abandoned'])}）",
                       f" ({int(r['works_abandoned'])} abandoned)")
        wait_b = g("work_months_waiting_teams") if phases else \
            g("household_months_waiting_builders")
        rows.append([str(r["community"]), _date(g("planned_start_month"), start),
                     _date(g("actual_start_month"), start),
                     _date(g("first_home_finished_month"), start), done,
                     f"{int(r['work_months_waiting_demand']):,}",
                     f"{int(r['work_months_waiting_money']):,}",
                     f"{int(r['work_months_unpaid']):,}",
                     f"{int(wait_b or 0):,}", _why(r, g, lang)])
    return [Block("h2", _z(lang, f"各社区建设进度与停滞原因：{name}",
                           f"Works timeline per community, and why it stalls: {name}")),
            Block("note", _z(
                lang, "“等待报名”：可以开工，但报名户数未达到开工所需比例；“等待资金”：报名已够，"
                "但乡镇的资金（含预计现金流和借款额度）不足以开工；“欠款停工”：在建工程当月未获付款；"
                + ("“等待施工队”：已拨款，但没有空闲的施工队。期·月为各期等待月数之和。" if phases else
                   "“等待施工队”：农户已能付款建房，但没有空闲的施工队。工程·月为各段工程等待月数之和。"),
                "Waiting for registrations: it could start but too few households had "
                "registered for it; waiting for money: enough registered but the township's "
                "money (projected cash flow and credit) could not start it; unpaid: under way "
                "but not paid that month; " + (
                    "waiting for a team: funded, but no construction team was free. "
                    "Phase-months add up the months each phase waited." if phases else
                    "waiting for builders: households able to pay for their house found no "
                    "builder free. Work-months add up the months each section or facility "
                    "waited."))),
            Block("table", head=head, rows=rows)]


def _why(r: dict, g, lang: str) -> str:
    planned, actual = g("planned_start_month"), g("actual_start_month")
    demand, money = int(r["work_months_waiting_demand"]), int(r["work_months_waiting_money"])
    unpaid = int(r["work_months_unpaid"])
    builders = int(g("household_months_waiting_builders") or g("work_months_waiting_teams") or 0)
    parts = []
    if actual is None:
        parts.append(_z(lang, "期内未开工", "never started"))
    elif planned is not None and actual > planned:
        late = int(actual - planned)
        parts.append(_z(lang, f"开工晚{late}个月",
                        f"started {late} month{'s' if late != 1 else ''} late"))
    reasons = [(money + unpaid, _z(lang, "资金不足", "money")),
               (demand, _z(lang, "报名不足", "too few registrations"))]
    reasons = [x for x in sorted(reasons, reverse=True) if x[0] > 0]
    if reasons:
        parts.append(_z(lang, "主要等待：", "waited mostly for ") + reasons[0][1])
    if builders > 0:
        parts.append(_z(lang, "施工队不足", "teams short" if "work_months_waiting_teams" in r
                        else "builders short"))
    if not parts:
        return _z(lang, "按计划", "on plan")
    return ("；" if lang == "zh" else "; ").join(parts)


def village_blocks(name: str, villages, sc, start, lang: str, clear_share: float = 0.05
                   ) -> list[Block]:
    """When each village clears (at most ``clear_share`` of its households left) and who is
    left at the end, by household type."""
    if villages is None or villages.empty or "share_present" not in villages:
        return []
    last = int(villages["month"].max())
    types = [c.removeprefix("n_present_") for c in villages.columns
             if c.startswith("n_present_")]
    labels = {}
    if sc is not None:
        for tname in types:
            ht = sc.household_types.get(tname)
            labels[tname] = ((ht.label_zh if lang == "zh" else ht.label_en) if ht else None) \
                or tname
    rows = []
    for v, g in villages.groupby("village", sort=False):
        g = g.sort_values("month")
        n0 = int(g["n_households_start"].iloc[0])
        hit = g.loc[g["share_present"] <= clear_share, "month"]
        end = g[g["month"] == last].iloc[0]
        left = int(end["n_present"])
        who = [(int(end[f"n_present_{tn}"]), labels.get(tn, tn)) for tn in types
               if int(end[f"n_present_{tn}"]) > 0]
        who.sort(reverse=True)
        who_text = ("、" if lang == "zh" else ", ").join(
            f"{lab}{k:,}{_z(lang, '户', '')}" if lang == "zh" else f"{k:,} {lab}"
            for k, lab in who[:3]) or "—"
        rows.append(((hit.iloc[0] if not hit.empty else math.inf, left / max(n0, 1)),
                     [str(v), str(g["community"].iloc[0]), f"{n0:,}",
                      _date(int(hit.iloc[0]), start) if not hit.empty
                      else _z(lang, "期内未搬空", "not within the horizon"),
                      f"{left:,}", who_text]))
    rows.sort(key=lambda x: x[0])
    head = [_z(lang, "村庄", "Village"), _z(lang, "新型社区", "Community"),
            _z(lang, "户数", "Households"),
            _z(lang, f"基本搬空(剩余≤{clear_share:.0%})", f"Clears (≤{clear_share:.0%} left)"),
            _z(lang, "期末仍留下(户)", "Left at the end"), _z(lang, "留下的是谁", "Who is left")]
    return [Block("h2", _z(lang, f"各村搬迁时间表：{name}", f"Schedule per village: {name}")),
            Block("table", head=head, rows=[r for _, r in rows])]
