"""Address normalisation: one spelling per place, whatever the typist did.

`崂山二村 11 号`, `崂山二村11号` and `崂山二村１１号` all normalise to `崂山二村11号`.
"""

import re
import unicodedata

# Shanghai's 16 districts; a leading city/district prefix is noise when matching buildings.
SHANGHAI_DISTRICTS = (
    "黄浦区",
    "徐汇区",
    "长宁区",
    "静安区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "浦东新区",
    "金山区",
    "松江区",
    "青浦区",
    "奉贤区",
    "崇明区",
)
_DISTRICT = "(?:" + "|".join(SHANGHAI_DISTRICTS) + ")"
# "上海" without 市 is a prefix only before a district: 上海康城 and 上海路 are names.
_PREFIX = re.compile(r"^(?:中国(?=上海))?(?:上海市|上海(?=" + _DISTRICT + "))?" + _DISTRICT + "?")
_WHITESPACE = re.compile(r"\s+")
_DASHES = re.compile(r"[‐‑‒–—―−－~～]")
_LANE_NUMBER = re.compile(r"^(?P<lane>.+?弄)(?P<number>\d+(?:-\d+)?号)$")


def normalize_address(raw: str) -> str:
    """Fold full-width characters (NFKC), drop all whitespace, unify dashes, drop the
    city/district prefix — until nothing changes: a dropped space lets NFKC compose the
    characters around it, a dropped prefix can reveal a repeated one, and normalising twice
    must be normalising once (core/tests/test_address_fuzz.py)."""
    text = raw or ""
    while (folded := _fold(text)) != text:
        text = folded
    return text


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _WHITESPACE.sub("", text)
    text = _DASHES.sub("-", text)
    return _PREFIX.sub("", text)


def lane_of(normalized: str) -> str | None:
    """`乳山路235弄3号` → `乳山路235弄`; None when the address has no lane and number."""
    match = _LANE_NUMBER.match(normalized)
    return match.group("lane") if match else None
