"""The free-text redactor (core.redact): what it masks, what it leaves, and that it stays linear."""

import re

import pytest

from civicgrid.core.redact import PATTERN, has_personal_data, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系 13812340000", "联系 138****0000"),
        ("电话138-1234-0000谢谢", "电话138****0000谢谢"),
        ("电话 138 1234 0000", "电话 138****0000"),
        ("+8613812340000", "+86138****0000"),
        ("+86 138 1234 0000", "+86 138****0000"),
        # Full-width digits, plus sign and spaces, as a Chinese input method types them.
        ("电话：＋８６　１３８１２３４００００。", "电话：+86 138****0000。"),
        ("１３８－１２３４－００００", "138****0000"),
        ("座机021-62345678", "座机021-****5678"),
        ("座机(021)62345678", "座机(021)****5678"),
        ("0571 8888888", "0571-***8888"),
        ("身份证310104199001011234", "身份证3101**********1234"),
        ("身份证11010519491231002x", "身份证1101**********002X"),
        ("身份证 310104 19900101 1234", "身份证 3101**********1234"),
        ("老身份证310104900101123", "老身份证3101*******1123"),
        ("车牌沪A12345占道", "车牌沪A****5占道"),
        ("新能源沪AD12345", "新能源沪A*****5"),
        ("沪a·12345", "沪A****5"),
        ("京Ｂ１２３４５", "京B****5"),
    ],
)
def test_masks_keep_enough_to_recognise(text, expected):
    assert redact(text) == expected
    assert has_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "楼上夜间噪声扰民，影响休息",
        "工单 310101001-2026-000123 已办结",
        "2026-03-02 14:00 在3号楼",
        "在沪APPLE店门口",
        "编号123813812340000",  # a longer run of digits is not a phone
        "金额 13800 元",
        "",
    ],
)
def test_text_without_personal_data_is_unchanged(text):
    assert redact(text) == text
    assert not has_personal_data(text)


def test_everything_around_the_masks_is_kept():
    text = "张先生（13812340000）反映：沪A12345 长期占用消防通道，身份证310104199001011234。"
    assert redact(text) == "张先生（138****0000）反映：沪A****5 长期占用消防通道，身份证3101**********1234。"


def test_every_alternative_matches_a_bounded_width():
    # Bounded alternatives with one-character look-arounds: constant work per position, so
    # the pass is linear in the text (no catastrophic backtracking is possible).
    low, high = re._parser.parse(PATTERN.pattern).getwidth()  # type: ignore[attr-defined]
    assert low > 0 and high <= 32


@pytest.mark.parametrize(
    "text",
    [
        "1" * 100_000,
        "0" * 100_000,
        "1 " * 50_000,
        "1-" * 50_000,
        "沪A" * 50_000,
        "沪A1" * 33_000,
        "+86 " * 25_000,
        "(0" * 50_000,
        "1３" * 50_000,
    ],
)
def test_long_hostile_input_completes(text):
    assert len(redact(text)) == len(text)


def test_long_text_masks_every_number():
    text = "联系13812340000，" * 10_000
    assert redact(text) == "联系138****0000，" * 10_000
