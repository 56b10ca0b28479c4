"""uws_lite.times: UWS times in the forms real servers write them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from uws_lite.times import parse_datetime

UTC = timezone.utc
PLUS1 = timezone(timedelta(hours=1))
PLUS2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-01-01T00:00:00Z", datetime(2018, 1, 1, tzinfo=UTC)),
        ("2018-01-01T00:00:00z", datetime(2018, 1, 1, tzinfo=UTC)),
        ("2009-05-19T17:01:44.038Z", datetime(2009, 5, 19, 17, 1, 44, 38000, tzinfo=UTC)),
        ("2016-11-17T13:33:50.755+0100", datetime(2016, 11, 17, 13, 33, 50, 755000, tzinfo=PLUS1)),
        ("2014-06-03T15:33:30+02:00", datetime(2014, 6, 3, 15, 33, 30, tzinfo=PLUS2)),
        ("2014-06-03T15:33:30+02", datetime(2014, 6, 3, 15, 33, 30, tzinfo=PLUS2)),
        (
            "2014-06-03T15:33:30-05:30",
            datetime(2014, 6, 3, 15, 33, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2014-06-03T15:33:30+00:00", datetime(2014, 6, 3, 15, 33, 30, tzinfo=UTC)),
        ("2019-12-16T10:52:20", datetime(2019, 12, 16, 10, 52, 20)),
        ("2019-11-04 18:38:31.409070", datetime(2019, 11, 4, 18, 38, 31, 409070)),
        ("2019-11-04 18:38:31.123456789", datetime(2019, 11, 4, 18, 38, 31, 123456)),
        ("2019-11-04T18:38:31.5", datetime(2019, 11, 4, 18, 38, 31, 500000)),
        ("2019-11-04T18:38", datetime(2019, 11, 4, 18, 38)),
        ("2019-11-04", datetime(2019, 11, 4)),
        ("2019-11-04 18:38:31 UTC", datetime(2019, 11, 4, 18, 38, 31, tzinfo=UTC)),
        ("  2018-01-01T00:00:00Z\n", datetime(2018, 1, 1, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("-1", None),
        ("120", None),
        ("yesterday", None),
        ("2018-13-01T00:00:00Z", None),
        ("2018-01-01T25:00:00Z", None),
        ("2018-01-01T00:00:00+99:00", None),
        ("2018-01-01T00:00:00Zjunk", None),
    ],
)
def test_parse_datetime(text: Optional[str], expected: Optional[datetime]) -> None:
    value = parse_datetime(text)
    assert value == expected
    if expected is not None:
        assert value is not None
        assert (value.tzinfo is None) == (expected.tzinfo is None)
        assert value.utcoffset() == expected.utcoffset()
