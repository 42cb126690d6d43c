"""The one write of Open311: a service request becomes a case (cases.actions.create_case)
and its Submission (the token, the contact the client sent, the answers to the service's
attributes), in one transaction and under the integration's account."""

import secrets
from typing import Any

from django.db import transaction

from civicgrid.accounts.models import ApiToken
from civicgrid.cases import actions as case_actions
from civicgrid.cases.actions import CaseInput
from civicgrid.core.audit import acting_as

from .models import Submission

VIA = "open311"


def submit_request(
    token: ApiToken, data: CaseInput, *, service_code: str, contact: dict[str, Any], answers: dict[str, Any]
) -> Submission:
    """Open the case and record what the client sent with it; both or neither."""
    user = token.user
    with transaction.atomic(), acting_as(user, VIA):
        case = case_actions.create_case(data, user, via=VIA)
        return Submission.objects.create(
            token=secrets.token_urlsafe(18),
            case=case,
            street_id=case.street_id,
            api_token=token,
            service_code=service_code,
            email=contact["email"],
            device_id=contact["device_id"],
            account_id=contact["account_id"],
            media_url=contact["media_url"],
            attributes=answers,
        )
