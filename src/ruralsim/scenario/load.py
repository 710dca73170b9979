"""Loading a scenario: files, ``extends``, village CSVs, ``--set`` overrides, validation.

A variant is a baseline plus overrides: everything is merged on plain data first,
then validated in full, so an override can never leave a half-changed scenario.
All problems are collected and raised together as one :class:`ScenarioError`.

Example:
    >>> from ruralsim import load_scenario
    >>> sc = load_scenario("scenarios/teaching.yaml", overrides=["run.horizon_months=24"])
    >>> sc.model.run.horizon_months
    24
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from .. import footprint
from ..errors import Issue, ScenarioError, check_list_arg
from .schema import Scenario
from .yamlio import decode_text, parse_scalar, read_input_bytes, read_yaml_file

#: Where the built-in scenarios live (``scenarios/`` at the repository root links here).
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_EXTENDS_DEPTH = 8
#: A built-in name (package or scenario): letters, digits, '_' and '-'; no path separators,
#: no dots, so a name can never reach outside the library.
BUILTIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,99}")
#: File names that make a reference a file path rather than a built-in name.
YAML_SUFFIXES = (".yaml", ".yml")
#: Largest village CSV read, and most villages in it (a county has a few thousand).
MAX_CSV_BYTES = 32 * 1024 * 1024
MAX_CSV_ROWS = 100_000
#: Longest ``--set`` key path, in characters and in parts.
MAX_KEY_CHARS = 200
MAX_KEY_PARTS = 30

Where = tuple[str, int | None]  # (file, line)


@dataclass
class LoadedScenario:
    """A validated scenario with where it came from."""

    model: Scenario
    source: str
    hash: str
    #: Every file read to make it (scenario, ``extends`` targets, village CSVs, packages),
    #: resolved; output folders must never be or contain one of them.
    inputs: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        return self.model.name


#: Files read by the load in progress (see :func:`load_scenario`).
_INPUTS: ContextVar[list[Path] | None] = ContextVar("ruralsim_inputs", default=None)


def _record_input(path: str | Path) -> None:
    """Note a file the loader reads, for :attr:`LoadedScenario.inputs`."""
    files = _INPUTS.get()
    if files is not None:
        try:
            files.append(Path(path).resolve())
        except (OSError, RuntimeError):
            files.append(Path(os.path.abspath(path)))


def builtin_path(name: str = "nanpu") -> Path:
    """Path of a built-in scenario such as ``nanpu`` or ``teaching`` (``.yaml`` optional)."""
    return BUILTIN_DIR / (name if name.lower().endswith(YAML_SUFFIXES) else f"{name}.yaml")


def builtin_scenarios() -> list[str]:
    """Names of the built-in scenarios (``nanpu``, ``strategies/middle_first``...)."""
    out = []
    for p in sorted(BUILTIN_DIR.rglob("*.yaml")):
        rel = p.relative_to(BUILTIN_DIR)
        if rel.parts[0] not in ("packages", "sweeps", "optimize") and \
                rel.stem != "household_types":
            out.append(rel.with_suffix("").as_posix())
    return out


def find_scenario_file(ref: str | Path, base_dir: Path | None = None) -> Path | None:
    """The file a scenario reference names, by one rule (command line and ``extends`` alike).

    A file that exists (relative to ``base_dir``, the folder of the file that names it, or to
    the current folder) comes first; otherwise a built-in scenario of that name, written with
    or without ``.yaml`` (``nanpu``, ``nanpu.yaml``, ``strategies/middle_first``).  None when
    neither exists.
    """
    p = Path(ref)
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    if _exists(p):
        return p
    if Path(ref).is_absolute():
        return None
    text = str(ref)
    return _builtin_file(text) or (None if text.lower().endswith(YAML_SUFFIXES)
                                   else _builtin_file(f"{text}.yaml"))


def _not_found(ref: str | None = None) -> str:
    what = f"scenario file not found: {_short(str(ref))}" if ref else "scenario file not found"
    return (f"{what} / 找不到情景文件 (give a file path, or a built-in scenario: "
            f"{', '.join(builtin_scenarios())})")


def _exists(path: str | Path) -> bool:
    """Whether ``path`` exists; False for names the system cannot even look up (too long,
    NUL bytes), which are then reported as not found rather than crashing."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _is_file(path: str | Path) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def _builtin_file(relative: str | Path) -> Path | None:
    """``BUILTIN_DIR / relative`` if that is a file inside the library (never outside it)."""
    p = BUILTIN_DIR / relative
    try:
        if p.resolve().is_relative_to(BUILTIN_DIR.resolve()) and p.is_file():
            return p
    except (OSError, ValueError):
        pass
    return None


def check_reference(ref: str | Path, base_dir: Path | None, what: str,
                    origin: Where) -> Path:
    """The file a reference inside a scenario (``extends``, ``packages``) or on the command
    line (``--package``, ``--variant +file.yaml``) names, if ruralsim may read it.

    The rule of every file a scenario names (village CSVs and design tables too): the file,
    symbolic links resolved, lies in the folder of the file that names it (the current
    folder for the command line) or among the built-in scenarios.  A path written out in
    full whose file is no symbolic link (``extends: ../base.yaml``) is also read; a file
    that is a symbolic link never leads outside.  ``RURALSIM_ALLOW_OUTSIDE_FILES=1`` lifts
    the rule.  Raises
    :class:`ScenarioError` naming ``origin``.
    """
    p = Path(ref)
    joined = p if p.is_absolute() or base_dir is None else base_dir / p
    folder = base_dir if base_dir is not None else Path.cwd()
    if os.environ.get("RURALSIM_ALLOW_OUTSIDE_FILES"):
        return joined
    try:
        real = joined.resolve()
        if real.is_relative_to(BUILTIN_DIR.resolve()):
            return joined
        folder = folder.resolve()
        if real.is_relative_to(folder):
            return joined
        written = Path(os.path.normpath(p if p.is_absolute() else folder / p))
        # a path written out whose file itself is no link (its folders may be links, as a
        # checkout's scenarios/ is): the file the user named
        if real == written or (not written.is_symlink()
                               and real == written.parent.resolve() / written.name):
            return joined
    except (OSError, RuntimeError, ValueError):
        pass
    raise ScenarioError([Issue(origin[0], what, f"{_excerpt(str(ref), 80)} is a symbolic link "
                               f"to a file outside the folder {folder}; copy the "
                               "file there (or set RURALSIM_ALLOW_OUTSIDE_FILES=1) / 该文件是指向"
                               "目录之外的符号链接，请把文件复制到情景所在目录", origin[1])])


def _excerpt(text: str, n: int = 24) -> str:
    """A short, escaped excerpt of text read from a file, for a message: control and
    non-printable characters escaped, at most ``n`` characters shown (a message never
    quotes more of a file that may not be a scenario at all)."""
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in str(text)[: n + 1])
    return shown if len(shown) <= n and len(str(text)) <= n else shown[:n] + "..."


def _not_ruralsim_file(doc: Any, data: dict, known: Iterable[str], what: str) -> None:
    """Refuse, without quoting it, a mapping none of whose keys is one of ``known``: it is
    not a ruralsim file (a configuration, a password file read as YAML...)."""
    known = set(known)
    if data and not any(isinstance(k, str) and k in known for k in data):
        raise ScenarioError([Issue(doc.file, "", f"this is not a ruralsim {what} file: none of "
                                   f"its {len(data)} top-level keys is a {what} key "
                                   f"({', '.join(sorted(known))}) / 这不是 ruralsim 的"
                                   f"{'政策包' if what == 'package' else '情景'}文件", 1)])


# ----------------------------------------------------------------------------- merging
def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def _read_with_extends(path: Path, depth: int = 0, origin: tuple[str, str, int | None] | None = None
                       ) -> tuple[Any, dict[tuple, Where]]:
    _record_input(path)
    doc = read_yaml_file(path, "scenario", origin)
    where = {p: (doc.file, line) for p, line in doc.lines.items()}
    data = doc.data
    if not isinstance(data, dict):
        raise ScenarioError([Issue(doc.file, "", "a scenario must be a mapping of keys "
                                   f"(got {type(data).__name__})", 1)])
    _not_ruralsim_file(doc, data, [*Scenario.model_fields, "extends", "packages"], "scenario")
    parent = data.pop("extends", None)
    packages = data.pop("packages", None)
    if parent is None:
        return _stack_packages(data, where, packages, doc.file, doc.line_of(("packages",))), where
    if depth >= MAX_EXTENDS_DEPTH:
        raise ScenarioError([Issue(doc.file, "extends", "too many levels of 'extends' (a cycle?)",
                                   doc.line_of(("extends",)))])
    if not isinstance(parent, str):
        raise ScenarioError([Issue(doc.file, "extends", "must be a file path",
                                   doc.line_of(("extends",)))])
    ppath = find_scenario_file(parent, path.parent)   # a file, or a library name
    if ppath is None:
        raise ScenarioError([Issue(doc.file, "extends", _not_found(parent),
                                   doc.line_of(("extends",)))])
    check_reference(parent if ppath == path.parent / parent else ppath, path.parent, "extends",
                    (doc.file, doc.line_of(("extends",))))
    base, bwhere = _read_with_extends(ppath, depth + 1,
                                      (doc.file, "extends", doc.line_of(("extends",))))
    merged = _merge(base, data)
    bwhere.update(where)
    return _stack_packages(merged, bwhere, packages, doc.file, doc.line_of(("packages",))), bwhere


# ----------------------------------------------------------------------------- packages
PACKAGE_KEYS = ("name", "label_zh", "label_en", "description", "instruments", "events", "awards")
PACKAGE_LISTS = ("instruments", "events", "awards")


def builtin_packages() -> list[str]:
    """Names of the built-in packages (files in ``scenarios/packages/``)."""
    return sorted(p.stem for p in (BUILTIN_DIR / "packages").glob("*.yaml"))


def package_path(ref: str, base_dir: Path | None, origin: Where = ("<packages>", None)) -> Path:
    """Resolve a package reference, by one rule.

    A reference ending in ``.yaml`` or ``.yml`` is a file path, relative to ``base_dir`` (the
    folder of the scenario that names it, or the current folder for ``--package``);
    anything else is the name of a built-in package (letters, digits, ``_`` and ``-``: no
    path separators and no ``..``). Raises :class:`ScenarioError` naming ``origin``.
    """
    def fail(message: str) -> ScenarioError:
        return ScenarioError([Issue(origin[0], "packages", message, origin[1])])

    known = ", ".join(builtin_packages())
    if ref.lower().endswith(YAML_SUFFIXES):
        p = Path(ref)
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        if not _exists(p):
            raise fail(f"package file not found: {_short(str(p))} / 找不到政策包文件 (a reference "
                       f"ending in .yaml is a file path; built-in packages are named without it: "
                       f"{known})")
        return check_reference(ref, base_dir, "packages", origin)
    if BUILTIN_NAME.fullmatch(ref):
        p = BUILTIN_DIR / "packages" / f"{ref}.yaml"
        if p.is_file():
            return p
        raise fail(f"unknown package '{ref}' / 未知的政策包; built-in packages: {known}; "
                   "a package file must end in .yaml or .yml")
    raise fail(f"'{_short(ref)}' is neither a built-in package name nor a YAML file: a package is "
               f"a name ({known}) or a file path ending in .yaml or .yml / 政策包须为内置名称或"
               ".yaml文件路径")


def _stack_packages(data: dict, where: dict[tuple, Where], packages: Any, file: str,
                    line: int | None) -> dict:
    """Append each package's instruments, events and awards to ``data['policy']``."""
    if packages is None:
        return data
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise ScenarioError([Issue(file, "packages", "must be a list of package names or files",
                                   line)])
    base_dir = Path(file).parent if _is_file(file) else None
    for ref in packages:
        data = _apply_or_note(data, where, ref, base_dir, (file, line))
    return data


#: Key of ``where`` under which problems with packages wait, so that a bad package does not
#: hide the scenario's other problems: they are reported together by :func:`validate_data`.
PENDING: tuple = ("\x00pending package problems",)


def _apply_or_note(data: dict, where: dict, ref: str, base_dir: Path | None,
                   origin: Where) -> dict:
    """Stack package ``ref``; when it cannot be, note its problems (reported with the rest)
    and go on without it."""
    try:
        return apply_package(data, where, ref, base_dir, origin)
    except ScenarioError as exc:
        where.setdefault(PENDING, []).extend(exc.issues)
        return data


def _place(loc: Where | None) -> str:
    """``file:line`` of a reference, for messages."""
    if loc is None:
        return "the scenario it builds on"
    file, line = loc
    return f"{file}:{line}" if line is not None else file


def apply_package(data: dict, where: dict[tuple, Where], ref: str, base_dir: Path | None,
                  origin: Where) -> dict:
    """Stack package ``ref`` onto scenario data, or take it off again (returns a new dict;
    ``where`` is updated).

    The rule for variants: a scenario's packages are *added* to those of the scenario it
    extends (``ref`` or ``+ref``), and ``-ref`` removes a package stacked before (its
    instruments, events and awards, found by name).  A package stacked twice is an error
    naming both places.
    """
    remove = ref.startswith("-")
    ref = ref[1:] if ref.startswith(("+", "-")) else ref
    path = package_path(ref, base_dir, origin)
    _record_input(path)
    doc = read_yaml_file(path, "package", (origin[0], "packages", origin[1]))
    pkg = doc.data
    if not isinstance(pkg, dict):
        raise ScenarioError([Issue(doc.file, "", "a package must be a mapping of keys", 1)])
    if not pkg:
        raise ScenarioError([Issue(doc.file, "", "an empty package: a package holds at least "
                                   f"one of {', '.join(PACKAGE_LISTS)} (and may have "
                                   f"{', '.join(k for k in PACKAGE_KEYS if k not in PACKAGE_LISTS)})"
                                   " / 政策包为空", 1)])
    _not_ruralsim_file(doc, pkg, PACKAGE_KEYS, "package")
    unknown = [k for k in pkg if k not in PACKAGE_KEYS]
    if unknown:
        raise ScenarioError([Issue(doc.file, _excerpt(str(k)), f"unknown key '{_excerpt(str(k))}'"
                                   f" / 未知的键; allowed: {', '.join(PACKAGE_KEYS)}",
                                   doc.line_of((k,))) for k in unknown])
    if not any(pkg.get(k) for k in PACKAGE_LISTS):
        raise ScenarioError([Issue(doc.file, "", "the package adds nothing: give at least one "
                                   f"of {', '.join(PACKAGE_LISTS)} / 政策包未包含任何政策内容", 1)])
    for key in PACKAGE_LISTS:
        if not isinstance(pkg.get(key) or [], list):
            raise ScenarioError([Issue(doc.file, key, "must be a list", doc.line_of((key,)))])
    out = copy.deepcopy(data)
    policy = out.setdefault("policy", {})
    if not isinstance(policy, dict):
        return out  # validation reports the bad 'policy'
    name = str(pkg.get("name", Path(ref).stem))
    stacked = policy.get("packages") if isinstance(policy.get("packages"), list) else []
    items = {key: {i.get("name") for i in pkg.get(key) or [] if isinstance(i, dict)}
             for key in PACKAGE_LISTS}
    present = any(isinstance(x, dict) and x.get("name") in items[key]
                  for key in PACKAGE_LISTS if isinstance(policy.get(key), list)
                  for x in policy[key])

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Issue(origin[0], "packages", message, origin[1])])

    if remove:
        if name not in stacked and not present:
            raise fail(f"cannot remove package '{name}': it is not stacked on this scenario "
                       f"(stacked: {', '.join(map(str, stacked)) or 'none'}) / 无法去掉政策包"
                       f"'{name}'：该情景未叠加此政策包")
        for key in PACKAGE_LISTS:
            _remove_items(policy, where, key, items[key])
        if name in stacked:
            _remove_items(policy, where, "packages", None, stacked.index(name))
        return out
    if name in stacked and present:
        first = where.get(("policy", "packages", stacked.index(name)))
        raise fail(f"package '{name}' is stacked twice: already by {_place(first)}. A "
                   f"scenario's packages are added to those of the scenario it extends, so list "
                   f"only new ones; to replace one, take it off first with -{name} "
                   f"/ 政策包'{name}'重复叠加(基础情景已叠加)：只需列出新增的政策包，替换时先用 -{name} 去掉")
    for key in PACKAGE_LISTS:
        have = policy.setdefault(key, [])
        if not isinstance(have, list):
            continue
        for j, item in enumerate(pkg.get(key) or []):
            i = len(have)
            have.append(item)
            for p, ln in doc.lines.items():
                if p[:2] == (key, j):
                    where[("policy", key, i) + p[2:]] = (doc.file, ln)
    names = policy.setdefault("packages", [])
    if isinstance(names, list) and name not in names:
        where[("policy", "packages", len(names))] = origin
        names.append(name)
    return out


def _remove_items(policy: dict, where: dict[tuple, Where], key: str, names: set | None,
                  index: int | None = None) -> None:
    """Remove the items of ``policy[key]`` named in ``names`` (or the one at ``index``),
    keeping ``where`` in step with the new list positions."""
    lst = policy.get(key)
    if not isinstance(lst, list):
        return
    keep = [i for i, x in enumerate(lst) if (i != index if names is None else
                                            not (isinstance(x, dict) and x.get("name") in names))]
    if len(keep) == len(lst):
        return
    policy[key] = [lst[i] for i in keep]
    new = {old: j for j, old in enumerate(keep)}
    prefix = ("policy", key)
    moved = {}
    for p in [p for p in where if p[:2] == prefix and len(p) > 2 and isinstance(p[2], int)]:
        loc = where.pop(p)
        if p[2] in new:
            moved[prefix + (new[p[2]],) + p[3:]] = loc
    where.update(moved)


# ----------------------------------------------------------------------------- overrides
def key_path(key: str, where: str) -> list[Any]:
    """Split a dotted key path such as ``villages.0.name`` into keys and list indices.

    Parts are separated by dots; a part of the digits 0-9 is a list index. Refused, naming
    ``where``: empty parts (``a..b``), ``[0]`` indices, other digits (``١``, ``²``) as an
    index, and paths longer than :data:`MAX_KEY_CHARS` characters or :data:`MAX_KEY_PARTS`
    parts.
    """
    key = key.strip()
    shown = key if len(key) <= 60 else key[:57] + "..."

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Issue(_short(where), shown, message)])

    if len(key) > MAX_KEY_CHARS or key.count(".") >= MAX_KEY_PARTS:
        raise fail(f"key path too long (at most {MAX_KEY_CHARS} characters and {MAX_KEY_PARTS} "
                   "parts) / 键路径过长")
    parts = key.split(".")
    if not key or any(not part.strip() for part in parts):
        raise fail("empty key path or empty part (write key.path=value, e.g. run.seed=7) / "
                   "键路径为空")
    if "[" in key or "]" in key:
        raise fail("write list indices with dots, e.g. villages.0.name, not villages[0].name / "
                   "列表序号请用点号")
    path: list[Any] = []
    for part in parts:
        if part.isascii() and part.isdigit():
            path.append(int(part))
        elif part.isdigit() or part.isdecimal() or part.isnumeric():
            raise fail(f"'{part}' is not a list index: write indices with the digits 0-9 / "
                       "列表序号须用阿拉伯数字0-9")
        else:
            path.append(part)
    return path


def parse_override(text: str) -> tuple[list[Any], Any]:
    """Split ``a.b.0.c=value`` into a path and a YAML-typed value."""
    where = _short(f"--set {text}")
    if "=" not in text:
        raise ScenarioError([Issue(where, "", "expected key.path=value")])
    key, raw = text.split("=", 1)
    return key_path(key, where), parse_scalar(raw, where)


def apply_overrides(data: dict, overrides: Iterable[str | tuple[str, Any]],
                    where: dict[tuple, Where]) -> dict:
    """Return a copy of ``data`` with dotted-path overrides applied.

    Overrides are strings ``"a.b=1"`` or ``(dotted_path, value)`` pairs; list items are
    addressed by index (the index one past the end appends an item) or, in a list of named
    items, by name: ``policy.instruments.cash_subsidy.value_cny=3000``.
    """
    out = copy.deepcopy(data)
    issues: list[Issue] = []
    for ov in overrides:
        if isinstance(ov, str):
            path, value = parse_override(ov)
            label = _short(f"--set {ov}")
        else:
            if not (isinstance(ov, (tuple, list)) and len(ov) == 2 and isinstance(ov[0], str)):
                raise ScenarioError([Issue("override", "", f"expected 'key.path=value' or a "
                                           f"(key path, value) pair, got {type(ov).__name__}")])
            key, value = ov
            label = _short(f"override {key}")
            path = key_path(key, label)
        node: Any = out
        ok = True
        path = list(path)
        for i, part in enumerate(path):
            if isinstance(node, list) and isinstance(part, str):
                # a list of named items (instruments, phases...) addressed by name
                j = _named_index(node, part)
                if j is None:
                    known = [str(x.get("name")) for x in node if isinstance(x, dict)
                             and "name" in x]
                    issues.append(Issue(label, ".".join(map(str, path[: i + 1])),
                                        f"no item named '{_short(part, 40)}' in this list"
                                        + (f" (names: {_short(', '.join(known), 300)})"
                                           if known else "") + " / 列表中没有该名称的项"))
                    ok = False
                    break
                path[i] = j
                part = j
            if i == len(path) - 1:
                break
            nxt = _child(node, part)
            if nxt is _MISSING:
                if isinstance(node, dict) and isinstance(part, str):
                    node[part] = {}
                    nxt = node[part]
                else:
                    what = (f"no such list index (the list has {len(node)} items)"
                            if isinstance(node, list) else "no such key")
                    issues.append(Issue(label, ".".join(map(str, path[: i + 1])), what))
                    ok = False
                    break
            node = nxt
        if not ok:
            continue
        last = path[-1]
        if isinstance(node, list):
            if not isinstance(last, int) or last > len(node):
                issues.append(Issue(label, ".".join(map(str, path)),
                                    f"no such list index (the list has {len(node)} items; "
                                    f"index {len(node)} appends)"))
                continue
            if last == len(node):
                node.append(value)
            else:
                node[last] = value
        elif isinstance(node, dict):
            node[str(last) if not isinstance(last, str) else last] = value
        else:
            issues.append(Issue(label, ".".join(map(str, path)), "parent is not a mapping"))
            continue
        where[tuple(path)] = (label, None)
    if issues:
        raise ScenarioError(issues)
    return out


_MISSING = object()


def _named_index(items: list, name: str) -> int | None:
    """Index of the item of ``items`` whose ``name`` is ``name`` (None if there is none)."""
    return next((j for j, x in enumerate(items) if isinstance(x, dict) and x.get("name") == name),
                None)


def _short(text: str, n: int = 100) -> str:
    """``text`` cut to ``n`` characters for a message."""
    return text if len(text) <= n else text[: n - 3] + "..."


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part if part in node else str(part), _MISSING)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return _MISSING


# ----------------------------------------------------------------------------- villages CSV
_VILLAGE_NUMERIC = {"households": int, "homestead_mu_per_household": float,
                    "maintenance_cny_per_month": float, "field_distance_km": float,
                    "x_km": float, "y_km": float}


def read_village_csv(path: Path, label: str, where: dict[tuple, Where],
                     base_dir: Path | None = None) -> list[dict]:
    """Read villages from CSV; numeric columns are converted, errors name file and line."""
    p = Path(path)
    if base_dir is not None:
        try:
            inside = p.resolve().is_relative_to(base_dir.resolve()) or \
                p.resolve().is_relative_to(BUILTIN_DIR)
        except OSError:
            inside = False
        if not inside and not os.environ.get("RURALSIM_ALLOW_OUTSIDE_FILES"):
            raise ScenarioError([Issue(label, "villages.file", f"{_short(str(path))} is outside "
                                       "the scenario's folder; copy it next to the scenario (or "
                                       "set RURALSIM_ALLOW_OUTSIDE_FILES=1)")])
    file = str(path)
    _record_input(p)
    raw = read_input_bytes(p, MAX_CSV_BYTES, "village CSV", (label, "villages.file",
                                                             where.get(("villages", "file"),
                                                                       (label, None))[1]))
    text = decode_text(raw, file, "village CSV")
    # newline='' lets the csv module see '\r', '\n' and '\r\n' line ends alike
    reader = csv.reader(io.StringIO(text, newline=""))
    issues: list[Issue] = []
    rows: list[dict] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise ScenarioError([Issue(file, "", "empty CSV (expected a header row such as "
                                       "name,households,community) / CSV文件为空", 1)])
        first: dict[str, int] = {}
        for j, col in enumerate(header):
            if col in first and col:
                raise ScenarioError([Issue(file, "", f"columns {first[col] + 1} and {j + 1} of "
                                           f"the header are both named '{_short(col, 40)}'; "
                                           "rename or remove one / 表头列名重复", reader.line_num)])
            first[col] = j
        n = 0
        for cells in reader:
            line = reader.line_num
            if not cells:      # a blank line
                continue
            i, n = n, n + 1
            if n > MAX_CSV_ROWS:
                raise ScenarioError([Issue(file, "", f"more than {MAX_CSV_ROWS:,} villages; "
                                           "is this the right file? / 村庄过多", line)])
            if len(cells) > len(header):
                issues.append(Issue(file, f"villages.{i}", "more cells than header columns",
                                    line))
                continue
            rec: dict[str, Any] = {}
            for key, val in zip(header, cells):
                val = val.strip()
                if val == "":
                    continue
                conv = _VILLAGE_NUMERIC.get(key)
                if conv is not None:
                    try:
                        num = float(val)
                        rec[key] = int(num) if conv is int and num.is_integer() else (
                            num if conv is float else val)
                    except ValueError:
                        rec[key] = val  # validation reports the wrong type with this line
                else:
                    rec[key] = val
                where[("villages", i, key)] = (file, line)
            where[("villages", i)] = (file, line)
            rows.append(rec)
    except csv.Error as exc:
        msg = (f"a cell is longer than {csv.field_size_limit():,} characters; a village table "
               "has short cells: is this the right file? / 单元格过长"
               if "field limit" in str(exc) else f"not a readable CSV table: {exc} / CSV格式错误")
        raise ScenarioError([Issue(file, "", msg, max(reader.line_num, 1))]) from None
    if issues:
        raise ScenarioError(issues)
    return rows


# ----------------------------------------------------------------------------- validation
def _issue_for(err: Mapping[str, Any], where: dict[tuple, Where], default_file: str,
               root: Any = None, data: Any = None) -> Issue:
    clean = _key_path_of(tuple(err["loc"]), data)
    file, line = _where(clean, where, default_file)
    msg = err["msg"]
    zh = pydantic_zh(err)
    if err["type"] == "extra_forbidden" and clean:
        allowed = _allowed_keys(clean[:-1], root or Scenario)
        clean = (*clean[:-1], _excerpt(str(clean[-1])))
        msg = f"unknown key '{clean[-1]}' / 未知的键" + (
            f"; allowed: {', '.join(allowed)}" if allowed else "")
    elif err["type"] == "missing":
        msg = "required key is missing / 缺少必填项"
    else:
        if "input" in err and (err["type"].endswith("_type") or
                               err["type"].endswith("_parsing")):
            msg += f" (got {type(err['input']).__name__} {_preview(err['input'])})"
        if zh and "/" not in msg:
            msg += f" / {zh}"
    return Issue(file, _short(".".join(str(p) for p in clean), 200), msg, line)


#: Chinese words of pydantic's error types ({...}: from the error's context).
PYDANTIC_ZH = {
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数（不能有小数）",
    "float_type": "应为数字", "float_parsing": "应为数字", "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false", "string_type": "应为文本", "list_type": "应为列表",
    "dict_type": "应为键值对", "model_type": "应为键值对", "model_attributes_type": "应为键值对",
    "finite_number": "须为有限数", "greater_than_equal": "须大于或等于{ge}",
    "greater_than": "须大于{gt}", "less_than_equal": "须小于或等于{le}",
    "less_than": "须小于{lt}", "string_too_long": "文本过长（最多{max_length}个字符）",
    "string_too_short": "不能为空", "too_long": "项数过多（最多{max_length}项）",
    "too_short": "项数过少（至少{min_length}项）", "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}", "string_pattern_mismatch": "格式不符",
    "union_tag_invalid": "类型不符", "value_error": "值无效", "assertion_error": "值无效",
    "none_required": "应为空", "int_parsing_size": "整数过大", "missing": "缺少必填项",
}


def pydantic_zh(err: Mapping[str, Any]) -> str:
    """The Chinese message of a pydantic error (its type's words, with its context)."""
    text = PYDANTIC_ZH.get(err.get("type", ""), "值无效")
    try:
        return text.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return text.split("{")[0].rstrip("：（")


def _key_path_of(loc: tuple, data: Any) -> tuple:
    """The user's key path in a pydantic error location, without pydantic's union-branch
    markers such as 'list[Village]' (a key the user wrote is kept, whatever its text)."""
    out, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part == "VillageFile"):
            continue
        else:
            node = None
        out.append(part)
    return tuple(out)


def _preview(value: Any) -> str:
    """A short, always printable view of an input value for a message."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 128:
        return f"<an integer of {abs(value).bit_length()} bits>"
    try:
        return repr(_short(str(value), 40))
    except Exception:   # noqa: BLE001 - a value that cannot even be printed
        return f"<{type(value).__name__}>"


def _where(path: tuple, where: dict[tuple, Where], default_file: str) -> Where:
    p = tuple(path)
    while p:
        if p in where:
            return where[p]
        p = p[:-1]
    return where.get((), (default_file, None))


def _allowed_keys(path: tuple, root: Any) -> list[str]:
    import typing

    from pydantic import BaseModel

    model: Any = root
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            # a dict of models (household_types): the key is a free name
            return []
        model = _unwrap(field.annotation, typing)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(ann: Any, typing: Any) -> Any:
    from pydantic import BaseModel

    args = typing.get_args(ann)
    if not args:
        return ann
    for a in args:
        u = _unwrap(a, typing)
        if isinstance(u, type) and issubclass(u, BaseModel):
            return u
    return args[-1]


def validate_data(data: dict, where: dict[tuple, Where], file: str,
                  base_dir: Path | None) -> Scenario:
    """Validate plain data into a :class:`Scenario`, resolving a villages CSV first."""
    data = dict(data)
    pending = list(where.pop(PENDING, []))    # problems with packages, reported with the rest
    vil = data.get("villages")
    if isinstance(vil, dict) and set(vil) == {"file"} and isinstance(vil["file"], str):
        # a CSV path is relative to the file that declared it (a base file when inherited)
        label = where.get(("villages", "file"), (file, None))[0]
        if _is_file(label):
            base_dir = Path(label).parent
        cpath = Path(vil["file"])
        if not cpath.is_absolute() and base_dir is not None:
            cpath = base_dir / cpath
        try:
            data["villages"] = read_village_csv(cpath, label, where, base_dir)
        except ScenarioError as exc:
            raise ScenarioError(pending + list(exc.issues)) from None
    try:
        model = validate_model(Scenario, data, where, file)
    except ScenarioError as exc:
        raise ScenarioError(pending + list(exc.issues)) from None
    issues = [Issue(*_where(tuple(p), where, file)[:1], ".".join(map(str, p)), m,
                    _where(tuple(p), where, file)[1]) for p, m in _cross_checks(model, where)]
    if pending or issues:
        raise ScenarioError(pending + issues)
    return model


def validate_model(root: Any, data: Any, where: dict[tuple, Where], file: str) -> Any:
    """Validate ``data`` against pydantic model ``root``; errors name file, key path and line."""
    try:
        return root.model_validate(data)
    except ValidationError as exc:
        errs = [e for e in exc.errors(include_url=False) if not _other_branch(e, data)]
        issues = [_issue_for(e, where, file, root, data) for e in errs]
        raise ScenarioError(_dedupe(issues)) from None


def _other_branch(err: Mapping[str, Any], data: Any) -> bool:
    """True for an error of a union branch the user did not write: villages given as a list
    (or read from a CSV file) are not a ``{file: ...}`` mapping, and the other way round; one
    bad cell must not add a second, spurious error."""
    loc = tuple(err["loc"])
    if len(loc) < 2 or loc[0] != "villages" or not isinstance(data, dict):
        return False
    vil = data.get("villages")
    branch = str(loc[1])
    if isinstance(vil, list):
        return branch == "VillageFile"
    if isinstance(vil, dict):
        return branch.startswith("list[")
    return False


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for i in issues:
        k = (i.file, i.path, i.message)
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


def _cross_checks(sc: Scenario, where: dict[tuple, Where] | None = None
                  ) -> list[tuple[tuple, str]]:
    """Checks that span several keys; returns (path, message) pairs (``where`` locates the
    other place a message names)."""
    out: list[tuple[tuple, str]] = []
    types = sc.household_types
    total = sum(t.share for t in types.values())
    if abs(total - 1.0) > 1e-6:
        out.append((("household_types",), f"type shares sum to {total:.6g}, not 1 / 各类农户比例之和须为1"))
    villages = sc.village_list
    if not villages:
        out.append((("villages",), "no villages / 至少需要一个村庄"))
    comms = [c.name for c in sc.communities]
    for i, name in enumerate(comms):
        if name in comms[:i]:
            out.append((("communities", i, "name"), f"duplicate community name '{name}' / 社区名称重复"))
    names: set[str] = set()
    for i, v in enumerate(villages):
        if v.name in names:
            out.append((("villages", i, "name"), f"duplicate village name '{v.name}' / 村庄名称重复"))
        names.add(v.name)
        if v.community not in comms:
            out.append((("villages", i, "community"),
                        f"unknown community '{v.community}'; known: {', '.join(comms)} "
                        f"/ 未知的社区“{v.community}”，已有：{'、'.join(comms)}"))
    n = sum(v.households for v in villages)
    if villages and n == 0:
        out.append((("villages",), "no households in any village / 所有村庄都没有农户"))
    too_big = footprint.check(sc)
    if too_big:
        out.append((("villages",), too_big))
    for path, lst in _type_refs(sc):
        for j, t in enumerate(lst):
            if t not in types:
                out.append((path + (j,), f"unknown household type '{t}'; known: "
                            f"{', '.join(types)} / 未知的农户类型“{t}”"))
    for path, lst in _village_refs(sc):
        for j, v in enumerate(lst):
            if v not in names:
                out.append((path + (j,), f"unknown village '{v}' / 未知的村庄“{v}”"))
    for i, c in enumerate(sc.communities):
        for j, ph in enumerate(c.phases):
            if ph.units.apartment + ph.units.courtyard == 0:
                out.append((("communities", i, "phases", j, "units"), "a phase must build at "
                            "least one unit / 每期至少建设一套住房"))
    for i, r in enumerate(sc.government.revenues):
        if r.name in ("land_quota", "borrowing") or r.name.startswith(("award_", "instr_")):
            out.append((("government", "revenues", i, "name"), f"'{r.name}' is reserved for a "
                        "built-in revenue line; choose another name"))
        if r.end_month is not None and r.end_month < r.start_month:
            out.append((("government", "revenues", i, "end_month"), "ends before it starts / 结束月份早于开始月份"))
    for i, ins in enumerate(sc.policy.instruments):
        if ins.end_month is not None and ins.end_month < ins.start_month:
            out.append((("policy", "instruments", i, "end_month"), "ends before it starts / 结束月份早于开始月份"))
    out += _model_checks(sc, comms, n)
    first: dict[str, int] = {}
    for i, ins in enumerate(sc.policy.instruments):
        if ins.name in first:
            j = first[ins.name]
            loc = _where(("policy", "instruments", j), where or {}, "")
            place = _place(loc) if loc[0] else "the scenario"
            out.append((("policy", "instruments", i, "name"), f"duplicate instrument "
                        f"'{ins.name}': first defined at {place} (policy.instruments.{j}); two "
                        "instruments may not share a name / 政策工具重名"))
        else:
            first[ins.name] = i
    return out


def _model_checks(sc: Scenario, comms: list[str], n: int) -> list[tuple[tuple, str]]:
    """Checks of the model 2.0 settings that span several keys."""
    from ..model.waiting import MAX_HOUSEHOLDS

    out: list[tuple[tuple, str]] = []
    if n >= MAX_HOUSEHOLDS:
        out.append((("villages",), f"{n:,} households: at most {MAX_HOUSEHOLDS - 1:,} per "
                    "scenario / 户数超过上限"))
    phases = {c.name: len(c.phases) for c in sc.communities}
    for j, ref in enumerate(sc.government.planner_order or []):
        cname, _, num = ref.rpartition("/")
        if cname not in phases or not num.isdigit() or not 1 <= int(num) <= phases[cname]:
            out.append((("government", "planner_order", j), f"'{ref}' is not a phase: write "
                        f"'community/phase number', e.g. '{comms[0]}/1' / 应写作 社区名/期数"))
    seen = set()
    for j, ref in enumerate(sc.government.planner_order or []):
        if ref in seen:
            out.append((("government", "planner_order", j), f"phase '{ref}' listed twice"))
        seen.add(ref)
    dev_phases = [(i, j) for i, c in enumerate(sc.communities) for j, ph in enumerate(c.phases)
                  if ph.financing == "developer"]
    if dev_phases and sc.government.developer.credit_limit_cny <= 0:
        i, j = dev_phases[0]
        out.append((("communities", i, "phases", j, "financing"), "a 'developer' phase needs "
                    "government.developer.credit_limit_cny above 0 / 开发商融资须设信贷额度"))
    return out


def _type_refs(sc: Scenario) -> list[tuple[tuple, list[str]]]:
    refs = [(("strategy", "priority"), sc.strategy.priority)]
    refs += [(("strategy", "outreach", i, "types"), o.types) for i, o in
             enumerate(sc.strategy.outreach)]
    if sc.behaviour.influence.mode == "ties":
        refs.append((("behaviour", "influence", "bellwether_types"),
                     sc.behaviour.influence.bellwether_types))
    refs += [(("policy", "instruments", i, "eligible", "types"), x.eligible.types or [])
             for i, x in enumerate(sc.policy.instruments)]
    refs += [(("policy", "events", i, "eligible", "types"), x.eligible.types or [])
             for i, x in enumerate(sc.policy.events)]
    return refs


def _village_refs(sc: Scenario) -> list[tuple[tuple, list[str]]]:
    refs = [(("policy", "instruments", i, "eligible", "villages"), x.eligible.villages or [])
            for i, x in enumerate(sc.policy.instruments)]
    refs += [(("policy", "events", i, "eligible", "villages"), x.eligible.villages or [])
             for i, x in enumerate(sc.policy.events)]
    refs.append((("strategy", "sequence", "order"), sc.strategy.sequence.order or []))
    return refs


# ----------------------------------------------------------------------------- entry point
def _drop_model3_defaults(data: dict) -> None:
    """Keys added in model 3.0 are left out of the hash while they hold their default (a
    model 2.0 scenario keeps its hash): the plan switched off, awards paid as a total, no
    budget stated."""
    from .schema_plan import Plan

    gov = data.get("government") or {}
    if gov.get("plan") == Plan().model_dump(mode="json"):
        gov.pop("plan")
    if gov.get("budget") == {"total_cny": None, "per_year_cny": None}:
        gov.pop("budget")   # issue 24: no budget stated
    for award in (data.get("policy") or {}).get("awards") or []:
        if award.get("per") == "total":
            award.pop("per")


def scenario_hash(model: Scenario) -> str:
    """SHA-256 of the validated scenario's canonical JSON (first 16 hex digits)."""
    data = model.model_dump(mode="json")
    _drop_model3_defaults(data)
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_scenario(source: str | Path | Mapping[str, Any] | LoadedScenario | None = None,
                  overrides: Iterable[str | tuple[str, Any]] = (),
                  packages: Iterable[str] = (), *, origin: str = "--package") -> LoadedScenario:
    """Load and validate a scenario from a YAML path, a dict, or the built-in Nanpu case.

    ``packages`` (names of built-in packages or YAML files, as ``--package``; ``-name``
    takes a package of the scenario off again) are stacked first, then ``overrides`` (``"key.path=value"`` strings as ``--set``, or ``(path, value)``
    pairs); everything is validated at the end. Raises :class:`ScenarioError` listing every
    problem.  The result's ``inputs`` lists every file read (and those of a loaded source).
    """
    overrides = check_list_arg(overrides, "overrides", (str, tuple, list),
                               "'key.path=value' strings or (key path, value) pairs")
    packages = check_list_arg(packages, "packages", (str,), "package names or .yaml files")
    files: list[Path] = list(source.inputs) if isinstance(source, LoadedScenario) else []
    token = _INPUTS.set(files)
    try:
        loaded = _load_scenario(source, overrides, packages, origin)
    finally:
        _INPUTS.reset(token)
    inputs = tuple(dict.fromkeys([*files, *loaded.inputs]))
    return loaded if loaded.inputs == inputs else dataclasses.replace(loaded, inputs=inputs)


def _load_scenario(source: str | Path | Mapping[str, Any] | LoadedScenario | None,
                   overrides: Iterable[str | tuple[str, Any]],
                   packages: Iterable[str], origin: str = "--package") -> LoadedScenario:
    overrides, packages = list(overrides), list(packages)
    if isinstance(source, LoadedScenario):
        if not overrides and not packages:
            return source
        return load_scenario(source.model.model_dump(mode="python"), overrides, packages,
                             origin=origin)
    if source is None:
        source = builtin_path("nanpu")
    where: dict[tuple, Where]
    if isinstance(source, Mapping):
        data, where, file, base_dir = copy.deepcopy(dict(source)), {}, "<dict>", None
        data.pop("extends", None)
        data = _stack_packages(data, where, data.pop("packages", None), file, None)
    else:
        found = find_scenario_file(source)          # a file, or a built-in name
        if found is None:
            raise ScenarioError([Issue(_short(str(source)), "", _not_found())])
        path = found
        data, where = _read_with_extends(path)
        file, base_dir = str(source), path.parent
    for ref in packages:
        data = _apply_or_note(data, where, ref, Path.cwd(), (_short(f"{origin} {ref}"), None))
    if overrides:
        data = apply_overrides(data, overrides, where)
    model = validate_data(data, where, file, base_dir)
    return LoadedScenario(model, file, scenario_hash(model))

