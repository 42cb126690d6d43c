"""Personal data typed into free text, masked before the text goes where the public reads it.

Residents write their phone number, ID number or car plate into a description ("联系
13812340000"). `redact()` masks mainland mobile numbers (spaces or dashes inside, +86/0086
in front, full-width digits), landlines with an area code, 18- and 15-digit ID numbers and
vehicle plates, keeping enough to recognise them (138****0000, 021-****5678,
3101**********1234, 沪A****5) and nothing else of the text changed.

Every alternative matches a bounded number of characters (the tests check the compiled
pattern's width) and is anchored by look-arounds of one character, so the work per position is bounded
and the whole pass is linear in the text, whatever it contains.
"""

import re

from .privacy import mask_phone

# Full-width forms and the dashes, dots and spaces people type between digits, one for one,
# so that positions in the normalised text are positions in the original.
_FULL_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULL_WIDTH.update({0xFF21 + i: ord("A") + i for i in range(26)})
_FULL_WIDTH.update({0xFF41 + i: ord("a") + i for i in range(26)})
_FULL_WIDTH.update(
    {
        0xFF0B: ord("+"),
        0xFF08: ord("("),
        0xFF09: ord(")"),
        0xFF0D: ord("-"),
        0x2010: ord("-"),
        0x2011: ord("-"),
        0x2012: ord("-"),
        0x2013: ord("-"),
        0x2014: ord("-"),
        0x3000: ord(" "),
        0x00A0: ord(" "),
        0x00B7: ord("·"),
        0x30FB: ord("·"),
        0x2022: ord("·"),
    }
)
_NORMALISE = str.maketrans(_FULL_WIDTH)

_SEP = r"[ \-]?"
# The provinces' one-character abbreviations on plates.
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"

PATTERN = re.compile(
    # ID numbers first: their digits must not be read as a phone number.
    rf"(?<![0-9A-Za-z])(?P<id18>[1-9]\d{{5}} ?(?:18|19|20)\d{{2}}{_DATE} ?\d{{3}}[\dXx])(?![0-9A-Za-z])"
    rf"|(?<![0-9A-Za-z])(?P<id15>[1-9]\d{{5}}\d{{2}}{_DATE}\d{{3}})(?![0-9A-Za-z])"
    # Mobile: 1[3-9] and nine more digits, the usual 3-4-4 grouping allowed; +86 kept as typed.
    rf"|(?<!\d)(?P<cc>(?:\+|00)?86{_SEP})?(?P<mobile>1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}})(?!\d)"
    # Landline: area code (0 then 2-3 digits, maybe in brackets) and 7-8 digits.
    rf"|(?<!\d)(?P<area>\(0[1-9]\d{{1,2}}\)|0[1-9]\d{{1,2}}){_SEP}(?P<line>\d{{7,8}})(?!\d)"
    # Plates: province, city letter, an optional dot, 5 characters (6 for new energy), with a digit.
    rf"|(?P<plate>[{_PROVINCES}][A-HJ-NP-Za-hj-np-z][· ]?(?=[A-Za-z\d]{{0,5}}\d)[A-Za-z\d]{{5,6}})"
    r"(?![A-Za-z\d])"
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx")


def _mask(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind in ("id18", "id15"):
        value = _digits(match[kind]).upper()
        return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
    if kind == "mobile":
        return (match["cc"] or "") + mask_phone(_digits(match["mobile"]))
    if kind == "line":
        area, line = match["area"], match["line"]
        return f"{area}{'' if area.startswith('(') else '-'}{'*' * (len(line) - 4)}{line[-4:]}"
    plate = match["plate"].replace("·", "").replace(" ", "").upper()
    return f"{plate[:2]}{'*' * (len(plate) - 3)}{plate[-1]}"


def redact(text: str) -> str:
    """`text` with the personal data in it masked; text without any comes back unchanged."""
    if not text:
        return text or ""
    normalised = text.translate(_NORMALISE)
    out: list[str] = []
    done = 0
    for match in PATTERN.finditer(normalised):
        out.append(text[done : match.start()])
        out.append(_mask(match))
        done = match.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def has_personal_data(text: str) -> bool:
    """Whether redact() would mask anything (the case page offers a reveal only then)."""
    return bool(text) and PATTERN.search(text.translate(_NORMALISE)) is not None
