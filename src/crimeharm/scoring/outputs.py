"""A result in the caller's library: pandas, Arrow or polars, with its provenance.

The functions that take ``output=`` (:func:`crimeharm.score`,
:func:`crimeharm.harm_index`, :func:`crimeharm.aggregate`,
:func:`crimeharm.series`) build their result as a pandas DataFrame or, for
:func:`crimeharm.score` of Arrow input, as a pyarrow Table, and hand it to
:func:`deliver`, the one place a result changes library. Its provenance goes
with it (see :mod:`crimeharm.scoring.provenance`). polars is imported only for
``output="polars"``.
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd
import pyarrow as pa

from crimeharm.errors import OptionalDependencyError, OptionError
from crimeharm.scoring.options import OutputKind
from crimeharm.scoring.provenance import META_KEY, record_of, remember, with_record

__all__ = ["OUTPUT_PARAMETERS", "check_output_kind", "deliver"]

#: The documentation of ``output``, put into the docstrings of the functions that take it.
OUTPUT_PARAMETERS = """\
output : {'pandas', 'arrow', 'polars'}
        The library of the result: a pandas DataFrame (the default), a
        pyarrow Table or a polars DataFrame (polars must be installed). The
        columns and values are the same; the provenance is in ``attrs``, in
        the Arrow schema's metadata, or (polars) kept for the frame returned:
        read it with :func:`crimeharm.provenance`."""


def check_output_kind(output: object) -> None:
    """Refuse an ``output`` that is not one of :data:`~crimeharm.scoring.options.OutputKind`.

    Raises
    ------
    OptionError
        Naming the value and the choices.
    """
    OptionError.check_choice("output", output, OutputKind)


def _polars() -> Any:
    try:
        return importlib.import_module("polars")
    except ImportError:
        raise OptionalDependencyError(
            "output='polars' needs polars: pip install polars", values=["polars"]
        ) from None


def deliver(result: pd.DataFrame | pa.Table, output: OutputKind) -> Any:
    """``result`` (a pandas DataFrame or a pyarrow Table) in the library ``output`` names.

    A pandas result keeps its index out of the Arrow table (the results have a
    plain range index); categoricals become Arrow dictionaries, and polars
    categoricals.
    """
    found = record_of(result)
    record = None if found is None else found[0]
    if output == "pandas":
        if isinstance(result, pd.DataFrame):
            return result
        frame = result.to_pandas()
        if record is not None:
            frame.attrs[META_KEY] = record
        return frame
    table = (
        pa.Table.from_pandas(result, preserve_index=False)
        if isinstance(result, pd.DataFrame)
        else result
    )
    if record is not None:
        table = with_record(table, record)
    if output == "arrow":
        return table
    frame = _polars().from_arrow(table)
    return frame if record is None else remember(frame, record)
