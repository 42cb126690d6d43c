"""The address normaliser is total and idempotent for any text (hypothesis, derandomised so
CI sees the same examples every run): normalising twice is normalising once, or the same
place would be stored and searched under two spellings."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.core.address import SHANGHAI_DISTRICTS, normalize_address

# Any text, and text built from what the normaliser acts on: the city and district prefixes
# (repeated), spaces of every kind, dashes, full-width and combining characters.
PIECES = st.sampled_from(
    [
        *SHANGHAI_DISTRICTS,
        "中国",
        "上海",
        "上海市",
        "上海康城",
        "崂山二村",
        "弄",
        "号",
        "１１",
        "11",
        " ",
        "\u3000",
        "\t",
        "\n",
        "\u00a0",
        "—",
        "－",
        "～",
        "-",
        "e",
        "\u0301",
        "\u0338",
        "ﬁ",
        "㎏",
        "\x00",
    ]
)
ADDRESSES = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=3))).map("".join))
FUZZ = settings(
    max_examples=500,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(ADDRESSES)
def test_normalising_is_total_and_idempotent(raw):
    once = normalize_address(raw)
    assert isinstance(once, str)
    assert normalize_address(once) == once


def test_a_doubled_prefix_and_a_space_before_a_combining_mark_normalise_at_once():
    # What the fuzzer found: each step used to expose work for another.
    assert normalize_address("上海市上海市黄浦区崂山二村11号") == "崂山二村11号"
    assert normalize_address("e \u0301") == normalize_address(normalize_address("e \u0301"))


@settings(derandomize=True, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES | st.text(max_size=6), max_size=12).map("".join))
def test_extracted_address_is_normalised(text: str) -> None:
    from civicgrid.core.address import extract_address

    found = extract_address(text)
    assert normalize_address(found) == found
