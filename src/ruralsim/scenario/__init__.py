"""Scenario layer: schema, strict YAML loading, overrides."""
from .load import LoadedScenario, apply_overrides, builtin_path, load_scenario, parse_override
from .schema import Scenario

__all__ = ["LoadedScenario", "Scenario", "apply_overrides", "builtin_path", "load_scenario",
           "parse_override"]
