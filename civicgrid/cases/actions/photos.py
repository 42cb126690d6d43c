"""Photos on their own, outside an action's form (the API's upload)."""

from typing import Any

from django.conf import settings
from django.utils import translation

from civicgrid.core.errors import InvalidInput

from ..choices import CaseAction, PhotoStage
from ..models import CaseEvent
from ..photos import clean_photo
from .common import choice
from .frame import FRAME, CaseContext, load_case


def add_photos(
    case: Any,
    actor: Any,
    *,
    photos: list[Any],
    stage: str = PhotoStage.AFTER,
    note: str = "",
    version: int | None = None,
) -> CaseEvent:
    """Every file is validated and stripped (core.attachments) before anything is written; then one
    transaction stores them with a timeline row — a comment, which every staff role may add in
    any state — and bumps the version. Files written before a rollback are removed again.
    Returns the row; its `photos` are the new photos."""
    visible = load_case(case, actor)  # outside the scope: 404 before the files are even looked at
    stage = choice(stage, PhotoStage, "stage", "照片阶段")
    if not photos:
        raise InvalidInput("请选择要上传的照片", {"photos": "required"})
    # Cleaned once: a retry after "database is locked" must not read the uploads a second time.
    cleaned = [clean_photo(f) for f in photos]
    with translation.override(settings.LANGUAGE_CODE):  # the timeline is written in the site's language
        text = (note or "").strip() or f"上传了 {len(cleaned)} 张{PhotoStage(stage).label}照片"

    def store(ctx: CaseContext) -> None:
        ctx.note = text
        ctx.attach(cleaned, stage)

    return FRAME.act(visible.pk, CaseAction.COMMENT, actor, store, version=version).event
