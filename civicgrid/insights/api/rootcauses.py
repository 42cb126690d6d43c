"""/api/v1/insights/ endpoints of the root-cause analysis: the street's hotspots, its hot-topic
runs, and starting a run (a background job: 202 with the job to follow). Each hotspot carries
its case-filter parameters and `cases_url`, the workbench list its count was counted over;
`GET /cases` takes the same parameters (and the period as received_from/received_to)."""

from datetime import date
from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from civicgrid.core import clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    JobStarted,
    LocalDateTime,
    get_by_id,
    job_started,
    json_object,
)

from .. import analysis, jobs
from ..choices import HotspotKind, TopicRunStatus
from ..hotspots import Hotspot
from ..models import TopicRun

router = Router(tags=["insights"])


class StreetQuery(Schema):
    street: str | None = Field(None, description="街道编码；只管一个街道时可省略")


class HotspotOut(Schema):
    kind: HotspotKind
    label: str
    params: dict[str, str] = Field(description="工单筛选条件（GET /cases 的参数）")
    count: int = Field(description="统计期内的工单数，即 cases_url 列表的条数")
    previous: int | None = Field(None, description="环比上升：上周的工单数")
    detail: str
    date_from: date | None
    date_to: date | None
    cases_url: str = Field(description="工作台中这些工单的列表")


class HotspotsOut(Schema):
    street: AreaRef
    date: date
    hotspots: list[HotspotOut]


class ExampleOut(Schema):
    id: int
    number: str
    text: str


class TopicOut(Schema):
    terms: list[str]
    size: int = Field(description="话题的工单数")
    hotspot: HotspotOut
    examples: list[ExampleOut]


class TopicRunOut(Schema):
    id: int
    street: AreaRef
    status: TopicRunStatus
    date_from: date
    date_to: date
    cases: int = Field(description="分析的工单数")
    created_at: LocalDateTime
    finished_at: LocalDateTime | None
    topics: list[TopicOut]


def _hotspot(hotspot: Hotspot) -> dict[str, Any]:
    return {
        "kind": hotspot.kind,
        "label": hotspot.label,
        "params": hotspot.params,
        "count": hotspot.count,
        "previous": hotspot.previous,
        "detail": hotspot.detail,
        "date_from": hotspot.date_from,
        "date_to": hotspot.date_to,
        "cases_url": hotspot.cases_link(),
    }


def _run(user: Any, run: TopicRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "street": run.street,
        "status": run.status,
        "date_from": run.date_from,
        "date_to": run.date_to,
        "cases": run.cases,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "topics": [
            {
                "terms": cluster["terms"],
                "size": cluster["size"],
                "hotspot": _hotspot(hotspot),
                "examples": cluster["examples"],
            }
            for hotspot, cluster in analysis.topics_of(user, run)
        ],
    }


@router.get("/hotspots", response={200: HotspotsOut, **READ_ERRORS}, summary="源头分析：问题点")
def get_hotspots(request: Any, query: Query[StreetQuery]) -> dict[str, Any]:
    """Repeated addresses and buildings, recurrences (a category in a grid, week after week),
    week-over-week rises and the latest hot-topic run's topics, with the street's thresholds."""
    require(request.auth, "insights.dashboard")
    street = jobs.pick_street(request.auth, query.street)
    day = clock.today()
    found = analysis.hotspots(request.auth, street, day)
    return {"street": street, "date": day, "hotspots": [_hotspot(h) for h in found]}


@router.get("/topics", response={200: TopicRunOut, **READ_ERRORS}, summary="热点话题：最近一次分析")
def get_latest_topics(request: Any, query: Query[StreetQuery]) -> dict[str, Any]:
    """The street's latest finished hot-topic run (404 when it has none yet)."""
    require(request.auth, "insights.dashboard")
    run = analysis.latest_topics(request.auth, jobs.pick_street(request.auth, query.street))
    if run is None:
        raise Http404
    return _run(request.auth, run)


@router.get("/topics/{run_id}", response={200: TopicRunOut, **READ_ERRORS}, summary="热点话题：一次分析")
def get_topics(request: Any, run_id: int) -> dict[str, Any]:
    require(request.auth, "insights.dashboard")
    runs = TopicRun.objects.restrict(request.auth, Action.VIEW).select_related("street")
    return _run(request.auth, get_by_id(runs, run_id))


@router.post(
    "/topics",
    response={202: JobStarted, **WRITE_ERRORS},
    summary="热点话题：开始分析（后台任务）",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"street": {"type": "string", "description": "街道编码"}},
                        "additionalProperties": False,
                    }
                }
            },
        }
    },
)
def start_topics(request: Any) -> Status:
    """Clusters the street's cases of the last `insights.topic_days` days in the background;
    follow the job (`job_url`), then read `GET /insights/topics`."""
    require(request.auth, "insights.dashboard")
    body = json_object(request)
    unknown = sorted(set(body) - {"street"})
    if unknown:
        raise InvalidInput(f"未知参数：{'、'.join(unknown)}", dict.fromkeys(unknown, "unknown"))
    job = jobs.start_topics(request.auth, jobs.pick_street(request.auth, body.get("street")))
    return job_started(job)
