"""Printed documents: an HTML template drawn as an A4 PDF by WeasyPrint in Noto Sans CJK
(Debian `fonts-noto-cjk`). Every app's forms and notices (cases' 派遣单, inspections'
限期整改通知书) go through `render()`, so the renderer is configured once."""

from typing import Any

from django.template.loader import render_to_string


def render(template: str, context: dict[str, Any]) -> bytes:
    """The template's PDF. The document is self-contained: nothing in it may make the
    renderer reach for a file or the network — only `data:` URIs, whose bytes are in the
    document itself (the newsletter's photos)."""
    html = render_to_string(template, context)
    # Imported when printing: it loads Pango and the fonts.
    from weasyprint import HTML, URLFetcher

    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
