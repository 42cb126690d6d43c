"""core.bulk: rows updated and inserted in one statement each, on SQLite and PostgreSQL alike
(the suite's two passes): the values each row's own, NULLs and text kept whole, duplicates left
alone and reported."""

from datetime import UTC, date, datetime

from django.test import TestCase

from civicgrid.core.bulk import insert_new, update_values
from civicgrid.core.models import Holiday, Job

LONG = "进度" * 90  # 180 characters: nothing cut at the column's type in the array


class EachRowTests(TestCase):
    fields = ["done", "message", "total", "started_at"]

    def test_each_row_gets_its_own_values_nulls_included_and_others_untouched(self) -> None:
        jobs = [Job.objects.create(kind="cases.export", message="排队", total=10) for _ in range(5)]
        untouched = Job.objects.create(kind="cases.export", message="别动", total=7)
        started = datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC)
        for i, job in enumerate(jobs):
            job.done, job.message = i * 3, f"第 {i} 个" if i else LONG
            job.total = None if i == 2 else 100 + i
            job.started_at = None if i == 4 else started.replace(minute=i)
        rows = [(job.pk, *(getattr(job, name) for name in self.fields)) for job in jobs]
        with self.assertNumQueries(2):  # two batches of three and two rows
            matched = update_values(Job, self.fields, rows, batch_size=3)
        self.assertEqual(matched, 5)
        for i, job in enumerate(Job.objects.filter(pk__in=[j.pk for j in jobs]).order_by("pk")):
            self.assertEqual(job.done, i * 3)
            self.assertEqual(job.message, f"第 {i} 个" if i else LONG)
            self.assertEqual(job.total, None if i == 2 else 100 + i)
            self.assertEqual(job.started_at, None if i == 4 else started.replace(minute=i))
        untouched.refresh_from_db()
        self.assertEqual((untouched.message, untouched.total, untouched.done), ("别动", 7, 0))

    def test_nothing_to_write_sends_nothing(self) -> None:
        with self.assertNumQueries(0):
            self.assertEqual(update_values(Job, ["done"], []), 0)


class UpdateValuesTests(TestCase):
    def test_values_are_added_or_the_later_kept(self) -> None:
        """A counter moved by two writers loses neither's count; a time only moves on."""
        early, late = datetime(2026, 12, 5, 1, tzinfo=UTC), datetime(2026, 12, 5, 2, tzinfo=UTC)
        a = Job.objects.create(kind="cases.export", done=5, started_at=late)
        b = Job.objects.create(kind="cases.export", done=1, started_at=None)
        c = Job.objects.create(kind="cases.export", done=2, started_at=early)
        rows = [(a.pk, 3, early, "甲"), (b.pk, 4, early, "乙"), (c.pk, 0, None, "丙")]
        how = {"done": "add", "started_at": "latest"}
        with self.assertNumQueries(1):
            self.assertEqual(update_values(Job, ["done", "started_at", "message"], rows, combine=how), 3)
        update_values(Job, ["done"], [(a.pk, 10)], combine=how)
        got = {j.pk: (j.done, j.started_at, j.message) for j in Job.objects.all()}
        self.assertEqual(got[a.pk], (18, late, "甲"))  # 5 + 3 + 10; the stored time was later
        self.assertEqual(got[b.pk], (5, early, "乙"))  # nothing stored: the new time
        self.assertEqual(got[c.pk], (2, early, "丙"))  # no new time: the stored one

    def test_a_value_follows_its_time_only_when_that_is_not_earlier(self) -> None:
        """A last value goes with a last-seen time: an older reading, or one arriving late
        from another writer, leaves the later one's value; NULL keeps the stored value."""
        early, late = datetime(2026, 12, 5, 1, tzinfo=UTC), datetime(2026, 12, 5, 2, tzinfo=UTC)
        a = Job.objects.create(kind="cases.export", started_at=late, total=7)
        b = Job.objects.create(kind="cases.export", started_at=early, total=7)
        c = Job.objects.create(kind="cases.export", started_at=None, total=None)
        d = Job.objects.create(kind="cases.export", started_at=early, total=7)
        how: dict[str, str | tuple[str, str]] = {"started_at": "latest", "total": ("follows", "started_at")}
        rows = [(a.pk, early, 1), (b.pk, late, 2), (c.pk, early, 3), (d.pk, late, None)]
        update_values(Job, ["started_at", "total"], rows, combine=how)
        got = {j.pk: (j.started_at, j.total) for j in Job.objects.all()}
        self.assertEqual(got[a.pk], (late, 7))  # an older reading: the stored one stays
        self.assertEqual(got[b.pk], (late, 2))
        self.assertEqual(got[c.pk], (early, 3))  # nothing stored yet
        self.assertEqual(got[d.pk], (late, 7))  # a later time without a value keeps the value

    def test_values_that_need_their_field_are_prepared_by_it(self) -> None:
        """Plain values go as they are; others (a naive time, a dict for JSON) through the
        field, in the same statement."""
        job = Job.objects.create(kind="cases.export")
        naive = datetime(2026, 12, 5, 9, 30)
        with self.settings(TIME_ZONE="Asia/Shanghai"), self.assertWarns(RuntimeWarning):
            update_values(Job, ["started_at", "result", "done"], [(job.pk, naive, {"行": [1, 2]}, 3)])
        job.refresh_from_db()
        self.assertEqual(job.started_at, datetime(2026, 12, 5, 1, 30, tzinfo=UTC))
        self.assertEqual((job.result, job.done), ({"行": [1, 2]}, 3))


class InsertNewTests(TestCase):
    fields = ["date", "is_workday", "name", "note", "created_at", "updated_at"]

    def rows(self, *days: int) -> list[tuple[object, ...]]:
        at = datetime(2026, 11, 30, tzinfo=UTC)
        return [(date(2027, 1, d), d % 2 == 0, f"节 {d}", LONG if d == 1 else "", at, at) for d in days]

    def test_only_the_new_rows_are_written_and_named(self) -> None:
        Holiday.objects.create(date=date(2027, 1, 2), name="已有")
        with self.assertNumQueries(1):
            new = insert_new(Holiday, self.fields, self.rows(1, 2, 3), unique=["date"])
        self.assertEqual(new, {(date(2027, 1, 1),), (date(2027, 1, 3),)})
        self.assertEqual(Holiday.objects.get(date=date(2027, 1, 2)).name, "已有")  # not overwritten
        first = Holiday.objects.get(date=date(2027, 1, 1))
        self.assertEqual((first.name, first.note, first.is_workday), ("节 1", LONG, False))
        self.assertEqual(Holiday.objects.count(), 3)

    def test_a_second_delivery_writes_nothing(self) -> None:
        insert_new(Holiday, self.fields, self.rows(4, 5), unique=["date"])
        self.assertEqual(insert_new(Holiday, self.fields, self.rows(4, 5), unique=["date"]), set())
        self.assertEqual(Holiday.objects.count(), 2)
