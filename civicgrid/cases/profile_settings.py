"""What a street sets for itself in the work-order loop (core.profile): time limits
(沪府办[2018]62号 practice by default), the public form's common categories, the
duplicate suggestions, the deadline reminder and the message templates. The duplicate
settings' city defaults still come from the environment (settings.CIVICGRID_DUPLICATE_*)."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Bool, Codes, Float, Int, Limits, Template, define

from .choices import NotificationKind, RequestType


def category_codes() -> list[str]:
    from .models import Category

    return list(Category.objects.values_list("code", flat=True))


define(
    "cases.handling_working_days",
    Limits(tuple(RequestType.choices), 1, 60),
    {"inquiry": 1, "suggestion": 1, "help": 5, "complaint": 5, "report": 5},
    _("办理时限（工作日，按诉求类型）"),
    _("分类自身的时限优先于此"),
)
define("cases.response_working_days", Int(1, 30), 1, _("响应时限（工作日）"))
define(
    "cases.urgent_response_minutes",
    Int(1, 24 * 60),
    120,
    _("紧急工单响应时限（分钟）"),
    _("紧急程度为“紧急”时，响应时限缩短到此"),
)
define(
    "cases.urgent_handling_working_days",
    Int(1, 60),
    2,
    _("紧急工单办理时限（工作日）"),
    _("紧急程度为“紧急”时，办理时限缩短到此"),
)
define("cases.emergency_response_minutes", Int(1, 24 * 60), 30, _("特急工单响应时限（分钟）"))
define("cases.emergency_handling_hours", Int(1, 240), 2, _("特急工单办理时限（小时）"))
define("cases.callback_working_days", Int(1, 30), 3, _("回访与重启复核期限（工作日）"))
define("cases.max_extension_working_days", Int(1, 60), 15, _("单次延期上限（工作日）"))
define(
    "cases.public_categories",
    Codes(category_codes),
    [
        "E0102",  # 暴露垃圾
        "E0104",  # 道路不洁
        "E0301",  # 施工扰民
        "E0404",  # 下水道堵塞或破损
        "E0406",  # 道路积水
        "E0505",  # 机动车乱停放
        "E0506",  # 非机动车乱停放
        "E0508",  # 商业噪音
        "E0510",  # 露天烧烤
        "C0110",  # 路灯
    ],
    _("居民上报页的常用分类"),
    _("分类编码，以逗号分隔；社区事务（E21）下的分类始终提供"),
)
define(
    "cases.duplicate_radius_m",
    Float(1, 5000),
    lambda: settings.CIVICGRID_DUPLICATE_RADIUS_M,
    _("疑似重复：距离（米）"),
    _("同一分类、在此距离内或同一楼栋的未办结工单提示为疑似重复"),
)
define(
    "cases.duplicate_days",
    Int(1, 365),
    lambda: settings.CIVICGRID_DUPLICATE_DAYS,
    _("疑似重复：时间范围（天）"),
)
define(
    "cases.duplicate_closed_days",
    Int(1, 365),
    30,
    _("疑似重复：已办结工单的时间范围（天）"),
    _("在此天数内办结、同一分类同一位置的工单也会提示，可重启原工单而不新建"),
)
define(
    "cases.duplicate_min_similarity",
    Float(0, 1),
    lambda: settings.CIVICGRID_DUPLICATE_MIN_SIMILARITY,
    _("疑似重复：描述相似度下限（0–1）"),
)
define(
    "cases.intake_min_cases",
    Int(10, 1_000_000),
    100,
    _("智能派单：训练所需的最少工单数"),
    _("本街道已结案的工单（及受理员更正过的建议）少于此数时不训练模型"),
)
define(
    "cases.intake_min_confidence",
    Float(0, 1),
    0.3,
    _("智能派单：显示建议分类的最低置信度（0–1）"),
    _("低于此置信度时只提示地址和单位，不建议分类"),
)
define(
    "cases.checkin_far_m",
    Int(10, 100_000),
    300,
    _("核查签到：距离提示（米）"),
    _("网格员核查时的定位离工单位置超过此距离，签到照常记录，但标为“距离较远”"),
)
define(
    "cases.tracking_link_days",
    Int(1, 3650),
    180,
    _("居民跟踪链接有效期（天，自结案起）"),
    _("结案或不予立案后超过此天数，链接失效；办理中的工单链接一直有效"),
)
define(
    "cases.reminder_hours",
    Int(0, 240),
    24,
    _("临期提醒（到期前小时数）"),
    _("办理时限到期前这么多小时提醒处置单位，每个时限一次；0 为不提醒"),
)

define(
    "cases.message_hotline_reporters",
    Bool(),
    False,
    _("向12345热线工单的来电人发送消息"),
    _(
        "热线自己会告知来电人；选“是”则来电人也收到本平台的受理、进展和办理结果短信（文件导入的工单不发受理短信）"
    ),
)

# The messages beside the inbox (docs/notifications.md): per kind a text message and an
# e-mail (its first line is the subject), over MESSAGE_VARIABLES. The defaults are
# translated, so an English-language recipient reads them in English; a street's own
# template is sent as it is written.
MESSAGE_VARIABLES = ("number", "category", "status", "deadline", "link", "note")
SMS_TEMPLATE = Template(MESSAGE_VARIABLES, max_length=300)
EMAIL_TEMPLATE = Template(MESSAGE_VARIABLES, max_length=4000)
MESSAGE_DEFAULTS = {
    NotificationKind.DISPATCHED: (
        _("新派单 {{ number }}（{{ category }}），请于 {{ deadline }} 前办结：{{ link }}"),
        _(
            "新派单 {{ number }}\n\n工单 {{ number }}（{{ category }}）已派至你的单位，"
            "请于 {{ deadline }} 前办结。\n\n{{ link }}"
        ),
    ),
    NotificationKind.DUE_SOON: (
        _("工单 {{ number }} 将于 {{ deadline }} 到期，请抓紧办理：{{ link }}"),
        _(
            "工单 {{ number }} 即将到期\n\n工单 {{ number }}（{{ category }}）"
            "将于 {{ deadline }} 到期，请抓紧办理。\n\n{{ link }}"
        ),
    ),
    NotificationKind.SUPERVISION: (
        _("工单 {{ number }} 被督办：{{ note }} {{ link }}"),
        _("工单 {{ number }} 被督办\n\n工单 {{ number }}（{{ category }}）被督办：{{ note }}\n\n{{ link }}"),
    ),
    NotificationKind.HANDLED: (
        _("工单 {{ number }}（{{ category }}）已处置，请现场核查：{{ link }}"),
        _(
            "工单 {{ number }} 待核查\n\n工单 {{ number }}（{{ category }}）已处置，"
            "请到现场核查。\n\n{{ link }}"
        ),
    ),
    NotificationKind.CASE_RECEIVED: (
        _("您反映的问题已受理，编号 {{ number }}（{{ category }}），查看进度：{{ link }}"),
        _(
            "您反映的问题已受理：{{ number }}\n\n您反映的问题（{{ category }}）已受理，"
            "编号 {{ number }}。办理进度和结果可随时查看：\n\n{{ link }}"
        ),
    ),
    NotificationKind.CASE_UPDATE: (
        _("您反映的问题（{{ number }}）{{ note }}，查看进度：{{ link }}"),
        _(
            "您反映的问题 {{ number }}：{{ status }}\n\n您反映的问题（{{ category }}）"
            "{{ note }}。\n\n查看进度：{{ link }}"
        ),
    ),
    NotificationKind.CASE_RESULT: (
        _(
            "您反映的问题（{{ number }}）{{ status }}。"
            "{% if note %}办理结果：{{ note }}{% endif %} 详情：{{ link }}"
        ),
        _(
            "您反映的问题 {{ number }}：{{ status }}\n\n您反映的问题（{{ category }}）{{ status }}。\n"
            "{% if note %}办理结果：{{ note }}\n{% endif %}\n详情：{{ link }}"
        ),
    ),
}


def message_key(kind: str, channel: str) -> str:
    return f"cases.message_{kind}_{channel}"


MESSAGE_HELP = _(
    "可用变量：{{ number }} 工单编号、{{ category }} 分类、{{ status }} 状态、{{ deadline }} 办理时限、"
    "{{ link }} 链接、{{ note }} 督办意见、进展或办理结果；可用 {% if %}"
)
for _kind, (_sms, _email) in MESSAGE_DEFAULTS.items():
    _label = NotificationKind(_kind).label
    define(
        message_key(_kind, "sms"), SMS_TEMPLATE, _sms, format_lazy(_("短信模板：{}"), _label), MESSAGE_HELP
    )
    define(
        message_key(_kind, "email"),
        EMAIL_TEMPLATE,
        _email,
        format_lazy(_("邮件模板：{}"), _label),
        format_lazy("{} {}", _("第一行是邮件主题。"), MESSAGE_HELP),
    )
