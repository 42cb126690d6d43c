"""The 12345 row parser takes any row a spreadsheet can hold — text, numbers, dates and
times, None, booleans, huge strings, control characters, short or long rows — and either
parses it or lists its problems by column; it never raises (hypothesis, derandomised so CI
sees the same examples every run)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.actions import CaseInput
from civicgrid.cases.intake import hotline

pytestmark = pytest.mark.django_db

HEADERS = list(hotline.DEFAULT_HEADERS.values())
FIELDS = set(hotline.DEFAULT_HEADERS)

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±inf too
    st.datetimes(timezones=st.none() | st.timezones()),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.text(),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Cs"]), max_size=20),
    st.sampled_from(
        [
            "9999-12-31 23:59",
            "0001-01-01",
            "2026-02-30 10:00",
            "E2105",
            "/",
            " ＞ ",
            "投诉",
            "121.05",
            "1e400",
        ]
    ),
    st.integers(0, 20).map(lambda n: "号" * (10_000 * n)),  # up to 200,000 characters
)
# A good value per column: most examples keep most of them, so rows get far enough to be
# parsed whole (and a bad cell among good ones is what a real sheet has).
GOOD = {
    "external_id": "SH12345-0001",
    "received_at": "2026-10-09 14:30",
    "request_type": "投诉",
    "category": "E2105",
    "description": "楼上夜间噪声扰民",
    "address": "东路11号",
    "reporter_name": "王先生",
    "reporter_phone": 13800000000.0,
    "lon": 121.055,
    "lat": 31.205,
    "street": "",
}
ROWS = st.one_of(
    st.tuples(
        *(st.one_of(st.just(GOOD[name]), st.just(GOOD[name]), CELLS) for name in hotline.DEFAULT_HEADERS)
    ),
    st.lists(CELLS, max_size=len(HEADERS) + 2),  # any shape, short or long
)
FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    # The category tree is read-only here: one database for every example is what is meant.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(row=ROWS)
def test_any_row_parses_or_names_its_problems(db, row):
    columns = hotline.check_header(HEADERS)
    parsed = hotline._parse_row(2, list(row), columns, hotline.CategoryLookup(), hotline.StreetLookup(None))
    if parsed.problems:
        assert parsed.data is None
        assert all(fields and set(fields) <= FIELDS and reason for fields, reason in parsed.problems)
    else:
        assert isinstance(parsed.data, CaseInput) and parsed.fingerprint
        assert not any("\x00" in str(value) for value in vars(parsed.data).values())
        received = parsed.data.received_at
        assert received is not None and dt.date(2000, 1, 1) <= received.date() <= dt.date(2100, 12, 31)
