"""The stored form of an instant (`YYYY-MM-DDTHH:MM:SSZ`) says UTC itself, so
it is kept as written in any workspace zone — `datetime.UTC`, a zone named
"UTC" or Tehran — and the text that only looks like it goes the long way."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from storage import fields as F

ZONES = [UTC, ZoneInfo("UTC"), ZoneInfo("Asia/Tehran"), ZoneInfo("America/Los_Angeles")]


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_the_stored_form_is_kept_in_every_zone(tz):
    assert F.timestamp("2025-09-17T15:49:10Z", tz) == "2025-09-17T15:49:10Z"
    assert F.timestamp(" 2100-12-31T23:59:59Z ", tz) == "2100-12-31T23:59:59Z"


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_look_alikes_of_the_stored_form_are_converted_or_refused_alike(tz):
    # An ISO week date of the same length: converted to the stored form.
    assert F.timestamp("2025-W38-3T15:49:10Z", tz) == "2025-09-17T15:49:10Z"
    # Out of the accepted years, however written.
    for raw in ("2101-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        with pytest.raises(F.FieldError) as e:
            F.timestamp(raw, tz)
        assert e.value.problem == f"{raw!r} is out of range"
    with pytest.raises(F.FieldError) as e:
        F.timestamp("2025-02-30T10:00:00Z", tz)
    assert e.value.problem == "'2025-02-30T10:00:00Z' is not a date"


def test_naive_times_are_in_the_workspace_zone():
    assert F.timestamp("2025-09-17T15:49:10", ZoneInfo("Asia/Tehran")) == "2025-09-17T12:19:10Z"
    assert F.timestamp("2025-09-17T15:49:10", ZoneInfo("UTC")) == "2025-09-17T15:49:10Z"
