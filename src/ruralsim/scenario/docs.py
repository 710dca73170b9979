"""The parameter reference, generated from the schema's declarations.

Every parameter is declared once in :mod:`ruralsim.scenario.schema` with ``P(default, unit,
source, doc)``; this module walks those declarations, starting from
:class:`~ruralsim.scenario.schema.Scenario` and recursing into nested models, lists of models
(``[i]``) and dicts of models (``<name>``), and prints them as one Markdown table.
``scenarios/README.md`` embeds the table between two markers, and a test keeps the copy
identical to the output.

    python -m ruralsim.scenario.docs            # print the table
    python -m ruralsim.scenario.docs --write    # refresh scenarios/README.md in place

Example:
    >>> table = parameter_table()
    >>> row = next(r for r in table.splitlines() if r.startswith("| behaviour.b_social_moved |"))
    >>> row.split(" | ")[1:3]
    ['2.0', 'log hazard per unit share']
    >>> "| communities[i].phases[i].public_cost_cny |" in table
    True
"""
from __future__ import annotations

import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .schema import IntKinds, Kinds, LogNormal, Normal01, Scenario, Triangular, Uniform

#: Small value models (a distribution, a value per unit kind). Their keys take the unit and
#: source of the field that uses them when their own declaration only says "as the quantity".
VALUE_MODELS: tuple[type[BaseModel], ...] = (LogNormal, Uniform, Normal01, Kinds, IntKinds,
                                             Triangular)
#: Units of value-model keys that stand for "the unit of the field using the model".
_INHERITED_UNITS = ("as the quantity", "per kind")

#: Markers around the generated table in scenarios/README.md.
BEGIN, END = "<!-- BEGIN PARAMETERS -->\n", "<!-- END PARAMETERS -->"
README = Path(__file__).resolve().parent.parent / "scenarios" / "README.md"

_REQUIRED = object()


@dataclass(frozen=True)
class Row:
    """One line of the reference: a key path and what its declaration says."""

    path: str
    default: str
    unit: str
    source: str
    meaning: str


def _models_in(ann: Any) -> list[tuple[type[BaseModel], str]]:
    """Every pydantic model inside an annotation, with how it is reached from the field.

    The suffix is ``""`` for the model itself, ``"[i]"`` for a list item and ``".<name>"`` for a
    dict value; a union such as ``list[Village] | VillageFile`` gives both alternatives.
    """
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [(ann, "")]
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is list and args:
        return [(m, "[i]" + s) for m, s in _models_in(args[0])]
    if origin is dict and len(args) == 2:
        return [(m, ".<name>" + s) for m, s in _models_in(args[1])]
    return [found for a in args for found in _models_in(a)]   # unions, Optional


def _default_value(field: FieldInfo) -> Any:
    """The field's default as plain data, or ``_REQUIRED``."""
    if field.is_required():
        return _REQUIRED
    value = field.default_factory() if field.default_factory is not None else field.default
    return _REQUIRED if value is PydanticUndefined else value


def format_value(value: Any) -> str:
    """A default written as it would be in a scenario file (YAML flow style).

    >>> [format_value(v) for v in (None, True, "", 1.1, ["road", "water"], {"low": 2})]
    ['none', 'true', '""', '1.1', '[road, water]', '{low: 2}']
    """
    if value is _REQUIRED:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _partial_note(sub: type[BaseModel], given: Any) -> str:
    """Warn where a section's default differs from the defaults of its own keys.

    ``savings_cny`` defaults to ``{median: 40000, sigma: 0.6}``, but a file that writes
    ``savings_cny: {sigma: 0.3}`` gets ``median`` 0.0 (LogNormal's own default).
    """
    if not isinstance(given, dict):
        return ""
    own = {k: _default_value(f) for k, f in sub.model_fields.items()}
    differ = [f"{k}: {format_value(own[k])}" for k in given
              if k in own and own[k] is not _REQUIRED and own[k] != given[k]]
    if not differ:
        return ""
    return (" Keys left out of a section you write take " + ", ".join(differ)
            + " (their own defaults), not the values shown here.")


def _rows(model: type[BaseModel], prefix: str, given: dict | None = None,
          inherit: tuple[str, str] | None = None) -> list[Row]:
    """Rows of ``model``'s fields under ``prefix``.

    ``given`` is the default of the enclosing field (a dict), which overrides the model's own
    defaults when the section is left out; ``inherit`` is the enclosing value field's
    (unit, source), used by the keys of value models.
    """
    rows: list[Row] = []
    for name, field in model.model_fields.items():
        path = prefix + name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit, source = str(extra.get("unit", "-")), str(extra.get("source", "-"))
        if inherit is not None:
            unit = inherit[0] if unit in _INHERITED_UNITS else unit
            source = inherit[1] if inherit[1] != "-" else source
        default = _default_value(field)
        if given is not None and name in given:
            default = given[name]
        meaning = field.description or ""
        subs = _models_in(field.annotation)
        if not subs:
            rows.append(Row(path, format_value(default), unit, source, meaning))
            continue
        note = "".join(_partial_note(sub, default) for sub, suffix in subs if suffix == "")
        rows.append(Row(path, format_value(default), unit, source, meaning + note))
        for sub, suffix in subs:
            inner = default if suffix == "" and isinstance(default, dict) else None
            rows += _rows(sub, path + suffix + ".", inner,
                          (unit, source) if issubclass(sub, VALUE_MODELS) else None)
    return rows


def parameter_rows() -> list[Row]:
    """Every key of a scenario, in declaration order, as :class:`Row` records."""
    return _rows(Scenario, "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parameter_table() -> str:
    """Markdown table of every scenario key: key path, default, unit, source, meaning.

    Sections (``run``, ``communities``, ``household_types``, ...) have a row of their own,
    followed by their keys; ``[i]`` stands for a list index, ``<name>`` for a dict key.
    """
    lines = ["| key | default | unit | source | meaning |", "|---|---|---|---|---|"]
    for r in parameter_rows():
        lines.append("| " + " | ".join(_cell(c) for c in (r.path, r.default, r.unit, r.source,
                                                          r.meaning)) + " |")
    return "\n".join(lines) + "\n"


def refresh_readme(path: Path = README) -> bool:
    """Replace the table between the markers of ``path``; returns whether it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:start] + parameter_table() + text[end:]
    if new != text:
        from ..outputs import write_text_atomic

        write_text_atomic(path, new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    """Print the table, or with ``--write`` refresh the copy in ``scenarios/README.md``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--write":
        changed = refresh_readme(README)
        print(f"{'updated' if changed else 'already current:'} {README}")
    elif argv:
        print("usage: python -m ruralsim.scenario.docs [--write]", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(parameter_table())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
