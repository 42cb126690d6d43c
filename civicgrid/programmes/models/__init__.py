from .projects import CaseLink, ProgressReport, Project, ProjectMilestone, Target
from .proposals import (
    Evaluation,
    EvaluationCount,
    EvaluationSubject,
    EvaluationVoter,
    Proposal,
    Representative,
    Session,
)
from .welfare import Ask, Claim, ClaimSequence, MemberUnit, WelfareProject

__all__ = [
    "Ask",
    "CaseLink",
    "Claim",
    "ClaimSequence",
    "Evaluation",
    "EvaluationCount",
    "EvaluationSubject",
    "EvaluationVoter",
    "MemberUnit",
    "ProgressReport",
    "Project",
    "ProjectMilestone",
    "Proposal",
    "Representative",
    "Session",
    "Target",
    "WelfareProject",
]
