"""core.lookups: `__any` finds what `__in` finds — on PostgreSQL with the list as one parameter —
for plain and foreign-key fields, ignoring None, and nothing for an empty list."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from civicgrid.core.models import Job
from civicgrid.testing.factories import build_world


class AnyLookupTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.jobs = [Job.objects.create(kind="cases.export", total=n) for n in range(5)]

    def test_it_finds_what_in_finds(self) -> None:
        wanted = [self.jobs[1].pk, self.jobs[3].pk, None, 10**12]
        with CaptureQueriesContext(connection) as queries:
            found = set(Job.objects.filter(pk__any=wanted).values_list("pk", flat=True))
        self.assertEqual(found, set(Job.objects.filter(pk__in=wanted).values_list("pk", flat=True)))
        self.assertEqual(found, {self.jobs[1].pk, self.jobs[3].pk})
        if connection.vendor == "postgresql":
            self.assertIn("= ANY(", queries.captured_queries[0]["sql"])

    def test_values_that_are_not_plain_integers_are_prepared_by_the_field(self) -> None:
        """Keys as integers go as they are; anything else (here text, as a form gives it) is made
        the field's type first."""
        wanted = [str(self.jobs[2].pk), self.jobs[4].pk]
        self.assertEqual(
            set(Job.objects.filter(pk__any=wanted).values_list("pk", flat=True)),
            {self.jobs[2].pk, self.jobs[4].pk},
        )
        self.assertEqual(
            set(Job.objects.filter(pk__any=[self.jobs[0].pk]).values_list("pk", flat=True)), {self.jobs[0].pk}
        )

    def test_a_foreign_key_and_an_empty_list(self) -> None:
        from civicgrid.geo.models import Building

        street = self.world.east.street
        some = list(Building.objects.filter(street=street).values_list("pk", flat=True)[:3])
        self.assertEqual(
            set(
                Building.objects.filter(street_id__any=[street.pk], pk__any=some).values_list("pk", flat=True)
            ),
            set(some),
        )
        with self.assertNumQueries(0):
            self.assertEqual(list(Job.objects.filter(pk__any=[])), [])
            self.assertEqual(list(Job.objects.filter(pk__any=[None])), [])
