"""Where in a building an address points: the room number of "…100号302室" ("302"), so that a
case reported at a flat finds the flat's household (residents.panels)."""

import re

# "302室", "1202 室", "3-302室", "B座1502房"; the last room named wins ("1号楼302室").
ROOM = re.compile(r"(?:\d+\s*[-－]\s*)?(\d{1,5}[A-Za-z]?)\s*[室房]")
# No 室: a number of three or four digits right after the 号 of the building ("100号302").
AFTER_NUMBER = re.compile(r"号\s*(?:楼\s*)?(\d{3,4}[A-Za-z]?)\s*$")


def room_of(address: str) -> str | None:
    """The room number an address names, upper-cased, or None."""
    text = (address or "").strip()
    rooms = ROOM.findall(text)
    if rooms:
        return str(rooms[-1]).upper()
    match = AFTER_NUMBER.search(text)
    return match.group(1).upper() if match else None
