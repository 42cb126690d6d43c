"""intake: the smart-intake model (cases.intake.model) on demo-like complaints.

The texts are the demo's own: the case planner of civicgrid/demo/cases.py (the same topics,
templates, addresses and typed phone numbers `load_demo` registers) over the four demo
streets, seeded. A fixed, seeded 20% is held out; the model is trained on the rest. Measured:
accuracy and macro-F1 of the category (and the request type's accuracy) on the held-out
texts, and the time to classify one message at a time, as the desk form does. Baselines,
on the same split in the same run: the majority class, and keywords — each word (jieba,
core.text) assigned to the category it occurs in most often in the training texts, a text
given the category with most of its words (the majority class when none)."""

import random
from collections import Counter, defaultdict
from datetime import date

from .common import Figure, Result, Target, Timer

TARGET_MS = 5.0
HELD_OUT = 0.2
MIN_KEYWORD_COUNT = 3  # a word seen fewer times is no keyword


def demo_texts(n: int, seed: int = 1) -> list[tuple[str, str, str]]:
    """(text, category, request type) of `n` demo cases, spread over the demo streets."""
    from civicgrid.demo.builder import build_plan
    from civicgrid.demo.cases import Planner, due_from_db, street_infos

    infos = street_infos(build_plan())
    due = due_from_db()
    # The planner is deterministic per street and number; the load day only moves times.
    planners = [Planner(info, due, date(2026, 3, 2)) for info in infos]
    out: list[tuple[str, str, str]] = []
    number = seed * 1_000_000
    while len(out) < n:
        number += 1
        for planner in planners[: n - len(out)]:
            try:
                plan = planner.plan(number)
            except KeyError:
                # The planner's rare sensor order whose topic was redrawn to one the sensors
                # have no text for (it never comes up among the showcase's numbers).
                continue
            out.append((plan.description, plan.category, plan.request_type))
    return out


class KeywordBaseline:
    def __init__(self, texts: list[str], labels: list[str]) -> None:
        from civicgrid.core.text import words

        self.words = words
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for text, label in zip(texts, labels, strict=True):
            for word in set(words(text)):
                counts[word][label] += 1
        self.keyword = {
            word: per.most_common(1)[0][0]
            for word, per in counts.items()
            if sum(per.values()) >= MIN_KEYWORD_COUNT
        }
        self.majority = Counter(labels).most_common(1)[0][0]

    def predict(self, text: str) -> str:
        votes = Counter(self.keyword[w] for w in self.words(text) if w in self.keyword)
        return votes.most_common(1)[0][0] if votes else self.majority


def run(texts: int = 4000, seed: int = 1) -> Result:
    from sklearn.metrics import accuracy_score, f1_score

    from civicgrid.cases.intake.model import Example, train

    rows = demo_texts(texts, seed)
    random.Random(seed).shuffle(rows)
    cut = int(len(rows) * (1 - HELD_OUT))
    training, held = rows[:cut], rows[cut:]
    truth = [c for _t, c, _k in held]

    with Timer() as fit:
        model = train([Example(t, c, k) for t, c, k in training])
    with Timer() as one_by_one:
        predictions = [model.predict([t])[0] for t, _c, _k in held]
    guessed = [p.label for p in predictions]

    keywords = KeywordBaseline([t for t, _c, _k in training], [c for _t, c, _k in training])
    with Timer() as keyword_time:
        by_keyword = [keywords.predict(t) for t, _c, _k in held]
    by_majority = [keywords.majority] * len(held)

    def macro(predicted: list[str]) -> float:
        return float(f1_score(truth, predicted, average="macro", zero_division=0))

    ms = one_by_one.seconds / len(held) * 1000
    accuracy = float(accuracy_score(truth, guessed))
    keyword_accuracy = float(accuracy_score(truth, by_keyword))
    kinds = float(accuracy_score([k for _t, _c, k in held], [p.request_type for p in predictions]))
    result = Result(
        name="intake",
        size=f"{len(training):,} training texts, {len(held):,} held out, {len(set(truth))} categories",
        figures=[
            Figure("category accuracy", accuracy * 100, "%"),
            Figure("category macro-F1", macro(guessed) * 100, "%"),
            Figure("baseline keywords accuracy", keyword_accuracy * 100, "%"),
            Figure("baseline keywords macro-F1", macro(by_keyword) * 100, "%"),
            Figure("baseline majority accuracy", float(accuracy_score(truth, by_majority)) * 100, "%"),
            Figure("baseline majority macro-F1", macro(by_majority) * 100, "%"),
            Figure("request type accuracy", kinds * 100, "%"),
            Figure("training", fit.seconds, "s"),
            Figure("classify one message", ms, "ms"),
            Figure("baseline keywords, one message", keyword_time.seconds / len(held) * 1000, "ms"),
        ],
        ratio=accuracy / keyword_accuracy if keyword_accuracy else 0.0,
        ratio_label="model accuracy / keyword accuracy",
        targets=[Target(f"classify one message < {TARGET_MS:g} ms", ms < TARGET_MS)],
        # The model must beat the baselines it is shown beside.
        agree=accuracy >= keyword_accuracy and accuracy > float(accuracy_score(truth, by_majority)),
    )
    result.notes.append(
        "the demo's texts come from a few templates per topic: real complaints are harder, "
        "read the figures against the baselines, not as a forecast"
    )
    return result
