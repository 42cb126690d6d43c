"""The demo's member units and welfare projects (公益项目认领, seed 004's “陆家嘴公益城”): per
street 10–15 member units of every kind, and 8–12 welfare projects published across the past
months with asks of money, volunteers and materials. The older ones are claimed exactly by
several units, confirmed, delivered with evidence and closed; later ones are covered and being
delivered, partly claimed with claims awaiting confirmation, or still a draft; one claim is
rejected and one withdrawn. Every write goes through programmes.actions inside clock.at()."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext

from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.demo.cases import photo
from civicgrid.programmes.actions import welfare
from civicgrid.programmes.actions.frames import CLAIM_FRAME, WELFARE_FRAME
from civicgrid.programmes.choices import AskKind, ClaimAction, MemberKind, WelfareAction
from civicgrid.programmes.models import Ask, MemberUnit

# Member units of a regional party-building alliance (区域化党建促进会) in Pudong and Yangpu.
MEMBERS: list[tuple[str, str, str]] = [
    ("上海建工一建集团有限公司", MemberKind.COMPANY, "银城中路 68 号"),
    ("上海陆家嘴（集团）有限公司", MemberKind.COMPANY, "东园路 18 号"),
    ("上海天佑市政工程有限公司", MemberKind.COMPANY, "浦东南路 1085 号"),
    ("交通银行上海浦东分行", MemberKind.COMPANY, "世纪大道 100 号"),
    ("斯米克控股股份有限公司", MemberKind.COMPANY, "浦建路 75 号"),
    ("上海理工大学", MemberKind.SCHOOL, "军工路 516 号"),
    ("上海市建平中学", MemberKind.SCHOOL, "崂山路 517 号"),
    ("同济大学附属东方医院", MemberKind.HOSPITAL, "即墨路 150 号"),
    ("上海市第一人民医院", MemberKind.HOSPITAL, "海宁路 100 号"),
    ("社区卫生服务中心", MemberKind.AGENCY, "崂山路 285 号"),
    ("上海陆家嘴物业管理有限公司", MemberKind.PROPERTY, "东昌路 568 号"),
    ("上海明华物业管理有限公司", MemberKind.PROPERTY, "潍坊西路 2 弄"),
    ("上海东湖物业管理有限公司", MemberKind.PROPERTY, "东湖路 70 号"),
    ("上海民生公益基金会", MemberKind.SOCIAL, "浦东大道 1200 号"),
    ("浦东新区青年志愿者协会", MemberKind.SOCIAL, "合欢路 2 号"),
    ("城管执法局陆家嘴中队", MemberKind.AGENCY, "崂山路 1 号"),
]
CONTACTS = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"]


@dataclass(frozen=True)
class Need:
    title: str
    need: str
    place: str
    beneficiaries: str
    count: int
    asks: tuple[tuple[str, str, str, int], ...]  # kind, item, unit, quantity


NEEDS = [
    Need(
        "冬令送温暖",
        "为辖区困难家庭、独居老人送去冬衣、慰问金，并上门走访",
        "社区事务受理服务中心",
        "困难家庭、独居老人",
        160,
        (
            (AskKind.MONEY, "慰问金", "元", 20000),
            (AskKind.MATERIALS, "冬衣", "件", 200),
            (AskKind.VOLUNTEERS, "走访志愿者", "人次", 30),
        ),
    ),
    Need(
        "民生民心 爱心助学",
        "结对资助辖区困难家庭学生，送去助学金和学习用品",
        "街道社区党群服务中心",
        "困难家庭学生",
        50,
        ((AskKind.MONEY, "助学金", "元", 30000), (AskKind.MATERIALS, "学习用品", "套", 100)),
    ),
    Need(
        "老年助餐送餐服务",
        "为行动不便的高龄老人送餐上门",
        "长者食堂",
        "高龄独居老人",
        80,
        ((AskKind.VOLUNTEERS, "送餐志愿者", "人次", 120), (AskKind.MONEY, "助餐补贴", "元", 10000)),
    ),
    Need(
        "美丽家园环境美化",
        "老旧小区绿化补种、楼道清理与乱张贴清除",
        "各居民区",
        "小区居民",
        3000,
        ((AskKind.VOLUNTEERS, "清洁志愿者", "人次", 60), (AskKind.MATERIALS, "绿植", "盆", 300)),
    ),
    Need(
        "“医德医风”健康义诊",
        "在职党员医生进社区义诊，测血压血糖、讲解慢病防治",
        "居民区睦邻中心",
        "社区老人",
        400,
        ((AskKind.VOLUNTEERS, "义诊医生", "人次", 24), (AskKind.MATERIALS, "健康手册", "册", 500)),
    ),
    Need(
        "公益城进工地",
        "为在建工地的建设者送去防暑降温用品和法律咨询",
        "辖区在建工地",
        "工地建设者",
        600,
        ((AskKind.MATERIALS, "防暑降温用品", "份", 400), (AskKind.VOLUNTEERS, "法律咨询志愿者", "人次", 12)),
    ),
    Need(
        "社区大管家",
        "老旧小区小修小补：门禁、扶手、路灯维修",
        "老旧小区",
        "小区居民",
        1200,
        ((AskKind.VOLUNTEERS, "维修志愿者", "人次", 40), (AskKind.MONEY, "材料费", "元", 8000)),
    ),
    Need(
        "暑期爱心托管",
        "为双职工家庭的小学生开办暑托班",
        "社区文化活动中心",
        "双职工家庭子女",
        60,
        ((AskKind.VENUE, "活动场地", "场次", 20), (AskKind.VOLUNTEERS, "辅导老师", "人次", 40)),
    ),
    Need(
        "独居老人安全守护",
        "为独居老人家中安装独立式烟感报警器",
        "独居老人家中",
        "独居老人",
        150,
        ((AskKind.MATERIALS, "独立式烟感报警器", "个", 150), (AskKind.VOLUNTEERS, "安装志愿者", "人次", 15)),
    ),
    Need(
        "社区图书角",
        "为居民区睦邻点募集图书，建设共享书架",
        "居民区睦邻点",
        "社区居民",
        2000,
        ((AskKind.MATERIALS, "图书", "册", 1000), (AskKind.MONEY, "书架购置费", "元", 5000)),
    ),
    Need(
        "重阳敬老",
        "重阳节为 80 岁以上老人送长寿面、组织文艺慰问",
        "社区文化活动中心",
        "80 岁以上老人",
        300,
        ((AskKind.MONEY, "活动经费", "元", 6000), (AskKind.VOLUNTEERS, "文艺志愿者", "人次", 30)),
    ),
    Need(
        "垃圾分类桶边值守",
        "早晚高峰在小区垃圾厢房桶边值守、指导分类",
        "各小区垃圾厢房",
        "小区居民",
        5000,
        ((AskKind.VOLUNTEERS, "值守志愿者", "人次", 80), (AskKind.MATERIALS, "分类垃圾桶", "个", 50)),
    ),
]

# The stage each project has reached, oldest first.
CLOSED, DELIVERING, COVERED, PARTIAL, DRAFT = "closed", "delivering", "covered", "partial", "draft"


def _stages(n: int) -> list[str]:
    head = [CLOSED] * max(2, n - 6)
    return [*head, DELIVERING, DELIVERING, COVERED, PARTIAL, PARTIAL, DRAFT][:n]


def _split(total: int, parts: int, rng: Any) -> list[int]:
    """`total` in `parts` positive whole shares (the claims covering an ask exactly)."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def load(plan: Any) -> int:
    # The package imports this module before it defines `at`.
    from . import at

    admin = plan.users.get(Role.ADMIN)
    if admin is None:
        return 0
    cadre = plan.users.get(Role.CADRE, admin)
    rng = plan.rng("welfare")
    # Nothing happens on the load day itself (its hours may still be ahead).
    today: date = plan.today - timedelta(days=1)
    made = 0
    members: list[MemberUnit] = []
    with clock.at(at(today - timedelta(days=330), 9)):
        for name, kind, address in rng.sample(MEMBERS, rng.randint(10, 15)):
            members.append(
                welfare.register_member(
                    admin,
                    name=name,
                    kind=kind,
                    streets=[plan.street],
                    address=address,
                    contact_name=gettext("%(surname)s同志") % {"surname": rng.choice(CONTACTS)},
                    contact_phone="139" + "".join(str(rng.randrange(10)) for _ in range(8)),
                )
            )
    made += len(members)
    needs = rng.sample(NEEDS, rng.randint(8, 12))
    stages = _stages(len(needs))
    span = 300
    rejected = withdrawn = False
    for index, (need, stage) in enumerate(zip(needs, stages, strict=True)):
        published = today - timedelta(days=span - index * span // len(needs) + 5)
        deadline = (
            min(published + timedelta(days=40), today + timedelta(days=30)) if stage != CLOSED else None
        )
        with clock.at(at(published - timedelta(days=3))):
            project = welfare.create_welfare(
                admin,
                street=plan.street,
                year=published.year,
                title=need.title,
                need=need.need,
                place=need.place,
                area=rng.choice(plan.areas) if plan.areas and rng.random() < 0.4 else None,
                beneficiaries=need.beneficiaries,
                beneficiary_count=need.count,
                deadline=deadline,
                asks=[{"kind": k, "item": i, "unit": u, "quantity": q} for k, i, u, q in need.asks],
            )
        made += 1 + len(need.asks)
        if stage == DRAFT:
            continue
        with clock.at(at(published)):
            WELFARE_FRAME.run(
                project.pk, WelfareAction.PUBLISH, admin, {"note": gettext("区域化党建促进会发布")}
            )
        day = published + timedelta(days=2)
        for ask in Ask.objects.filter(project=project).order_by("order"):
            total = int(ask.quantity)
            shares = _split(total, rng.randint(1, 3), rng)
            if stage == PARTIAL:
                shares = shares[:-1] or [max(1, total // 2)]
            if stage == CLOSED and not rejected:
                # An offer the street declines (不予确认): its quantity is released and the
                # shares after it still cover the need exactly.
                rejected = True
                day += timedelta(days=1)
                with clock.at(at(day, 10)):
                    held = welfare.claim(admin, ask=ask, member=rng.choice(members), quantity=shares[0])
                with clock.at(at(day, 16)):
                    CLAIM_FRAME.run(
                        held.pk, ClaimAction.REJECT, admin, {"note": gettext("与已有认领重复，不予确认")}
                    )
                made += 1
            for share in shares:
                day = min(day + timedelta(days=rng.randint(1, 4)), today)
                member = rng.choice(members)
                with clock.at(at(day, rng.randint(9, 17))):
                    held = welfare.claim(rng.choice([admin, cadre]), ask=ask, member=member, quantity=share)
                made += 1
                if stage == PARTIAL and not withdrawn:
                    withdrawn = True
                    with clock.at(at(min(day + timedelta(days=1), today), 15)):
                        CLAIM_FRAME.run(
                            held.pk,
                            ClaimAction.WITHDRAW,
                            cadre,
                            {"note": gettext("单位年度预算调整，撤回认领")},
                        )
                    continue
                if stage == PARTIAL:
                    continue  # awaiting the street's confirmation
                confirmed = min(day + timedelta(days=2), today)
                with clock.at(at(confirmed, 11)):
                    CLAIM_FRAME.run(held.pk, ClaimAction.CONFIRM, admin, {"note": gettext("同意认领")})
                if stage == COVERED:
                    continue
                delivered = min(confirmed + timedelta(days=rng.randint(5, 20)), today)
                if stage == DELIVERING and rng.random() < 0.5:
                    continue  # confirmed, not yet delivered
                with clock.at(at(delivered, 14)):
                    CLAIM_FRAME.run(
                        held.pk,
                        ClaimAction.DELIVER,
                        admin,
                        {
                            "delivered_quantity": share,
                            "delivered_on": delivered,
                            "note": gettext("已按认领数量交付，受益对象签收"),
                            "photos": [photo(f"welfare-{plan.street.code}-{held.pk}")],
                        },
                    )
                if stage == CLOSED:
                    with clock.at(at(min(delivered + timedelta(days=3), today), 16)):
                        CLAIM_FRAME.run(held.pk, ClaimAction.CLOSE, admin)
        if stage == CLOSED:
            with clock.at(at(min(day + timedelta(days=30), today), 17)):
                WELFARE_FRAME.run(project.pk, WelfareAction.CLOSE, admin, {"note": gettext("项目圆满完成")})
    return made
