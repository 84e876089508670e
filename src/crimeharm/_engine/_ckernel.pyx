# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled loops of the aggregator (built from this file when the package is installed).

The sums are one float64 array per status (a *slab*) of shape (groups,
period slots, 2): ``slab[g, s, 0]`` is crimes and ``slab[g, s, 1]`` harm in
days, so a cell's two sums share a cache line. The loops take the slabs'
addresses (``ptrs``, one per status row; ``row_of[status]`` is the row) and
their shape (``n_g`` groups, ``n_s`` slots). They run without the GIL.
:mod:`crimeharm._engine.kernel` holds the numpy equivalents and says which is used.
"""

from libc.stdint cimport int16_t, int32_t, int64_t, intptr_t, uint8_t, uintptr_t

ctypedef fused day_t:
    int32_t
    int64_t

cdef int64_t DAY_MISSING = -9223372036854775807 - 1
cdef int64_t DAY_BAD = -9223372036854775807


def accumulate(const int64_t[::1] ptrs, int64_t n_g, int64_t n_s, const int64_t[::1] row_of, const int64_t[::1] gid,
               const int64_t[::1] pid, const uint8_t[::1] status, const double[::1] harm,
               const double[::1] crimes, bint use_crimes, int64_t p_lo, int64_t width,
               int64_t undated):
    """Add scored rows: per-row group id, period id, status, harm and (optionally) crimes."""
    cdef Py_ssize_t i, n = gid.shape[0]
    cdef int64_t p, s, cell
    cdef double h
    cdef double* A
    if n == 0:
        return
    cdef const int64_t* PT = &ptrs[0]
    cdef const int64_t* RO = &row_of[0]
    cdef const int64_t* G = &gid[0]
    cdef const int64_t* P = &pid[0]
    cdef const uint8_t* ST = &status[0]
    cdef const double* HM = &harm[0]
    cdef const double* CR = &crimes[0]
    with nogil:
        for i in range(n):
            p = P[i]
            s = width if p == undated else p - p_lo
            A = <double*><intptr_t>PT[RO[ST[i]]]
            cell = (G[i] * n_s + s) * 2
            A[cell] += CR[i] if use_crimes else 1.0
            h = HM[i]
            if h == h:  # NaN (unknown offence) adds no harm
                A[cell + 1] += h


def day_range(const day_t[::1] day, int64_t div):
    """(lowest, highest, count) of the valid day numbers of ``day // div``; sentinels skipped."""
    cdef Py_ssize_t i, n = day.shape[0]
    cdef int64_t d, lo = 0, hi = -1, k = 0
    with nogil:
        for i in range(n):
            d = day[i]
            if d == DAY_MISSING or d == DAY_BAD:
                continue
            if div != 1:
                d = _floor_div(d, div)
            if k == 0 or d < lo:
                lo = d
            if k == 0 or d > hi:
                hi = d
            k += 1
    return lo, hi, k


cdef inline int64_t _floor_div(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a / b
    if (a % b) != 0 and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef enum:
    BLOCK = 2048


def add_fused(const int64_t[::1] ptrs, int64_t n_g, int64_t n_s, const int64_t[::1] row_of, int64_t[::1] rows,
              int64_t[::1] hits, double[::1] spill,
              const int32_t[::1] code, const uint8_t[::1] u_status, const double[::1] u_harm,
              const int32_t[::1] gidx, const int64_t[::1] gmap,
              const day_t[::1] day, int64_t div, int64_t day_lo,
              const int32_t[::1] day_slot, const uint8_t[::1] day_status, int64_t undated_slot,
              uint8_t missing_date, uint8_t bad_date,
              const uint8_t[::1] flag1, uint8_t code1, const uint8_t[::1] flag2, uint8_t code2):
    """Score and add one batch of records in a single pass.

    Per row: the offence's status and harm come from its code's entry
    (``code`` -1, a null, takes the last entry); a date reason, then each flag's
    reason, replaces the status when it comes first in precedence (lower
    code); the date's slot comes from a table of days starting at ``day_lo``;
    the group from ``gmap[gidx]`` (-1 takes the last entry; no groups when
    ``gidx`` is empty). ``rows`` counts rows per status and ``hits`` rows per
    code entry. A row whose status has no slab (``row_of`` -1) is added to
    that status's crimes and harm in ``spill`` (two per status) instead.
    Returns the number of rows skipped because their day fell outside the
    table (none when the caller built the table from the batch).

    The rows are taken in blocks: first each row's cell and harm (sequential
    reads, small tables), then the additions, whose random accesses into the
    sums overlap in a tight loop.
    """
    cdef Py_ssize_t n = code.shape[0], n_code = u_status.shape[0], n_gmap = gmap.shape[0]
    cdef Py_ssize_t n_table = day_slot.shape[0], i, j, m, b
    cdef bint has_day = day.shape[0] > 0, has_g = gidx.shape[0] > 0
    cdef bint has_f1 = flag1.shape[0] > 0, has_f2 = flag2.shape[0] > 0
    cdef int64_t c, g, slot, k, d, skipped = 0
    cdef uint8_t st, dst
    cdef double h
    cdef int64_t cells[BLOCK]
    cdef double* slab[BLOCK]
    cdef double harms[BLOCK]
    if n == 0:
        return 0
    cdef const int64_t* PT = &ptrs[0]
    cdef const int64_t* RO = &row_of[0]
    cdef int64_t* R = &rows[0]
    cdef int64_t* H = &hits[0]
    cdef const int32_t* C = &code[0]
    cdef const uint8_t* US = &u_status[0]
    cdef const double* UH = &u_harm[0]
    cdef const int32_t* GI = &gidx[0] if has_g else NULL
    cdef const int64_t* GM = &gmap[0] if has_g else NULL
    cdef const day_t* D = &day[0] if has_day else NULL
    cdef const int32_t* TS = &day_slot[0] if n_table > 0 else NULL
    cdef const uint8_t* TST = &day_status[0] if n_table > 0 else NULL
    cdef const uint8_t* F1 = &flag1[0] if has_f1 else NULL
    cdef const uint8_t* F2 = &flag2[0] if has_f2 else NULL
    with nogil:
        j = 0
        while j < n:
            m = BLOCK if j + BLOCK <= n else n - j
            b = 0
            for i in range(j, j + m):
                c = C[i]
                if c < 0:
                    c = n_code - 1
                H[c] += 1
                st = US[c]
                h = UH[c]
                slot = 0
                if has_day:
                    d = D[i]
                    if d == DAY_MISSING:
                        dst = missing_date
                        slot = undated_slot
                    elif d == DAY_BAD:
                        dst = bad_date
                        slot = undated_slot
                    else:
                        if div != 1:
                            d = _floor_div(d, div)
                        k = d - day_lo
                        if k < 0 or k >= n_table:
                            skipped += 1
                            continue
                        slot = TS[k]
                        dst = TST[k]
                    if dst != 0 and (st == 0 or st > dst):
                        st = dst
                if has_f1 and F1[i] != 0 and (st == 0 or st > code1):
                    st = code1
                if has_f2 and F2[i] != 0 and (st == 0 or st > code2):
                    st = code2
                g = 0
                if has_g:
                    g = GI[i]
                    if g < 0:
                        g = n_gmap - 1
                    g = GM[g]
                R[st] += 1
                if RO[st] < 0:  # no sums by cell for this status: its totals only
                    spill[2 * st] += 1.0
                    if h == h:
                        spill[2 * st + 1] += h
                    continue
                slab[b] = <double*><intptr_t>PT[RO[st]]
                cells[b] = (g * n_s + slot) * 2
                harms[b] = h if h == h else 0.0  # NaN (unknown offence) adds no harm
                b += 1
            for i in range(b):
                slab[i][cells[i]] += 1.0
                slab[i][cells[i] + 1] += harms[i]
            j += m
    return skipped


def occupied(const int64_t[::1] ptrs, int64_t n_s, bint has_included,
             const int64_t[::1] order, Py_ssize_t start, Py_ssize_t stop, int64_t n_dated,
             bint complete, const int32_t[::1] rank, Py_ssize_t at,
             int32_t[::1] out_g, int32_t[::1] out_s, int32_t[::1] out_code,
             int32_t[::1] out_period):
    """The output cells of the groups ``order[start:stop]``, each group's slots in order.

    A cell is in the output when any slab in ``ptrs`` has crimes there or the
    included records (``has_included``: the first slab is theirs) have harm
    there, and with ``complete`` every dated slot (the first ``n_dated``) of
    every group. With empty output arrays, only counts the cells. Otherwise
    writes, from position ``at``, each cell's group and slot, the group's
    category code (``rank[g]``) and the period's (the slot; -1 when undated).
    Returns the number of cells.
    """
    cdef Py_ssize_t n_rows = ptrs.shape[0], cap = out_g.shape[0], j, s, k
    cdef bint write = cap > 0
    cdef int64_t g, m = 0, base
    cdef bint keep
    cdef const double* A[64]
    if n_rows > 64:
        raise ValueError("more than 64 status rows")
    if write and not (out_s.shape[0] == out_code.shape[0] == out_period.shape[0] == cap):
        raise ValueError("output arrays of different lengths")
    for k in range(n_rows):
        A[k] = <const double*><intptr_t>ptrs[k]
    with nogil:
        for j in range(start, stop):
            g = order[j]
            for s in range(n_s):
                base = (g * n_s + s) * 2
                keep = complete and s < n_dated
                if not keep and has_included and A[0][base + 1] != 0:
                    keep = True
                k = 0
                while not keep and k < n_rows:
                    if A[k][base] != 0:
                        keep = True
                    k += 1
                if keep:
                    if write and at + m < cap:
                        out_g[at + m] = <int32_t>g
                        out_s[at + m] = <int32_t>s
                        out_code[at + m] = rank[g]
                        out_period[at + m] = <int32_t>s if s < n_dated else -1
                    m += 1
    return m


def gather(double[:, :, ::1] slab, const int32_t[::1] g, const int32_t[::1] s,
           double[::1] out_n, double[::1] out_h, double[::1] total):
    """One slab's two output columns: ``out_n[j] = slab[g[j], s[j], 0]``, ``out_h`` harm.

    When ``total`` is not empty the crimes are also added to it.
    """
    cdef Py_ssize_t n = g.shape[0], j
    cdef int64_t n_s = slab.shape[1], base
    cdef bint add = total.shape[0] > 0
    if n == 0:
        return
    cdef const double* A = &slab[0, 0, 0]
    with nogil:
        for j in range(n):
            base = (<int64_t>g[j] * n_s + s[j]) * 2
            out_n[j] = A[base]
            out_h[j] = A[base + 1]
            if add:
                total[j] = total[j] + A[base]


def take(const int64_t[::1] table, const int32_t[::1] code, int64_t[::1] out):
    """``out[j] = table[code[j]]``, code -1 taking the last entry."""
    cdef Py_ssize_t n = code.shape[0], m = table.shape[0], j
    cdef int32_t c
    if out.shape[0] != n:
        raise ValueError("out has the wrong length")
    with nogil:
        for j in range(n):
            c = code[j]
            if c < 0 or c >= m:
                c = m - 1
            out[j] = table[c]


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


def small_pages(unsigned char[::1] buf):
    """Ask the system to back ``buf`` with ordinary pages, not transparent huge pages.

    For memory not yet written. Returns False where the request is not
    available. Mapping a fresh huge page can stall for a long time while the
    kernel compacts memory (numpy asks for huge pages for every large array);
    arrays written once, or in random order all at once, gain little from
    them. Only whole pages inside ``buf`` are advised.
    """
    cdef uintptr_t start, end, page = 4096
    if MADV_NOHUGEPAGE < 0 or buf.shape[0] == 0:
        return False
    start = <uintptr_t>&buf[0]
    end = start + <uintptr_t>buf.shape[0]
    start = (start + page - 1) & ~(page - 1)
    end = end & ~(page - 1)
    if end <= start:
        return False
    return madvise(<void*>start, end - start, MADV_NOHUGEPAGE) == 0


def touch(double[::1] zeros, Py_ssize_t start, Py_ssize_t stop):
    """Map the pages of ``zeros[start:stop]`` (freshly allocated zeros) now, on this thread.

    Rather than one at a time inside the accumulation loop: asks the system to
    map them all in one call (``MADV_POPULATE_WRITE``, Linux 5.14 and later),
    else writes 0 to one element per 4 KiB page.
    """
    cdef Py_ssize_t i
    cdef uintptr_t a, b, page = 4096
    if stop > zeros.shape[0]:
        stop = zeros.shape[0]
    if stop <= start:
        return
    a = <uintptr_t>&zeros[start]
    b = <uintptr_t>&zeros[stop - 1] + sizeof(double)
    a = (a + page - 1) & ~(page - 1)
    b = b & ~(page - 1)
    cdef bint done = False
    with nogil:
        if b > a:
            done = madvise(<void*>a, b - a, MADV_POPULATE_WRITE) == 0
        if not done:
            for i in range(start, stop, 512):
                zeros[i] = 0.0
