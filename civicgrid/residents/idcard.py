"""The 18-digit resident identity number (GB 11643-1999): region, birth date, sequence, the
ISO 7064 MOD 11-2 check character. Other documents (passports, permits) are kept as typed."""

from datetime import date

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def normalise(number: str) -> str:
    return "".join((number or "").split()).upper()


def check_char(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date(number: str) -> date | None:
    """The birth date an 18-digit number carries, None if it carries no real date."""
    text = normalise(number)
    try:
        return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None


def problem(number: str) -> str | None:
    """Why `number` is no valid 18-digit identity number, or None when it is."""
    text = normalise(number)
    if len(text) != 18:
        return _("身份证号码应为18位")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return _("身份证号码只能是数字，末位可为X")
    if birth_date(text) is None or text[6:8] not in ("19", "20"):
        return _("身份证号码中的出生日期无效")
    if check_char(text[:17]) != text[17]:
        return _("身份证号码校验位不正确")
    return None


def sex(number: str) -> str:
    """ "M" or "F" from the sequence's last digit (odd: male)."""
    return "M" if int(normalise(number)[16]) % 2 else "F"


def make(region: str, born: date, sequence: int) -> str:
    """A number with a valid check character (tests and the demo: region "310000", a city-level
    code no card carries, marks it as fictitious)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
