"""(seam) Making a source-governance plan and the bodies of the plan machine
(insights.workflow.PLANS) run by PLAN_FRAME: filled in by the plans part."""

from .frames import PLAN_FRAME

__all__ = ["PLAN_FRAME"]
