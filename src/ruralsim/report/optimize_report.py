"""The report of an optimisation folder (``ruralsim report OPTIMIZE_OUT``), for a leader.

Page one states the question (target, constraints, budget) in words, the recommended package
in words (what it changes relative to the scenario as it is: :func:`options.change_words`)
with its confirmed numbers and confidence and the trade-off it makes, the scenario as it is
and why it misses, the finalists ranked, the trade-off figure with a caption in words, and how
the search was done.  When nothing is recommended it says so, with the closest candidate and
what it misses.  Everything is :class:`~ruralsim.report.leader.Block` s, so the HTML/PDF
report and the Word file say the same things under the same headings.

Example:
    >>> is_optimize_folder(__import__("pathlib").Path("/nonexistent"))
    False
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from ..errors import RuralsimError, UsageError
from .labels import fmt_share
from .leader import Block, _money, budget_words
from .options import _flat, _package_label, change_words

MANIFEST = "optimize.json"
RESULT = "optimize_result.json"


def _z(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def is_optimize_folder(path: Path) -> bool:
    """True when ``path`` is the output folder of ``ruralsim optimize``."""
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


@dataclass
class OptimizeInputs:
    """What the report reads from an optimisation folder (checked)."""

    folder: Path
    manifest: dict
    record: dict
    candidates: pd.DataFrame
    finalists: pd.DataFrame
    base: Any = None                     # the scenario as it is (a Scenario model) or None
    files: set = field(default_factory=set)
    #: a scenario of the search (the base, else a finalist's) whose schema names settings
    ref: Any = None


def _bad(folder: Path, en: str, zh: str) -> UsageError:
    return UsageError(f"{folder}: {en}; run ruralsim optimize again to write it / {zh}，"
                      "请重新运行 ruralsim optimize")


def load_optimize_inputs(folder: Path) -> OptimizeInputs:
    """Read and check an optimisation folder; bad content raises UsageError (exit 2)."""
    folder = Path(folder)
    files = set()

    def read_json(name: str) -> dict:
        path = folder / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _bad(folder, f"{name} is missing (not a finished optimisation folder)",
                       f"缺少 {name}（不是已完成的优化结果目录）") from None
        except (OSError, ValueError) as exc:
            raise _bad(folder, f"{name} cannot be read ({exc})", f"无法读取 {name}") from None
        if not isinstance(data, dict):
            raise _bad(folder, f"{name} is not a JSON object", f"{name} 格式不对")
        files.add(path.resolve())
        return data

    manifest, record = read_json(MANIFEST), read_json(RESULT)
    need = ("scenario", "constraints", "objectives", "confidence", "replications",
            "confirm_replications", "seeds", "trials", "baseline", "finalists", "budget")
    missing = [k for k in need if k not in record]
    if missing:
        raise _bad(folder, f"{RESULT} lacks {', '.join(missing)}", f"{RESULT} 缺少 "
                   f"{', '.join(missing)}")
    tables = {}
    for name in ("candidates.csv", "finalists.csv"):
        path = folder / name
        try:
            tables[name] = pd.read_csv(path, encoding="utf-8-sig")
        except FileNotFoundError:
            raise _bad(folder, f"{name} is missing", f"缺少 {name}") from None
        except pd.errors.EmptyDataError:       # no finalists: an empty table
            tables[name] = pd.DataFrame()
        except (OSError, ValueError) as exc:
            raise _bad(folder, f"{name} cannot be read ({exc})", f"无法读取 {name}") from None
        files.add(path.resolve())
    cand = tables["candidates.csv"]
    if not cand.empty and not {"trial", "levers_json", "feasible"} <= set(cand.columns):
        raise _bad(folder, "candidates.csv lacks the columns trial, levers_json, feasible",
                   "candidates.csv 缺少必要的列")
    base = _base_model(folder, record)
    return OptimizeInputs(folder, manifest, record, cand, tables["finalists.csv"], base, files,
                          base if base is not None else _reference_model(folder, record))


def _reference_model(folder: Path, record: dict):
    """A scenario of the search (a finalist's, else the built-in scenario of the base's name)
    for the names of settings when the base is not at hand."""
    from ..scenario.load import load_scenario

    for path in [folder / "recommended.yaml", *sorted((folder / "finalists").glob("*.yaml")),
                 str(record["scenario"])]:
        try:
            if not isinstance(path, Path) or path.is_file():
                return load_scenario(str(path)).model
        except (RuralsimError, OSError, ValueError):
            continue
    return None


def _base_model(folder: Path, record: dict):
    """The scenario as it is: base.yaml of the folder, else the built-in scenario of that
    name when its hash matches, else None (the report then names settings without the value
    they had)."""
    from ..scenario.load import load_scenario

    try:
        if (folder / "base.yaml").is_file():
            return load_scenario(str(folder / "base.yaml")).model
        loaded = load_scenario(str(record["scenario"]))
        return loaded.model if loaded.hash == record.get("scenario_hash") else None
    except (RuralsimError, OSError, ValueError):
        return None


# ---------------------------------------------------------------- words

def _num(q: str, x: float | None, lang: str) -> str:
    from ..optimize.spec import derived, is_money

    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if is_money(q) or q.startswith("budget.") and q.endswith("_cny"):
        return _money(x, lang)
    d = derived(q)
    if (d is not None and d[0] == "share_moved_by_month") or q.startswith("share"):
        return fmt_share(x)
    if d is not None:
        return _z(lang, f"{x:.0f}个月", f"{x:.0f} months")
    return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:,.1f}"


def _qlabel(q: str, lang: str) -> str:
    from ..optimize.spec import quantity_label

    return quantity_label(q, lang)


def _better_lower(q: str, record: dict) -> bool:
    for o in record["objectives"]:
        if o["quantity"] == q:
            return o["direction"] == "minimize"
    for c in record["constraints"]:
        if c["quantity"] == q:
            return c["op"] in ("<=", "<")
    return True


OP_WORDS = {"<=": ("不超过", "at most"), "<": ("低于", "below"), ">=": ("不低于", "at least"),
            ">": ("高于", "above")}


def constraint_words(c: dict, lang: str) -> str:
    """'第60个月末入住比例不低于60.0%', 'Public cost at most the budget, 50 million CNY'."""
    q, op, lim = c["quantity"], c["op"], c["limit"]
    label = _qlabel(q, lang)
    bound = str(c.get("constraint", "")).split(op, 1)[-1].strip()
    of_budget = bound.startswith("budget")
    value = _num(q, lim, lang)
    if lang == "zh":
        if of_budget:
            value = ("年度预算" if "per_year" in bound else "预算总额") + value
        if op in ("<=", "<") and lim == 0:
            return f"{label}为0"
        return f"{label}{OP_WORDS[op][0]}{value}"
    if of_budget:
        value = ("the yearly budget, " if "per_year" in bound else "the budget, ") + value
    if op in ("<=", "<") and lim == 0:
        return f"No {_lower(label)}"
    return f"{label} {OP_WORDS[op][1]} {value}"


def _lower(text: str) -> str:
    """``text`` with its first letter in lower case (not an acronym's: 'CNY' stays)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _holds(c: dict, x: float) -> bool:
    lim, op = c["limit"], c["op"]
    return {"<=": x <= lim + 1e-12, "<": x < lim, ">=": x >= lim - 1e-12, ">": x > lim}[op]


def lever_words(levers: dict, base, lang: str, ref=None) -> str:
    """What a package changes relative to the scenario as it is (``base``), in one sentence;
    without the base, the settings the package makes, named from ``ref`` (a scenario of the
    search)."""
    sep = "；" if lang == "zh" else "; "
    flat = {p: v for p, v, _ in _flat(base)} if base is not None else {}
    parts = []
    for key, value in levers.items():
        if key == "packages":
            names = [n for n in (value or [])]
            add = [_package_label(Path(n.lstrip("+")).stem if n.lstrip("+").endswith(
                (".yaml", ".yml")) else n.lstrip("+"), lang) for n in names
                if not n.startswith("-")]
            off = [_package_label(n[1:], lang) for n in names if n.startswith("-")]
            if add:
                parts.append(_z(lang, "增加政策包：", "adds the package ") +
                             ("、" if lang == "zh" else ", ").join(add))
            if off:
                parts.append(_z(lang, "去掉：", "takes off ") +
                             ("、" if lang == "zh" else ", ").join(off))
            continue
        path = tuple(key.split("."))
        if base is not None:
            before = flat.get(path)
            if before == value or (isinstance(before, (int, float)) and
                                   isinstance(value, (int, float)) and
                                   not isinstance(before, bool) and
                                   math.isclose(before, value)):
                continue
            words = change_words(base, path, before, value, _money)[lang]
            words = words if lang == "zh" else _lower(words)
        elif ref is not None:          # no base: what the package sets, not what it changes
            words = change_words(ref, path, None, value, _money)[lang]
            words = words.replace("由无改为", "设为") if lang == "zh" else \
                _lower(words.replace(" from none to ", " set to "))
        else:
            words = f"{key} = {value}"
        parts.append(words)
    if not parts:
        return _z(lang, "与现行情景相同。", "The same as the scenario as it is.")
    if base is None:
        return _z(lang, "设定：", "Settings: ") + sep.join(parts) + _z(lang, "。", ".")
    return _z(lang, "在现行情景上：", "The scenario as it is, but: ") + sep.join(parts) + \
        _z(lang, "。", ".")


def _name(trial: int, lang: str) -> str:
    return _z(lang, f"方案{trial}（试验{trial}）", f"Package {trial} (trial {trial})")


# ---------------------------------------------------------------- the pages

def _finalist_value(f: dict, q: str) -> tuple[float | None, float | None, float | None]:
    o = f.get("objectives", {}).get(q)
    if o:
        return o["mean"], o["ci_low"], o["ci_high"]
    for c in f.get("constraints", []):
        if _quantity_of(c) == q:
            return c["mean"], None, None
    return None, None, None


def _quantity_of(c: dict) -> str:
    from ..optimize.spec import parse_constraint

    if "quantity" in c:
        return c["quantity"]
    return parse_constraint(c["constraint"]).quantity


def _est(q: str, v: tuple, lang: str) -> str:
    from ..optimize.spec import is_money
    from .formatting import estimate_parts

    mean, lo, hi = v
    if (is_money(q) or q.startswith("budget.")) and mean is not None and lo is not None \
            and hi is not None and lo != hi:
        value, interval = estimate_parts("total_public_cost_cny", mean, lo, hi, lang)
        return f"{value} {interval}"
    text = _num(q, mean, lang)
    if lo is not None and hi is not None and mean is not None and lo != hi:
        lo, hi = (max(lo, 0.0), max(hi, 0.0)) if lo < 0 <= mean else (lo, hi)
        text += f" [{_num(q, lo, lang)}, {_num(q, hi, lang)}]"
    return text


def _quantities(record: dict) -> list[str]:
    qs = [o["quantity"] for o in record["objectives"]] + [c["quantity"]
                                                          for c in record["constraints"]]
    return list(dict.fromkeys(qs))


def _limit_of(record: dict, q: str) -> list[dict]:
    return [c for c in record["constraints"] if c["quantity"] == q]


def _runs_meeting(inputs: OptimizeInputs, trial: int) -> dict[str, float]:
    """Per constraint text: the share of the confirmation's single runs meeting it."""
    fin = inputs.finalists
    if fin.empty or "trial" not in fin:
        return {}
    row = fin[fin["trial"] == trial]
    if row.empty:
        return {}
    r = row.iloc[0]
    out = {}
    for i in range(len(inputs.record["constraints"])):
        k = f"c{i}__share_of_runs_meeting"
        if k in r and f"c{i}__constraint" in r and pd.notna(r[k]):
            out[str(r[f"c{i}__constraint"])] = float(r[k])
    return out


def optimize_blocks(inputs: OptimizeInputs, lang: str) -> list[Block]:
    """Every section of the optimisation report, page one first."""
    rec, base = inputs.record, inputs.base
    conf = float(rec["confidence"])
    nrep, ncrep = int(rec["replications"]), int(rec["confirm_replications"])
    quantities = _quantities(rec)
    finalists = rec["finalists"]
    chosen = next((f for f in finalists if f.get("recommended")), None)
    out = [Block("h2", _z(lang, "给决策者的摘要：哪个方案能在预算内达到目标",
                          "For the decision: which package meets the target within the budget"))]
    cons = [constraint_words(c, lang) for c in rec["constraints"]]
    first = rec["objectives"][0] if rec["objectives"] else None
    goal = "" if first is None else _z(
        lang, f"在满足以下全部条件的方案中，找出{_qlabel(first['quantity'], 'zh')}"
        f"{'最低' if first['direction'] == 'minimize' else '最高'}的一个：",
        f"Of the packages that meet every condition below, find the one with the "
        f"{'lowest' if first['direction'] == 'minimize' else 'highest'} "
        f"{_qlabel(first['quantity'], 'en').lower()}:")
    out.append(Block("p", _z(lang, f"问题（情景：{rec['scenario']}）。", f"The question "
                             f"(scenario: {rec['scenario']}). ") + goal))
    out.append(Block("ul", items=cons))
    out.append(Block("p", budget_words(rec.get("budget"), lang) + _z(
        lang, f"推荐的方案须以不低于{conf:.0%}的把握满足每一项条件（见文末“把握是什么意思”）。",
        f" The recommended package must meet each condition with at least {conf:.0%} "
        "confidence (see 'What confidence means' at the end).")))
    base_means = (rec.get("baseline") or {}).get("means") or {}

    def base_v(q):
        m = base_means.get(q)
        if m is None:
            return (None, None, None)
        if isinstance(m, dict):
            return m.get("mean"), m.get("ci_low"), m.get("ci_high")
        return tuple(m)

    if chosen is not None:
        t = int(chosen["trial"])
        out.append(Block("h2", _z(lang, f"推荐：{_name(t, lang)}", f"Recommended: "
                                  f"{_name(t, lang)}")))
        out.append(Block("p", lever_words(chosen["levers"], base, lang, inputs.ref)))
        head = [_z(lang, "指标", "Measure"),
                _z(lang, f"推荐方案（复核{chosen['replications']}次重复）",
                   f"Recommended ({chosen['replications']} replications, confirmed)"),
                _z(lang, f"现行情景（{nrep}次重复）",
                   f"The scenario as it is ({nrep} replications)"),
                _z(lang, "条件", "Condition"), _z(lang, "满足条件的把握", "Confidence it holds")]
        probs = {c["constraint"]: c["probability_holds"] for c in chosen["constraints"]}
        rows = []
        for q in quantities:
            cs = _limit_of(rec, q)
            cond = "；".join(constraint_words(c, lang) for c in cs) if lang == "zh" else \
                "; ".join(constraint_words(c, lang) for c in cs)
            p = [probs.get(c["constraint"]) for c in cs]
            p = [x for x in p if x is not None]
            rows.append([_qlabel(q, lang), _est(q, _finalist_value(chosen, q), lang),
                         _est(q, base_v(q), lang), cond or "—",
                         f"{min(p):.0%}" if p else "—"])
        out.append(Block("table", head=head, rows=rows))
        out.append(Block("note", _z(
            lang, "方括号内为平均值的95%区间（重复之间的差异）。现行情景与各方案使用相同的随机数。",
            "Brackets give the 95% interval of the mean (how much the replications differ). "
            "The scenario as it is and every package ran with the same random numbers.")))
        others = [f for f in finalists if f is not chosen and f.get("meets_all_at_confidence")]
        more = "" if not others else _z(
            lang, f"另有{len(others)}个方案也满足全部条件，但{_qlabel(first['quantity'], 'zh')}"
            f"{'更高' if first['direction'] == 'minimize' else '更低'}，各有所长（见“入围方案排名”）。",
            f" {len(others)} other package(s) also meet every condition, with a "
            f"{'higher' if first['direction'] == 'minimize' else 'lower'} "
            f"{_lower(_qlabel(first['quantity'], 'en'))}; see 'The finalists, ranked'.")
        out.append(Block("p", _tradeoff_words(chosen, base_v, rec, lang) + more))
        meeting = _runs_meeting(inputs, t)
        share_c = [c for c in rec["constraints"] if c["constraint"] in meeting
                   and meeting[c["constraint"]] < 1]
        if share_c:
            items = "；".join if lang == "zh" else "; ".join
            out.append(Block("note", _z(lang, "注意：把握说的是平均结果。复核的单次模拟中，",
                                        "Mind: the confidence is about the average. Of the "
                                        "confirmation's single runs, ") + items(
                _z(lang, f"{meeting[c['constraint']]:.0%}满足“{constraint_words(c, 'zh')}”",
                   f"{meeting[c['constraint']]:.0%} meet '{constraint_words(c, 'en')}'")
                for c in share_c) + _z(lang, "；实际执行时仍可能达不到，应留有余地。",
                                       "; in practice it may still fall short: keep a margin.")))
    else:
        out.append(Block("h2", _z(lang, "没有可推荐的方案", "No package can be recommended")))
        out.append(Block("p", _closest_words(inputs, lang)))
    # the scenario as it is
    if (rec.get("baseline") or {}).get("feasible"):
        out.append(Block("h2", _z(lang, "现行情景：平均已满足全部条件", "The scenario as it is: "
                                  "it meets every condition on average")))
    else:
        out.append(Block("h2", _z(lang, "现行情景：为什么达不到", "The scenario as it is: why "
                                  "it misses")))
    out.append(Block("p", _baseline_words(rec, base_v, lang)))
    # the finalists
    out.append(Block("h2", _z(lang, "入围方案排名", "The finalists, ranked")))
    out.append(Block("p", _z(
        lang, f"入围方案是搜索中平均满足全部条件、且没有别的方案在各目标上都比它好的方案；每个都以"
        f"{ncrep}次重复复核。排名：在{conf:.0%}把握下满足全部条件的在前，其中"
        + (f"{_qlabel(first['quantity'], 'zh')}{'低' if first['direction'] == 'minimize' else '高'}"
           "的在前" if first else "") + "。",
        f"Finalists are the packages of the search that meet every condition on average and "
        f"that no other package beats on every objective; each was confirmed with {ncrep} "
        f"replications. Ranked: those meeting every condition at {conf:.0%} confidence first, "
        + (f"then by {_qlabel(first['quantity'], 'en').lower()}" if first else "") + ".")))
    if finalists:
        obj_q = [o["quantity"] for o in rec["objectives"]]
        head = [_z(lang, "排名", "Rank"), _z(lang, "方案", "Package"),
                _z(lang, "内容", "What it changes")] + [_qlabel(q, lang) for q in obj_q] + \
            [_z(lang, "最弱一项条件的把握", "Confidence, weakest condition"),
             _z(lang, "结论", "Verdict")]
        rows = []
        for i, f in enumerate(_ranked(finalists, first), 1):
            pmin = min((c["probability_holds"] for c in f["constraints"]), default=None)
            verdict = (_z(lang, "推荐", "recommended") if f.get("recommended") else
                       _z(lang, "满足，但成本更高", "meets them, at a higher cost")
                       if f.get("meets_all_at_confidence") else
                       _z(lang, f"把握不足{conf:.0%}", f"below {conf:.0%} confidence"))
            rows.append([str(i), _name(int(f["trial"]), lang),
                         lever_words(f["levers"], base, lang, inputs.ref)] +
                        [_est(q, _finalist_value(f, q), lang) for q in obj_q] +
                        ["—" if pmin is None else f"{pmin:.0%}", verdict])
        out.append(Block("table", head=head, rows=rows))
        alt = _alternatives(finalists, chosen, rec, lang)
        if alt:
            out.append(Block("p", _z(lang, "其他也满足全部条件的方案，与推荐方案相比：",
                                     "The other packages that meet every condition, against "
                                     "the recommended one:")))
            out.append(Block("ul", items=alt))
    else:
        out.append(Block("p", _z(lang, "没有方案入围：搜索中没有一个方案平均满足全部条件。",
                                 "No finalist: no package of the search met every condition "
                                 "on average.")))
    fig = _figure(inputs, lang)
    if fig is not None:
        out.append(Block("h2", _z(lang, "成本与速度的权衡", "Cost against speed")))
        out.append(fig)
    out.append(Block("h2", _z(lang, "搜索是怎样做的", "How the search was done")))
    out += _method_blocks(inputs, lang)
    return out


def _alternatives(finalists: list[dict], chosen: dict | None, rec: dict, lang: str
                  ) -> list[str]:
    """Each other finalist meeting every condition, in what it gains and costs against the
    recommended package (the leader's choice: more money for more speed, say)."""
    if chosen is None:
        return []
    sep = "；" if lang == "zh" else "; "
    out = []
    for f in _ranked(finalists, rec["objectives"][0] if rec["objectives"] else None):
        if f is chosen or not f.get("meets_all_at_confidence"):
            continue
        parts = []
        for o in rec["objectives"]:
            q = o["quantity"]
            a, b = _finalist_value(f, q)[0], _finalist_value(chosen, q)[0]
            if a is None or b is None or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                continue
            parts.append(_z(lang, f"{_qlabel(q, 'zh')}{_num(q, a, 'zh')}（推荐方案"
                            f"{_num(q, b, 'zh')}）", f"{_lower(_qlabel(q, 'en'))} "
                            f"{_num(q, a, 'en')} (recommended: {_num(q, b, 'en')})"))
        if parts:
            out.append(_name(int(f["trial"]), lang) + _z(lang, "：", ": ") + sep.join(parts) +
                       _z(lang, "。", "."))
    return out


def _ranked(finalists: list[dict], first: dict | None) -> list[dict]:
    def key(f):
        v = _finalist_value(f, first["quantity"])[0] if first else 0.0
        v = math.inf if v is None else (v if first["direction"] == "minimize" else -v)
        pmin = min((c["probability_holds"] for c in f["constraints"]), default=0.0)
        return (not f.get("recommended"), not f.get("meets_all_at_confidence"), v, -pmin)
    return sorted(finalists, key=key)


def _tradeoff_words(chosen: dict, base_v, rec: dict, lang: str) -> str:
    better, worse = [], []
    for q in _quantities(rec):
        a, b = _finalist_value(chosen, q)[0], base_v(q)[0]
        if a is None or b is None or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            continue
        low = _better_lower(q, rec)
        item = _z(lang, f"{_qlabel(q, 'zh')}{_num(q, a, 'zh')}（现行{_num(q, b, 'zh')}）",
                  f"{_qlabel(q, 'en').lower()} {_num(q, a, 'en')} (as it is: "
                  f"{_num(q, b, 'en')})")
        (better if (a < b) == low else worse).append(item)
    sep = "；" if lang == "zh" else "; "
    text = _z(lang, "与现行情景相比，", "Compared with the scenario as it is, ")
    if better:
        text += _z(lang, "更好：", "better: ") + sep.join(better) + _z(lang, "。", ". ")
    if worse:
        text += _z(lang, "代价：", "The price: ") + sep.join(worse) + _z(
            lang, "。决策时须权衡这些代价。", ". Weigh this price in the decision.")
    else:
        text += _z(lang, "没有一项更差。", "nothing is worse.")
    return text


def _baseline_words(rec: dict, base_v, lang: str) -> str:
    base = rec.get("baseline") or {}
    if not base.get("means"):
        return _z(lang, "现行情景未能运行，无法比较。", "The scenario as it is could not be run; "
                  "there is nothing to compare with.")
    misses, meets = [], []
    for c in rec["constraints"]:
        v = base_v(c["quantity"])[0]
        if v is None:
            continue
        item = _z(lang, f"{_qlabel(c['quantity'], 'zh')}为{_num(c['quantity'], v, 'zh')}"
                  f"（条件：{constraint_words(c, 'zh')}）",
                  f"{_qlabel(c['quantity'], 'en').lower()} is {_num(c['quantity'], v, 'en')} "
                  f"(condition: {_lower(constraint_words(c, 'en'))})")
        (meets if _holds(c, v) else misses).append(item)
    sep = "；" if lang == "zh" else "; "
    n = int(rec["replications"])
    text = _z(lang, f"不动任何杠杆、用同样的随机数运行{n}次，平均而言：",
              f"Run {n} times with no lever moved and the same random numbers, on average: ")
    if misses:
        text += _z(lang, "未达到：", "it misses: ") + sep.join(misses) + _z(lang, "。", ". ")
    else:
        text += _z(lang, "它满足全部条件。", "it meets every condition. ")
    if meets:
        text += _z(lang, "已满足：", "It meets: ") + sep.join(meets) + _z(lang, "。", ".")
    return text


def _closest_words(inputs: OptimizeInputs, lang: str) -> str:
    rec, base = inputs.record, inputs.base
    conf = float(rec["confidence"])
    reason = _z(lang, f"没有一个方案以{conf:.0%}的把握满足全部条件。",
                f"No package meets every condition with {conf:.0%} confidence. ")
    fin = rec["finalists"]
    if fin:
        best = max(fin, key=lambda f: min((c["probability_holds"] for c in f["constraints"]),
                                          default=0.0))
        weak = [c for c in best["constraints"] if c["probability_holds"] < conf]
        lim = {c["constraint"]: c for c in rec["constraints"]}
        sep = "；" if lang == "zh" else "; "
        what = sep.join(_z(
            lang, f"{constraint_words(lim.get(c['constraint'], c), 'zh')}（平均"
            f"{_num(_quantity_of(c), c['mean'], 'zh')}，把握只有{c['probability_holds']:.0%}）",
            f"{_lower(constraint_words(lim.get(c['constraint'], c), 'en'))} (on average "
            f"{_num(_quantity_of(c), c['mean'], 'en')}, confidence only "
            f"{c['probability_holds']:.0%})") for c in weak)
        return reason + _z(lang, f"最接近的是{_name(int(best['trial']), 'zh')}：",
                           f"The closest is {_name(int(best['trial']), 'en')}: ") + \
            lever_words(best["levers"], base, lang, inputs.ref) + _z(lang, "它欠缺：", " It falls short "
                                                          "on: ") + what + _z(
                lang, "。可以放宽条件、扩大杠杆范围或增加预算后再搜索。",
                ". Relax a condition, widen the levers' ranges or raise the budget, and "
                "search again.")
    cand = inputs.candidates
    if cand.empty or "violation" not in cand:
        return reason + _z(lang, "搜索没有得到可用的试验结果。", "The search gave no usable "
                           "trial.")
    ok = cand[cand.get("status", pd.Series("ok", index=cand.index)) == "ok"]
    if ok.empty:
        return reason + _z(lang, "所有试验都运行失败。", "Every trial failed to run.")
    best = ok.sort_values("violation").iloc[0]
    levers = json.loads(best["levers_json"])
    misses = []
    for c in rec["constraints"]:
        col = f"{c['quantity']}__mean"
        if col in best and pd.notna(best[col]) and not _holds(c, float(best[col])):
            misses.append(_z(lang, f"{constraint_words(c, 'zh')}（平均"
                             f"{_num(c['quantity'], float(best[col]), 'zh')}）",
                             f"{_lower(constraint_words(c, 'en'))} (on average "
                             f"{_num(c['quantity'], float(best[col]), 'en')})"))
    sep = "；" if lang == "zh" else "; "
    return reason + _z(lang, f"搜索中最接近的是{_name(int(best['trial']), 'zh')}：",
                       f"The closest in the search is {_name(int(best['trial']), 'en')}: ") + \
        lever_words(levers, base, lang, inputs.ref) + _z(lang, "它未达到：", " It misses: ") + \
        sep.join(misses) + _z(lang, "。可以放宽条件、扩大杠杆范围或增加预算后再搜索。",
                              ". Relax a condition, widen the levers' ranges or raise the "
                              "budget, and search again.")


def _figure(inputs: OptimizeInputs, lang: str) -> Block | None:
    """The trade-off figure drawn in ``lang`` from the saved tables, with its caption."""
    import io

    from ..optimize.spec import parse_constraint
    from .optimize_plot import axes_of, plot_tradeoff

    cand, rec = inputs.candidates, inputs.record
    if cand.empty or "status" not in cand or not (cand["status"] == "ok").any():
        return None
    cons = [parse_constraint(c["constraint"]) for c in rec["constraints"]]
    problem = SimpleNamespace(objectives=[SimpleNamespace(quantity=o["quantity"])
                                          for o in rec["objectives"]],
                              constraints=cons, limits=[c["limit"] for c in rec["constraints"]])
    means = {q: (m["mean"], m["ci_low"], m["ci_high"])
             for q, m in ((rec.get("baseline") or {}).get("means") or {}).items()}
    shim = SimpleNamespace(candidates=cand, problem=problem, baseline={"means": means})
    x, y = axes_of(shim)
    if f"{x}__mean" not in cand or f"{y}__mean" not in cand:
        return None
    import matplotlib.pyplot as plt

    fig = plot_tradeoff(shim, lang=lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    n = int((cand["status"] == "ok").sum())
    caption = _z(
        lang, f"图：成本与速度的权衡。每个点是搜索中试过的一个方案（共{n}个，各{rec['replications']}"
        f"次重复的平均）；横轴为{_qlabel(x, 'zh')}，纵轴为{_qlabel(y, 'zh')}。绿点平均满足全部条件，"
        "灰点未满足；黑圈为入围复核的方案，红星为推荐方案，黑叉为现行情景；蓝色虚线为条件的界限。"
        "越靠左越省钱" + ("，越靠上越快。" if not _better_lower(y, rec) else "。"),
        f"Figure: cost against speed. Each point is a package the search tried ({n} in all, "
        f"each the mean of {rec['replications']} replications); across: "
        f"{_qlabel(x, 'en').lower()}, up: {_qlabel(y, 'en').lower()}. Green points meet every "
        "condition on average, grey ones miss one; black rings are the finalists, the red "
        "star is the recommended package, the black cross the scenario as it is; dashed blue "
        "lines are the conditions' limits. Further left costs less" +
        (", higher is faster." if not _better_lower(y, rec) else "."))
    return Block("img", caption, data=buf.getvalue())


def _lever_range_words(lv: dict, base, lang: str) -> str:
    key = lv["key"]
    if key == "packages":
        what = _z(lang, "叠加的政策包", "Packages stacked")
    elif base is not None:
        w = change_words(base, tuple(key.split(".")), None, None)[lang]
        what = w.split("由" if lang == "zh" else " from ")[0]
    else:
        what = key
    if lv.get("choices") is not None:
        def one(c):
            if key == "packages":
                names = [_package_label(n, lang) for n in c] if c else []
                return ("、" if lang == "zh" else " + ").join(names) or _z(lang, "不加", "none")
            from .options import _value_words

            return _value_words(c, "", lang)
        vals = ("；" if lang == "zh" else "; ").join(one(c) for c in lv["choices"])
        return _z(lang, f"{what}：从{vals}中选择", f"{what}: one of {vals}")
    lo, hi = lv["range"]
    step = lv.get("step")
    path = tuple(key.split("."))
    from .options import _value_words, _walk

    info = _walk(base, path)[0] if base is not None else None
    unit = str((info.json_schema_extra or {}).get("unit", "")) if info else ""
    a, b = _value_words(lo, unit, lang, _money), _value_words(hi, unit, lang, _money)
    s = "" if not step else _z(lang, f"，步长{_value_words(step, unit, 'zh', _money)}",
                               f" in steps of {_value_words(step, unit, 'en', _money)}")
    return _z(lang, f"{what}：{a}到{b}{s}", f"{what}: {a} to {b}{s}")


def _method_blocks(inputs: OptimizeInputs, lang: str) -> list[Block]:
    rec, man = inputs.record, inputs.manifest
    spec = man.get("spec") or {}
    levers = spec.get("levers") or []
    n, m = int(rec["replications"]), int(rec["confirm_replications"])
    conf = float(rec["confidence"])
    sampler = spec.get("sampler", "tpe")
    how = {"tpe": ("优化程序optuna（TPE算法）选取方案，它根据已试方案的结果决定下一步试什么。",
                   "The optimiser optuna (TPE) chose what to try next from the results so far."),
           "nsga2": ("优化程序optuna（NSGA-II遗传算法）选取方案，它根据已试方案的结果决定下一步试什么。",
                     "The optimiser optuna (NSGA-II, a genetic algorithm) chose what to try next "
                     "from the results so far."),
           "grid": ("方案按网格逐一试过（optuna的网格搜索）：杠杆取值的每个组合都试一次。",
                    "The packages were tried on a grid (optuna's grid search): every "
                    "combination of the levers' values once.")}.get(sampler, ("", ""))
    out = [Block("p", _z(lang, "搜索调整了以下政策杠杆：", "The search moved these levers:"))]
    out.append(Block("ul", items=[_lever_range_words(lv, inputs.ref, lang) for lv in levers]))
    out.append(Block("p", _z(
        lang, f"共试了{rec['trials']}个方案（组合），其中平均满足全部条件的有{rec.get('feasible', 0)}个。"
        f"每个方案模拟{n}次，每次的随机抽样（农户的选择、施工等）在所有方案之间相同（共同随机数），"
        "所以方案之间的差异来自政策本身，而不是运气。" + how[0],
        f"{rec['trials']} packages (combinations) were tried; {rec.get('feasible', 0)} met every "
        f"condition on average. Each package was simulated {n} times, with the same draws of "
        "chance (households' choices, building) for every package (common random numbers), "
        "so differences between packages come from the policy, not from luck. " + how[1])))
    out.append(Block("p", _z(
        lang, f"复核（排序与选择）：平均满足全部条件、且不被其他方案全面超过的方案入围（至多"
        f"{spec.get('finalists', len(rec['finalists']))}个），每个再模拟到{m}次（前{n}次与搜索相同）。"
        f"推荐的是在{conf:.0%}把握下满足每一项条件的入围方案中，"
        + (f"{_qlabel(rec['objectives'][0]['quantity'], 'zh')}"
           f"{'最低' if rec['objectives'][0]['direction'] == 'minimize' else '最高'}"
           if rec["objectives"] else "最好") + "的一个。",
        f"Confirmation (ranking and selection): the packages that met every condition on "
        f"average and that no other package beat on every objective became finalists (at most "
        f"{spec.get('finalists', len(rec['finalists']))}); each was simulated again, {m} times "
        f"in all (the first {n} as in the search). The recommended package is the finalist "
        + (f"with the {'lowest' if rec['objectives'][0]['direction'] == 'minimize' else 'highest'}"
           f" {_qlabel(rec['objectives'][0]['quantity'], 'en').lower()}" if rec["objectives"]
           else "that is best") + f" among those meeting each condition with {conf:.0%} "
        "confidence.")))
    out.append(Block("p", _z(
        lang, f"把握是什么意思：“{conf:.0%}的把握”指根据复核的{m}次模拟（单侧t区间），该方案的平均"
        f"结果满足这一条件的可能性至少为{conf:.0%}。它说的是平均结果，不是每一年、每一次都满足；"
        "模型本身的假设（见情景文件）也不在这个把握之内。",
        f"What confidence means: '{conf:.0%} confidence' says that, from the {m} runs of the "
        f"confirmation (a one-sided t interval), the package's average result meets the "
        f"condition with a probability of at least {conf:.0%}. It is about the average, not "
        "about every year or every run; and it does not cover the model's own assumptions "
        "(see the scenario file).")))
    seeds = rec.get("seeds") or []
    out.append(Block("note", _z(
        lang, f"可重现：recommended.yaml 与 finalists/ 下的文件是完整的情景文件；ruralsim run 该文件"
        f"重现第1次重复，其余重复用 --seed（共{len(seeds)}个种子，列在文件开头）。研究保存在 "
        "study.sqlite3，可续跑。",
        "Reproducible: recommended.yaml and the files in finalists/ are whole scenario files; "
        "ruralsim run FILE reruns the first replication, --seed the others "
        f"({len(seeds)} seeds, listed at the top of the file). The study is kept in "
        "study.sqlite3 and resumes.")))
    return out
