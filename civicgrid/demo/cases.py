"""Demo work orders: a year of cases for the four demo streets, so the workbench, the unit
task lists and the three rates look alive. Also the demo duty table (who handles what).

The year is the one before the day the demo is loaded: cases arrive from a year before that
day up to the day before it, and the replay stops at the moment of loading. So a demo loaded
on any date looks like a live street: most open cases within their limits, a few overdue.

Two halves, like builder.py:
- `plan_street_cases()` is pure and deterministic for a given load day: from the demo plan
  (buildings, areas, units) and a random generator seeded with fixed strings it decides each
  case — channel, category, text, place, reporter, received time — and its fate: the
  actions taken on it, by whom and when (file, dispatch, sign, return, extension, report
  back, verify, close, callback, reopen, merge, suspend, supervise, escalate…).
- `load_cases()` replays the plans of every street in time order through cases.actions, the
  same entry point as the UI and the API, each action inside `clock.at(its moment)`: every
  row it writes (timeline, case dates, assignments, callbacks, notifications, audit) carries
  that moment, and only states the workflow allows occur. Between the actions the overdue
  job runs every simulated hour, and once more at the end, at the real now.

Idempotent: demo cases carry source "demo" and external_id "demo-<street>-<n>"; a plan
whose case exists is skipped, so a second load adds nothing.
"""

import dataclasses
import heapq
import io
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from PIL import Image, ImageDraw

from civicgrid.accounts.models import User
from civicgrid.cases import actions, deadlines
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.actions.patrol import report_on_patrol
from civicgrid.cases.choices import (
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    Channel,
    RequestType,
    Urgency,
)
from civicgrid.cases.models import Assignment, Case, Category, DutyRule, Notification
from civicgrid.core import clock, events, notifications
from civicgrid.core.choices import Role
from civicgrid.core.scope import Scope
from civicgrid.core.workdays import END_OF_DAY
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

from . import data, volume

SH = ZoneInfo("Asia/Shanghai")
DEMO_SOURCE = "demo"


# ============================================================================ duty table


@dataclass(frozen=True)
class Duty:
    """category code → lead unit (and co-handlers, 吹哨报到). Unit refs: a suffix of the
    street's unit codes (CG 城管中队, PCS 派出所, FGB 房管办, SJS 市场监管所, LH 绿化市容所,
    WS 卫生服务中心, SGB 社区管理办), a district utility (WATER, GAS, POWER), or, for
    residential-area rules, WY (the area's property company) and JWH (its residents' committee)."""

    category: str
    lead: str
    co: tuple[str, ...] = ()
    note: str = ""


STREET_DUTIES: tuple[Duty, ...] = (
    Duty("E01", "CG", note="市容环境类由城管中队主办"),
    Duty("E0106", "LH", note="绿地脏乱由绿化市容所主办"),
    Duty("E02", "CG"),
    Duty("E03", "CG"),
    Duty("E04", "CG", note="突发事件先由城管中队到场处置"),
    Duty("E0402", "WATER", ("CG",)),
    Duty("E0403", "GAS", ("PCS",)),
    Duty("E0404", "WATER"),
    Duty("E0408", "POWER"),
    Duty("E05", "CG", note="街面秩序类由城管中队主办"),
    Duty("E0501", "CG", ("SJS",)),
    Duty("E0504", "SJS", ("CG",), "店外经营由市场监管所主办、城管协办"),
    Duty("E0509", "PCS"),
    Duty("E21", "SGB", note="其他社区事项由社区管理办统筹"),
    Duty("E2101", "FGB", ("PCS", "CG"), "群租由房管办牵头，派出所、城管联合整治"),
    Duty("E2102", "FGB", note="加装电梯由房管办指导"),
    Duty("E2103", "CG", ("PCS",)),
    Duty("E2104", "FGB", note="无物业公司的小区由房管办督办"),
    Duty("E2105", "PCS", note="噪声扰民由派出所处置"),
    Duty("E2106", "LH", note="垃圾分类由绿化市容所主办"),
    Duty("E2107", "CG", ("FGB",), "违法搭建由城管中队主办、房管办协办"),
    Duty("E2108", "PCS"),
    Duty("E2109", "FGB"),
    Duty("E2112", "CG"),
    Duty("E2113", "FGB"),
    Duty("C", "CG"),
    Duty("C04", "LH"),
    Duty("C05", "FGB"),
    Duty("C0110", "POWER"),
)
# Residential-area rules win over the street's (the more specific area wins).
AREA_DUTIES: tuple[Duty, ...] = (
    Duty("E2104", "WY", note="物业管理问题由小区物业公司处理"),
    Duty("E2112", "WY"),
    Duty("E2113", "WY", ("FGB",)),
    Duty("E2110", "JWH", ("WS",), "独居老人关爱由居委会上门，社区卫生服务中心协同"),
    Duty("E2111", "JWH", note="邻里纠纷由居委会调解"),
)
UTILITIES = ("WATER", "GAS", "POWER")


def _lineage(code: str) -> list[str]:
    """E2105 → E2105, E21, E (the codes are hierarchical: letter, class, sub-class)."""
    out = [code]
    if len(code) > 3:
        out.append(code[:3])
    if len(code) > 1:
        out.append(code[:1])
    return out


@dataclass(frozen=True)
class StreetInfo:
    """What planning needs to know of one street, taken from the demo plan (no database)."""

    spec: data.StreetSpec
    buildings: tuple[tuple[str, str], ...]  # (address, grid code)
    ra_codes: dict[str, str]  # residential area name → code
    property_of: dict[str, str]  # residential area code → property company unit code
    points: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # address → lon, lat

    @property
    def code(self) -> str:
        return self.spec.code

    def unit_code(self, ref: str, ra_code: str | None) -> str | None:
        if ref in UTILITIES:
            return f"{self.spec.district}-{ref}"
        if ref == "WY":
            return self.property_of.get(ra_code or "")
        if ref == "JWH":
            return f"{ra_code}-JWH" if ra_code else None
        return f"{self.code}-{ref}"

    def route(self, category: str, ra_code: str) -> tuple[str, tuple[str, ...]]:
        """The duty table's answer, as unit codes (mirrors cases.routing for the demo rules)."""
        for area_rules, ra in ((AREA_DUTIES, ra_code), (STREET_DUTIES, None)):
            rules = {d.category: d for d in area_rules}
            for code in _lineage(category):
                duty = rules.get(code)
                lead = self.unit_code(duty.lead, ra) if duty else None
                if duty and lead:
                    co = tuple(c for c in (self.unit_code(x, ra) for x in duty.co) if c and c != lead)
                    return lead, co
        return f"{self.code}-SGB", ()


def street_infos(plan: Any) -> list[StreetInfo]:
    infos = []
    for spec in data.STREETS:
        ra_codes = {
            a.name.removesuffix("居民区"): a.code
            for a in plan.areas
            if a.kind == AreaKind.RESIDENTIAL and a.parent_code == spec.code
        }
        property_of: dict[str, str] = {}
        for unit in plan.units:
            if unit.kind == UnitKind.PROPERTY and unit.street_code == spec.code:
                for ra in unit.jurisdiction:
                    property_of.setdefault(ra, unit.code)
        own = [b for b in plan.buildings if b.street_code == spec.code]
        buildings = tuple((b.address, b.grid_code) for b in own)
        points = {b.address: (b.lon, b.lat) for b in own}
        infos.append(StreetInfo(spec, buildings, ra_codes, property_of, points))
    return infos


def load_duty_rules(plan: Any, areas: dict[str, Area], units: dict[str, Unit], report: Any) -> None:
    """Create or update the demo duty table; rules already as planned are not touched."""
    categories = {c.code: c for c in Category.objects.all()}
    wanted: dict[tuple[str, str], tuple[str, tuple[str, ...], str]] = {}
    for info in street_infos(plan):
        for duty in STREET_DUTIES:
            lead = info.unit_code(duty.lead, None)
            co = tuple(c for c in (info.unit_code(x, None) for x in duty.co) if c)
            if lead:
                wanted[(duty.category, info.code)] = (lead, co, duty.note)
        for ra_code in info.ra_codes.values():
            for duty in AREA_DUTIES:
                lead = info.unit_code(duty.lead, ra_code)
                co = tuple(c for c in (info.unit_code(x, ra_code) for x in duty.co) if c)
                if lead:
                    wanted[(duty.category, ra_code)] = (lead, co, duty.note)
    existing = {
        (r.category.code, r.area.code): r
        for r in DutyRule.objects.filter(area__code__in=list(areas)).select_related("category", "area")
    }
    for (category_code, area_code), (lead, co, note) in sorted(wanted.items()):
        if category_code not in categories or lead not in units:
            continue  # an administrator removed the category: leave it be
        rule = existing.get((category_code, area_code)) or DutyRule(
            category=categories[category_code], area=areas[area_code]
        )
        values = {"lead_unit_id": units[lead].pk, "note": note, "is_active": True}
        is_new = rule.pk is None
        changed = is_new
        for name, value in values.items():
            if getattr(rule, name) != value:
                setattr(rule, name, value)
                changed = True
        if changed:
            rule.save()
            (report.created if is_new else report.updated)["duty"] += 1
        co_ids = {units[c].pk for c in co if c in units}
        if set(rule.co_units.values_list("pk", flat=True)) != co_ids:
            rule.co_units.set(co_ids)
            if not is_new:
                report.updated["duty"] += 1


# ============================================================================ texts

Text = tuple[str, str]  # (request type, template)

# category → (texts, feedback); how often each comes is volume.CATEGORIES.
# Placeholders: {addr} the building's address, {floor}, {room}, {hour}.
TOPICS: dict[str, tuple[tuple[Text, ...], tuple[str, ...]]] = {
    "E2105": (
        (
            (
                "complaint",
                "{addr}{floor}楼住户每天晚上{hour}点以后仍在拖动家具、大声放音乐，严重影响休息，多次敲门沟通无果，希望尽快处理。",
            ),
            ("complaint", "{addr}楼下绿地每天清晨不到六点就有人跳广场舞，音响开得很大，老人孩子都睡不好。"),
            ("complaint", "{addr}{room}室装修，周末和中午也在用电钻，不按规定时间施工，噪声扰民。"),
            ("complaint", "{addr}{floor}楼有住户养的狗整夜叫，已经持续一个多月，和主人沟通无效。"),
        ),
        (
            "已联系当事人上门劝导，当事人表示不再在夜间制造噪声，现场已恢复安静。",
            "已会同居委会上门调解，双方达成一致，后续由居委会跟踪回访。",
            "已告知装修户遵守施工时间规定，并由物业加强巡查。",
        ),
    ),
    "E2101": (
        (
            (
                "report",
                "{addr}{room}室疑似群租，一套房子住了十几个人，进出人员复杂，楼道堆满杂物，存在安全隐患。",
            ),
            (
                "report",
                "{addr}{room}室被二房东隔成多间出租，厨房、卫生间都住了人，夜里吵闹，请相关部门核查。",
            ),
            ("inquiry", "咨询：发现{addr}有群租现象，应向哪个部门反映，举报后多久处理？"),
        ),
        (
            "经房管办、派出所、城管联合上门核查，确认存在违规分隔出租，已责令房东拆除隔断、清退超员租户，现已整改完毕。",
            "已上门核查并登记租住人员信息，督促房东按规定整改，已拆除违规隔断。",
        ),
    ),
    "E2103": (
        (
            (
                "report",
                "{addr}有住户从{floor}楼窗口拉电线下来给电动自行车充电（飞线充电），晚上一直充着，很危险。",
            ),
            ("report", "{addr}楼道里长期停放电动车并在楼道内充电，堵塞消防通道，存在火灾隐患。"),
            ("suggestion", "建议在{addr}附近增设电动自行车集中充电桩，解决居民充电难、飞线充电的问题。"),
        ),
        (
            "已拆除飞线，督促车主到小区集中充电点充电，并张贴安全提示。",
            "已清理楼道内的电动车，向居民讲解违规充电的危害，物业将加强夜间巡查。",
        ),
    ),
    "E2104": (
        (
            (
                "complaint",
                "{addr}单元门禁坏了半个多月，物业一直说在报修，外来人员随意进出，请督促物业尽快修复。",
            ),
            ("complaint", "{addr}电梯经常故障停运，上周困人两次，物业维保不到位，居民意见很大。"),
            ("complaint", "{addr}楼道灯不亮已经一周，老人晚上上下楼很不安全，多次报物业无人处理。"),
            ("complaint", "{addr}附近垃圾清运不及时，物业保洁人员少，楼道长期脏乱。"),
        ),
        (
            "已督促物业公司完成维修，并建立报修台账，物业经理已向居民当面说明情况。",
            "物业公司已更换故障部件并恢复使用，承诺今后 24 小时内响应报修。",
        ),
    ),
    "E2106": (
        (
            ("complaint", "{addr}旁垃圾箱房湿垃圾桶满溢，无人分拣，气味很大，希望增加清运频次。"),
            ("suggestion", "建议{addr}所在小区的垃圾箱房延长定时投放时间，上班族早上来不及投放。"),
            ("complaint", "{addr}附近有居民不按规定分类，大件垃圾随意堆放在垃圾房门口。"),
        ),
        (
            "已协调环卫增加清运频次，志愿者在投放时段值守引导，箱房周边已清理干净。",
            "已与居委会商定延长投放时间，并在箱房张贴新的投放时间告示。",
        ),
    ),
    "E2102": (
        (
            ("inquiry", "{addr}多数住户想加装电梯，咨询申请流程、需要多少户同意以及补贴政策。"),
            ("suggestion", "建议街道为{addr}等老旧多层住宅统一推进加装电梯，居民老龄化严重，上下楼困难。"),
            ("complaint", "{addr}加装电梯施工影响一楼住户采光和通行，一楼住户有意见，希望协调。"),
        ),
        (
            "房管办工作人员已上门讲解加装电梯政策和流程，并协助居民联系设计单位。",
            "已组织楼组协调会，一楼住户的补偿和通行方案已达成一致。",
        ),
    ),
    "E2107": (
        (
            ("report", "{addr}顶楼住户在屋顶平台搭建阳光房，正在施工，请尽快制止。"),
            ("report", "{addr}一楼住户在绿地上圈地搭建小屋，占用公共部位。"),
        ),
        (
            "城管中队已现场核查，认定为违法搭建，已下发限期整改通知书，当事人已自行拆除。",
            "已责令停工并拆除违法搭建部分，公共绿地已恢复。",
        ),
    ),
    "E0505": (
        (
            ("complaint", "{addr}门口每天有车辆乱停，占用消防通道，救护车都开不进来。"),
            ("complaint", "{addr}附近人行道上长期停着几辆车，行人只能走机动车道。"),
        ),
        ("已对乱停车辆张贴告知单并联系车主挪车，在通道口设置了隔离桩。",),
    ),
    "E0506": (
        (("complaint", "{addr}附近地铁口共享单车堆积成山，堵住人行道和盲道。"),),
        ("已通知共享单车企业调运清理，并划定停放区域。",),
    ),
    "E2112": (
        (
            ("help", "{addr}小区停车位紧张，外来车辆占用居民车位，希望规范停车管理。"),
            ("inquiry", "咨询{addr}所在小区错峰停车的办理方式和收费标准。"),
        ),
        ("物业已安装道闸并登记居民车辆，外来车辆需登记临停。",),
    ),
    "E2113": (
        (
            ("help", "{addr}{room}室卫生间漏水到楼下，楼上住户不配合维修，天花板已经发霉。"),
            ("help", "{addr}顶楼屋面渗水，下雨天家里天花板滴水，希望尽快维修。"),
        ),
        ("已协调楼上住户配合检修，更换了防水层，渗漏已止住。", "已安排屋面防水维修，雨后复查无渗漏。"),
    ),
    "E2111": (
        (
            ("help", "{addr}{floor}楼住户在楼道堆放杂物、占用公共部位，与邻居多次发生争执，请居委会调解。"),
            ("help", "楼上{room}室空调外机滴水到我家阳台，沟通多次无果，地址：{addr}。"),
        ),
        ("居委会已组织双方调解，签订调解协议，楼道杂物已清理。",),
    ),
    "E2110": (
        (
            ("help", "{addr}{floor}楼独居老人这几天没见出门，敲门无人应答，邻居很担心，请社区上门看看。"),
            ("help", "{addr}独居老人行动不便，希望社区安排助餐和定期探访。"),
        ),
        ("居委干部会同社区卫生服务中心医生上门探望，老人身体无大碍，已纳入每日电话关爱名单。",),
    ),
    "E2108": (
        (("report", "{addr}附近每天傍晚有黑车聚集拉客，占道揽客，存在安全隐患。"),),
        ("派出所已组织联合整治，查处非法营运车辆，并加强该路段巡逻。",),
    ),
    "E2109": (
        (("help", "{addr}{room}室装修时敲掉了承重墙，楼上住户墙面出现裂缝，非常担心房屋安全。"),),
        ("房管办已责令停工，委托检测单位进行安全鉴定，要求按鉴定意见恢复结构。",),
    ),
    "E0102": (
        (("report", "{addr}旁边绿化带里有人倾倒建筑垃圾和生活垃圾，好几天没人清理。"),),
        ("已清运暴露垃圾，并在该处加装监控、设置警示牌。",),
    ),
    "E0201": (
        (("report", "{addr}楼道和单元门上贴满了开锁、通下水道的小广告。"),),
        ("已组织清除小广告，并对广告上的号码进行停机处理。",),
    ),
    "E0301": (
        (("complaint", "{addr}附近工地夜里十一点以后还在打桩施工，噪声很大，严重影响休息。"),),
        ("已核查施工单位夜间施工许可，责令停止违规夜间施工。",),
    ),
    "E0504": (
        (("complaint", "{addr}附近沿街商铺把桌椅和货架摆到人行道上经营，行人通行困难。"),),
        ("已责令商户退界经营，并纳入门责管理。",),
    ),
    "E0501": (
        (("complaint", "{addr}门口每天有流动摊贩卖水果，占道经营，留下一地垃圾。"),),
        ("已劝离流动摊贩，并加强该点位早晚巡查。",),
    ),
    "E0510": (
        (("complaint", "{addr}附近夜宵店在门外露天烧烤，油烟很大，熏得住户不敢开窗。"),),
        ("已责令商户停止露天烧烤，后续将持续巡查。",),
    ),
    "E0404": (
        (("report", "{addr}门口下水道堵塞，污水漫到路面上，气味很大。"),),
        ("已疏通下水道并清洗路面，排水已恢复正常。",),
    ),
    "E0406": (
        (("report", "{addr}附近路段积水约二十公分，车辆行人通行困难。"),),
        ("已启用移动泵车排水，积水已退去，并清理了雨水口。",),
    ),
    "E0402": (
        (("report", "{addr}附近自来水管爆裂，水流到马路上，周边住户停水。"),),
        ("供水抢修人员已到场关阀抢修，管道修复后恢复供水。",),
    ),
    "C0110": (
        (("report", "{addr}附近有三盏路灯不亮，晚上很黑，行人不安全。"),),
        ("已更换灯具，路灯恢复照明。",),
    ),
    "C0102": (
        (("report", "{addr}门口污水井盖破损松动，车辆经过有异响，存在安全隐患。"),),
        ("已更换井盖并做好加固。",),
    ),
    "E2199": (
        (
            ("inquiry", "咨询{addr}所在小区老旧小区综合改造的时间安排和改造内容。"),
            ("suggestion", "建议在{addr}附近增设休息座椅和健身器材，方便老人活动。"),
        ),
        ("已向居民答复相关安排，并记录居民建议。",),
    ),
}
# Sensors report only what sensors see.
SENSOR_TOPICS = frozenset({"E0406", "E0404", "C0102", "C0110", "E2103"})
SENSOR_TEXT = {
    "E0406": "物联感知设备报警：{addr}附近路面积水深度超过15厘米阈值。",
    "E0404": "物联感知设备报警：{addr}门口窨井液位超过警戒值，疑似下水道堵塞。",
    "C0102": "井盖位移传感器报警：{addr}门口污水井盖发生位移。",
    "C0110": "智慧路灯监测：{addr}附近3盏路灯离线不亮。",
    "E2103": "烟感与电流监测报警：{addr}楼道内疑似电动车充电。",
}
PATROL_TOPICS = frozenset(
    {"E0102", "E0201", "E0301", "E0504", "E0501", "E0505", "E0506", "E0510", "E2103", "E2107", "C0110"}
)
REJECT_REASONS = (
    "经核实属于民事纠纷，已告知诉求人通过诉讼途径解决",
    "诉求地点不在本街道辖区，已告知诉求人向属地反映",
    "重复诉求，已在原工单中答复",
    "诉求内容不明确，多次联系诉求人未果",
)
RETURN_REASONS = ("该事项不属于本单位职责，请重新派遣", "地址有误，经核实不在本单位辖区")
SUSPEND_REASONS = (
    "涉及司法程序，待法院判决后继续办理",
    "需区级部门协调，暂时挂起",
    "诉求人出国，暂无法上门核实",
)
EXTENSION_REASONS = ("需协调多个部门联合整治，申请延期", "涉及产权人，需时间联系房东", "需等待材料采购和施工")
VERIFY_FAIL_REASONS = ("现场核查仍未整改到位", "现场复查问题依旧存在")
FAMILY_TITLES = ("先生", "女士")
# How satisfied a requester is, given how resolved the matter is.
SATISFACTION_GIVEN: dict[str, dict[str, float]] = {
    "resolved": {"satisfied": 72, "basically": 25, "unsatisfied": 3},
    "partly": {"satisfied": 15, "basically": 55, "unsatisfied": 30},
    "unresolved": {"satisfied": 0.01, "basically": 20, "unsatisfied": 80},
}


# ============================================================================ plans


@dataclass(frozen=True)
class Step:
    action: str  # a CaseAction, or "spawn" (a duplicate report arrives and is merged)
    actor: str  # desk | leader | unit (lead unit) | co (co-handlers) | verifier
    when: datetime
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class CasePlan:
    external_id: str
    street_code: str
    channel: str
    request_type: str
    category: str
    urgency: str
    description: str
    address: str
    grid_code: str
    reporter_name: str
    reporter_phone: str
    reporter_anonymous: bool
    received_at: datetime
    creator: str  # desk | gridworker | cadre | resident | public
    fate: str
    steps: tuple[Step, ...] = ()
    children: tuple["CasePlan", ...] = ()
    # The point the reporter pinned on the map, when it is not the building's (a grid conflict).
    lon: float | None = None
    lat: float | None = None
    # Reported by the grid worker on a patrol (patrols.py): linked to the patrol they have open.
    on_patrol: bool = False

    def input(self) -> CaseInput:
        """What the order says when it arrives (create_case's and the bulk path's input)."""
        return CaseInput(
            request_type=self.request_type,
            category=self.category,
            description=self.description,
            channel=self.channel,
            title=self.description[:30],
            urgency=self.urgency,
            address=self.address,
            lon=self.lon,
            lat=self.lat,
            reporter_name=self.reporter_name,
            reporter_phone=self.reporter_phone,
            reporter_anonymous=self.reporter_anonymous,
            source=DEMO_SOURCE,
            external_id=self.external_id,
            received_at=self.received_at,
        )


def seeded(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random, so PYTHONHASHSEED does not matter.
    return random.Random("civicgrid-demo-cases:" + ":".join(str(p) for p in parts))


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


FATES: dict[str, float] = {
    "closed": 62,
    "desk_closed": 6,
    "rejected": 4,
    "returned": 2,
    "dispatched": 3,
    "in_progress": 4,
    "handled": 1.5,
    "verified": 1.5,
    "suspended": 2.5,
    "reopened": 3,
    "new": 1,
    "filed": 1,
}
OPEN_FATES = frozenset({"new", "filed", "dispatched", "in_progress", "handled", "verified", "returned"})
# Fates that leave the case open when the demo is loaded (a reopened case awaits its re-check).
OPEN_AT_LOAD = OPEN_FATES | {"reopened", "merged_open"}
# Of the cases left open, this share is stuck: received long ago, past its limit. The others
# arrived in the last days, each no earlier than FRESH_DAYS[fate] days before the load day
# (time for its steps), and are within their limit when the demo is loaded.
STUCK_SHARE = 0.1
FRESH_DAYS = {
    "new": 2,
    "filed": 2,
    "dispatched": 3,
    "returned": 4,
    "in_progress": 5,
    "merged_open": 5,
    "handled": 6,
    "verified": 7,
    "reopened": 12,
}
# Every street has an overdue open case: its forced dispatched case nobody signed for.
FORCED_STUCK = "dispatched"
# Every state appears in every street: these case numbers get these fates.
FORCED: tuple[tuple[str, str | None], ...] = (
    ("new", None),
    ("filed", None),
    ("dispatched", None),
    ("in_progress", None),
    ("handled", None),
    ("verified", None),
    ("rejected", None),
    ("returned", None),
    ("suspended", None),
    ("reopened", None),
    ("merged_open", None),
    ("desk_closed", None),
    ("closed_merged", None),
    ("closed", Channel.SENSOR),
    ("closed", Channel.DOOR_TO_DOOR),
    ("closed", Channel.INSPECTION),
    ("closed", Channel.WALK_IN),
)
FORCED_AT = {1 + 2 * i: forced for i, forced in enumerate(FORCED)}
# The showcase's place stories (volume.py), on the even case numbers, each with the fate and
# the channel it needs: a 12345 order not located (just arrived, the desk has not located it
# yet), one the desk corrected (更正位置) before filing, a web report with a grid conflict.
PLACE_STORIES = (
    ["to_locate"] * volume.TO_LOCATE + ["relocated"] * volume.RELOCATED + ["conflict"] * volume.GRID_CONFLICTS
)
PLACES_AT = {2 + 2 * i: story for i, story in enumerate(PLACE_STORIES)}
# Every street's forced 已核查 case lies in the grid worker's grid, checked in far off.
FAR_CHECKIN_AT = 1 + 2 * FORCED.index(("verified", None))
PLACE_FORCED: dict[str, tuple[str | None, str | None]] = {
    "to_locate": ("new", Channel.HOTLINE),
    "relocated": (None, Channel.HOTLINE),
    "conflict": ("filed", Channel.WEB),
}
# How a caller names a place 12345 cannot match ({road}: the road, {lane}: the lane).
VAGUE_ADDRESSES = ("{road}附近", "{lane}小区门口", "{road}公交站旁边", "{lane}那一片")
RELOCATE_REASON = "来电地址不全，已电话联系诉求人，确认地点为{addr}"
# What residents write with their rating (most write nothing).
RATING_COMMENTS = {
    "resolved": ("处理很及时，谢谢！", "问题已经解决，感谢工作人员。", "希望以后加强日常巡查。"),
    "unresolved": ("问题还没有彻底解决，过两天又出现了。", "只是来看了一下，没有实际处理。"),
}


def phone(rng: random.Random) -> str:
    # A whole mobile number: encrypted at rest (core.personal), masked wherever it is shown.
    return f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def typed_personal_data(street: str, n: int) -> str:
    """What some residents add to their words: a number to call back, a car's plate — masked
    wherever the description is public (core.redact). Its own generator, so the rest of the
    plan draws the same numbers with or without it."""
    rng = seeded(street, n, "typed")
    roll = rng.random()
    if roll < 0.05:
        return f"（我的电话 1{rng.choice('3589')}{rng.randrange(10**9):09d}，请回电）"
    if roll < 0.08:
        return f"，肇事车辆车牌沪{rng.choice('ABDEF')}{rng.randrange(10**5):05d}"
    return ""


def reporter(rng: random.Random) -> str:
    surname = rng.choice(data.SURNAMES)
    return surname + (rng.choice(FAMILY_TITLES) if rng.random() < 0.6 else rng.choice(data.GIVEN_NAMES))


def fill(template: str, addr: str, rng: random.Random) -> str:
    floor = rng.randint(2, 6)
    return template.format(
        addr=addr, floor=floor, room=f"{floor}0{rng.randint(1, 4)}", hour=rng.choice(["十", "十一", "十二"])
    )


def vague(address: str, rng: random.Random) -> str:
    """The address as a caller names it when 12345 cannot match it: the road, the lane."""
    road = re.match(r"^\D+?[路街]", address)
    lane = address.partition("弄")[0] + "弄" if "弄" in address else address
    return rng.choice(VAGUE_ADDRESSES).format(road=road.group(0) if road else lane, lane=lane)


def offset(lon: float, lat: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point `metres` away towards `bearing` (degrees), rounded as a phone reports it."""
    north, east = metres * math.cos(math.radians(bearing)), metres * math.sin(math.radians(bearing))
    return (
        round(lon + east / (111_320 * math.cos(math.radians(lat))), 6),
        round(lat + north / 111_320, 6),
    )


def with_rating(p: CasePlan, rng: random.Random) -> CasePlan:
    """A share of the reporters who left a phone rate the result through the link of their
    text message (居民评价), a day or so after the desk's callback, mostly as they told it."""
    if not p.reporter_phone or p.reporter_anonymous or rng.random() >= volume.RESIDENT_RATES:
        return p
    last = p.steps[-1] if p.steps else None
    if last is None or last.action != CaseAction.CALLBACK or not dict(last.params).get("resolution"):
        return p  # not called back (yet), reopened, or the callback did not reach them
    told = dict(last.params)["resolution"]
    resolved = {"resolved": 0.92, "partly": 0.5}.get(told, 0.1)
    resolution = "resolved" if rng.random() < resolved else "unresolved"
    params = {
        "resolution": resolution,
        "satisfaction": pick(rng, SATISFACTION_GIVEN[resolution]),
        "comment": rng.choice(RATING_COMMENTS[resolution]) if rng.random() < 0.3 else "",
    }
    when = daytime(last.when + hours(rng, 2, 72)).replace(second=0, microsecond=0)
    rating = Step(CaseAction.RATE, "resident", when, tuple(sorted(params.items())))
    return dataclasses.replace(p, steps=(*p.steps, rating))


def with_public_photo(steps: list[Step]) -> list[Step]:
    """The lead unit's report comes with a photo of the result, and the desk publishes it
    with the closed case (对外公开): what residents see on the case's public page."""
    closes = [i for i, s in enumerate(steps) if s.action == CaseAction.CLOSE]
    reports = [i for i, s in enumerate(steps) if s.action == CaseAction.REPORT_BACK and s.actor == "unit"]
    if not closes or not reports or any(s.action == CaseAction.REOPEN for s in steps):
        return steps  # not closed, or closed only to be reopened
    out = list(steps)
    report = out[reports[-1]]
    out[reports[-1]] = dataclasses.replace(report, params=tuple(sorted((*report.params, ("photos", 1)))))
    close = out[closes[-1]]
    publish = Step(CaseAction.PUBLISH_PHOTO, "desk", close.when + timedelta(minutes=10), (("public", True),))
    out.insert(closes[-1] + 1, publish)
    return out


def photo(seed: str) -> SimpleUploadedFile:
    """A plain picture standing for a site photo: a wall, a pavement and a few shapes."""
    rng = seeded(seed, "photo")
    image = Image.new("RGB", (640, 480), (200, 205, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(150, 150, 145))
    for _i in range(6):
        x, y = rng.randrange(560), rng.randrange(80, 360)
        colour = (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200))
        draw.rectangle((x, y, x + rng.randint(30, 120), y + rng.randint(20, 90)), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


def daytime(t: datetime) -> datetime:
    """Desk and unit work happens 08:00–21:00; later or earlier moves to the next morning."""
    local = t.astimezone(SH)
    if local.hour < 8:
        return local.replace(hour=8) + timedelta(minutes=local.minute % 30)
    if local.hour >= 21:
        return (local + timedelta(days=1)).replace(hour=8, minute=local.minute % 30)
    return local


def demo_days(load_day: date) -> tuple[date, date]:
    """The first and the last day on which the demo's cases arrive when it is loaded on
    `load_day`: the year before. None arrives on the load day, so every load has them all."""
    return load_day - timedelta(days=365), load_day - timedelta(days=1)


def _received(rng: random.Random, channel: str, earliest: date, latest: date) -> datetime:
    return received_on(rng, channel, earliest + timedelta(days=rng.randrange((latest - earliest).days + 1)))


def received_on(rng: random.Random, channel: str, day: date) -> datetime:
    """A time of receipt on `day`: sensors round the clock, people by day, the hotline and
    the web into the evening."""
    if channel == Channel.SENSOR:
        hour = rng.randrange(24)
    elif channel in (
        Channel.PATROL,
        Channel.INSPECTION,
        Channel.DOOR_TO_DOOR,
        Channel.WALK_IN,
        Channel.PHONE,
    ):
        hour = rng.randint(8, 16)
    else:  # hotline and web: mostly daytime and evening
        hour = rng.choices(range(24), weights=[1] * 7 + [4] * 12 + [3] * 3 + [1] * 2)[0]
    return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=SH)


def between(rng: random.Random, start: datetime, end: datetime, lo: float = 0.0, hi: float = 1.0) -> datetime:
    span = max((end - start).total_seconds(), 60.0)
    return start + timedelta(seconds=span * rng.uniform(lo, hi))


def hours(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(hours=rng.uniform(lo, hi))


class Planner:
    """Plans one street's cases for a load on `day`. `due` gives the deadlines
    cases.deadlines would compute."""

    def __init__(self, info: StreetInfo, due: Callable[..., deadlines.Deadlines], day: date) -> None:
        self.info = info
        self.due = due
        self.day = day
        self.day_starts = datetime.combine(day, time(), tzinfo=SH)
        self.day_ends = datetime.combine(day, END_OF_DAY, tzinfo=SH)
        spec = info.spec
        self.gridworker_grids = {
            f"{info.ra_codes[spec.gridworker_area]}{g:02d}" for g in spec.gridworker_grids
        }
        self.gridworker_buildings = [b for b in info.buildings if b[1] in self.gridworker_grids]
        self.cadre_ra = info.ra_codes[spec.cadre_area]
        self.resident_buildings = [
            b for b in info.buildings if b[1][:-2] == info.ra_codes[spec.resident_area]
        ]
        self.resident_ra = info.ra_codes[spec.resident_area]
        self.topics = list(volume.CATEGORIES)
        self.topic_weights = list(volume.CATEGORIES.values())

    # --- what and where

    def _topic(self, rng: random.Random, channel: str, calm: bool) -> str:
        """A topic for the channel; `calm`: no emergency (E04), which is never left open."""
        while True:
            if channel == Channel.SENSOR:
                topic = rng.choice(sorted(SENSOR_TOPICS))
            else:
                topic = rng.choices(self.topics, weights=self.topic_weights)[0]
                if channel == Channel.PATROL and topic not in PATROL_TOPICS and rng.random() >= 0.3:
                    continue
            if not (calm and topic.startswith("E04")):
                return topic

    def _creator(self, channel: str, grid: str, n: int) -> str:
        ra = grid[:-2]
        if channel == Channel.PATROL and grid in self.gridworker_grids:
            return "gridworker"
        if channel in (Channel.WALK_IN, Channel.DOOR_TO_DOOR) and ra == self.cadre_ra:
            return "cadre"
        if channel == Channel.WEB:
            # Of their neighbours' web reports, a few are the demo resident's own (我的反映).
            mine = (
                ra == self.resident_ra and seeded(self.info.spec.key, n, "own").random() < volume.RESIDENT_OWN
            )
            return "resident" if mine else "public"
        if channel == Channel.SENSOR:
            return "public"
        return "desk"

    def plan(self, n: int) -> CasePlan:
        rng = seeded(self.info.spec.key, n)
        # The showcase's own extras draw from their own generator: the rest of the plan is
        # the same with or without them.
        side = seeded(self.info.spec.key, n, "showcase")
        place = PLACES_AT.get(n, "")
        forced_fate, forced_channel = FORCED_AT.get(n) or PLACE_FORCED.get(place, (None, None))
        fate = forced_fate or pick(rng, FATES)
        channel = forced_channel or pick(rng, volume.CHANNELS)
        if fate == "desk_closed" and channel == Channel.SENSOR:
            channel = Channel.HOTLINE
        topic = self._topic(rng, channel, calm=fate in OPEN_AT_LOAD)
        if fate == "desk_closed" or rng.random() < 0.08:
            topic = rng.choice(["E2102", "E2112", "E2199", "E2101"])
        texts, _feedback = TOPICS[topic]
        request_type, template = rng.choice(texts)
        if fate == "desk_closed" or request_type in (RequestType.INQUIRY, RequestType.SUGGESTION):
            # The desk answers inquiries and suggestions itself (most of the time).
            inquiries = [t for t in texts if t[0] in (RequestType.INQUIRY, RequestType.SUGGESTION)]
            request_type, template = rng.choice(inquiries)
            if fate in ("closed", "desk_closed") and rng.random() < 0.85:
                fate = "desk_closed"
        address, grid = rng.choice(self.info.buildings)
        if side.random() < volume.IN_GRIDWORKER_GRIDS or n == FAR_CHECKIN_AT:
            address, grid = side.choice(self.gridworker_buildings)
        if place == "conflict":
            address, grid = side.choice(self.resident_buildings)
        named = vague(address, side) if place in ("to_locate", "relocated") else address
        description = (
            SENSOR_TEXT[topic].format(addr=named)
            if channel == Channel.SENSOR
            else fill(template, named, rng) + typed_personal_data(self.info.spec.key, n)
        )
        receipts = self._receipts(rng, n, fate, channel)
        plan = self._order(
            rng,
            n,
            channel=channel,
            request_type=request_type,
            category=topic,
            description=description,
            address=address,
            grid_code=grid,
            received_at=receipts[0][0],
            fate=fate,
        )
        # The first receipt whose story fits wins; the last one is taken anyway.
        for i, (received, fresh) in enumerate(receipts):
            plan = dataclasses.replace(plan, received_at=received)
            steps, children = self._steps(plan, rng)
            if i == len(receipts) - 1 or self._fits(plan, steps, fresh):
                break
        steps = list(self._checked_in(plan, steps, side, far=n == FAR_CHECKIN_AT))
        if side.random() < volume.PUBLIC_PHOTOS:
            steps = with_public_photo(steps)
        plan = dataclasses.replace(plan, steps=tuple(steps), children=tuple(children))
        return self._placed(plan, place, named) if place else with_rating(plan, side)

    def _checked_in(
        self, p: CasePlan, steps: list[Step], side: random.Random, *, far: bool
    ) -> Iterator[Step]:
        """The grid worker verifies the cases of their grids on site: each verification carries
        the phone's position a few metres from the building (a share of them, or all when
        `far`, from far off: the office, the next errand)."""
        for s in steps:
            if (
                s.action in (CaseAction.VERIFY_PASS, CaseAction.VERIFY_FAIL)
                and p.grid_code in self.gridworker_grids
            ):
                lon, lat = self.info.points[p.address]
                metres = (
                    side.uniform(600, 1500)
                    if side.random() < volume.CHECKIN_FAR or far
                    else side.uniform(5, 60)
                )
                lon, lat = offset(lon, lat, metres, side.uniform(0, 360))
                checkin = {
                    "checkin_lon": lon,
                    "checkin_lat": lat,
                    "checkin_accuracy": round(side.uniform(5, 30)),
                }
                s = dataclasses.replace(s, params=tuple(sorted((*s.params, *checkin.items()))))
            yield s

    def _placed(self, p: CasePlan, place: str, named: str) -> CasePlan:
        """A place story on the plan (PLACES_AT): the vague address of a call (`named`),
        corrected by the desk before anything else; or a map point in the nearest building of
        another grid."""
        if place == "conflict":
            here = self.info.points[p.address]
            others = [a for a, g in self.info.buildings if g != p.grid_code]
            near = min(others, key=lambda a: math.dist(self.info.points[a], here))
            lon, lat = self.info.points[near]
            # The demo resident's report from their phone (我的反映), the map pinned next door.
            return dataclasses.replace(p, lon=lon, lat=lat, creator="resident")
        if place == "to_locate":
            return dataclasses.replace(p, address=named)
        relocate = Step(
            CaseAction.RELOCATE,
            "desk",
            p.received_at + timedelta(minutes=2),
            (("building", p.address), ("reason", RELOCATE_REASON.format(addr=p.address))),
        )
        return dataclasses.replace(p, address=named, steps=(relocate, *p.steps))

    def _order(
        self, rng: random.Random, n: int, *, channel: str, request_type: str, **fields: Any
    ) -> CasePlan:
        """The plan of order `n` with who reported it (people leave a name and a phone, some
        ask to stay anonymous; a patrol, a check or a sensor has no reporter) and how urgent."""
        anonymous = channel in (Channel.HOTLINE, Channel.WEB) and rng.random() < 0.1
        nameless = channel in (Channel.SENSOR, Channel.PATROL, Channel.INSPECTION)
        urgent = request_type == RequestType.COMPLAINT and rng.random() < 0.07
        return CasePlan(
            external_id=f"demo-{self.info.spec.key}-{n:04d}",
            street_code=self.info.code,
            channel=channel,
            request_type=request_type,
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
            reporter_name="" if nameless else reporter(rng),
            reporter_phone="" if nameless else phone(rng),
            reporter_anonymous=anonymous,
            creator=self._creator(channel, fields["grid_code"], n),
            **fields,
        )

    def _receipts(self, rng: random.Random, n: int, fate: str, channel: str) -> list[tuple[datetime, bool]]:
        """Receipt times to try, each with whether the case must still be within its limit
        at the end of the load day."""
        first, last = demo_days(self.day)
        forced = n in FORCED_AT
        if fate not in OPEN_AT_LOAD:
            # Forced fates need time to play out before the load day.
            latest = last - timedelta(days=40) if forced else last
            return [(_received(rng, channel, first, latest), False)]
        stuck = [(_received(rng, channel, first, last - timedelta(days=20)), False) for _i in range(3)]
        if (fate == FORCED_STUCK) if forced else (rng.random() < STUCK_SHARE):
            return stuck
        days = FRESH_DAYS[fate]
        fresh = [
            (_received(rng, channel, last - timedelta(days=max(0, days - k)), last), True) for k in range(12)
        ]
        # A forced fate must be reached: when no recent receipt leaves it time, an old one.
        return fresh + stuck if forced else fresh

    def _fits(self, plan: CasePlan, steps: list[Step], fresh: bool) -> bool:
        """Whether the case reaches its fate before the load day (a leader's supervision may
        come later) and, when `fresh`, is within its handling limit all the load day."""
        moves = [s.when for s in steps if s.action != CaseAction.SUPERVISE]
        if moves and max(moves) >= self.day_starts:
            return False
        if not fresh:
            return True
        due = self.due(plan.received_at, plan.request_type, plan.category, plan.urgency).handling_due_at
        reopened = [s.when for s in steps if s.action == CaseAction.REOPEN]
        if reopened:
            # reopen_case sets the re-check limit (回访复核), counted from the reopening.
            due = deadlines.callback_due(reopened[-1])
        return due >= self.day_ends

    # --- what happens to it

    def _child(self, master: CasePlan, k: int, arrives: datetime, rng: random.Random) -> CasePlan:
        arrives = arrives.replace(second=0, microsecond=0)
        received = max(master.received_at + timedelta(minutes=5), arrives - hours(rng, 0.1, 1.0))
        received = received.replace(second=0, microsecond=0)
        return CasePlan(
            external_id=f"{master.external_id}-{k}",
            street_code=master.street_code,
            channel=Channel.HOTLINE,
            request_type=master.request_type,
            category=master.category,
            urgency=master.urgency,
            description="又有居民反映：" + master.description,
            address=master.address,
            grid_code=master.grid_code,
            reporter_name=reporter(rng),
            reporter_phone=phone(rng),
            reporter_anonymous=False,
            received_at=received,
            creator="desk",
            fate="merged",
            steps=(Step(CaseAction.MERGE, "desk", arrives, (("master", "parent"),)),),
        )

    def _steps(self, p: CasePlan, rng: random.Random) -> tuple[list[Step], list[CasePlan]]:
        fate = p.fate
        category = p.category
        emergency = category.startswith("E04")
        due = self.due(p.received_at, p.request_type, category, p.urgency)
        steps: list[Step] = []
        children: list[CasePlan] = []
        feedback = rng.choice(TOPICS[category][1])
        t = p.received_at

        def add(action: str, actor: str, when: datetime, **params: Any) -> datetime:
            # Emergencies are handled round the clock; callbacks and the rest in office hours.
            if not emergency or action in (CaseAction.CALLBACK, CaseAction.REOPEN, CaseAction.SUPERVISE):
                when = daytime(when)
            when = when.replace(second=0, microsecond=0)
            steps.append(Step(action, actor, when, tuple(sorted(params.items()))))
            return when

        if fate == "new":
            return steps, children
        minutes = (2, 8) if emergency else (5, 40)
        if p.channel == Channel.HOTLINE and not emergency and rng.random() < 0.25:
            t = add(
                CaseAction.COMMENT,
                "desk",
                t + timedelta(minutes=rng.uniform(*minutes)),
                note="已电话联系诉求人，了解具体情况",
                contacted_requester=True,
            )
        if fate == "rejected":
            if rng.random() < 0.85:
                t = add(
                    CaseAction.COMMENT,
                    "desk",
                    t + hours(rng, 0.2, 2),
                    note="已电话联系诉求人说明情况",
                    contacted_requester=True,
                )
            add(CaseAction.REJECT, "desk", t + hours(rng, 0.2, 6), reason=rng.choice(REJECT_REASONS))
            return steps, children
        t = add(CaseAction.FILE, "desk", t + timedelta(minutes=rng.uniform(*minutes)))
        if fate == "filed":
            return steps, children
        if fate == "desk_closed":
            close = (
                between(rng, t, due.handling_due_at, 0.05, 0.5)
                if rng.random() < 0.9
                else (due.handling_due_at + hours(rng, 2, 48))
            )
            # The desk answered the inquiry itself: its answer is the public result.
            t = add(CaseAction.CLOSE, "desk", close, public_result="已电话答复诉求人相关政策和办理渠道")
            self._callbacks(add, rng, t, late=close > due.handling_due_at)
            return steps, children
        lead, co = self.info.route(category, p.grid_code[:-2])
        dispatch_params: dict[str, Any] = {"co_units": list(co)} if co else {}
        t = add(CaseAction.DISPATCH, "desk", t + timedelta(minutes=rng.uniform(*minutes)), **dispatch_params)
        if fate in ("merged_open", "closed_merged") or (
            fate in ("closed", "in_progress") and rng.random() < 0.05
        ):
            # 一件多单: the same matter is reported again while the case is being handled.
            children.append(self._child(p, len(children) + 2, t + hours(rng, 0.3, 5), rng))
            t = add("spawn", "desk", children[-1].steps[0].when)
            fate = {"merged_open": "in_progress", "closed_merged": "closed"}.get(fate, fate)
        if fate == "returned" or (fate == "closed" and rng.random() < 0.04):
            t = add(CaseAction.RETURN, "unit", t + hours(rng, 0.5, 6), reason=rng.choice(RETURN_REASONS))
            if fate == "returned":
                return steps, children
            other = f"{self.info.code}-CG" if lead != f"{self.info.code}-CG" else f"{self.info.code}-SGB"
            t = add(CaseAction.DISPATCH, "desk", t + hours(rng, 0.3, 3), lead_unit=other, note="改派")
        if fate == "dispatched":
            self._maybe_supervise(add, rng, due.handling_due_at)
            return steps, children
        if fate == "suspended" and rng.random() < 0.5:
            add(CaseAction.SUSPEND, "desk", t + hours(rng, 2, 48), reason=rng.choice(SUSPEND_REASONS))
            return steps, children
        # Sign: usually within hours, sometimes after the response limit.
        if emergency:
            sign = p.received_at + timedelta(
                minutes=rng.uniform(35, 90) if rng.random() < 0.15 else rng.uniform(10, 25)
            )
        elif p.urgency == Urgency.URGENT:
            sign = t + timedelta(minutes=rng.uniform(10, 80))
        elif rng.random() < 0.07:
            sign = due.response_due_at + hours(rng, 1, 30)
        else:
            sign = t + hours(rng, 0.2, 5)
        t = add(CaseAction.SIGN, "unit", max(sign, t + timedelta(minutes=1)))
        if co:
            t = add(CaseAction.SIGN, "co", t + hours(rng, 0.1, 3))
        if category in ("E2111", "E2105") and rng.random() < 0.35:
            t = add(
                CaseAction.ESCALATE,
                "desk",
                t + hours(rng, 4, 48),
                ladder="dispute",
                note="多次调解未果，升级为纠纷",
            )
        if fate == "suspended":
            add(CaseAction.SUSPEND, "desk", t + hours(rng, 4, 72), reason=rng.choice(SUSPEND_REASONS))
            return steps, children
        handling_due = due.handling_due_at
        if not emergency and fate == "closed" and rng.random() < 0.06:
            days = rng.randint(3, 10)
            t = add(
                CaseAction.REQUEST_EXTENSION,
                "unit",
                between(rng, t, handling_due, 0.2, 0.6),
                working_days=days,
                reason=rng.choice(EXTENSION_REASONS),
            )
            t = add(CaseAction.APPROVE_EXTENSION, "desk", t + hours(rng, 1, 20), note="同意延期")
            handling_due = deadlines.extended(handling_due, days)
        if fate == "in_progress":
            self._maybe_supervise(add, rng, due.handling_due_at)
            return steps, children
        late = rng.random() < 0.09
        if late:
            close = max(handling_due, t) + hours(rng, 6, 140)
        else:
            close = between(rng, t, handling_due, 0.35, 0.9)
        report = between(rng, t, close, 0.45, 0.7)
        if co:
            t = add(
                CaseAction.REPORT_BACK,
                "co",
                between(rng, t, report, 0.3, 0.9),
                feedback="已配合主办单位完成处置",
            )
        if late:
            # Pressed while still open; the replay keeps each case's steps in order.
            self._maybe_supervise(add, rng, handling_due, before=report)
        t = add(CaseAction.REPORT_BACK, "unit", report, feedback=feedback)
        if fate == "handled":
            return steps, children
        if fate == "closed" and rng.random() < 0.05:
            t = add(
                CaseAction.VERIFY_FAIL,
                "verifier",
                t + hours(rng, 1, 20),
                reason=rng.choice(VERIFY_FAIL_REASONS),
            )
            t = add(
                CaseAction.REPORT_BACK,
                "unit",
                t + hours(rng, 4, 48),
                feedback="已按核查意见再次整改：" + feedback,
            )
            close = max(close, t + hours(rng, 2, 24))
        t = add(
            CaseAction.VERIFY_PASS, "verifier", between(rng, t, close, 0.2, 0.7), note="现场核查已整改到位"
        )
        if fate == "verified":
            return steps, children
        t = add(CaseAction.CLOSE, "desk", max(close, t + timedelta(minutes=20)))
        self._callbacks(add, rng, t, late=t > handling_due, reopen=fate == "reopened")
        return steps, children

    def _callbacks(
        self,
        add: Callable[..., datetime],
        rng: random.Random,
        closed: datetime,
        *,
        late: bool,
        reopen: bool = False,
    ) -> None:
        t = closed + hours(rng, 3, 60)
        if rng.random() < 0.06 and not reopen:
            t = add(CaseAction.CALLBACK, "desk", t, contacted=False, note="电话无人接听")
            if rng.random() < 0.4:
                return
            t += hours(rng, 20, 30)
        if reopen:
            resolution = "unresolved"
        else:
            resolution = pick(
                rng,
                {"resolved": 60, "partly": 22, "unresolved": 18}
                if late
                else {"resolved": 79, "partly": 13, "unresolved": 8},
            )
        satisfaction = pick(rng, SATISFACTION_GIVEN[resolution])
        if reopen:
            satisfaction = "unsatisfied"
        t = add(
            CaseAction.CALLBACK,
            "desk",
            t,
            resolution=resolution,
            satisfaction=satisfaction,
            note="回访诉求人，了解办理结果",
        )
        if reopen:
            add(CaseAction.REOPEN, "desk", t + hours(rng, 1, 24), reason="回访不满意，诉求人反映问题仍未解决")

    def _maybe_supervise(
        self,
        add: Callable[..., datetime],
        rng: random.Random,
        handling_due: datetime,
        before: datetime | None = None,
    ) -> None:
        """Half of the overdue cases are pressed by the leader some hours after the limit
        (if that is before `before`, when given)."""
        if rng.random() < 0.5:
            when = handling_due + hours(rng, 10, 72)
            if before is None or daytime(when) < before:
                add(CaseAction.SUPERVISE, "leader", when, note="该工单已超期，请主办单位加快办理并按时反馈")


def showcase_count(per_street: int) -> int:
    return min(per_street, volume.SHOWCASE_PER_STREET)


def plan_street_cases(
    info: StreetInfo,
    due: Callable[..., deadlines.Deadlines] | None = None,
    day: date | None = None,
    per_street: int = volume.CASES_PER_STREET,
) -> list[CasePlan]:
    """The plans of one street's showcase cases for a load on `day` (default: today), in
    case-number order (deterministic for a given day)."""
    planner = Planner(info, due or due_from_db(), day or clock.today())
    return [planner.plan(n) for n in range(1, showcase_count(per_street) + 1)]


def due_from_db() -> Callable[..., deadlines.Deadlines]:
    categories = {c.code: c for c in Category.objects.select_related("parent__parent")}

    def due(received_at: datetime, request_type: str, code: str, urgency: str) -> deadlines.Deadlines:
        return deadlines.compute(received_at, request_type, categories[code], urgency)

    return due


# ============================================================================ playing the plans


# Inboxes are read every morning at this hour, except in the last UNREAD_DAYS before the
# load: those notices are still waiting.
READ_AT = time(9, 0)
UNREAD_DAYS = 7


@dataclass
class CaseLoadReport:
    created: int = 0
    skipped: int = 0


def _acting_handler(base: User, unit: Unit) -> User:
    """The demo has one handler account per street (of the 城管中队). Work of the other
    units is recorded under that account acting for the unit: a fresh instance whose
    cached scope holds just that unit. Demo only — real units have their own accounts."""
    proxy = User.objects.get(pk=base.pk)
    scope = base.get_scope()
    proxy._civicgrid_scope = Scope(  # type: ignore[attr-defined]
        role=Role.HANDLER,
        street_ids=scope.street_ids,
        district_ids=scope.district_ids,
        ancestor_ids=scope.ancestor_ids,
        unit_ids=frozenset({unit.pk}),
        user_id=base.pk,
    )
    return proxy


class _OverdueJob:
    """The overdue job in the replayed year. In production it runs every few minutes; here
    on the hour after each limit of a case that may have passed (the hours between would
    find nothing), so overdue marks and supervision records come within the hour."""

    def __init__(self) -> None:
        self.due: list[datetime] = []
        self.planned: set[datetime] = set()

    def expect(self, case: Case) -> None:
        if case.status not in OPEN_STATUSES:
            return
        limits = [case.handling_due_at] + ([case.response_due_at] if case.responded_at is None else [])
        for limit in limits:
            hour = limit.astimezone(SH).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            if hour not in self.planned:
                self.planned.add(hour)
                heapq.heappush(self.due, hour)

    def run_until(self, when: datetime) -> None:
        while self.due and self.due[0] <= when:
            with clock.at(heapq.heappop(self.due)) as now:
                actions.check_deadlines(now)


class _Player:
    def __init__(self, info: StreetInfo, report: CaseLoadReport, job: _OverdueJob) -> None:
        self.info = info
        self.report = report
        self.job = job
        key = info.spec.key
        self.users = {
            u.username.removeprefix(f"{key}-"): u for u in User.objects.filter(username__startswith=f"{key}-")
        }
        self.units = {
            u.code: u for u in Unit.objects.filter(Q(street__code=info.code) | Q(street__isnull=True))
        }
        self.handlers: dict[int, User] = {}
        gridworker = self.users["gridworker"]
        self.gridworker_grids = set(
            Area.objects.restrict(gridworker, "view").filter(kind=AreaKind.GRID).values_list("pk", flat=True)
        )

    def handler(self, unit_id: int) -> User:
        if unit_id not in self.handlers:
            own = (
                User.objects.filter(role=Role.HANDLER, is_active=True, memberships__unit_id=unit_id)
                .order_by("pk")
                .first()
            )
            unit = Unit.objects.get(pk=unit_id)
            self.handlers[unit_id] = own or _acting_handler(self.users["handler"], unit)
        return self.handlers[unit_id]

    def creator(self, who: str) -> User | None:
        return None if who == "public" else self.users["dispatcher" if who == "desk" else who]

    def create(self, p: CasePlan) -> Case:
        with clock.at(p.received_at):
            if p.on_patrol:
                case = report_on_patrol(p.input(), self.creator(p.creator))
            else:
                # The desk's orders (12345's) that nothing locates are the street's, to locate.
                case = actions.create_case(
                    p.input(), self.creator(p.creator), via=p.channel, in_own_street=p.creator == "desk"
                )
        self.report.created += 1
        self.job.expect(case)
        return case

    def story(self, p: CasePlan) -> Iterator[datetime]:
        """The life of one case: yields the moment of its next action, which runs when the
        replay resumes it (never inside `clock.at`: a suspended generator would keep it set)."""
        yield p.received_at
        case = self.create(p)
        children = iter(p.children)
        last = p.received_at
        for step in p.steps:
            # Never two actions of a case at the same minute.
            when = max(step.when, last + timedelta(minutes=1))
            last = when
            yield when
            if step.action == "spawn":
                # A duplicate report: registered at its receipt, merged into this case now.
                child = next(children)
                duplicate = self.create(child)
                for merge in child.steps:
                    self.act(duplicate, merge, when, master=case)
            else:
                case = self.act(case, step, when)

    def act(self, case: Case, step: Step, when: datetime, master: Case | None = None) -> Case:
        params = dict(step.params)
        if step.action == CaseAction.RATE:
            # Through the tracking link: no account acts (cases.actions.resident).
            with clock.at(when):
                actions.rate_case(case, params)
            return Case.objects.get(pk=case.pk)
        if "master" in params and master is not None:
            params["master"] = master.pk
        if "lead_unit" in params:
            params["lead_unit"] = self.units[params["lead_unit"]].pk
        if "co_units" in params:
            params["co_units"] = [self.units[c].pk for c in params["co_units"] if c in self.units]
        if "photos" in params:
            params["photos"] = [photo(case.number)]
        if step.action == CaseAction.PUBLISH_PHOTO:
            params["photo"] = case.photos.order_by("-pk").values_list("pk", flat=True).first()
        for actor in self.actors(case, step):
            with clock.at(when):
                case = actions.run_action(case.pk, step.action, actor, params)
        self.job.expect(case)
        return case

    def actors(self, case: Case, step: Step) -> list[User]:
        if step.actor == "desk":
            return [self.users["dispatcher"]]
        if step.actor == "leader":
            return [self.users["leader"]]
        if step.actor == "verifier":
            # A grid worker verifies on site in their own grids; elsewhere the desk does.
            return [self.users["gridworker" if case.grid_id in self.gridworker_grids else "dispatcher"]]
        if step.actor == "unit":
            return [self.handler(case.lead_unit_id)] if case.lead_unit_id else []
        wanted = {AssignmentStatus.PENDING} if step.action == CaseAction.SIGN else {AssignmentStatus.SIGNED}
        co = Assignment.objects.filter(case=case, role=AssignmentRole.CO, status__in=wanted)
        return [self.handler(unit_id) for unit_id in co.values_list("unit_id", flat=True)]


def _morning_rounds(first: date, last: date, end: date, readers: Iterable[User]) -> Iterator[datetime]:
    """Every morning from `first` to `end` the notices of the day before go out — inboxes,
    and the e-mails and text messages of what is still news (cases.notifications) — and the
    demo accounts read their inboxes, up to `last`."""
    by_pk = {u.pk: u for u in readers}
    for days in range((end - first).days + 1):
        day = first + timedelta(days=days)
        moment = datetime.combine(day, READ_AT, tzinfo=SH)
        yield moment
        with clock.at(moment):
            # The notices of the writes so far (load_cases defers the consumers), as of that morning.
            events.run_all()
            if day <= last:
                unread = Notification.objects.filter(user_id__in=by_pk, read_at__isnull=True)
                for user_id in set(unread.values_list("user_id", flat=True)):
                    notifications.mark_all_read(by_pk[user_id])


def _replay(stories: list[Iterator[datetime]], end: datetime, job: _OverdueJob) -> None:
    """Run the stories' steps in time order (ties: in the order given) up to `end`, the
    overdue job between them; what is planned later is left out, as a live street has not
    done it yet."""
    queue = [(next(story), i, story) for i, story in enumerate(stories)]
    heapq.heapify(queue)
    while queue and queue[0][0] <= end:
        when, i, story = heapq.heappop(queue)
        job.run_until(when)
        following = next(story, None)
        if following is not None:
            heapq.heappush(queue, (following, i, story))
    job.run_until(end)


def load_cases(
    plan: Any, streets: list[str] | None = None, per_street: int = volume.CASES_PER_STREET
) -> CaseLoadReport:
    """Load the demo's year of orders of the (given) streets up to now, `per_street` each:
    the bulk of them through the bulk path with their history (history.py), the showcase
    replayed through cases.actions; existing demo cases are skipped. The demo's year ends
    at this moment (`clock.now()`)."""

    report = CaseLoadReport()
    end = clock.now()
    with events.deferred():
        _load(plan, streets, per_street, report, end)
    # The consumers (notices, webhooks) of every write, each notice dated by its event.
    events.run_all()
    return report


def _load(
    plan: Any, streets: list[str] | None, per_street: int, report: CaseLoadReport, end: datetime
) -> None:
    from . import patrols
    from .history import load_year

    day = end.astimezone(SH).date()
    due = due_from_db()
    existing = set(Case.objects.filter(source=DEMO_SOURCE).values_list("external_id", flat=True))
    infos = [i for i in street_infos(plan) if not streets or i.spec.key in streets]
    job = _OverdueJob()
    written = load_year(infos, due, day, existing, per_street)
    report.created += len(written)
    # The deadline job marks the bulk orders left open past their limit as the replay goes.
    for case in Case.objects.filter(pk__in=written, status__in=OPEN_STATUSES):
        job.expect(case)
    stories: list[Iterator[datetime]] = []
    readers: list[User] = []
    for info in infos:
        plans = [p for p in plan_street_cases(info, due, day, per_street) if p.external_id not in existing]
        player = _Player(info, report, job)
        if plans:
            readers += player.users.values()
            stories += [player.story(p) for p in plans]
        if per_street:  # patrols find cases: none when no case is asked for
            stories += patrols.stories(player, Planner(info, due, day), end)
    report.skipped = per_street * len(infos) - report.created
    first_day, last_day = demo_days(day)
    last_round = (end - timedelta(days=UNREAD_DAYS)).astimezone(SH).date()
    rounds = [_morning_rounds(first_day, last_round, last_day, readers)] if stories else []
    _replay([*stories, *rounds], end, job)
    # The job once more, at the real now (the loading took a while).
    actions.check_deadlines()
