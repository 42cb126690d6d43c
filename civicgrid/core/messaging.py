"""E-mails and text messages beside the inbox (docs/notifications.md).

`queue()` writes one `MessageDelivery` row per message in the caller's transaction — the
notifications consumer's, which reads the committed domain events — and sends each new row
in a task on the `notify` queue once that transaction has committed: never inside a request
or a write, never for a rolled-back one. The row's key (the notice's key, the channel, the
recipient) is unique, so a notice handled again sends nothing twice.

`attempt()` claims a row with a conditional UPDATE (two workers never both send it), sends it
(e-mail: Django's `EMAIL_BACKEND`; SMS: core.sms's provider, given the key as its idempotency
key) and logs the outcome on the row: sent, or the error and the next attempt after
base · 2^(n−1) seconds, until CIVICGRID_MESSAGE_MAX_ATTEMPTS have failed. Beat's
`send_due_messages` picks up what is due (a retry, a lost task, a worker that died while
sending). The address is decrypted only here, to send.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q

from . import clock, personal, sms
from .choices import MessageChannel, MessageStatus
from .models import MessageDelivery

log = logging.getLogger(__name__)

# How long a claimed row may stay "sending" before the sweep takes it as lost (a dead worker).
LEASE = timedelta(minutes=10)
MASKS = {MessageChannel.EMAIL: personal.mask_email, MessageChannel.SMS: personal.mask_phone}
ADDRESS_KINDS = {MessageChannel.EMAIL: personal.Kind.EMAIL, MessageChannel.SMS: personal.Kind.PHONE}


@dataclass(frozen=True)
class Message:
    channel: str
    to: str  # the address in full (a phone number, an e-mail address)
    kind: str
    text: str
    key: str  # the notice's key
    subject: str = ""
    user_id: int | None = None

    def row_key(self) -> str:
        # The recipient by account, else by a digest of the address (keys are not encrypted).
        kind = ADDRESS_KINDS[MessageChannel(self.channel)]
        who = f"u{self.user_id}" if self.user_id else personal.digest(kind, self.to)[:16]
        return f"{self.key}:{self.channel}:{who}"[:200]


def queue(messages: Iterable[Message], obj: models.Model | None = None) -> int:
    """Log the messages about `obj` as pending and send them after the commit; returns how
    many were new."""
    now = clock.now()
    about = {}
    if obj is not None:
        about = {
            "content_type": ContentType.objects.get_for_model(obj),
            "object_id": obj.pk,
            "street_id": getattr(obj, "street_id", None),
        }
    rows = {
        m.row_key(): MessageDelivery(
            key=m.row_key(),
            channel=m.channel,
            kind=m.kind,
            to=m.to,
            to_masked=MASKS[MessageChannel(m.channel)](m.to),
            user_id=m.user_id,
            subject=m.subject[:200],
            text=m.text,
            next_attempt_at=now,
            **about,
        )
        for m in messages
        if m.to
    }
    known = set(MessageDelivery.objects.filter(key__in=list(rows)).values_list("key", flat=True))
    new = [row for key, row in rows.items() if key not in known]
    if not new:
        return 0
    MessageDelivery.objects.bulk_create(new, ignore_conflicts=True)
    ids = list(MessageDelivery.objects.filter(key__in=[r.key for r in new]).values_list("pk", flat=True))
    # Robust: a broker that is down loses nothing (the rows wait for beat's sweep).
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(new)


def _enqueue(ids: list[int]) -> None:
    from . import tasks

    for pk in ids:
        tasks.send_message.delay(pk)


def attempt(pk: int) -> str:
    """Send delivery `pk` if it is due and nobody else is sending it; its status afterwards."""
    now = clock.now()
    row = MessageDelivery.objects.filter(pk=pk).first()
    if row is None:
        return "gone"
    claimable = Q(status=MessageStatus.PENDING) | Q(status=MessageStatus.SENDING, next_attempt_at__lte=now)
    claimed = (
        MessageDelivery.objects.filter(claimable, pk=pk, attempts=row.attempts).update(
            status=MessageStatus.SENDING, attempts=row.attempts + 1, next_attempt_at=now + LEASE
        )
        == 1
    )
    if not claimed:
        return row.status
    tries = row.attempts + 1
    try:
        _send(row)
    except Exception as exc:  # whatever the backend raised: logged on the row, tried again
        final = tries >= settings.CIVICGRID_MESSAGE_MAX_ATTEMPTS
        delay = timedelta(seconds=settings.CIVICGRID_MESSAGE_RETRY_BASE_SECONDS * 2 ** (tries - 1))
        status = MessageStatus.FAILED if final else MessageStatus.PENDING
        MessageDelivery.objects.filter(pk=pk).update(
            status=status,
            error=f"{type(exc).__name__}: {exc}"[:300],
            next_attempt_at=None if final else now + delay,
        )
        log.warning("%s to %s failed (attempt %s): %s", row.channel, row.to_masked, tries, exc)
        return status
    MessageDelivery.objects.filter(pk=pk).update(
        status=MessageStatus.SENT, sent_at=now, error="", next_attempt_at=None
    )
    return MessageStatus.SENT


def _send(row: MessageDelivery) -> None:
    to = personal.unmasked(row.to)  # reviewed: the one place a message's address is used
    if row.channel == MessageChannel.EMAIL:
        send_mail(row.subject, row.text, None, [to])
    else:
        sms.provider().send(to, row.text, row.key)


def send_due(limit: int = 500) -> int:
    """Attempt the deliveries whose (next) attempt is due; how many were sent."""
    now = clock.now()
    due = MessageDelivery.objects.filter(
        status__in=[MessageStatus.PENDING, MessageStatus.SENDING], next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    return sum(attempt(pk) == MessageStatus.SENT for pk in due.values_list("pk", flat=True)[:limit])
