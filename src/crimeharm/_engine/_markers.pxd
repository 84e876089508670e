# The marker values and the rule of precedence, for the compiled loops (_ckernel.pyx).
#
# Python holds the same values in one place each: DAY_MISSING and DAY_BAD in
# crimeharm.scoring.dates, UNDATED and UNDATED_SLOT in crimeharm._engine.base, INCLUDED in
# crimeharm.reasons, and the rule of precedence in crimeharm.reasons.mark.
# _ckernel exports its values (MARKERS) and its rule (mark), and
# tests/test_kernel.py checks that both agree with Python's.

from libc.stdint cimport int64_t, uint8_t

cdef extern from *:
    """
    #define CRIMEHARM_DAY_MISSING INT64_MIN
    #define CRIMEHARM_DAY_BAD (INT64_MIN + 1)
    #define CRIMEHARM_UNDATED (-((int64_t)1 << 40))
    #define CRIMEHARM_UNDATED_SLOT 0
    """
    # a day number: the date is missing (null, blank); it could not be read as a date
    const int64_t DAY_MISSING "CRIMEHARM_DAY_MISSING"
    const int64_t DAY_BAD "CRIMEHARM_DAY_BAD"
    # a period id: the record has no usable date (its sums go to the group's last slot)
    const int64_t UNDATED "CRIMEHARM_UNDATED"
    # the slot of a group's records without a usable date
    const int64_t UNDATED_SLOT "CRIMEHARM_UNDATED_SLOT"

cdef enum:
    INCLUDED = 0  # the status of an included record; a reason's status is its code, 1 on


cdef inline bint is_day(int64_t d) noexcept nogil:
    """Whether a day number is a date (neither marker)."""
    return d > DAY_BAD


cdef inline bint precedes(uint8_t code, uint8_t st) noexcept nogil:
    """Whether reason ``code`` takes the place of status ``st``.

    A reason replaces no reason and any reason after it (a higher code).
    """
    return st == INCLUDED or st > code


cdef inline uint8_t mark(uint8_t st, uint8_t code) noexcept nogil:
    """Status ``st`` once reason ``code`` applies (``code`` INCLUDED: no reason, no change)."""
    return code if code != INCLUDED and precedes(code, st) else st
