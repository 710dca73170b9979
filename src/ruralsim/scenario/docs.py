"""The parameter reference, generated from the schema's declarations.

Every parameter is declared once in :mod:`ruralsim.scenario.schema` with its default, unit,
source and meaning; this module walks those declarations and prints them as a Markdown
table, which ``scenarios/README.md`` embeds (a test keeps the two identical).

    python -m ruralsim.scenario.docs            # print the table
    python -m ruralsim.scenario.docs --write    # refresh scenarios/README.md

Example:
    >>> "| behaviour.b_social |" in parameter_table()
    True
"""
from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .schema import IntKinds, Kinds, LogNormal, Normal01, Scenario, Triangular, Uniform

#: Small value models documented as one row (their defaults belong to the field using them).
VALUE_MODELS = (LogNormal, Uniform, Normal01, Kinds, IntKinds, Triangular)

BEGIN, END = "<!-- BEGIN PARAMETERS -->\n", "<!-- END PARAMETERS -->"


def _models_in(ann: Any) -> tuple[type[BaseModel] | None, str]:
    """The pydantic model inside an annotation and how it is nested ('', '[i]' or '.<name>')."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, ""
    if origin is list and args:
        m, suffix = _models_in(args[0])
        return m, ("[i]" + suffix) if m else ""
    if origin is dict and len(args) == 2:
        m, suffix = _models_in(args[1])
        return m, (".<name>" + suffix) if m else ""
    for a in args:   # unions such as X | None or list[X] | Y: the first model found
        m, suffix = _models_in(a)
        if m is not None:
            return m, suffix
    return None, ""


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
    else:
        value = field.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, dict) and value:
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value >= 1e5:
        return f"{value:,.0f}"
    return str(value).replace("|", "/") if value not in (None, [], {}) else (
        "none" if value is None else str(value))


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = field.json_schema_extra or {}
        sub, suffix = _models_in(field.annotation)
        if sub is not None and issubclass(sub, VALUE_MODELS):
            keys = ", ".join(sub.model_fields)
            rows.append((path + suffix, _default(field), str(extra.get("unit", "-")),
                         str(extra.get("source", "-")),
                         f"{field.description or ''} (keys: {keys})"))
            continue
        if sub is not None and sub is not model:
            if field.description and suffix:
                rows.append((path + suffix.split(".")[0] if suffix.startswith("[") else path,
                             _default(field) if not field.is_required() else "required", "-",
                             "-", field.description))
            rows += _rows(sub, path + suffix + ".")
            continue
        rows.append((path, _default(field), str(extra.get("unit", "-")),
                     str(extra.get("source", "-")), field.description or ""))
    return rows


def parameter_table() -> str:
    """Markdown table of every scenario key: path, default, unit, source, meaning."""
    lines = ["| key | default | unit | source | meaning |", "|---|---|---|---|---|"]
    for path, default, unit, source, doc in _rows(Scenario, ""):
        cells = [c.replace("|", "/").replace("\n", " ") for c in (path, default, unit, source, doc)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def refresh_readme(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(text[:start] + parameter_table() + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--write":
        readme = Path(__file__).resolve().parent.parent / "scenarios" / "README.md"
        refresh_readme(readme)
        print(f"updated {readme}")
    else:
        sys.stdout.write(parameter_table())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
