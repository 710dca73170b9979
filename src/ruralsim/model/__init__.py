"""Processes of the month, one module each (model 3.0)."""
