"""The demo's member units and welfare projects (demo/programmes/welfare.py), as checks the demo
test class without cases runs after its one load_demo (test_demo_without_cases.py); every date
relative to the load day."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum

from civicgrid.core import personal
from civicgrid.core.models import Attachment, Event
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.programmes.choices import LIVE_CLAIMS, ClaimStatus, WelfareStatus
from civicgrid.programmes.models import Ask, Claim, MemberUnit, WelfareProject


class WelfareDemoChecks:
    assertEqual: Any
    assertFalse: Any
    assertGreater: Any
    assertGreaterEqual: Any
    assertLessEqual: Any
    assertTrue: Any
    load_day: dt.date

    def test_every_street_has_member_units_and_projects(self) -> None:
        for street in Area.objects.filter(kind=AreaKind.STREET):
            members = MemberUnit.objects.filter(streets=street)
            self.assertTrue(10 <= members.count() <= 15, street.name)
            self.assertGreaterEqual(len(set(members.values_list("kind", flat=True))), 3)
            for member in members:
                self.assertTrue(personal.unmasked(member.contact_phone).startswith("139"))
            projects = WelfareProject.objects.filter(street=street)
            self.assertTrue(8 <= projects.count() <= 12, street.name)
            statuses = set(projects.values_list("status", flat=True))
            self.assertLessEqual(
                {WelfareStatus.CLOSED, WelfareStatus.COVERED, WelfareStatus.OPEN, WelfareStatus.DRAFT},
                statuses,
            )

    def test_claims_cover_needs_exactly_or_in_part_at_every_stage(self) -> None:
        statuses = Counter(Claim.objects.values_list("status", flat=True))
        for status in ClaimStatus:
            self.assertGreater(statuses[status], 0, status)
        covered = Ask.objects.filter(project__status=WelfareStatus.CLOSED)
        self.assertTrue(covered.exists())
        for ask in covered:
            self.assertEqual(ask.claimed, ask.quantity)
            self.assertEqual(ask.delivered, ask.quantity)
            self.assertGreaterEqual(ask.claims.filter(status__in=LIVE_CLAIMS).count(), 1)
        partial = Ask.objects.filter(project__status=WelfareStatus.OPEN)
        self.assertTrue(any(0 < a.claimed < a.quantity for a in partial))
        # Ask.claimed is its live claims' sum; delivered, what they delivered.
        for ask in Ask.objects.all():
            live = ask.claims.filter(status__in=LIVE_CLAIMS)
            self.assertEqual(ask.claimed, live.aggregate(n=Sum("quantity"))["n"] or Decimal(0))
            self.assertEqual(ask.delivered, live.aggregate(n=Sum("delivered_quantity"))["n"] or Decimal(0))

    def test_deliveries_have_evidence_and_numbers_are_unique(self) -> None:
        delivered = Claim.objects.filter(status__in=[ClaimStatus.DELIVERED, ClaimStatus.CLOSED])
        with_photo = set(
            Attachment.objects.filter(content_type=ContentType.objects.get_for_model(Claim)).values_list(
                "object_id", flat=True
            )
        )
        self.assertEqual(set(delivered.values_list("pk", flat=True)), with_photo)
        numbers = [(s, n) for s, n in Claim.objects.values_list("street_id", "number") if n]
        self.assertEqual(len(numbers), len(set(numbers)))
        self.assertFalse(Claim.objects.filter(status=ClaimStatus.CLAIMED).exclude(number="").exists())

    def test_nothing_happens_on_or_after_the_load_day(self) -> None:
        welfare = Event.objects.filter(
            app="programmes", object_type__in=["memberunit", "welfareproject", "ask", "claim"]
        )
        self.assertTrue(welfare.exists())
        self.assertFalse(welfare.filter(at__date__gte=self.load_day).exists())
        self.assertFalse(Claim.objects.filter(claimed_on__gte=self.load_day).exists())
        self.assertFalse(Claim.objects.filter(delivered_on__gte=self.load_day).exists())
