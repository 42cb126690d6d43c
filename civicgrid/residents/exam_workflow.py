"""The 知情 examination's machine (core.workflow): drawn → answered by the cadre herself,
answered → graded by an examiner (1 = 一级, the best, to 5, with a note)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition, machines

from .choices import ExamAction, ExamStatus
from .exams import clean_answers

MACHINE = machines.add(
    Machine(
        name="residents.exams",
        statuses=ExamStatus,
        actions=ExamAction,
        noun=_("知情考试"),
        transitions=[
            Transition(
                ExamAction.ANSWER,
                frozenset({ExamStatus.DRAWN}),
                ExamStatus.ANSWERED,
                "residents.exam_answer",
                guards=(Guard(lambda exam, user, params: exam.cadre_id == user.pk, _("只能作答自己的考试")),),
                # Checked and converted by exams.clean_answers (the form's many fields are one value).
                params=(Param("answers", _("作答"), Kind.TEXT, required=True, resolve=clean_answers),),
                primary=True,
            ),
            Transition(
                ExamAction.GRADE,
                frozenset({ExamStatus.ANSWERED}),
                ExamStatus.GRADED,
                "residents.examine",
                params=(
                    Param(
                        "grade",
                        _("评级"),
                        Kind.INT,
                        required=True,
                        min_value=1,
                        max_value=5,
                        help=_("1 为一级（最熟悉），5 为五级"),
                    ),
                    Param("note", _("评语"), Kind.LONGTEXT, max_length=1000),
                ),
                primary=True,
            ),
        ],
    )
)
