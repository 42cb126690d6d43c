"""The intake model (智能派单): from a complaint's text, its category and request type with a
confidence. Features are TF-IDF over jieba's words (core.text) and over character pairs and
triples (a word jieba splits oddly still counts); one logistic regression per target
(scikit-learn) gives probabilities, the top one is the confidence. Everything is local: the
model is trained from the street's own cases or a spreadsheet and saved with joblib.

Pure: no database. cases.intake.suggest trains it from cases and serves it per street."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicgrid.core.redact import redact
from civicgrid.core.text import words

# The file's own mark: load() refuses anything else (another pickle, an older layout).
FORMAT = "civicgrid.intake/1"
MIN_ROWS = 4  # fewer labelled texts than this teach nothing
MAX_TEXT = 2000  # the desk form's limit: a longer text adds nothing but time


class TrainingError(ValueError):
    """The examples cannot make a model (too few, one label only): the message says why."""


class ModelFileError(ValueError):
    """The file is not an intake model of this version."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # the category code (or a file's label column)
    request_type: str = ""  # empty: not known (a file without it)
    weight: float = 1.0  # a desk's correction counts more than a plain case


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    request_type: str = ""
    request_type_confidence: float = 0.0


@dataclass
class IntakeModel:
    vectorizer: Any
    labels: Any  # the classifier of the label
    request_types: Any = None  # None: trained without request types
    info: dict[str, Any] = field(default_factory=dict)  # trained_at, rows, labels… (shown on pages)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        matrix = self.vectorizer.transform([prepare(t) for t in texts])
        label, confidence = _top(self.labels, matrix)
        kinds, kind_confidence = (
            _top(self.request_types, matrix)
            if self.request_types is not None
            else ([""] * len(texts), [0.0] * len(texts))
        )
        return [
            Prediction(str(a), float(b), str(c), float(d))
            for a, b, c, d in zip(label, confidence, kinds, kind_confidence, strict=True)
        ]


def _top(classifier: Any, matrix: Any) -> tuple[list[Any], list[float]]:
    probabilities = classifier.predict_proba(matrix)
    best = probabilities.argmax(axis=1)
    return [classifier.classes_[i] for i in best], [probabilities[r, i] for r, i in enumerate(best)]


def prepare(text: str) -> str:
    """The text as the model sees it: bounded, phones and ID numbers masked (they are nobody's
    category and must not end up in the saved vocabulary)."""
    return redact(str(text or "")[:MAX_TEXT])


def analyse_words(text: str) -> list[str]:
    # A module-level function: the saved vectorizer refers to it by name.
    return words(text)


def train(examples: Sequence[Example], *, info: dict[str, Any] | None = None) -> IntakeModel:
    """A model of `examples`. The request type is learnt when the examples have at least two
    different ones (every example must have one then)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    rows = [e for e in examples if e.text.strip() and e.label]
    if len(rows) < MIN_ROWS:
        raise TrainingError(f"可用于训练的记录只有 {len(rows)} 条，至少需要 {MIN_ROWS} 条")
    labels = sorted({e.label for e in rows})
    if len(labels) < 2:
        raise TrainingError(f"所有记录都属于同一类别（{labels[0]}），至少需要两个类别")
    vectorizer = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=analyse_words, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=1)),
        ]
    )
    matrix = vectorizer.fit_transform([prepare(e.text) for e in rows])
    weights = [e.weight for e in rows]

    def fit(targets: list[str]) -> Any:
        return LogisticRegression(C=10.0, max_iter=1000).fit(matrix, targets, sample_weight=weights)

    kinds = {e.request_type for e in rows}
    request_types = fit([e.request_type for e in rows]) if len(kinds) >= 2 and "" not in kinds else None
    described = {
        "format": FORMAT,
        "rows": len(rows),
        "labels": len(labels),
        "request_types": request_types is not None,
        **(info or {}),
    }
    return IntakeModel(vectorizer, fit([e.label for e in rows]), request_types, described)


def save(model: IntakeModel, path: str | Path) -> None:
    """Written next to its place and renamed over it: a reader never loads half a file."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    joblib.dump(
        {
            "format": FORMAT,
            "vectorizer": model.vectorizer,
            "labels": model.labels,
            "request_types": model.request_types,
            "info": model.info,
        },
        partial,
        compress=3,
    )
    partial.replace(path)


def load(path: str | Path) -> IntakeModel:
    """The model saved at `path`; ModelFileError when the file is missing, unreadable or not
    an intake model of this FORMAT. (joblib unpickles: load only files this system wrote.)"""
    import joblib

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"模型文件不存在：{path}")
    try:
        stored = joblib.load(path)
    except Exception as exc:  # any unreadable file: a pickle, a zip, text…
        raise ModelFileError(f"无法读取模型文件 {path.name}：{type(exc).__name__}") from exc
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        raise ModelFileError(f"{path.name} 不是本系统的派单模型（需要 {FORMAT}）")
    return IntakeModel(stored["vectorizer"], stored["labels"], stored["request_types"], stored["info"])


def file_rows(path: str | Path, text_column: str, label_column: str | None = None) -> Any:
    """(row number, text, label) of each row of a spreadsheet (core.spreadsheets: .xlsx or
    .csv), row 2 the first under the header; wholly blank rows are skipped. ImportFileError
    names a missing file or column, or a cell that holds no value (a formula without a result…)."""
    from civicgrid.core.spreadsheets import (
        ImportFileError,
        RowProblem,
        is_blank,
        map_columns,
        parse_text,
        read_rows,
    )

    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    rows = read_rows(path)
    headers = {"text": text_column, **({"label": label_column} if label_column else {})}
    cols = map_columns(next(rows, None), headers, tuple(headers))
    for number, raw in enumerate(rows, start=2):
        if all(is_blank(c) for c in raw):
            continue
        try:
            text = parse_text(cols.value(raw, "text"))
            label = parse_text(cols.value(raw, "label")) if label_column else ""
        except RowProblem as problem:
            raise ImportFileError(f"第 {number} 行：{problem.reason}") from problem
        yield number, text, label
