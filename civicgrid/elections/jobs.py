"""The elections app's background job (core.jobs): the published voter list as a PDF. A
committee has thousands of voters and WeasyPrint lays out about a hundred rows a second, so
the list is drawn by a worker and fetched from the job's page, never inside a request."""

from typing import Any

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job

from . import voterlist
from .choices import VoterStatus
from .models import Election

VOTER_LIST = "elections.voter_list"


def start_voter_list(user: Any, election: Election) -> Job:
    """选民名单公告 of an election the caller found in their scope, drawn by a worker."""
    return core_jobs.submit(VOTER_LIST, user, street_id=election.street_id, params={"election": election.pk})


def _voter_list(run: JobRun) -> Outcome:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起任务的账号已停用"))
    election = (
        Election.objects.restrict(user, Action.VIEW)
        .select_related("round", "area", "street")
        .filter(pk=int(run.params["election"]))
        .first()
    )
    if election is None:
        raise NotFound(gettext("选举不存在或不在你的管辖范围内"))
    run.progress(0, 1, gettext_noop("正在排版"))
    path = run.workdir / "voter-list.pdf"
    path.write_bytes(voterlist.render(election))
    return Outcome(
        summary=[(gettext_noop("选民"), election.voters.filter(status=VoterStatus.LISTED).count())],
        file=path,
        file_name=f"voters-{election.pk}.pdf",
        done=1,
    )


core_jobs.register(
    JobKind(
        name=VOTER_LIST,
        label=_("选民名单公告（PDF）"),
        run=_voter_list,
        capability="elections.view",
        queue="bulk",
        user_errors=(Forbidden, NotFound),
    )
)
