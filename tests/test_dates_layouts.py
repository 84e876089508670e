"""The fixed date layouts read from their bytes agree with the full written-form patterns.

``2023-04-01``, ``01/04/2023 10:20`` and the like are read byte by byte (no regex);
every other value takes the full patterns. With that shortcut switched off, the same
values (valid, invalid, near misses, non-ASCII, blank) must give the same day numbers,
for a long column (read row by row) and for its distinct values.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from crimeharm.scoring import dates

BASE = [
    "2023-04-01",
    "2023-04-01T10:20",
    "2023-04-01 10:20:30",
    "01/04/2023",
    "01/04/2023 10:20",
    "01.04.2023 23:59:59",
    "31-12-1999 00:00",
    "31/02/2023",
    "29/02/2024",
    "29/02/2023 12:00",
    "2023-13-01",
    "2023-04-31",
    "01/04-2023",
    "00/00/0000 24:00",
    "1/4/2023",
    "2023-04-01T10:20:30Z",
]
NOISE = list("0123456789" * 3) + list("/-.: T") + ["é", "x", "Z", "+"]


def _values(seed: int, n: int = 12_000) -> list[str | None]:
    rng = np.random.default_rng(seed)
    out: list[str | None] = []
    for _ in range(n):
        chars = list(BASE[rng.integers(len(BASE))])
        for _ in range(rng.integers(0, 3)):
            chars[rng.integers(len(chars))] = NOISE[rng.integers(len(NOISE))]
        out.append("".join(chars))
    return [*out, None, "", "   ", " 2023-04-01 "]


def _no_layouts(text: pa.Array, pattern: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty.astype(np.int8), np.zeros(len(text), dtype=bool)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("forms", [("iso", "uk"), ("uk", "iso"), ("uk",), ("iso", "uk", "excel")])
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_layouts_read_from_bytes_as_the_patterns_read_them(
    seed: int, forms: tuple[str, ...], kind: pa.DataType, monkeypatch: pytest.MonkeyPatch
) -> None:
    arr = pa.array(_values(seed), type=kind).slice(3)  # an offset into the buffers
    assert len(arr) > dates._ENCODE_ABOVE  # the column path, row by row
    fast_rows = dates.DateReader(forms).read(arr)
    fast_distinct, fast_kind = dates.parse_text(arr, forms)
    with monkeypatch.context() as m:
        m.setattr(dates, "_fixed_width", _no_layouts)
        slow_rows = dates.DateReader(forms).read(arr)
        slow_distinct, slow_kind = dates.parse_text(arr, forms)
    np.testing.assert_array_equal(fast_rows, slow_rows)
    np.testing.assert_array_equal(fast_distinct, slow_distinct)
    np.testing.assert_array_equal(fast_kind, slow_kind)
    assert (slow_rows > dates.DAY_BAD).sum() > len(arr) // 10  # many values are dates


def test_layouts_give_the_dates_written() -> None:
    arr = pa.array(["2023-04-01", "01/04/2023 23:59", "2024-02-29T00:00:00", "29.02.2023"] * 2000)
    days = dates.DateReader().read(arr)
    expected = np.array(["2023-04-01", "2023-04-01", "2024-02-29"], dtype="datetime64[D]").astype(
        np.int64
    )
    np.testing.assert_array_equal(days[:3], expected)
    assert days[3] == dates.DAY_BAD
