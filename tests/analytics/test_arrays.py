"""analytics.arrays.unique_inverse counts instead of sorting where it can,
and gives exactly what np.unique gives everywhere."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.arrays import largest_first, unique_inverse


@pytest.mark.parametrize(
    "values",
    [
        np.array([3.0, 0.0, 3.0, 17.0, 1.0, 0.0]),  # whole days: counted
        np.array([5, 2, 2, 9], dtype=np.int64),
        np.array([2.5, 1.0, 2.5]),  # a fraction: sorted
        np.array([-1.0, 4.0, -1.0]),  # below zero: sorted
        np.array([1.0, np.nan, 1.0]),  # NaN: sorted (np.unique's NaN handling)
        np.array([2.0**20, 0.0]),  # past the counting range: sorted
        np.zeros(0),
    ],
)
def test_unique_inverse_is_np_unique(values):
    uniq, inverse = unique_inverse(values)
    want_uniq, want_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(uniq, want_uniq)
    np.testing.assert_array_equal(inverse, want_inverse)
    assert uniq.dtype == want_uniq.dtype


@given(
    st.lists(st.sampled_from([0.0, 1.5, 2.0, 7.25, 100.0, -3.0]), max_size=60),
    st.integers(min_value=0, max_value=70),
    st.booleans(),
)
def test_largest_first_is_the_head_of_a_full_stable_sort(values, n, with_tiebreak):
    """Few distinct values, so ties at the cut are the usual case."""
    values = np.array(values, dtype=np.float64)
    tiebreak = np.random.default_rng(len(values)).permutation(len(values)) if with_tiebreak else None
    want = np.argsort(-values, kind="stable")[:n] if tiebreak is None else np.lexsort((tiebreak, -values))[:n]
    np.testing.assert_array_equal(largest_first(values, n, tiebreak), want)
