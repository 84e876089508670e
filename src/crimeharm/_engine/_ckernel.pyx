# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Loops of the compiled engine (:mod:`crimeharm._engine.compiled`), built at install.

The sums are one int64 array per status (a *slab*) of shape (groups,
slots, 3): ``slab[g, s, 0]`` is crimes, ``slab[g, s, 1]`` and ``[2]`` harm in
units of ``1 / SCALE`` day, split into two limbs (the low 32 bits of each
record's units, and the rest: see ``crimeharm._engine.base``), so a cell's
sums are exact integers whatever the order of the additions; slot
``UNDATED_SLOT`` (0) of a group's ``n_s`` slots holds its undated records,
the periods the slots after it. The loops take the slabs' addresses (``ptrs``,
one per status row; ``row_of[status]`` is the row, -1 for a status without
a slab). They run without the GIL. The marker values and the rule of
precedence are those of ``_markers.pxd``.

How long the raw pointers stay valid:

- A pointer taken here from a typed memoryview argument (``&code[0]``) is
  valid for the call: the memoryview holds the buffer until the call
  returns. The arrays behind them are numpy arrays; those that view Arrow
  memory without a copy (dictionary indices, ``date32`` and ``timestamp``
  values: ``crimeharm.scoring.columns.values_view``) hold a reference to the
  Arrow buffer, so the memory outlives the batch it came from.
- The slab addresses in ``ptrs`` are plain integers: nothing here holds the
  slabs. They are valid while the engine holds those slabs: until its next
  ``_ensure`` allocates larger ones (more groups or periods; the old slab is
  copied, then freed) or ``result()`` drops them. The engine rebuilds
  ``ptrs`` whenever the slabs change, and makes room and runs a loop in the
  same thread, one batch at a time, so no loop sees a stale address.
- ``occupied`` takes the addresses of slabs its caller holds until it returns.
"""

from libc.math cimport rint
from libc.stdint cimport int32_t, int64_t, intptr_t, uint8_t, uint16_t, uint64_t, uintptr_t

from crimeharm._engine._markers cimport (
    DAY_BAD, DAY_MISSING, INCLUDED, UNDATED, UNDATED_SLOT, is_day, mark as _mark, precedes,
)

ctypedef fused day_t:
    int32_t
    int64_t

#: The marker values compiled in, for the tests to compare with Python's.
MARKERS = {"DAY_MISSING": DAY_MISSING, "DAY_BAD": DAY_BAD, "UNDATED": UNDATED,
           "UNDATED_SLOT": UNDATED_SLOT, "INCLUDED": INCLUDED}


def mark(uint8_t[::1] status, uint8_t code):
    """Give reason ``code`` to every record unless it has one that precedes it.

    The compiled rule of precedence, as :func:`crimeharm.reasons.mark` with
    every record selected; for the tests to compare.
    """
    cdef Py_ssize_t i
    for i in range(status.shape[0]):
        status[i] = _mark(status[i], code)


# ------------------------------------------------------------------ helpers
cdef enum:
    WIDTH = 3  # values per cell: crimes, harm's low limb, harm's high limb

cdef double SCALE = 1e9  # harm units per day (crimeharm._engine.base.SCALE)
cdef int64_t LOW = 0xFFFFFFFF


cdef inline int64_t _cell(int64_t g, int64_t slot, int64_t n_s) noexcept nogil:
    """Where a cell's crimes are in a slab (its harm's two limbs follow)."""
    return (g * n_s + slot) * WIDTH


cdef inline int64_t* _slab(const int64_t* ptrs, const int64_t* row_of, uint8_t st) noexcept nogil:
    """The slab of status ``st`` (which must have one)."""
    return <int64_t*><intptr_t>ptrs[row_of[st]]


cdef inline int64_t _units(double h) noexcept nogil:
    """A record's harm in units of 1 / SCALE day, to the nearest (NaN: an unknown offence, 0)."""
    return <int64_t>rint(h * SCALE) if h == h else 0


cdef inline void _add_units(int64_t* at, int64_t u) noexcept nogil:
    """Add harm units at ``at``: the low 32 bits to the first limb, the rest to the second."""
    at[0] += u & LOW
    at[1] += u >> 32


def units(double h):
    """The compiled rounding of days to units (for the tests to compare with Python's)."""
    return _units(h)


cdef inline Py_ssize_t _entry(int64_t c, Py_ssize_t n) noexcept nogil:
    """Index ``c`` into a table of ``n`` entries, -1 (a null) taking the last."""
    return n - 1 if c < 0 else c


cdef inline int64_t _floor_div(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a / b
    if (a % b) != 0 and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef inline int64_t _day(int64_t d, int64_t div) noexcept nogil:
    """The day number of a value with ``div`` units per day (floored)."""
    return d if div == 1 else _floor_div(d, div)


ctypedef struct DayTable:
    int64_t div            # units per day of the day values (1: day numbers)
    int64_t lo             # the first day of the table
    Py_ssize_t n           # days in the table
    const int32_t* slot    # each day's period slot
    const uint8_t* status  # each day's window status (INCLUDED or outside_window)
    int64_t undated        # the slot of records without a usable date
    uint8_t missing        # the status of a missing date
    uint8_t bad            # the status of a date that could not be read


cdef inline bint _place(const DayTable* t, int64_t d, int64_t* slot, uint8_t* st) noexcept nogil:
    """A record's slot and date status from its day value; False when outside the table."""
    cdef int64_t k
    if not is_day(d):
        slot[0] = t.undated
        st[0] = t.missing if d == DAY_MISSING else t.bad
        return True
    k = _day(d, t.div) - t.lo
    if k < 0 or k >= t.n:
        return False
    slot[0] = t.slot[k]
    st[0] = t.status[k]
    return True


cdef inline uint8_t _flagged(const uint8_t* on, Py_ssize_t i, uint8_t code, uint8_t st) noexcept nogil:
    """Status ``st`` once a flag's reason ``code`` applies to record ``i`` (``on`` NULL: no flag)."""
    if on != NULL and on[i] != 0 and precedes(code, st):
        return code
    return st


cdef inline bint _has_records(const int64_t** A, Py_ssize_t n_rows, int64_t cell,
                              bint has_included) noexcept nogil:
    """Whether any slab has crimes at ``cell``, or the included records (slab 0) harm."""
    cdef Py_ssize_t k
    if has_included and (A[0][cell + 1] != 0 or A[0][cell + 2] != 0):
        return True
    for k in range(n_rows):
        if A[k][cell] != 0:
            return True
    return False


# -------------------------------------------------------------------- loops
def accumulate(const int64_t[::1] ptrs, int64_t n_s, const int64_t[::1] row_of,
               const int64_t[::1] gid, const int64_t[::1] slot, const uint8_t[::1] status,
               const double[::1] harm, const double[::1] crimes):
    """Add scored rows to their cells: group id, slot, status, harm and crimes.

    ``crimes`` (whole numbers) empty means one crime per row.
    """
    cdef Py_ssize_t i, n = gid.shape[0]
    cdef bint counted = crimes.shape[0] > 0
    cdef int64_t cell
    cdef int64_t* A
    if n == 0:
        return
    cdef const int64_t* PT = &ptrs[0]
    cdef const int64_t* RO = &row_of[0]
    cdef const int64_t* G = &gid[0]
    cdef const int64_t* P = &slot[0]
    cdef const uint8_t* ST = &status[0]
    cdef const double* HM = &harm[0]
    cdef const double* CR = &crimes[0] if counted else NULL
    with nogil:
        for i in range(n):
            cell = _cell(G[i], P[i], n_s)
            A = _slab(PT, RO, ST[i])
            A[cell] += <int64_t>CR[i] if counted else 1
            _add_units(&A[cell + 1], _units(HM[i]))


def day_range(const day_t[::1] day, int64_t div):
    """(lowest, highest, count) of the dates' day numbers (``day // div``); markers skipped."""
    cdef Py_ssize_t i, n = day.shape[0]
    cdef int64_t d, lo = 0, hi = -1, k = 0
    with nogil:
        for i in range(n):
            if not is_day(day[i]):
                continue
            d = _day(day[i], div)
            if k == 0 or d < lo:
                lo = d
            if k == 0 or d > hi:
                hi = d
            k += 1
    return lo, hi, k


def day_presence(const day_t[::1] day, int64_t div, int64_t lo, uint8_t[::1] seen):
    """Set ``seen[d - lo]`` to 1 for each date's day number ``d`` (``day // div``); markers skipped.

    Days outside ``lo .. lo + len(seen) - 1`` are left out.
    """
    cdef Py_ssize_t i, n = day.shape[0], m = seen.shape[0]
    cdef int64_t k
    with nogil:
        for i in range(n):
            if not is_day(day[i]):
                continue
            k = _day(day[i], div) - lo
            if 0 <= k < m:
                seen[k] = 1


cdef enum:
    BLOCK = 2048


def add_fused(const int64_t[::1] ptrs, int64_t n_s, const int64_t[::1] row_of,
              int64_t[::1] rows, int64_t[::1] hits, int64_t[::1] spill, int64_t[::1] sums,
              const int32_t[::1] code, const uint8_t[::1] u_status, const int64_t[::1] u_units,
              const int32_t[::1] gidx, const int64_t[::1] gmap,
              const day_t[::1] day, int64_t div, int64_t day_lo,
              const int32_t[::1] day_slot, const uint8_t[::1] day_status,
              uint8_t missing_date, uint8_t bad_date,
              const uint8_t[::1] flag1, uint8_t code1, const uint8_t[::1] flag2, uint8_t code2,
              const int32_t[::1] sidx, const uint8_t[::1] smap):
    """Score and add one batch of records in a single pass.

    Per row: the offence's status and harm (units) come from its code's entry
    (``code`` -1, a null, takes the last entry); the date's reason
    (``missing_date``, ``bad_date`` or the day's ``day_status``), then each
    flag's reason, applies by the rule of precedence; the date's slot comes
    from a table of days starting at ``day_lo`` (undated: ``UNDATED_SLOT``;
    no dates when ``day`` is empty: slot 0); the group from ``gmap[gidx]`` (-1
    takes the last entry; no groups when ``gidx`` is empty: group 0). An
    included row takes the status ``smap[sidx]`` of its split value (-1 takes
    the last entry; none when ``sidx`` is empty). ``rows``
    counts rows per status and ``hits`` rows per code entry. A row whose
    status has no slab (``row_of`` -1) is added to that status's crimes and
    harm in ``spill`` (three per status, as a cell) instead; the others are also added to
    their status's totals in ``sums`` (three per status, as a cell). Returns the number of rows
    skipped because their day fell outside the table (none when the caller
    built the table from the batch).

    The rows are taken in blocks: first each row's cell and harm (sequential
    reads, small tables), then the additions, whose random accesses into the
    sums overlap in a tight loop.
    """
    cdef Py_ssize_t n = code.shape[0], n_code = u_status.shape[0], n_gmap = gmap.shape[0]
    cdef Py_ssize_t n_smap = smap.shape[0]
    cdef Py_ssize_t i, j, m, b
    cdef bint has_day = day.shape[0] > 0, has_g = gidx.shape[0] > 0
    cdef bint has_s = sidx.shape[0] > 0 and n_smap > 0
    cdef int64_t c, g, slot, skipped = 0
    cdef uint8_t st, dst
    cdef int64_t h
    cdef int64_t cells[BLOCK]
    cdef int64_t* slab[BLOCK]
    cdef int64_t harms[BLOCK]
    cdef DayTable days
    if n == 0:
        return 0
    days.div, days.lo, days.n = div, day_lo, day_slot.shape[0]
    days.slot = &day_slot[0] if days.n > 0 else NULL
    days.status = &day_status[0] if days.n > 0 else NULL
    days.undated, days.missing, days.bad = UNDATED_SLOT, missing_date, bad_date
    cdef const int64_t* PT = &ptrs[0]
    cdef const int64_t* RO = &row_of[0]
    cdef int64_t* R = &rows[0]
    cdef int64_t* H = &hits[0]
    cdef int64_t* SP = &spill[0]
    cdef int64_t* SS = &sums[0]
    cdef const int32_t* C = &code[0]
    cdef const uint8_t* US = &u_status[0]
    cdef const int64_t* UH = &u_units[0]
    cdef const int32_t* GI = &gidx[0] if has_g else NULL
    cdef const int64_t* GM = &gmap[0] if has_g else NULL
    cdef const day_t* D = &day[0] if has_day else NULL
    cdef const uint8_t* F1 = &flag1[0] if flag1.shape[0] > 0 else NULL
    cdef const uint8_t* F2 = &flag2[0] if flag2.shape[0] > 0 else NULL
    cdef const int32_t* SI = &sidx[0] if has_s else NULL
    cdef const uint8_t* SM = &smap[0] if has_s else NULL
    if has_s and sidx.shape[0] != n:
        raise ValueError("split entries and codes of different lengths")
    with nogil:
        j = 0
        while j < n:
            m = BLOCK if j + BLOCK <= n else n - j
            b = 0
            for i in range(j, j + m):
                c = _entry(C[i], n_code)
                H[c] += 1
                st = US[c]
                h = UH[c]
                slot = 0
                if has_day:
                    if not _place(&days, D[i], &slot, &dst):
                        skipped += 1
                        continue
                    st = _mark(st, dst)
                st = _flagged(F1, i, code1, st)
                st = _flagged(F2, i, code2, st)
                if has_s and st == INCLUDED:
                    st = SM[_entry(SI[i], n_smap)]
                g = GM[_entry(GI[i], n_gmap)] if has_g else 0
                R[st] += 1
                if RO[st] < 0:  # no sums by cell for this status: its totals only
                    SP[WIDTH * st] += 1
                    _add_units(&SP[WIDTH * st + 1], h)
                    continue
                SS[WIDTH * st] += 1
                _add_units(&SS[WIDTH * st + 1], h)
                slab[b] = _slab(PT, RO, st)
                cells[b] = _cell(g, slot, n_s)
                harms[b] = h
                b += 1
            for i in range(b):
                slab[i][cells[i]] += 1
                _add_units(&slab[i][cells[i] + 1], harms[i])
            j += m
    return skipped


def occupied(const int64_t[::1] ptrs, int64_t n_s, bint has_included,
             const int64_t[::1] order, Py_ssize_t start, Py_ssize_t stop,
             const int32_t[::1] slots, const int32_t[::1] codes,
             bint complete, const int32_t[::1] rank, Py_ssize_t at,
             int32_t[::1] out_g, int32_t[::1] out_s, int32_t[::1] out_code,
             int32_t[::1] out_period):
    """The output cells of the groups ``order[start:stop]``, each group's slots as ``slots`` lists them.

    ``codes`` holds each listed slot's period code (-1: the undated slot). A
    cell is in the output when any slab in ``ptrs`` has crimes there or the
    included records (``has_included``: the first slab is theirs) have harm
    there, and with ``complete`` every dated slot (code >= 0) of every
    group. Writes, from position ``at``, each cell's group and slot, the
    group's category code (``rank[g]``) and the period's code, as far as the
    output arrays reach. Returns the number of cells.
    """
    cdef Py_ssize_t n_rows = ptrs.shape[0], cap = out_g.shape[0], n_list = slots.shape[0]
    cdef Py_ssize_t j, s, k
    cdef int64_t g, m = 0, cell
    cdef const int64_t* A[64]
    if n_rows > 64:
        raise ValueError("more than 64 status rows")
    if not (out_s.shape[0] == out_code.shape[0] == out_period.shape[0] == cap):
        raise ValueError("output arrays of different lengths")
    if codes.shape[0] != n_list:
        raise ValueError("slots and codes of different lengths")
    for k in range(n_rows):
        A[k] = <const int64_t*><intptr_t>ptrs[k]
    with nogil:
        for j in range(start, stop):
            g = order[j]
            for k in range(n_list):
                s = slots[k]
                cell = _cell(g, s, n_s)
                if (complete and codes[k] >= 0) or _has_records(A, n_rows, cell, has_included):
                    if at + m < cap:
                        out_g[at + m] = <int32_t>g
                        out_s[at + m] = <int32_t>s
                        out_code[at + m] = rank[g]
                        out_period[at + m] = codes[k]
                    m += 1
    return m


cdef inline double _days(int64_t lo, int64_t hi) noexcept nogil:
    """Days from a cell's two harm limbs (as crimeharm._engine.base.days_of, step by step)."""
    hi += lo >> 32
    lo &= LOW
    return (<double>hi * 4294967296.0 + <double>lo) / SCALE


def days_of(int64_t lo, int64_t hi):
    """The compiled reading of two limbs as days (for the tests to compare with Python's)."""
    return _days(lo, hi)


def gather(int64_t[:, :, ::1] slab, const int32_t[::1] g, const int32_t[::1] s,
           int64_t[::1] out_n, double[::1] out_h, int64_t[::1] total):
    """One slab's two output columns: ``out_n[j] = slab[g[j], s[j], 0]``, ``out_h`` harm (days).

    When ``total`` is not empty the crimes are also added to it.
    """
    cdef Py_ssize_t n = g.shape[0], j
    cdef int64_t n_s = slab.shape[1], cell
    cdef bint add = total.shape[0] > 0
    if n == 0:
        return
    cdef const int64_t* A = &slab[0, 0, 0]
    with nogil:
        for j in range(n):
            cell = _cell(g[j], s[j], n_s)
            out_n[j] = A[cell]
            out_h[j] = _days(A[cell + 1], A[cell + 2])
            if add:
                total[j] = total[j] + A[cell]


def take(const int64_t[::1] table, const int32_t[::1] code, int64_t[::1] out):
    """``out[j] = table[code[j]]``, code -1 (and any past the end) taking the last entry."""
    cdef Py_ssize_t n = code.shape[0], m = table.shape[0], j
    if out.shape[0] != n:
        raise ValueError("out has the wrong length")
    with nogil:
        for j in range(n):
            out[j] = table[_entry(code[j], m) if code[j] < m else m - 1]


# -------------------------------------------------------- totals per unit
def tally(const int64_t[::1] code, int64_t shift, int64_t[::1] slot,
          const int64_t[::1] values, double[:, ::1] acc, int64_t lo=0, int64_t hi=-1):
    """Rows and value sums per slot, in one pass over the rows (``crimeharm.analysis.units``).

    Row ``i`` goes to slot ``s = code[i] + shift``: ``acc[s, 0]`` counts the
    rows (as a float64, exact below 2**53) and ``acc[s, 1 + j]`` adds value
    ``j`` of the row, the rows taken in order, one at a time, so each sum is
    the one ``numpy.bincount(slots, weights=v)`` gives, bit for bit. ``values``
    holds the addresses of ``acc.shape[1] - 1`` contiguous float64 arrays as
    long as ``code``, which the caller holds for the call. The slots are
    written to ``slot`` unless it is empty. Returns -1, or the first row
    whose slot is outside ``0 .. acc.shape[0] - 1`` (nothing past it added).
    With ``lo``, ``hi`` only the rows of slots ``lo .. hi - 1`` are counted
    and written (two threads can share the slots: every slot's rows are still
    added in order by one thread).
    """
    cdef Py_ssize_t n = code.shape[0], n_slots = acc.shape[0], width = acc.shape[1]
    cdef Py_ssize_t k = width - 1, i, j
    cdef bint write = slot.shape[0] != 0
    cdef int64_t s
    cdef Py_ssize_t bad = -1
    cdef double* row
    cdef const double** v = NULL
    if values.shape[0] != k or (write and slot.shape[0] != n):
        raise ValueError("values or slot do not match acc and code")
    if hi < 0:
        hi = n_slots
    if n == 0 or n_slots == 0:
        return -1 if n == 0 else 0
    cdef double* base = &acc[0, 0]
    if k:
        v = <const double**><intptr_t>&values[0]
    with nogil:
        for i in range(n):
            s = code[i] + shift
            if s < 0 or s >= n_slots:
                bad = i
                break
            if s < lo or s >= hi:
                continue
            if write:
                slot[i] = s
            row = base + s * width
            row[0] += 1.0
            for j in range(k):
                row[1 + j] += v[j][i]
    return bad


# ------------------------------------------------------ short text ids
# Text of up to 32 bytes (no NUL byte) read from an Arrow string array's
# offsets and data as columns of two bytes, as ``_pair_columns`` in
# ``crimeharm.analysis.units`` does (column j < pairs: bytes 2j and 2j + 1,
# big-endian; an odd last byte a column of its own; 0 past the end of a value,
# and for a null). Rows a .. b - 1; the caller checks widths and NUL bytes.
ctypedef fused offset_t:
    int32_t
    int64_t


cdef inline uint16_t _column(const uint8_t* p, int64_t ln, Py_ssize_t j,
                             Py_ssize_t pairs) noexcept nogil:
    cdef uint16_t hi = p[2 * j] if ln > 2 * j else 0
    if j >= pairs:
        return hi
    return (hi << 8) | (p[2 * j + 1] if ln > 2 * j + 1 else 0)


cdef inline int64_t _length(const offset_t* off, const uint8_t* valid, bint has_valid,
                            Py_ssize_t i) noexcept nogil:
    if has_valid and not valid[i]:
        return 0
    return off[i + 1] - off[i]


def pair_seen(const offset_t[::1] offsets, const uint8_t[::1] data, const uint8_t[::1] valid,
              Py_ssize_t a, Py_ssize_t b, Py_ssize_t pairs, uint8_t[:, ::1] seen):
    """Mark ``seen[j, v] = 1`` for each value ``v`` of column ``j`` in rows a .. b - 1."""
    cdef Py_ssize_t i, j, n_cols = seen.shape[0]
    cdef bint has_valid = valid.shape[0] != 0
    cdef int64_t ln
    if b <= a:
        return
    if offsets.shape[0] < b + 1 or seen.shape[1] != 65536 or (has_valid and valid.shape[0] < b):
        raise ValueError("offsets, valid or seen do not fit the rows")
    cdef const offset_t* off = &offsets[0]
    cdef const uint8_t* d = &data[0] if data.shape[0] else NULL
    cdef const uint8_t* v = &valid[0] if has_valid else NULL
    with nogil:
        for i in range(a, b):
            ln = _length(off, v, has_valid, i)
            for j in range(n_cols):
                seen[j, _column(d + off[i], ln, j, pairs)] = 1


def pair_keys(const offset_t[::1] offsets, const uint8_t[::1] data, const uint8_t[::1] valid,
              Py_ssize_t a, Py_ssize_t b, Py_ssize_t pairs, const int64_t[::1] keep,
              const int64_t[::1] sizes, const int64_t[:, ::1] luts, int64_t[::1] key,
              uint8_t[::1] hit):
    """Each row's dense key, ``key = key * sizes[c] + luts[c][column keep[c]]`` over the
    kept columns (as ``_pair_codes``), and ``hit[key] = 1``; rows a .. b - 1."""
    cdef Py_ssize_t i, c, n_keep = keep.shape[0]
    cdef bint has_valid = valid.shape[0] != 0
    cdef int64_t ln, k, space = hit.shape[0]
    if b <= a:
        return
    if (offsets.shape[0] < b + 1 or key.shape[0] < b or sizes.shape[0] != n_keep
            or luts.shape[0] != n_keep or (n_keep and luts.shape[1] != 65536)
            or (has_valid and valid.shape[0] < b) or space == 0):
        raise ValueError("offsets, valid, key, sizes, luts or hit do not fit the rows")
    cdef const offset_t* off = &offsets[0]
    cdef const uint8_t* d = &data[0] if data.shape[0] else NULL
    cdef const uint8_t* v = &valid[0] if has_valid else NULL
    cdef int64_t bad = -1
    with nogil:
        for i in range(a, b):
            ln = _length(off, v, has_valid, i)
            k = 0
            for c in range(n_keep):
                k = k * sizes[c] + luts[c, _column(d + off[i], ln, keep[c], pairs)]
            if k < 0 or k >= space:
                bad = i
                break
            key[i] = k
            hit[k] = 1
    if bad >= 0:
        raise ValueError(f"row {bad}: key outside the space")


ctypedef fused id_t:
    int32_t
    int64_t


def renumber(int64_t[::1] key, const id_t[::1] id_of, const uint8_t[::1] valid,
             Py_ssize_t a, Py_ssize_t b):
    """``key[i] = id_of[key[i]]`` for rows a .. b - 1, -1 for a null (``valid[i] == 0``)."""
    cdef Py_ssize_t i, m = id_of.shape[0]
    cdef bint has_valid = valid.shape[0] != 0
    if b <= a:
        return
    if key.shape[0] < b or (has_valid and valid.shape[0] < b) or m == 0:
        raise ValueError("key, valid or id_of do not fit the rows")
    with nogil:
        for i in range(a, b):
            if has_valid and not valid[i]:
                key[i] = -1
            elif 0 <= key[i] < m:
                key[i] = id_of[key[i]]
            else:
                key[i] = -1


def pair_text(const int64_t[::1] keys, const int64_t[::1] sizes, const uint16_t[:, ::1] values,
              Py_ssize_t pairs, offset_t[::1] offsets, uint8_t[::1] data):
    """The text of dense keys (``_decode`` in ``crimeharm.analysis.units``).

    Key ``i`` holds one code per column, ``key = Σ code_j · Π sizes[after j]``
    (a column of size 1 has code 0); column ``j``'s value is ``values[j,
    code_j]``, written as two bytes (j < pairs; big-endian) or one, and zero
    bytes (the padding) left out. With ``data`` empty, only the lengths are
    written (``offsets[i + 1] - offsets[0]`` cumulated); then ``data`` is
    filled from ``offsets``.
    """
    cdef Py_ssize_t m = keys.shape[0], n_cols = sizes.shape[0], i, j
    cdef bint fill = data.shape[0] != 0
    cdef int64_t rest, code, at, total = 0
    cdef uint16_t v
    cdef uint8_t hi, lo
    cdef int64_t codes[32]
    if n_cols > 32 or values.shape[0] != n_cols or offsets.shape[0] != m + 1:
        raise ValueError("sizes, values or offsets do not fit the keys")
    with nogil:
        offsets[0] = 0
        for i in range(m):
            rest = keys[i]
            for j in range(n_cols - 1, -1, -1):
                codes[j] = rest % sizes[j]
                rest = rest // sizes[j]
            at = total
            for j in range(n_cols):
                v = values[j, codes[j]]
                if j < pairs:
                    hi = <uint8_t>(v >> 8)
                    lo = <uint8_t>(v & 0xFF)
                    if hi:
                        if fill:
                            data[at] = hi
                        at += 1
                    if lo:
                        if fill:
                            data[at] = lo
                        at += 1
                else:
                    lo = <uint8_t>v
                    if lo:
                        if fill:
                            data[at] = lo
                        at += 1
            total = at
            offsets[i + 1] = <offset_t>total


# ------------------------------------------------------------------- order
cdef extern from "stdlib.h" nogil:
    void* malloc(size_t size)
    void* calloc(size_t count, size_t size)
    void free(void* ptr)

cdef extern from "string.h" nogil:
    void* memcpy(void* dest, const void* src, size_t n)


def order_descending(const double[::1] v, int64_t[::1] out):
    """Positions of ``v`` from the largest value to the smallest, ties in order of position.

    The order of ``numpy.argsort(-v, kind="stable")``: an LSD radix sort on
    the bits of ``-v`` (``-0.0`` read as ``0.0``), four passes of 16 bits,
    a pass skipped when every value has the same digit there. Returns False
    (``out`` untouched) when a value is NaN; the caller sorts those.
    """
    cdef Py_ssize_t n = v.shape[0], i
    cdef int d, p
    cdef double x
    cdef uint64_t u, digit
    cdef int64_t total, c
    cdef bint nan = False
    if out.shape[0] != n:
        raise ValueError("out has the wrong length")
    if n == 0:
        return True
    cdef uint64_t* ka = <uint64_t*>malloc(n * sizeof(uint64_t))
    cdef uint64_t* kb = <uint64_t*>malloc(n * sizeof(uint64_t))
    cdef int64_t* ia = <int64_t*>malloc(n * sizeof(int64_t))
    cdef int64_t* ib = <int64_t*>malloc(n * sizeof(int64_t))
    cdef int64_t* counts = <int64_t*>calloc(4 * 65536, sizeof(int64_t))
    cdef uint64_t* kt
    cdef int64_t* it
    if ka == NULL or kb == NULL or ia == NULL or ib == NULL or counts == NULL:
        free(ka); free(kb); free(ia); free(ib); free(counts)
        raise MemoryError()
    with nogil:
        for i in range(n):
            x = -v[i]
            if x != x:
                nan = True
                break
            if x == 0.0:
                x = 0.0
            memcpy(&u, &x, 8)
            u = ~u if u >> 63 else u ^ (<uint64_t>1 << 63)
            ka[i] = u
            ia[i] = i
            for d in range(4):
                counts[d * 65536 + ((u >> (16 * d)) & 0xFFFF)] += 1
        if not nan:
            for d in range(4):
                if counts[d * 65536 + ((ka[0] >> (16 * d)) & 0xFFFF)] == n:
                    continue  # one digit for every value: the order stays
                total = 0
                for p in range(65536):
                    c = counts[d * 65536 + p]
                    counts[d * 65536 + p] = total
                    total += c
                for i in range(n):
                    digit = (ka[i] >> (16 * d)) & 0xFFFF
                    c = counts[d * 65536 + digit]
                    counts[d * 65536 + digit] = c + 1
                    kb[c] = ka[i]
                    ib[c] = ia[i]
                kt = ka; ka = kb; kb = kt
                it = ia; ia = ib; ib = it
            for i in range(n):
                out[i] = ia[i]
    free(ka); free(kb); free(ia); free(ib); free(counts)
    return not nan


# ------------------------------------------------------------------- memory
cdef extern from "sys/mman.h" nogil:
    """
    #ifndef MADV_NOHUGEPAGE
    #define MADV_NOHUGEPAGE -1
    #endif
    """
    int madvise(void* addr, size_t length, int advice)
    int MADV_NOHUGEPAGE

cdef extern from *:
    """
    #ifndef MADV_POPULATE_WRITE
    #define MADV_POPULATE_WRITE 23
    #endif
    """
    int MADV_POPULATE_WRITE

cdef enum:
    PAGE = 4096


cdef inline uintptr_t _page_up(uintptr_t a) noexcept nogil:
    return (a + PAGE - 1) & ~(<uintptr_t>PAGE - 1)


cdef inline uintptr_t _page_down(uintptr_t a) noexcept nogil:
    return a & ~(<uintptr_t>PAGE - 1)


def small_pages(unsigned char[::1] buf):
    """Ask the system to back ``buf`` with ordinary pages, not transparent huge pages.

    For memory not yet written. Returns False where the request is not
    available. Mapping a fresh huge page can stall for a long time while the
    kernel compacts memory (numpy asks for huge pages for every large array);
    arrays written once, or in random order all at once, gain little from
    them. Only whole pages inside ``buf`` are advised.
    """
    cdef uintptr_t start, end
    if MADV_NOHUGEPAGE < 0 or buf.shape[0] == 0:
        return False
    start = _page_up(<uintptr_t>&buf[0])
    end = _page_down(<uintptr_t>&buf[0] + <uintptr_t>buf.shape[0])
    if end <= start:
        return False
    return madvise(<void*>start, end - start, MADV_NOHUGEPAGE) == 0


def touch(int64_t[::1] zeros, Py_ssize_t start, Py_ssize_t stop):
    """Map the pages of ``zeros[start:stop]`` (freshly allocated zeros) now, on this thread.

    Rather than one at a time inside the accumulation loop: asks the system to
    map them all in one call (``MADV_POPULATE_WRITE``, Linux 5.14 and later),
    else writes 0 to one element per 4 KiB page.
    """
    cdef Py_ssize_t i
    cdef uintptr_t a, b
    cdef bint done = False
    if stop > zeros.shape[0]:
        stop = zeros.shape[0]
    if stop <= start:
        return
    a = _page_up(<uintptr_t>&zeros[start])
    b = _page_down(<uintptr_t>&zeros[stop - 1] + sizeof(int64_t))
    with nogil:
        if b > a:
            done = madvise(<void*>a, b - a, MADV_POPULATE_WRITE) == 0
        if not done:
            for i in range(start, stop, 512):  # one 8-byte value per page
                zeros[i] = 0
