"""Personal data shown to people who need only part of it."""

from typing import Any

from django.utils.translation import gettext


def mask_phone(phone: str) -> str:
    """13800000000 → 138****0000: enough to recognise a number, not to call it."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def reporter_view(name: str, phone: str, anonymous: bool, *, full: bool) -> dict[str, Any]:
    """The reporter as a reader may see them. `full` (the desk: dispatchers, administrators)
    sees everything; anyone else sees a masked phone, and nothing of an anonymous reporter."""
    if full:
        return {"name": name, "phone": phone, "anonymous": anonymous}
    if anonymous:
        return {"name": gettext("匿名"), "phone": "", "anonymous": True}
    return {"name": name, "phone": mask_phone(phone), "anonymous": False}
