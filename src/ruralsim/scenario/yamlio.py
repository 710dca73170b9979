"""Strict, safe YAML reading that remembers where every key came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys, reads
``no``/``yes``/``on``/``off`` as booleans, ``010`` as the octal 8 and ``1e3`` as a
*string*.  Scenario files are read here instead with YAML-1.2-style scalars
(only ``true``/``false`` are booleans, ``1e3`` is a float, ``010`` is ten, dates and
``+e5`` stay text), duplicate keys, merge keys (``<<``) and tags other than the plain
scalar ones are errors, and every key path is mapped to its line so that validation
errors can point at it. Files are read by :func:`read_input_bytes` only (regular files
of a bounded size), and nodes are counted while parsing, so no input hangs the reader
or exhausts memory; any text gives a value or a :class:`ScenarioError`, never a crash.

Example:
    >>> doc = read_yaml_text("run:\\n  seed: 7\\n", "s.yaml")
    >>> doc.data["run"]["seed"], doc.lines[("run", "seed")]
    (7, 2)
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ..errors import Issue, ScenarioError

try:  # libyaml parses about ten times faster; the pure-Python parser gives the same events
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

#: Largest scenario file read, in bytes (a scenario is a few kB; villages belong in a CSV).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 40
#: Most YAML nodes read, counted while parsing and again while expanding aliases (guards
#: against huge files and alias "billion laughs"). A village written inline takes about a
#: dozen nodes, so 20,000 inline villages still pass; longer lists belong in a CSV.
MAX_NODES = 250_000
#: Longest integer accepted, in digits (int64 has 19; Python refuses to print > 4300).
MAX_INT_DIGITS = 100
#: Scalar tags a scenario may use, explicitly (``!!str 5``) or implicitly.
_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}": t for t in ("str", "int", "float", "bool", "null")}
_MERGE_TAG = "tag:yaml.org,2002:merge"
#: Characters YAML does not allow in a stream (the reader's own rule; libyaml has the same).
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                            "\U00010000-\U0010ffff]")

Path_ = tuple[Any, ...]


# ----------------------------------------------------------------------------- reading files
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def read_fd_bounded(fd: int, limit: int) -> bytes:
    """Read an open file to its end, but never more than ``limit + 1`` bytes (so a caller sees
    a file that is too large without reading all of it)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_input_bytes(path: str | Path, limit: int, what: str = "input",
                     origin: tuple[str, str, int | None] | None = None) -> bytes:
    """Read a whole input file: the one place where the loader opens a file.

    Only a regular file of at most ``limit`` bytes is read: the kind and size are checked
    with ``stat`` before the file is opened (so a FIFO, ``/dev/zero`` or a folder never
    blocks or fills memory), checked again on the open descriptor (so a file swapped in
    between cannot slip through), and no more than ``limit`` bytes are ever read.
    ``what`` names the kind of file in messages ("scenario", "village CSV"...);
    ``origin`` is ``(file, key path, line)`` of the reference that named this file, if any.
    Raises :class:`ScenarioError`.
    """
    name = str(path)
    file, key, line = origin if origin is not None else (name, "", None)
    about = "" if file == name else f"{name if len(name) <= 300 else name[:297] + '...'}: "

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Issue(file, key, about + message, line)])

    def check(st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
            raise fail(f"is {kind}, not a {what} file; give the path of a regular file / "
                       "不是普通文件")
        if st.st_size > limit:
            raise fail(f"file is {_size(st.st_size)}; {what} files are limited to "
                       f"{_size(limit)} / 文件过大")

    try:
        check(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError) as exc:   # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "invalid file name"
        raise fail(f"cannot read file: {reason} / 无法读取文件") from None
    try:
        check(os.fstat(fd))
        data = read_fd_bounded(fd, limit)
        size = len(data)
    except OSError as exc:
        raise fail(f"cannot read file: {exc.strerror or exc} / 无法读取文件") from None
    finally:
        os.close(fd)
    if size > limit:   # it grew while being read
        raise fail(f"file is larger than {_size(limit)}; {what} files are limited to that / "
                   "文件过大")
    return data


def decode_text(raw: bytes, file: str, what: str = "input") -> str:
    """UTF-8 text of ``raw`` (a BOM is dropped); otherwise an error saying how to fix it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " It looks like GBK/GB18030 (the usual Chinese Windows encoding)."
        except UnicodeDecodeError:
            pass
        raise ScenarioError([Issue(file, "", f"not UTF-8 text (byte {exc.start}).{hint} Save the "
                                   f"{what} file as UTF-8 (in Excel: 'CSV UTF-8'; in an editor: "
                                   "encoding UTF-8) / 文件须为UTF-8编码，请另存为UTF-8", line)]) from None


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


# ----------------------------------------------------------------------------- the YAML loader
class _CountingComposer(Composer):
    """Composer that counts nodes and nesting as it parses, and stops at the budget."""

    file = "<yaml>"
    nodes = 0
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Abort(Issue(self.file, "", _too_many_nodes(),
                               self.peek_event().start_mark.line + 1))
        self.depth += 1
        try:
            # the builder names the key path of moderate over-nesting; this bound only
            # keeps the recursion of the composer itself in check
            if self.depth > 4 * MAX_DEPTH:
                raise _Abort(Issue(self.file, "", f"nested deeper than {MAX_DEPTH} levels",
                                   self.peek_event().start_mark.line + 1))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Resolver(Resolver):
    """YAML 1.2 core-schema scalars: only true/false are booleans, no dates or '=' values."""


_Resolver.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag in (
        "tag:yaml.org,2002:null", _MERGE_TAG)]
    for ch, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F]+|0o[0-7]+)$"),
    list("-+0123456789"))
# a float has a digit before or after its point: "+e5", ".e5", "-e3", "." and "_" stay text
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(node.value).replace("_", "")
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits is too large (at most "
                         f"{MAX_INT_DIGITS})")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # "010" is ten, not eight


def _float(loader: Any, node: yaml.ScalarNode) -> float:
    text = str(node.value).replace("_", "").lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text in (".nan", "+.nan", "-.nan"):
        return float("nan")
    return float(text)   # the resolver only lets numbers through; an explicit !!float may fail


class _Constructor(SafeConstructor):
    pass


_Constructor.add_constructor("tag:yaml.org,2002:int", _int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _float)

if _CParser is not None:
    class _Loader(_CountingComposer, _CParser, _Constructor, _Resolver):
        """libyaml events, composed and counted in Python, with the scenario's scalar rules."""

        def __init__(self, text: str, file: str):
            _CParser.__init__(self, text)
            Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)
            self.file = file
else:  # pragma: no cover
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser,  # type: ignore[no-redef]
                  _CountingComposer, _Constructor, _Resolver):
        def __init__(self, text: str, file: str):
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)
            self.file = file


def _too_many_nodes() -> str:
    return (f"more than {MAX_NODES:,} YAML nodes (aliases expanding, or a very long list?); "
            "put long village lists in a CSV file (villages: {file: villages.csv}) / YAML节点过多")


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
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise _Abort(Issue(self.file, _dotted(path), _too_many_nodes(), line))
        if depth > MAX_DEPTH:
            raise _Abort(Issue(self.file, _dotted(path), f"nested deeper than {MAX_DEPTH} levels",
                               line))
        self.lines.setdefault(path, line)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise _Abort(Issue(self.file, _dotted(path), f"YAML tag '{node.tag}' is not allowed "
                               "(only plain YAML: no !!python or other tags)", line))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if knode.tag == _MERGE_TAG:
                    raise _Abort(Issue(self.file, _dotted(path), "YAML merge keys ('<<') are not "
                                       "supported: write the keys out, or put the shared part in "
                                       "a base file and use 'extends:' / 不支持YAML合并键'<<'",
                                       knode.start_mark.line + 1))
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
        return self.scalar(node, path, line)

    def scalar(self, node: yaml.ScalarNode, path: Path_, line: int) -> Any:
        if node.tag == _MERGE_TAG:  # '<<' as a value is just text
            return str(node.value)
        kind = _SCALAR_TAGS.get(node.tag)
        if kind is None:
            raise _Abort(Issue(self.file, _dotted(path), f"YAML tag '{node.tag}' is not allowed "
                               "(only plain YAML: no !!python, !!binary, !!timestamp or other "
                               "tags)", line))
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError,
                yaml.YAMLError) as exc:
            reason = ("write true or false" if kind == "bool" else
                      str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)
            raise _Abort(Issue(self.file, _dotted(path), f"cannot read {str(node.value)[:40]!r} "
                               f"as {kind}: {reason}", line)) from None


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


class _Abort(Exception):
    def __init__(self, issue: Issue):
        self.issue = issue


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path if p != "<key>")


def read_yaml_text(text: str, file: str) -> YamlDoc:
    """Parse YAML text strictly; raise :class:`ScenarioError` naming ``file`` and line.

    Nodes are counted while parsing, so a huge document is refused after
    :data:`MAX_NODES` nodes rather than after parsing all of it.
    """
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise ScenarioError([Issue(file, "", f"YAML error: character U+{ord(bad.group()):04X} is "
                                   "not allowed in YAML text / 含有不允许的控制字符", line, col)])
    builder: _Builder | None = None
    loader = None
    try:
        loader = _Loader(text, file)
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
        raise ScenarioError([Issue(file, "", f"YAML error: {exc}".replace("\n", " "))]) from None
    except RecursionError:
        raise ScenarioError([Issue(file, "", f"nested deeper than {MAX_DEPTH} levels")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.issues:
        raise ScenarioError(builder.issues)
    return YamlDoc(data, file, builder.lines)


def read_yaml_file(path: str | Path, what: str = "scenario",
                   origin: tuple[str, str, int | None] | None = None) -> YamlDoc:
    """Read a YAML file with kind, size, encoding and syntax checks (see :func:`read_yaml_text`).

    ``origin`` (file, key path, line) names the reference to this file for read errors.
    """
    raw = read_input_bytes(path, MAX_FILE_BYTES, what, origin)
    return read_yaml_text(decode_text(raw, str(path), what), str(path))


def parse_scalar(text: str, where: str) -> Any:
    """Parse one ``--set`` value with the scenario's YAML rules (``1e3`` is a float)."""
    doc = read_yaml_text(text if text.strip() else "''", where)
    return doc.data
