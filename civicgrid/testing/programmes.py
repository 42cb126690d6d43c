"""Programmes rows for tests: in a street of `build_world()`, a parent project with a child
owned by the street's unit (a target, a milestone, a progress report and, given a case, a case
link), a member unit with a welfare project, an ask and a claim, and a representatives'
session with three representatives, a proposal assigned to the unit and an evaluation with a
subject, a voter and a count — rows written directly, each part's actions are tested on their
own. `mark` is added to every name and text, so a test can look for it in a page."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from civicgrid.core.choices import Role
from civicgrid.programmes.choices import (
    AskKind,
    BallotSource,
    ClaimStatus,
    EvaluationStatus,
    Mark,
    MemberKind,
    MilestoneStatus,
    ProjectCategory,
    ProjectStatus,
    ProposalStatus,
    SessionKind,
    WelfareStatus,
)
from civicgrid.programmes.models import (
    Ask,
    CaseLink,
    Claim,
    Evaluation,
    EvaluationCount,
    EvaluationSubject,
    EvaluationVoter,
    MemberUnit,
    ProgressReport,
    Project,
    ProjectMilestone,
    Proposal,
    Representative,
    Session,
    Target,
    WelfareProject,
)

from .factories import StreetWorld


@dataclass
class ProgrammeSet:
    parent: Project
    project: Project  # the child, owned by the street's unit
    target: Target
    milestone: ProjectMilestone
    report: ProgressReport
    member: MemberUnit
    welfare: WelfareProject
    ask: Ask
    claim: Claim
    session: Session
    representatives: list[Representative] = field(default_factory=list)
    proposal: Proposal | None = None
    evaluation: Evaluation | None = None
    subject: EvaluationSubject | None = None
    voter: EvaluationVoter | None = None
    case_link: CaseLink | None = None


def build_programmes(
    world: StreetWorld, *, year: int = 2027, mark: str = "", case: Any = None
) -> ProgrammeSet:
    street, admin, unit = world.street, world.users[Role.ADMIN], world.unit
    parent = Project.objects.create(
        street=street,
        year=year,
        title=f"老旧小区综合改造{mark}",
        category=ProjectCategory.RENEWAL,
        owner_office=f"街道管理办{mark}",
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        status=ProjectStatus.ACTIVE,
        progress=Decimal("40"),
        created_by=admin,
    )
    project = Project.objects.create(
        street=street,
        year=year,
        parent=parent,
        title=f"电线线路改造{mark}",
        category=ProjectCategory.SAFETY,
        description=f"为老旧住房更换入户线路{mark}",
        owner_unit=unit,
        budget=Decimal("120.00"),
        starts_on=date(year, 3, 1),
        ends_on=date(year, 11, 30),
        status=ProjectStatus.ACTIVE,
        progress=Decimal("40"),
        created_by=admin,
    )
    target = Target.objects.create(
        project=project,
        street=street,
        name=f"改造户数{mark}",
        unit="户",
        goal=Decimal(450),
        reached=Decimal(180),
    )
    milestone = ProjectMilestone.objects.create(
        project=project,
        street=street,
        title=f"完成施工招标{mark}",
        due_on=date(year, 4, 30),
        status=MilestoneStatus.OVERDUE,
    )
    report = ProgressReport.objects.create(
        project=project,
        street=street,
        target=target,
        value=Decimal(180),
        reported_on=date(year, 6, 30),
        note=f"已完成 180 户{mark}",
        reported_by=world.users[Role.HANDLER],
    )
    case_link = None
    if case is not None:
        case_link = CaseLink.objects.create(project=project, case=case, street=street, linked_by=admin)

    member = MemberUnit.objects.create(
        name=f"联合医院{mark}",
        kind=MemberKind.HOSPITAL,
        street=street,
        address=f"长阳路 1 号{mark}",
        contact_name=f"李联系{mark}",
        contact_phone="13912345678",
    )
    member.streets.add(street)
    welfare = WelfareProject.objects.create(
        street=street,
        year=year,
        title=f"独居老人冬季关爱{mark}",
        need=f"为独居老人送冬衣、上门体检{mark}",
        place=f"社区睦邻点{mark}",
        beneficiaries=f"独居老人{mark}",
        beneficiary_count=120,
        status=WelfareStatus.OPEN,
        published_on=date(year, 10, 8),
        created_by=admin,
    )
    ask = Ask.objects.create(
        project=welfare,
        street=street,
        kind=AskKind.VOLUNTEERS,
        item=f"上门体检医生{mark}",
        unit="人次",
        quantity=Decimal(30),
        claimed=Decimal(10),
    )
    claim = Claim.objects.create(
        ask=ask,
        project=welfare,
        street=street,
        member=member,
        quantity=Decimal(10),
        note=f"派出全科医生{mark}",
        status=ClaimStatus.CLAIMED,
        claimed_on=date(year, 10, 12),
        recorded_by=admin,
    )

    session = Session.objects.create(
        street=street,
        kind=SessionKind.RESIDENTS,
        title=f"第三届居民代表会议第二次会议{mark}",
        held_on=date(year, 3, 20),
        created_by=admin,
    )
    out = ProgrammeSet(
        parent=parent,
        project=project,
        target=target,
        milestone=milestone,
        report=report,
        member=member,
        welfare=welfare,
        ask=ask,
        claim=claim,
        session=session,
        case_link=case_link,
    )
    residential = world.residential[0] if world.residential else None
    for name in ("孙代表", "钱代表", "赵代表"):
        out.representatives.append(
            Representative.objects.create(
                street=street, name=f"{name}{mark}", area=residential, term_from=date(year - 2, 1, 1)
            )
        )
    out.proposal = Proposal.objects.create(
        session=session,
        street=street,
        number=1,
        title=f"增设非机动车充电桩{mark}",
        body=f"小区内电动自行车充电难，建议增设充电桩{mark}",
        category=ProjectCategory.SAFETY,
        proposer=out.representatives[0],
        status=ProposalStatus.ASSIGNED,
        assigned_unit=unit,
        assigned_on=date(year, 4, 1),
        deadline=date(year, 5, 1),
    )
    out.proposal.cosigners.add(out.representatives[1])
    out.evaluation = Evaluation.objects.create(
        session=session,
        street=street,
        title=f"街道职能部门民主测评{mark}",
        status=EvaluationStatus.OPEN,
        ballots=1,
        created_by=admin,
    )
    out.subject = EvaluationSubject.objects.create(
        evaluation=out.evaluation, street=street, name=f"社区管理办{mark}", unit=unit
    )
    out.voter = EvaluationVoter.objects.create(
        evaluation=out.evaluation,
        street=street,
        representative=out.representatives[0],
        code_digest=f"digest-{street.code}-{mark}",
        voted=True,
    )
    EvaluationCount.objects.create(
        evaluation=out.evaluation,
        subject=out.subject,
        street=street,
        mark=Mark.GOOD,
        source=BallotSource.WEB,
        count=1,
    )
    return out
