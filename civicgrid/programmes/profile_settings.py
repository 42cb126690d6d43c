"""What a street (or its district) sets for its programmes (core.profile)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, define

define(
    "programmes.milestone_warning_days",
    Int(0, 60),
    7,
    _("实事项目节点临期提醒（天）"),
)
define(
    "programmes.proposal_answer_days",
    Int(5, 180),
    30,
    _("代表提案答复期限（交办后天数）"),
)
define(
    "programmes.evaluation_pass_percent",
    Int(50, 100),
    80,
    _("民主测评满意率达标线（%）"),
)
