"""One-time ballot codes of a democratic evaluation. A code is derived, never stored: an HMAC
of the evaluation and the representative under the site's secret, written in an alphabet without
the look-alikes 0/O and 1/I, so the desk can print a representative's slip again; only its
SHA-256 digest is kept (`EvaluationVoter.code_digest`)."""

import hashlib
import hmac

from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
LENGTH = 10  # 50 bits: far beyond guessing under the wrong-code throttle


def derive(evaluation_id: int, representative_id: int) -> str:
    """A representative's code in an evaluation (one voter row each), so it exists before the row."""
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"{evaluation_id}:{representative_id}".encode(), hashlib.sha256
    ).digest()
    number = int.from_bytes(mac[:8], "big")
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(LENGTH))


def normalise(text: str) -> str | None:
    """The code as typed (any case, spaces or dashes between groups) in its canonical form;
    None when it cannot be a code at all."""
    code = "".join(ch for ch in str(text).upper() if ch.isalnum())
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def spaced(code: str) -> str:
    """Printed in two groups of five, easier to type from the slip."""
    return f"{code[:5]}-{code[5:]}"
