"""What a street sets for its registry (core.profile): how often each kind of care tag is
visited, and the 知情 examination's sample size."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, Limits, define

from .choices import AgeBand, CareKind

# The parts of the visit interval: each city care kind, then the high-age bands ("age80"…).
VISIT_PARTS = tuple((k, label) for k, label in CareKind.choices if k != CareKind.LOCAL) + tuple(
    (f"age{band}", label) for band, label in AgeBand.choices
)

define(
    "residents.visit_interval_days",
    Limits(VISIT_PARTS, 0, 366),
    {
        "alone": 7,
        "disability": 30,
        "minimum_income": 30,
        "illness": 14,
        "child": 30,
        "martyr": 90,
        "correction": 30,
        "released": 30,
        "age80": 90,
        "age90": 30,
        "age100": 7,
    },
    _("走访周期（天，按关爱类别）"),
    _("0 表示不定期走访；街道自定义类别的周期在该类别中设置"),
)
define("residents.exam_sample_size", Int(1, 50), 10, _("知情考试抽查户数"))
define("residents.visit_checkin_far_m", Int(10, 5000), 200, _("走访签到距离提醒（米）"))
