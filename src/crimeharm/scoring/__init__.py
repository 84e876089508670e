"""Scoring records and summing their harm.

The flow of data: options are checked once (:mod:`.options`); inputs are read
as batches of columns (:mod:`.inputs`, :mod:`.columns`); each batch is scored
by the rules (:mod:`.rules`), one reason per excluded record
(:mod:`crimeharm.reasons`); rows come back one per record (:mod:`.rows`) or
summed by area and period (:mod:`.sums`, :mod:`.periods`) by an engine
(:mod:`crimeharm._engine`); every call reconciles in a :mod:`.summary`.
"""
