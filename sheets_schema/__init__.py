"""The data contract as a declarative schema, and the programme configuration."""

from sheets_schema.config import Commune, Config, ConfigError, Deadline, Target, Unit, load_config
from sheets_schema.schema import Column, Rule, Schema, SchemaError, Tab, load_schema

__all__ = [
    "Column", "Commune", "Config", "ConfigError", "Deadline", "Rule", "Schema", "SchemaError",
    "Tab", "Target", "Unit", "load_config", "load_schema",
]
