"""The conditions behind every figure of the work-order loop (docs/metrics.md): which cases a
count counts. `cases.metrics` counts with them and `CaseFilterSet`'s `figure` parameter lists
with them, so a number on a dashboard and the list its link opens are the same cases by
construction — one definition, two readers (cases/tests/test_figures.py follows the links).

Figures that depend on the time of reading (the response rate's denominator: cases whose
response limit has passed) take `now`."""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.lookups import Exact, GreaterThan, In, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from .choices import OPEN_STATUSES, CaseStatus, Resolution, Satisfaction
from .models import Callback

# One matter counts once (一件多单): a case merged into a master — status merged, or
# closed along with its master (master set) — is left out of every rate and of the
# overdue count; it still appears in `total` and in `by_status`.
COUNTED = Q(master__isnull=True) & ~Q(status=CaseStatus.MERGED)

CLOSED = Q(status=CaseStatus.CLOSED)
CLOSED_LATE = CLOSED & Q(closed_at__isnull=False) & Q(GreaterThan(F("closed_at"), F("handling_due_at")))
CLOSED_ON_TIME = (
    CLOSED & Q(closed_at__isnull=False) & Q(LessThanOrEqual(F("closed_at"), F("handling_due_at")))
)
RESPONDED_ON_TIME = Q(responded_at__isnull=False) & Q(
    LessThanOrEqual(F("responded_at"), F("response_due_at"))
)


def latest_contacted_callback(field: str) -> Subquery:
    """The `field` of the case's answer: the resident's own rating (through their tracking
    link) when given, else the desk's most recent callback that reached the requester."""
    latest = Callback.objects.filter(case=OuterRef("pk"), contacted=True).order_by(
        "-by_resident", "-at", "-id"
    )
    return Subquery(latest.values(field)[:1])


def _response_due(now: datetime) -> Q:
    return Q(response_due_at__lte=now) | Q(responded_at__isnull=False)


def _contacted() -> Q:
    # Exists, not a join: a join on callbacks would multiply the rows of every other count.
    return Q(Exists(Callback.objects.filter(case=OuterRef("pk"), contacted=True)))


def _resolved() -> Q:
    return Q(Exact(latest_contacted_callback("resolution"), Resolution.RESOLVED))


def _satisfied() -> Q:
    return Q(In(latest_contacted_callback("satisfaction"), [Satisfaction.SATISFIED, Satisfaction.BASICALLY]))


# name → (label, condition at `now`). The rate figures are `<rate>_numerator`/`_denominator`
# as in metrics.RATES; `status_<s>` counts every case in that state (merged ones included).
FIGURES: dict[str, tuple[object, Callable[[datetime], Q]]] = {
    "total": (_("全部工单"), lambda now: Q()),
    "counted": (_("计入统计"), lambda now: COUNTED),
    "open": (_("在办"), lambda now: COUNTED & Q(status__in=OPEN_STATUSES)),
    "overdue": (_("超期"), lambda now: COUNTED & (Q(is_overdue=True) | CLOSED_LATE)),
    "overdue_open": (_("超期未办结"), lambda now: COUNTED & Q(is_overdue=True, status__in=OPEN_STATUSES)),
    "response_numerator": (_("按时响应"), lambda now: COUNTED & _response_due(now) & RESPONDED_ON_TIME),
    "response_denominator": (_("应响应"), lambda now: COUNTED & _response_due(now)),
    "response_missed": (_("未按时响应"), lambda now: COUNTED & _response_due(now) & ~RESPONDED_ON_TIME),
    "resolution_numerator": (_("已解决"), lambda now: COUNTED & _contacted() & _resolved()),
    "resolution_denominator": (_("回访联系上"), lambda now: COUNTED & _contacted()),
    "resolution_missed": (_("未解决"), lambda now: COUNTED & _contacted() & ~_resolved()),
    "satisfaction_numerator": (_("满意或基本满意"), lambda now: COUNTED & _contacted() & _satisfied()),
    "satisfaction_denominator": (_("回访联系上"), lambda now: COUNTED & _contacted()),
    "satisfaction_missed": (_("不满意"), lambda now: COUNTED & _contacted() & ~_satisfied()),
    "on_time_closure_numerator": (_("按时结案"), lambda now: COUNTED & CLOSED_ON_TIME),
    "on_time_closure_denominator": (_("已结案"), lambda now: COUNTED & CLOSED),
    "on_time_closure_missed": (_("超时结案"), lambda now: COUNTED & CLOSED & ~CLOSED_ON_TIME),
    **{
        f"status_{status.value}": (status.label, (lambda s: lambda now: Q(status=s))(status))
        for status in CaseStatus
    },
}


def figure_q(name: str, now: datetime) -> Q:
    """The condition of figure `name` (KeyError for an unknown one)."""
    return FIGURES[name][1](now)


def figure_choices() -> list[tuple[str, object]]:
    return [(name, label) for name, (label, _cond) in FIGURES.items()]
