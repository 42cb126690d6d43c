"""Background jobs of insights' root-cause analysis (core.jobs): a hot-topic run of a street.
The page and the API start it (`start_topics`); the weekly beat task starts one per street
(`start_topics_for_all`, no requester). The reports part registers its kinds in report_jobs.py."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import actions as core_actions
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.geo.models import Area

from . import topics
from .models import TopicRun

TOPICS = "insights.topics"


def reader_streets(user: Any) -> Any:
    """The streets whose root causes the reader may look at."""
    return Area.objects.restrict(user, Action.VIEW).streets().defer("geometry").order_by("code")


def pick_street(user: Any, code: Any) -> Area:
    """The reader's street by code; their only street when none is named. InvalidInput
    (naming `street`) for an unknown or another's street, or none named among several."""
    streets = reader_streets(user)
    if code in (None, ""):
        found = list(streets[:2])
        if len(found) == 1:
            return found[0]
        raise InvalidInput(gettext("请选择街道"), {"street": "required"})
    street = streets.filter(code=str(code).strip()).first()
    if street is None:
        raise InvalidInput(gettext("街道编码“%(code)s”不存在") % {"code": code}, {"street": "unknown"})
    return street


def may_start(user: Any) -> bool:
    return core_jobs.may_start(user, TOPICS)


def start_topics(user: Any, street: Area) -> Job:
    """A hot-topic run of the street's last `insights.topic_days` days, as a job."""
    if not may_start(user):
        raise Forbidden(gettext("无权发起热点话题分析"))
    date_from, date_to = topics.default_period(street)
    return core_jobs.submit(TOPICS, user, street_id=street.pk, params=_params(street, date_from, date_to))


def start_topics_for_all() -> list[int]:
    """One run per street, started by the system (the weekly beat task); each job runs here,
    one after the other, in the worker that runs the task. Returns the jobs' ids."""
    done = []
    for street in Area.objects.streets().defer("geometry").order_by("code"):
        date_from, date_to = topics.default_period(street)
        with transaction.atomic():
            job = core_actions.create_job(
                TOPICS, None, street_id=street.pk, params=_params(street, date_from, date_to)
            )
        core_jobs.run(job.pk)
        done.append(job.pk)
    return done


def _params(street: Area, date_from: date, date_to: date) -> dict[str, Any]:
    return {"street_id": street.pk, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}


def _topics(run: JobRun) -> Outcome:
    params = run.params
    street = Area.objects.defer("geometry").get(pk=params["street_id"])
    # A redelivered job (its worker died) takes up the run it had begun.
    topic_run = TopicRun.objects.filter(job=run.job).first() or topics.begin(
        street,
        date.fromisoformat(params["date_from"]),
        date.fromisoformat(params["date_to"]),
        actor=run.job.created_by,
        job=run.job,
    )
    run.progress(0, None, gettext_noop("正在分词和聚类"))
    topic_run = topics.analyse(topic_run, lambda done, total: run.progress(done, total))
    return Outcome(
        summary=[
            (gettext_noop("分析工单数"), topic_run.cases),
            (gettext_noop("话题数"), len(topic_run.clusters)),
        ],
        data={"topic_run": topic_run.pk},
        done=topic_run.cases,
        message=gettext_noop("分析完成"),
    )


core_jobs.register(
    JobKind(name=TOPICS, label=_("热点话题分析"), run=_topics, capability="insights.dashboard", queue="bulk")
)
