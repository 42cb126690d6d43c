"""Chinese text into words: jieba with its default dictionary (shipped with the package, so
nothing is downloaded), loaded once per process behind a lock. Used by the hot topics
(insights.topics) and the intake suggestions (cases.intake.suggest)."""

import logging
import re
import threading
import warnings
from collections.abc import Collection
from typing import Any

_lock = threading.Lock()
_jieba: Any = None
# A token that says something: it holds a Chinese character or a Latin letter.
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def segmenter() -> Any:
    """jieba, its default dictionary loaded once per process, its log quiet."""
    global _jieba
    with _lock:
        if _jieba is None:
            with warnings.catch_warnings():
                # jieba's source has regex escapes Python 3.12 warns about when compiling it.
                warnings.simplefilter("ignore", SyntaxWarning)
                import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def words(text: str, stop: Collection[str] = ()) -> list[str]:
    """The words of `text` that can tell texts apart: no single characters, no numbers, no
    punctuation, none of `stop`."""
    return [
        word
        for word in segmenter().lcut(text)
        if len(word) > 1 and word not in stop and _WORD.search(word) and not word.isdigit()
    ]
