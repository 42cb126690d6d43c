"""The printed documents of inspections, A4 PDFs through core.pdf: the 限期整改通知书 of an order
(with a receipt slip, 回执, the party signs and returns) and the 检查报告 of an inspection. The
responsible party's phone is printed masked; free text (the finding, the requirement, the
notes) goes through core.redact, so a phone or ID number typed into it is masked too.
Printing writes nothing: a reprint is the same document."""

from civicgrid.core import clock, pdf
from civicgrid.core.redact import redact

from .models import Inspection, Order


def _text(value: str) -> str:
    return redact(value or "")


def notice(order: Order) -> bytes:
    """限期整改通知书 of `order` (found through restrict() by the caller)."""
    place = order.place
    context = {
        "order": order,
        "place": place,
        "street": order.street,
        "finding": _text(order.finding),
        "requirement": _text(order.requirement),
        "evidence": _text(order.evidence_required),
        "responsible": _text(order.responsible),
        # The phone as stored is masked text (PersonalDataField); never the full number on paper.
        "phone": str(place.responsible_phone or ""),
        "printed_at": clock.localtime(),
    }
    return pdf.render("inspections/print/notice.html", context)


def report(inspection: Inspection, orders: list[Order]) -> bytes:
    """检查报告 of `inspection` with the orders it gave (both found through restrict())."""
    results = inspection.results.select_related("item").order_by("item__position")
    context = {
        "inspection": inspection,
        "place": inspection.place,
        "street": inspection.street,
        "note": _text(inspection.note),
        "results": [{"r": r, "note": _text(r.note)} for r in results],
        "orders": [{"o": o, "finding": _text(o.finding)} for o in orders],
        "printed_at": clock.localtime(),
    }
    return pdf.render("inspections/print/report.html", context)
