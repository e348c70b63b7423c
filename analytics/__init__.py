"""The maths: periods, KPIs, cohorts, the value model, going-quiet rules.

DataFrames in, DataFrames/dataclasses out; `as_of` (or an explicit cutoff)
is always a parameter, never the wall clock.
"""
