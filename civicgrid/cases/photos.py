"""Photo intake is the kernel's (core.attachments: Pillow-validated, size-limited, EXIF —
and so GPS location — stripped, thumbnailed); the name the workflow table's photo
parameters clean with."""

from civicgrid.core.attachments import clean_image as clean_photo

__all__ = ["clean_photo"]
