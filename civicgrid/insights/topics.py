"""Hot topics (热点话题): a street's case texts of a period clustered by what they say.

Each text (title and description) is segmented by core.text (jieba's default dictionary, shipped
with the package: nothing is downloaded), stripped of one-character tokens, numbers and words every
case of a street says (小区, 居民, 反映…); TF-IDF (scikit-learn) weighs the rest and k-means
groups the texts (`random_state=0`, a fixed `n_init`: the same texts give the same topics).
A topic is its top terms (the centroid's heaviest), its size, its cases ordered closest to the
centroid first and up to five examples.

It runs as a background job (insights.jobs), never in a request; the result is a TopicRun."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from civicgrid.cases.filters import start_of
from civicgrid.cases.models import Case
from civicgrid.core import clock, events, profile
from civicgrid.core.redact import redact
from civicgrid.core.text import words
from civicgrid.geo.models import Area

from .choices import TopicRunStatus
from .models import TopicRun

MAX_CASES = 20_000  # the newest of the period
EXAMPLES = 5
TOP_TERMS = 8
MIN_PER_TOPIC = 5  # fewer cases than k × this: fewer topics
N_INIT = 3
EXAMPLE_CHARS = 120
PROGRESS_EVERY = 500

# Words that tell one case from another nothing: the street's everyday vocabulary and the
# function words jieba keeps as tokens.
_STOP_WORDS = """
    小区 居民 反映 市民 来电 诉求 投诉 要求 希望 问题 情况 目前 现在 一直 已经 没有 不能 无法 相关 部门
    处理 解决 尽快 及时 请求 请问 表示 称其 称有 其称 本人 我们 他们 你们 自己 这个 那个 这里 那里 这样
    什么 怎么 为什么 因为 所以 但是 而且 然后 还是 或者 以及 如果 由于 对于 关于 进行 造成 导致 存在
    发现 出现 影响 严重 非常 比较 经常 多次 长期 附近 周边 门口 地址 位于 号楼 单位 街道 社区 物业 业主
    工单 热线 电话 联系 核实 协调 答复 回复 反馈 谢谢 感谢 麻烦 帮忙 一下 一个 一些 有人 有关 此事
    今天 昨天 前天 最近 近期 每天
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def tokens(text: str) -> list[str]:
    """The words of a case text that can tell topics apart."""
    return words(text, STOP_WORDS)


@dataclass
class Topic:
    terms: list[str]
    members: list[int]  # indexes into the input, closest to the centroid first


Progress = Callable[[int, int], None]


def cluster(texts: Sequence[str], k: int, progress: Progress | None = None) -> list[Topic]:
    """Topics of `texts`, largest first; at most `k`, fewer when there are few texts (or few
    different ones). Texts with no telling word belong to no topic."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    words: list[str] = []
    for done, text in enumerate(texts, start=1):
        words.append(" ".join(tokens(text)))
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, len(texts))
    kept = [i for i, w in enumerate(words) if w]
    k = min(k, len(kept) // MIN_PER_TOPIC, len({words[i] for i in kept}))
    if k < 1:
        return []
    many = len(kept) >= 50
    # The words are joined by spaces above: split them back, nothing else.
    vectorizer = TfidfVectorizer(
        tokenizer=str.split,
        token_pattern=None,
        lowercase=False,
        min_df=2 if many else 1,
        max_df=0.9 if many else 1.0,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform([words[i] for i in kept])
    except ValueError:  # no word left after min_df / max_df
        return []
    k = min(k, matrix.shape[1])
    if k < 1:
        return []
    model = KMeans(n_clusters=k, n_init=N_INIT, random_state=0).fit(matrix)
    distances = model.transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    topics = []
    for label in range(k):
        rows = [r for r in range(len(kept)) if model.labels_[r] == label]
        if not rows:
            continue
        rows.sort(key=lambda r: (distances[r, label], kept[r]))
        weights = model.cluster_centers_[label]
        top = [str(vocabulary[t]) for t in weights.argsort()[::-1][:TOP_TERMS] if weights[t] > 0]
        topics.append(Topic(terms=top, members=[kept[r] for r in rows]))
    topics.sort(key=lambda t: (-len(t.members), t.terms))
    return topics


def default_period(street: Area, day: date | None = None) -> tuple[date, date]:
    """The last `insights.topic_days` days up to `day`."""
    day = day or clock.today()
    return day - timedelta(days=profile.value("insights.topic_days", street.pk) - 1), day


def begin(street: Area, date_from: date, date_to: date, *, actor: Any = None, job: Any = None) -> TopicRun:
    with transaction.atomic():
        run = TopicRun.objects.create(
            street=street,
            date_from=date_from,
            date_to=date_to,
            job=job,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=clock.now(),
        )
        events.log(run, "topics_started", actor)
    return run


def analyse(run: TopicRun, progress: Progress | None = None) -> TopicRun:
    """Cluster the run's street and period (the newest MAX_CASES cases) and store the topics;
    a failure marks the run failed and is raised again."""
    try:
        cases = list(
            Case.objects.filter(
                street_id=run.street_id,
                received_at__gte=start_of(run.date_from),
                received_at__lt=start_of(run.date_to + timedelta(days=1)),
            )
            .order_by("-received_at", "-id")
            .values_list("pk", "number", "title", "description")[:MAX_CASES]
        )
        k = profile.value("insights.topic_clusters", run.street_id)
        texts = [f"{title} {description}" for _pk, _n, title, description in cases]
        topics = cluster(texts, k, progress)
        clusters = [
            {
                "terms": topic.terms,
                "size": len(topic.members),
                "case_ids": [cases[i][0] for i in topic.members],
                "examples": [
                    {
                        "id": cases[i][0],
                        "number": cases[i][1],
                        "text": redact(texts[i].strip())[:EXAMPLE_CHARS],
                    }
                    for i in topic.members[:EXAMPLES]
                ],
            }
            for topic in topics
        ]
    except Exception:
        _finish(run, TopicRunStatus.FAILED, 0, [])
        raise
    return _finish(run, TopicRunStatus.DONE, len(cases), clusters)


def _finish(run: TopicRun, status: str, count: int, clusters: list[dict[str, Any]]) -> TopicRun:
    with transaction.atomic():
        run.status, run.cases, run.clusters, run.finished_at = status, count, clusters, clock.now()
        run.save(update_fields=["status", "cases", "clusters", "finished_at"])
        events.log(run, f"topics_{status}", run.created_by, payload={"cases": count, "topics": len(clusters)})
    return run
