from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import index
from .models import Area


def _area_changed(sender: Any, **kwargs: Any) -> None:
    # Now, so this transaction sees its own change; and after commit, for everyone else.
    index.invalidate()
    if transaction.get_connection().in_atomic_block:
        index.mark_uncommitted_change()
    transaction.on_commit(index.committed)


post_save.connect(_area_changed, sender=Area, dispatch_uid="geo-index-save")
post_delete.connect(_area_changed, sender=Area, dispatch_uid="geo-index-delete")
