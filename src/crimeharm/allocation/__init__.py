"""Funding allocation from harm: the formula, its sensitivity, the areas table, exact money."""

from __future__ import annotations

from crimeharm.allocation.formula import allocate, allocation_sensitivity
from crimeharm.allocation.window import area_harm

__all__ = ["allocate", "allocation_sensitivity", "area_harm"]
