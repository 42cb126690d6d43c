"""The demo's representatives' proposals (seed 003): in the street's session (held 60 days
before the load day) the desk files 12–18 proposals on the meeting's usual topics with one to
four co-signers; most are accepted, two duplicates merged, one declined with its reason; the
rest assigned to the street's units and offices with the profile's deadline, answered (some
late, one or two still open past their deadline) and rated — mostly 满意, some 基本满意, one
不满意 assigned again and answered a second time. Every write through the proposal actions
inside `clock.at()`, deterministic per street."""

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from civicgrid.accounts.models import Membership
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.programmes.actions import proposals as actions
from civicgrid.programmes.actions.frames import PROPOSAL_FRAME
from civicgrid.programmes.choices import ProjectCategory as C
from civicgrid.programmes.choices import ProposalAction as A
from civicgrid.programmes.choices import Rating
from civicgrid.programmes.models import Proposal

if TYPE_CHECKING:  # the package imports this module before it defines the plan
    from . import StreetPlan

# (title, category, body); the last two repeat earlier topics (the duplicates merged).
TOPICS = [
    (
        "关于多层住宅加装电梯的建议",
        C.LIVELIHOOD,
        "小区多为六层无电梯住宅，老年人上下楼困难，建议街道协调加装电梯意见征询和资金补贴。",
    ),
    (
        "关于增设非机动车集中充电设施的建议",
        C.SAFETY,
        "电动自行车飞线充电、楼道充电现象突出，建议在小区空地增设集中充电桩。",
    ),
    ("关于缓解老旧小区停车难的建议", C.TRAFFIC, "夜间停车位严重不足，建议错峰共享周边单位停车场。"),
    (
        "关于规范垃圾分类箱房管理的建议",
        C.ENVIRONMENT,
        "部分箱房破损、开放时间不合理，建议改造箱房并增设洗手设施。",
    ),
    (
        "关于扩大老年助餐服务覆盖的建议",
        C.ELDERLY,
        "社区长者食堂离部分小区较远，建议增设助餐点并提供送餐上门。",
    ),
    ("关于加强小区消防通道管理的建议", C.SAFETY, "消防通道被车辆长期占用，建议施划标线并定期巡查。"),
    ("关于增设社区健身设施的建议", C.CULTURE, "居民健身场地少，建议利用边角地增设健身步道和器材。"),
    ("关于改善背街小巷照明的建议", C.ENVIRONMENT, "部分小巷夜间照明不足，存在安全隐患，建议增设路灯。"),
    ("关于老旧小区雨污混接改造的建议", C.RENEWAL, "雨天小区积水严重，建议结合旧改进行雨污分流改造。"),
    ("关于开设社区便民服务点的建议", C.SERVICE, "修鞋、配钥匙等便民服务难找，建议在睦邻中心设置便民服务点。"),
    ("关于加强独居老人关爱的建议", C.ELDERLY, "独居老人突发情况无人知晓，建议推广智能水表、烟感等监测设备。"),
    ("关于整治小区群租的建议", C.SAFETY, "个别房屋群租，人员进出频繁，建议联合执法整治。"),
    ("关于优化公交线路站点的建议", C.TRAFFIC, "小区距最近公交站较远，建议增设站点或社区巴士。"),
    ("关于增设社区托育点的建议", C.LIVELIHOOD, "双职工家庭托育需求大，建议开设社区嵌入式托育点。"),
    ("关于设立文化活动室的建议", C.CULTURE, "居民文体团队缺少活动场地，建议开放公共空间。"),
    ("关于更换小区物业公司的建议", C.OTHER, "居民对物业服务不满意，要求街道更换物业公司。"),
    ("关于解决电动自行车充电难的建议", C.SAFETY, "建议在每个小区至少设置一处集中充电点，杜绝飞线充电。"),
    ("关于小区停车位不足的建议", C.TRAFFIC, "建议挖潜增设停车位并规范停车收费。"),
]
DUPLICATES = {16: 1, 17: 2}  # index in TOPICS → the topic it repeats
DECLINED = 15
DECLINE_REASON = (
    "更换物业公司属业主大会依法决定的事项，不属于街道职责；已转居委会指导业委会依法召开业主大会。"
)
OFFICES = ("社区管理办", "社区服务办", "社区平安办", "社区自治办")
ANSWERS = (
    "已列入年度实事项目，年内完成 %(n)d 处，其余结合居民意见征询分批实施。",
    "经现场踏勘，已会同物业和居委会制定方案，本月起实施，完成后将向代表反馈。",
    "已协调相关单位落实，目前已完成 %(n)d 处，代表可随时监督。",
)


def load(plan: "StreetPlan") -> int:
    from . import at

    if plan.session is None or len(plan.representatives) < 2:
        return 0
    rng = plan.rng("proposals")
    admin = plan.users[Role.ADMIN]
    handler = plan.users.get(Role.HANDLER)
    handler_units = (
        set(Membership.objects.filter(user=handler, unit__isnull=False).values_list("unit_id", flat=True))
        if handler
        else set()
    )
    held = plan.session.held_on
    # 12–16 proposals: the regular topics, the declined one and the two duplicates.
    chosen = [*range(rng.randint(12, 16) - 3), DECLINED, *DUPLICATES]
    filed: dict[int, Proposal] = {}
    for index in chosen:
        title, category, body = TOPICS[index]
        proposer = rng.choice(plan.representatives)
        others = [r for r in plan.representatives if r.pk != proposer.pk]
        cosigners = rng.sample(others, min(len(others), rng.randint(1, 4)))
        with clock.at(at(held + timedelta(days=rng.randint(0, 6)), 9 + rng.randint(0, 7))):
            filed[index] = actions.file_proposal(
                admin,
                session=plan.session,
                proposer=proposer,
                title=title,
                body=body,
                category=category,
                cosigners=cosigners,
            )

    def act(proposal: Proposal, action: str, day: date, user: Any = admin, **params: Any) -> None:
        with clock.at(at(min(day, plan.today - timedelta(days=1)), 10 + rng.randint(0, 6))):
            PROPOSAL_FRAME.run(proposal.pk, action, user, params)

    review = held + timedelta(days=10)
    for index, duplicate_of in DUPLICATES.items():
        act(filed[index], A.MERGE, review, into=filed[duplicate_of].pk, note="与同类提案并案办理")
    act(filed[DECLINED], A.DECLINE, review, note=DECLINE_REASON)
    going_on = [filed[i] for i in chosen if i != DECLINED and i not in DUPLICATES]
    assign_day = held + timedelta(days=12)
    for number, proposal in enumerate(going_on):
        act(proposal, A.ACCEPT, review)
        if plan.units and number % 3 != 2:
            act(proposal, A.ASSIGN, assign_day, unit=rng.choice(plan.units).pk, note="请按期答复")
        else:
            act(proposal, A.ASSIGN, assign_day, office=rng.choice(OFFICES))
    # The last two stay open past their deadline; three of the rest are answered late.
    answered = going_on[:-2] if len(going_on) > 4 else going_on
    # The first is answered on time, rated 不满意 and assigned again.
    late = set(rng.sample(range(1, len(answered)), min(3, max(len(answered) - 4, 0))))
    for number, proposal in enumerate(answered):
        proposal.refresh_from_db()
        due = proposal.deadline or assign_day
        answerer = handler if handler and proposal.assigned_unit_id in handler_units else admin
        if number in late:
            day = due + timedelta(days=rng.randint(3, 10))
        else:
            day = min(assign_day + timedelta(days=rng.randint(5, 25)), due)
        text = rng.choice(ANSWERS) % {"n": rng.randint(2, 12)}
        act(proposal, A.ANSWER, day, answerer, answer=text)
        rating = Rating.UNSATISFIED if number == 0 else rng.choice([Rating.SATISFIED] * 3 + [Rating.BASIC])
        rated_on = min(day + timedelta(days=rng.randint(2, 6)), plan.today - timedelta(days=1))
        act(proposal, A.RATE, rated_on, rating=rating, note="问题未根本解决" if number == 0 else "")
        if number == 0:
            again = rated_on + timedelta(days=2)
            act(proposal, A.REASSIGN, again, note="提案人不满意，请承办单位再研究落实")
            act(
                proposal,
                A.ANSWER,
                again + timedelta(days=8),
                answerer,
                answer="已再次会同居委会和物业研究，增加落实措施并明确完成时限。",
            )
            act(proposal, A.RATE, again + timedelta(days=12), rating=Rating.BASIC)
    return len(filed)
