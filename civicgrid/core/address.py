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


# Where an address ends in free text: a road (路, 支路, 街…) followed by its lane and/or number,
# or an estate (…村, …小区…) followed by its number; `3号楼` keeps `3号`.
_ADDRESS_TAIL = re.compile(
    r"(?P<road>支路|大道|公路|路|街)(?P<lane>\d+弄)?(?P<number>\d+(?:-\d+)?号)?"
    r"|(?P<estate>新村|村|小区|花园|苑|公寓)(?P<estate_number>\d+(?:-\d+)?号)"
)
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff]+$")
# Words that end what comes before a place name in a complaint (居民反映乳山路…, 家住崂山二村…).
_BEFORE_NAME = re.compile(
    r".*(?:反映|来电|投诉|位于|地址|家住|住在|门口|对面|旁边|附近|楼下|称|在|于|到|近|的|区|市|镇)"
)
NAME_WINDOW = 12  # characters looked at before 路/村…
NAME_MAX = 6  # 乌鲁木齐南路: the longest names in the demo streets


def extract_address(text: str) -> str:
    """The first address written in a complaint (`居民反映乳山路２３５弄 3 号楼道…` →
    `乳山路235弄3号`), normalised; "" when none: a road needs its lane or number, an estate
    its number. A heuristic for suggestions, never a place by itself (find_building decides)."""
    folded = normalize_address(text)
    for match in _ADDRESS_TAIL.finditer(folded):
        if match["road"] and not (match["lane"] or match["number"]):
            continue
        before = _NAME_CHARS.search(folded[max(0, match.start() - NAME_WINDOW) : match.start()])
        name = _BEFORE_NAME.sub("", before.group(0))[-NAME_MAX:] if before else ""
        if len(name) < 2:  # 新路3号: too short to be a name
            continue
        return name + match.group(0)
    return ""
