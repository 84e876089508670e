"""The engines that add scored records into sums by cell: compiled (Cython) or numpy.

Both are behind one interface, :class:`crimeharm._engine.base.Engine`; the
scoring layer asks :func:`new_engine` for one per call and talks to nothing
else. The choice, the ``engine`` option of :func:`crimeharm.harm_index` and
:func:`crimeharm.aggregate`:

============  ================================================================
``auto``      compiled when the extension is importable, else numpy; the
              environment variable ``CRIMEHARM_ENGINE`` (``numpy``,
              ``compiled`` or ``auto``) sets what ``auto`` means
``compiled``  the Cython loops (:mod:`.compiled`); an error when they are not
              built
``numpy``     :func:`numpy.bincount` (:mod:`.numpy_engine`): the same sums,
              bit for bit (exact integers)
============  ================================================================
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Literal

from crimeharm._engine.base import Engine, Split
from crimeharm._engine.compiled import CompiledEngine, load
from crimeharm._engine.numpy_engine import NumpyEngine
from crimeharm.errors import OptionError
from crimeharm.scoring.periods import Period

__all__ = ["ENGINE_VARIABLE", "EngineName", "new_engine"]

#: The ``engine`` option's values.
EngineName = Literal["auto", "compiled", "numpy"]
#: The environment variable that sets what ``engine="auto"`` means.
ENGINE_VARIABLE = "CRIMEHARM_ENGINE"
_ENGINES: dict[str, type[Engine]] = {"compiled": CompiledEngine, "numpy": NumpyEngine}


def _checked(name: str, what: str) -> str:
    OptionError.check_choice(what, name, EngineName)
    return name


def _default() -> str:
    """What ``auto`` means: ``CRIMEHARM_ENGINE``, else ``auto``.

    ``CRIMEHARM_COMPILED=0`` (deprecated) means ``numpy`` when
    ``CRIMEHARM_ENGINE`` is not set.
    """
    name = os.environ.get(ENGINE_VARIABLE)
    if name is not None:
        return _checked(name.strip().lower() or "auto", f"environment variable {ENGINE_VARIABLE}")
    if os.environ.get("CRIMEHARM_COMPILED") == "0":
        warnings.warn(
            f"CRIMEHARM_COMPILED=0 is deprecated: set {ENGINE_VARIABLE}=numpy instead",
            DeprecationWarning,
            stacklevel=4,
        )
        return "numpy"
    return "auto"


def new_engine(
    engine: str,
    by: Sequence[str],
    period: Period | None,
    *,
    excluded_cells: bool = True,
    split: Split | None = None,
) -> Engine:
    """The engine ``engine`` names (see the module docstring), with empty sums.

    ``split``: keep the included records' sums apart by one more column
    (:class:`crimeharm._engine.base.Split`).

    Raises
    ------
    OptionError
        On an unknown name, or ``compiled`` where the extension is not built.
    """
    name = _checked(engine, "engine")
    if name == "auto":
        name = _default()
    if name == "auto":
        name = "compiled" if load() is not None else "numpy"
    return _ENGINES[name](by, period, excluded_cells=excluded_cells, split=split)
