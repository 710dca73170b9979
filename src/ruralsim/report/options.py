"""The options a leader chooses between: what each contains, in words, and how each fares
against the target and the budget.

``ruralsim compare`` writes ``options.json`` (:func:`options_record`): for each option (the
base scenario and each variant) what it contains - its policy package and, for a variant,
what it changes against the base (packages added or taken off, settings changed, from the
scenario diff) - and, per replication, the share of households moved month by month, the
public cost, the months in arrears and the poor and five-guarantee households moved.  A run's
result folder gives the same for one draw (:func:`run_record`).

The report ranks the options (:func:`rank`) against

* **the target**: a share of households moved by a month.  Default: 80% by the end of the
  scenario's horizon (``run.horizon_months``, the scenario's own planning period); the report
  options ``--target-share`` and ``--target-month`` change it.  An option meets it when at
  least :data:`CONFIDENCE` of its replications do;
* **the budget**: the scenario's ``government.budget`` (``total_cny``, ``per_year_cny``) where
  it is stated; a run's ``summary["budget"]["pass"]`` where the summary has it; for
  replications, the total public cost of each replication against the total (an option passes
  when at least :data:`CONFIDENCE` of them stay within it).

Options that meet both come first, cheapest first; then the others, closest to the target
first.  The first is recommended, with its uncertainty (the 2.5-97.5% range over
replications), or, when none meets both, the report says so and names the closest.

Example:
    >>> o = {"name": "A", "households": 100, "reps": [{"moved": [0.5, 0.9], "cost": 10.0}]}
    >>> judge_option(o, Target(0.8, 2), None)["p_target"]
    1.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

#: Share of replications that must meet the target (and stay within the budget) for an
#: option to count as meeting it.
CONFIDENCE = 0.8
#: Default target: share of households moved (by the end of the horizon unless a month is
#: given).
DEFAULT_TARGET_SHARE = 0.8
#: Replication values kept per option in options.json (summary metric -> key).
REP_METRICS = {"total_public_cost_cny": "cost", "months_in_arrears": "arrears",
               "vulnerable_moved": "vulnerable", "share_moved": "share_moved"}

# Chinese words of settings a variant commonly changes (the schema's descriptions are in
# English; a setting not listed here is shown with its English description in both).
FIELD_ZH = {
    "value_cny": "每户补助金额", "credit_cny": "每户贷款额度", "utility_shift": "动员力度",
    "cost_once_cny": "政府每户一次性支出", "cost_monthly_cny": "政府每户每月支出",
    "cost_months": "支出月数", "start_month": "开始月份", "end_month": "结束月份",
    "interest_rate": "利率", "rate_per_year": "年利率", "term_years": "贷款年限",
    "limit_cny": "借款上限", "threshold_share": "停止服务的剩余户数比例",
    "decay_per_month": "服务每月衰减", "enabled": "是否启用", "opening_cash_cny": "期初资金",
    "amount_cny_per_year": "每年金额", "total_cny": "总预算", "per_year_cny": "年度预算",
    "price_cny_per_m2": "每平方米价格", "covers_price": "政府承担房款",
    "registration_opens_month": "开始报名月份", "horizon_months": "模拟月数",
    "works_share": "用于新建工程的比例", "reserve_share": "预备费比例",
    "defer_rule": "资金不足时的延付顺序", "mode": "方式", "priority": "分配优先顺序",
    "field_distance_relief": "土地流转比例", "income_gain_cny_per_year": "每年增加的非农收入",
    "phase_rule": "资金或施工队不足时先建哪一期",
}
#: English names of settings whose schema description reads badly as a name.
FIELD_EN = {"registration_opens_month": "Month registration opens",
            "phase_rule": "Which phase is built first when money or teams are short",
            "threshold_share": "Share of households left at which services are withdrawn"}
#: Words for setting values that are identifiers.
VALUE_WORDS = {"planner_order": ("按规划顺序", "the planner's order"),
               "demand_first": ("报名多的先建", "most demand first"),
               "one_community_at_a_time": ("一个社区建完再建下一个", "one community at a time")}


@dataclass(frozen=True)
class Target:
    share: float
    month: int            # months from the start; the share must be reached by its end

    def words(self, lang: str, start: tuple[int, int] | None = None) -> str:
        # by the end of month ``month`` counted from 1: the end of month index month - 1
        when = month_date(max(self.month - 1, 0), start) if start else None
        if lang == "zh":
            return (f"到第{self.month}个月末" + (f"（{when}）" if when else "") +
                    f"入住农户达到{self.share:.0%}")
        return (f"{self.share:.0%} of households moved by the end of month {self.month}" +
                (f" ({when})" if when else ""))


def month_date(month: int, start: tuple[int, int]) -> str:
    """'2009-01' for ``month`` months after ``start`` (year, month)."""
    y, m = start
    k = (y * 12 + m - 1) + int(month)
    return f"{k // 12}-{k % 12 + 1:02d}"


# ---------------------------------------------------------------- contents, from the diff

def _label(obj: Any, lang: str) -> str | None:
    zh, en = getattr(obj, "label_zh", None), getattr(obj, "label_en", None)
    name = getattr(obj, "name", None)
    return (zh if lang == "zh" else en) or zh or en or (
        name.replace("_", " ") if isinstance(name, str) else None)


def _flat(obj: Any, path: tuple = ()) -> Iterable[tuple[tuple, Any, Any]]:
    """(path, value, owner-with-a-label or None) of every leaf of a scenario model; list items
    with a name are keyed by it."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        for k in type(obj).model_fields:
            if k in ("label_zh", "label_en", "description", "name"):
                continue
            yield from _flat(getattr(obj, k), path + (k,))
    elif isinstance(obj, (list, tuple)) and obj and all(hasattr(x, "name") for x in obj):
        for x in obj:
            yield from _flat(x, path + (x.name,))
    elif isinstance(obj, dict) and obj and all(isinstance(x, BaseModel) for x in obj.values()):
        for k, x in obj.items():
            yield from _flat(x, path + (k,))
    else:
        yield path, (obj.model_dump(mode="json") if hasattr(obj, "model_dump") else obj), None


def _walk(sc: Any, path: tuple) -> tuple[Any, Any]:
    """(field info of the leaf at ``path``, the nearest labelled item above it)."""
    from pydantic import BaseModel

    obj, info, owner = sc, None, None
    for part in path:
        if isinstance(obj, BaseModel):
            info = type(obj).model_fields.get(part)
            obj = getattr(obj, part, None)
        elif isinstance(obj, (list, tuple)):
            obj = next((x for x in obj if getattr(x, "name", None) == part), None)
            owner = obj
        elif isinstance(obj, dict):
            obj = obj.get(part)
            owner = obj if hasattr(obj, "label_zh") else owner
        else:
            break
    return info, owner


def _value_words(v: Any, unit: str, lang: str, money: Callable | None = None) -> str:
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if v is None:
        return "无" if lang == "zh" else "none"
    if isinstance(v, (int, float)):
        if "CNY" in unit and money is not None:
            return money(v, lang)
        if "CNY" in unit:
            return f"{v:,.0f}元" if lang == "zh" else f"{v:,.0f} CNY"
        if unit.startswith("fraction") or unit == "share":
            return f"{v:.0%}" if abs(v) <= 1 else f"{v:g}"
        return f"{v:,g}"
    if isinstance(v, list):
        return ("、" if lang == "zh" else ", ").join(str(x) for x in v)
    if isinstance(v, str) and v in VALUE_WORDS:
        return VALUE_WORDS[v][0 if lang == "zh" else 1]
    return str(v)


def _instruments(sc) -> dict[str, Any]:
    return {i.name: i for i in sc.policy.instruments}


def contents(base, sc, is_base: bool) -> dict:
    """What option ``sc`` contains, in both languages, from its diff to ``base``: its package
    (instruments and events) and, for a variant, packages added / taken off and settings
    changed.  Plain data (written to options.json)."""
    def names(items, lang):
        return [_label(i, lang) for i in items]

    out = {"package_zh": names(sc.policy.instruments, "zh"),
           "package_en": names(sc.policy.instruments, "en"),
           "events_zh": names(sc.policy.events, "zh"), "events_en": names(sc.policy.events, "en"),
           "added_zh": [], "added_en": [], "removed_zh": [], "removed_en": [],
           "changes": []}
    if is_base:
        return out
    bi, si = _instruments(base), _instruments(sc)
    be = {e.name: e for e in base.policy.events}
    old = {p: v for p, v, _ in _flat(base)}
    new = {p: v for p, v, _ in _flat(sc)}
    pk = ("policy", "packages")
    if pk in new:               # packages stacked or taken off: named by their labels
        before, after = list(old.get(pk) or []), list(new.get(pk) or [])
        for n in after:
            if n not in before:
                out["added_zh"].append(_package_label(n, "zh"))
                out["added_en"].append(_package_label(n, "en"))
        for n in before:
            if n not in after:
                out["removed_zh"].append(_package_label(n, "zh"))
                out["removed_en"].append(_package_label(n, "en"))
        new.pop(pk)
    by_package = bool(out["added_en"] or out["removed_en"])
    if not by_package:          # instruments and events added or taken off by hand
        for n in si:
            if n not in bi:
                out["added_zh"].append(_label(si[n], "zh"))
                out["added_en"].append(_label(si[n], "en"))
        for n in bi:
            if n not in si:
                out["removed_zh"].append(_label(bi[n], "zh"))
                out["removed_en"].append(_label(bi[n], "en"))
        for e in sc.policy.events:
            if e.name not in be:
                out["added_zh"].append(_label(e, "zh"))
                out["added_en"].append(_label(e, "en"))
    for p, v in new.items():
        if p[:2] in (("policy", "instruments"), ("policy", "events")) and len(p) > 2 \
                and p[2] not in bi | be:
            continue             # part of an instrument or event added: named above
        if p[:1] in (("name",), ("run",)) and p[-1:] == ("seed",):
            continue
        if p in old and old[p] == v:
            continue
        out["changes"].append(change_words(sc, p, old.get(p), v))
    return out


def change_words(sc, p: tuple, before: Any, after: Any,
                 money: Callable | None = None) -> dict:
    """One changed setting of scenario ``sc`` (key path ``p``) in both languages:
    {'path', 'zh', 'en'}, e.g. '借款上限由10,000,000元改为30,000,000元' (``money(value, lang)``
    formats amounts in CNY when given)."""
    info, owner = _walk(sc, p)
    unit = str((info.json_schema_extra or {}).get("unit", "")) if info else ""
    desc = (info.description or "").split(". ")[0].split(":")[0].rstrip(".") \
        if info else ""
    leaf = p[-1]
    whose_zh = _label(owner, "zh") if owner is not None else None
    whose_en = _label(owner, "en") if owner is not None else None
    what_zh = FIELD_ZH.get(leaf, desc or leaf)
    what_en = FIELD_EN.get(leaf, desc or leaf.replace("_", " "))
    return {"path": ".".join(map(str, p)),
            "zh": (f"{whose_zh}：" if whose_zh else "") + f"{what_zh}由"
                  f"{_value_words(before, unit, 'zh', money)}改为"
                  f"{_value_words(after, unit, 'zh', money)}",
            "en": (f"{whose_en}: " if whose_en else "") + f"{what_en} from "
                  f"{_value_words(before, unit, 'en', money)} to "
                  f"{_value_words(after, unit, 'en', money)}"}


def _package_label(name: str, lang: str) -> str:
    """A built-in package's label (its YAML's label_zh / label_en), else its name."""
    import yaml

    from ..errors import RuralsimError
    from ..scenario.load import package_path

    try:
        data = yaml.safe_load(package_path(name, None).read_text(encoding="utf-8"))
    except (RuralsimError, OSError, ValueError, yaml.YAMLError):
        return name        # a package the loader cannot find or read is shown by its name
    label = data.get(f"label_{lang}") if isinstance(data, dict) else None
    return label if isinstance(label, str) and label else name


def contents_words(c: dict, is_base: bool, lang: str, limit: int = 6) -> str:
    """One sentence of what an option contains."""
    sep = "、" if lang == "zh" else ", "
    pkg = c[f"package_{lang}"]
    if is_base:
        if lang == "zh":
            return "基础方案。政策包：" + (sep.join(pkg) if pkg else "无") + "。"
        return "The base. Package: " + (sep.join(pkg) if pkg else "none") + "."
    parts = []
    added = list(dict.fromkeys(c[f"added_{lang}"]))      # a package and its instrument may
    removed = list(dict.fromkeys(c[f"removed_{lang}"]))  # share one label: named once
    if added:
        parts.append(("增加：" if lang == "zh" else "adds ") + sep.join(added))
    if removed:
        parts.append(("去掉：" if lang == "zh" else "takes off ") + sep.join(removed))
    ch = [x[lang] for x in c["changes"]]
    if ch:
        more = len(ch) - limit
        shown = "；".join(ch[:limit]) if lang == "zh" else "; ".join(ch[:limit])
        if more > 0:
            shown += f"；另有{more}项改动" if lang == "zh" else f"; and {more} more changes"
        parts.append(shown)
    if not parts:
        return "与基础方案相同。" if lang == "zh" else "The same as the base."
    if lang == "zh":
        return "在基础方案上" + "；".join(parts) + "。"
    return "The base, but " + "; ".join(parts) + "."


def _budget_of(sc) -> dict | None:
    b = getattr(getattr(sc, "government", None), "budget", None)
    if b is None:
        return None
    total, per_year = getattr(b, "total_cny", None), getattr(b, "per_year_cny", None)
    if total is None and per_year is None:
        return None
    return {"total_cny": total, "per_year_cny": per_year}


def options_record(built: list[tuple[str, Any]], cmp) -> dict:
    """options.json of ``ruralsim compare``: each option's contents and replications."""
    base = built[0][1].model
    out = []
    by_name = dict(zip(cmp.names, cmp.replications))
    for i, (name, loaded) in enumerate(built):
        sc = loaded.model
        n = sum(v.households for v in sc.villages)
        reps = []
        r = by_name.get(cmp.names[i]) if i < len(cmp.names) else None
        if r is not None and n > 0:
            ts = r.timeseries[r.timeseries["metric"] == "n_ever_moved"]
            curves = {k: g.sort_values("month")["value"].to_numpy() / n
                      for k, g in ts.groupby("rep")}
            for row in r.summary.to_dict("records"):
                rec = {"rep": int(row["rep"]),
                       "moved": [round(float(x), 5) for x in curves.get(row["rep"], [])]}
                for key, short in REP_METRICS.items():
                    v = row.get(key)
                    rec[short] = None if v is None or not np.isfinite(v) else float(v)
                reps.append(rec)
        out.append({"name": cmp.names[i] if i < len(cmp.names) else name, "is_base": i == 0,
                    "households": n, "horizon_months": sc.run.horizon_months,
                    "start": [sc.run.start_year, sc.run.start_month],
                    "budget": _budget_of(sc), "contents": contents(base, sc, i == 0),
                    "reps": reps})
    return {"options": out}


def run_record(name: str, summary: Any, scenario_info: Any, timeseries) -> dict:
    """The same record for one run (one replication, from its result folder)."""
    n = getattr(summary, "households", None) or 0
    moved = []
    if timeseries is not None and n and "n_ever_moved" in timeseries:
        moved = [float(x) / n for x in timeseries["n_ever_moved"]]
    rep = {"moved": moved}
    for key, short in REP_METRICS.items():
        rep[short] = getattr(summary, key, None)
    return {"name": name, "is_base": True, "households": n, "reps": [rep],
            "budget_summary": getattr(summary, "budget", None)}


# ---------------------------------------------------------------- judging and ranking

def _q(x: list[float], q: float) -> float | None:
    return float(np.quantile(x, q)) if x else None


def judge_option(o: dict, target: Target, budget: dict | None) -> dict:
    """How option ``o`` fares: share of replications meeting the target, share moved at the
    target month (median, 2.5-97.5%), months to the target share (median; None when most
    replications never reach it), public cost (mean, range), arrears, vulnerable moved, and
    the budget (share of replications within the total; pass / fail / None)."""
    reps = o.get("reps") or []
    at, months = [], []
    for r in reps:
        m = r.get("moved") or []
        if not m:
            continue
        k = min(target.month, len(m)) - 1
        at.append(m[max(k, 0)])
        hit = next((i + 1 for i, x in enumerate(m) if x >= target.share - 1e-12), None)
        months.append(hit)
    reached = [x for x in months if x is not None]
    p = (sum(1 for x in at if x >= target.share - 1e-12) / len(at)) if at else None

    def vals(key):
        return [r[key] for r in reps if r.get(key) is not None and math.isfinite(r[key])]

    cost, arrears, vul = vals("cost"), vals("arrears"), vals("vulnerable")
    out = {"name": o["name"], "n": len(reps), "p_target": p,
           "share_at": _q(at, 0.5), "share_at_lo": _q(at, 0.025), "share_at_hi": _q(at, 0.975),
           "months_to_target": (float(np.median(reached)) if len(reached) * 2 > len(months)
                                else None),
           "months_reached_in": (len(reached), len(months)),
           "cost": float(np.mean(cost)) if cost else None, "cost_lo": _q(cost, 0.025),
           "cost_hi": _q(cost, 0.975), "arrears": float(np.mean(arrears)) if arrears else None,
           "vulnerable": float(np.mean(vul)) if vul else None,
           "budget": None, "p_budget": None}
    summ = o.get("budget_summary")
    if isinstance(summ, dict) and summ.get("pass") is not None:
        out["budget"] = "pass" if summ["pass"] else "fail"
        out["p_budget"] = 1.0 if summ["pass"] else 0.0
    elif budget and budget.get("total_cny") is not None and cost:
        pb = sum(1 for c in cost if c <= budget["total_cny"]) / len(cost)
        out["p_budget"] = pb
        out["budget"] = "pass" if pb >= CONFIDENCE else "fail"
    out["meets_target"] = p is not None and p >= CONFIDENCE
    out["feasible"] = out["meets_target"] and out["budget"] != "fail"
    return out


def rank(options: list[dict], target: Target) -> list[dict]:
    """Judged options, best first: those meeting target and budget, cheapest first; then the
    others, the highest share moved at the target month first."""
    judged = [judge_option(o, target, o.get("budget")) for o in options]

    def key(j):
        if j["feasible"]:
            return (0, j["cost"] if j["cost"] is not None else math.inf, 0.0)
        return (1, -(j["p_target"] or 0.0), -(j["share_at"] or 0.0))
    return sorted(judged, key=key)
