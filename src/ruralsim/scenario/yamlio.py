"""Strict, safe YAML reading that remembers where every key came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys, reads
``no``/``yes``/``on``/``off`` as booleans, ``010`` as the octal 8 and ``1e3`` as a
*string*.  Scenario files are read here instead with YAML-1.2-style scalars
(only ``true``/``false`` are booleans, ``1e3`` is a float, ``010`` is ten),
duplicate keys are errors, and every key path is mapped to its line so that
validation errors can point at it.

Example:
    >>> doc = read_yaml_text("run:\\n  seed: 7\\n", "s.yaml")
    >>> doc.data["run"]["seed"], doc.lines[("run", "seed")]
    (7, 2)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Issue, ScenarioError

#: Largest scenario file read, in bytes (a scenario is a few kB; villages belong in a CSV).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 40
#: Most YAML nodes built (guards against alias expansion "billion laughs").
MAX_NODES = 2_000_000

Path_ = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema booleans, integers and floats."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F]+|0o[0-7]+)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value).replace("_", "")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # "010" is ten, not eight


def _float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(node.value).replace("_", "").lower()
    if text in ("", ".", "-", "+", "-.", "+."):
        return str(node.value)  # type: ignore[return-value]  # not a number after all
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text.endswith("nan"):
        return float("nan")
    return float(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)


@dataclass
class YamlDoc:
    """Plain data read from YAML plus the line of each key path (1-based)."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get(())


class _Builder:
    def __init__(self, loader: _Loader, file: str):
        self.loader = loader
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.issues: list[Issue] = []
        self.count = 0

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Abort(Issue(self.file, _dotted(path), f"more than {MAX_NODES:,} YAML nodes "
                               "(aliases expanding?)", node.start_mark.line + 1))
        if depth > MAX_DEPTH:
            raise _Abort(Issue(self.file, _dotted(path), f"nested deeper than {MAX_DEPTH} levels",
                               node.start_mark.line + 1))
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise _Abort(Issue(self.file, _dotted(path), f"YAML tag '{node.tag}' is not allowed "
                               "(only plain YAML: no !!python or other tags)",
                               node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                key = self.build(knode, path + ("<key>",), depth + 1)
                if isinstance(key, (dict, list)) or key is None:
                    self.issues.append(Issue(self.file, _dotted(path), "mapping keys must be plain "
                                             "text or numbers", knode.start_mark.line + 1))
                    continue
                if key in out:
                    self.issues.append(Issue(
                        self.file, _dotted(path + (key,)),
                        f"duplicate key '{key}' (first at line {self.lines[path + (key,)]}) / 重复的键",
                        knode.start_mark.line + 1))
                    continue
                self.lines[path + (key,)] = knode.start_mark.line + 1
                out[key] = self.build(vnode, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


class _Abort(Exception):
    def __init__(self, issue: Issue):
        self.issue = issue


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path if p != "<key>")


def read_yaml_text(text: str, file: str) -> YamlDoc:
    """Parse YAML text strictly; raise :class:`ScenarioError` naming ``file`` and line."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:   # e.g. control characters, caught by the reader itself
        raise ScenarioError([Issue(file, "", f"YAML error: {exc}".replace("\n", " "))]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc({}, file, {(): 1})
        builder = _Builder(loader, file)
        data = builder.build(node, (), 0)
    except _Abort as abort:
        raise ScenarioError([abort.issue]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        if "could not determine a constructor" in msg:
            msg += " (only plain YAML is allowed: no !!python or other tags)"
        raise ScenarioError([Issue(file, "", f"YAML syntax: {msg}", line, col)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Issue(file, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Issue(file, "", f"nested deeper than {MAX_DEPTH} levels")]) from None
    finally:
        loader.dispose()
    if builder.issues:
        raise ScenarioError(builder.issues)
    return YamlDoc(data, file, builder.lines)


def read_yaml_file(path: str | Path) -> YamlDoc:
    """Read a YAML file with size, encoding and syntax checks (see :func:`read_yaml_text`)."""
    p = Path(path)
    file = str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ScenarioError([Issue(file, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if p.is_dir():
        raise ScenarioError([Issue(file, "", "is a directory, not a scenario file")])
    if size > MAX_FILE_BYTES:
        raise ScenarioError([Issue(file, "", f"file is {size / 1e6:.1f} MB; scenario files are "
                                   f"limited to {MAX_FILE_BYTES / 1e6:.0f} MB (put villages in a CSV)")])
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Issue(file, "", f"not UTF-8 text (byte {exc.start}) / 文件须为UTF-8编码",
                                   line)]) from None
    return read_yaml_text(text, file)


def parse_scalar(text: str, where: str) -> Any:
    """Parse one ``--set`` value with the scenario's YAML rules (``1e3`` is a float)."""
    doc = read_yaml_text(text if text.strip() else "''", where)
    return doc.data
