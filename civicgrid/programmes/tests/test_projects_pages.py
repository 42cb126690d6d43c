"""The practical projects' pages: who sees which (the permission matrix), the list's tree and
badges in a constant number of queries, a project made and edited from the pages (a stale
edit refused), the action and milestone forms, a case linked by number, the PDF's text, and
the public page (no login, no drafts, no personal data, 404s)."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.cases.tests.factories import jpeg
from civicgrid.core.choices import Role
from civicgrid.core.models import Attachment
from civicgrid.programmes.actions.projects import add_milestone, create_project
from civicgrid.programmes.choices import ProjectCategory, ProjectStatus
from civicgrid.programmes.models import ProgressReport, Project
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 7, 15, 9, 0, tzinfo=SHANGHAI)
STAFF = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.DISPATCHER: 200}
NOBODY = {Role.GRID_WORKER: 404, Role.RESIDENT: 404}


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


class Base(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = cls.world.east
        cls.users = cls.east.users
        cls.admin, cls.handler = cls.users[Role.ADMIN], cls.users[Role.HANDLER]
        with time_machine.travel(NOW, tick=False):
            cls.made = build_programmes(cls.east)
            cls.draft = create_project(
                cls.admin,
                street=cls.east.street,
                year=2027,
                title="草拟中的加装电梯项目",
                category=ProjectCategory.RENEWAL,
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 12, 31),
                owner_office="街道自治办",
            )
        cls.child_url = reverse("programmes:project", args=[cls.made.project.pk])
        cls.parent_url = reverse("programmes:project", args=[cls.made.parent.pk])

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class AccessTests(Base):
    def test_matrix(self) -> None:
        assert_matrix(
            self.client, reverse("programmes:projects"), {**STAFF, Role.HANDLER: 200, **NOBODY}, self.users
        )
        assert_matrix(self.client, self.child_url, {**STAFF, Role.HANDLER: 200, **NOBODY}, self.users)
        # The unit sees only the project it owns.
        assert_matrix(self.client, self.parent_url, {**STAFF, Role.HANDLER: 404, **NOBODY}, self.users)
        pdf = reverse("programmes:projects_pdf") + "?year=2027"
        assert_matrix(self.client, pdf, {Role.ADMIN: 200, Role.LEADER: 200, **NOBODY}, self.users)
        # Writes: the office plans; others get 404; the handler reports on its own project.
        edit = reverse("programmes:project_edit", args=[self.made.project.pk])
        assert_matrix(
            self.client,
            edit,
            {Role.LEADER: 404, Role.CADRE: 404, Role.HANDLER: 404, **NOBODY},
            self.users,
            "post",
        )
        target = reverse("programmes:project_target_add", args=[self.draft.pk])
        assert_matrix(
            self.client,
            target,
            {Role.ADMIN: 302, Role.LEADER: 404, Role.HANDLER: 404},
            self.users,
            "post",
            {"target-name": "x", "target-unit": "户", "target-goal": "3"},
        )

    def test_another_streets_office_finds_nothing(self) -> None:
        self.client.force_login(self.world.west.users[Role.ADMIN])
        self.assertEqual(self.client.get(self.child_url).status_code, 404)
        self.assertNotContains(
            self.client.get(reverse("programmes:projects") + "?year=2027"), self.made.project.title
        )

    def test_list_tree_badges_and_constant_queries(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:projects") + "?year=2027"
        page = self.client.get(url).content.decode()
        self.assertLess(page.index(self.made.parent.title), page.index(self.made.project.title))
        self.assertIn("1 个逾期", page)
        self.assertIn(reverse("programmes:public_projects", args=[self.east.street.code, 2027]), page)
        with CaptureQueriesContext(connection) as before:
            self.client.get(url)
        for n in range(4):
            create_project(
                self.admin,
                street=self.east.street,
                year=2027,
                title=f"项目{n}",
                category="other",
                starts_on=date(2027, 1, 1),
                ends_on=date(2027, 12, 31),
                owner_unit=self.east.unit,
                parent=self.made.parent if n % 2 else None,
            )
        with self.assertNumQueries(len(before)):
            self.client.get(url)
        page = self.client.get(url + "&status=draft").content.decode()
        self.assertIn(self.draft.title, page)
        self.assertNotIn(self.made.project.title, page)


class FormTests(Base):
    def test_create_edit_and_stale_edit(self) -> None:
        self.client.force_login(self.admin)
        data = {
            "street": self.east.street.pk,
            "year": 2027,
            "title": "非机动车充电设施建设",
            "category": ProjectCategory.SAFETY,
            "owner_unit": self.east.unit.pk,
            "starts_on": "2027-02-01",
            "ends_on": "2027-12-31",
            "weight": 1,
            "budget": "60",
        }
        response = self.client.post(reverse("programmes:projects"), data)
        made = Project.objects.get(title="非机动车充电设施建设")
        self.assertRedirects(response, made.get_absolute_url())
        refused = self.client.post(reverse("programmes:projects"), {**data, "owner_office": "另一科室"})
        self.assertContains(refused, "二者选一")
        edit = reverse("programmes:project_edit", args=[made.pk])
        form = {k: v for k, v in data.items() if k not in ("street", "year")}
        self.client.post(edit, {**form, "title": "充电设施（16 处）", "version": made.version})
        self.assertEqual(Project.objects.get(pk=made.pk).title, "充电设施（16 处）")
        stale = self.client.post(edit, {**form, "title": "旧页面", "version": made.version}, follow=True)
        self.assertContains(stale, "已被他人更新")
        self.assertEqual(Project.objects.get(pk=made.pk).title, "充电设施（16 处）")

    def test_detail_and_actions(self) -> None:
        self.client.force_login(self.handler)
        page = self.client.get(self.child_url)
        self.assertContains(page, self.made.target.name)
        self.assertContains(page, "project-chart-data")
        self.assertContains(page, reverse("programmes:project_act", args=[self.made.project.pk, "report"]))
        self.assertNotContains(page, reverse("programmes:project_edit", args=[self.made.project.pk]))
        response = self.client.post(
            reverse("programmes:project_act", args=[self.made.project.pk, "report"]),
            {
                "target": self.made.target.pk,
                "value": "270",
                "reported_on": "2027-07-14",
                "note": "完成 270 户",
                "version": self.made.project.version,
            },
        )
        self.assertRedirects(response, self.child_url, fetch_redirect_response=False)
        self.assertTrue(ProgressReport.objects.filter(project=self.made.project, value=270).exists())
        self.assertContains(self.client.get(self.child_url), "完成 270 户")
        # The milestone (overdue) is supervised by the leader through its own endpoint.
        self.client.force_login(self.users[Role.LEADER])
        act = reverse("programmes:milestone_act", args=[self.made.milestone.pk, "supervise"])
        self.client.post(act, {"note": "本周内完成招标", "version": self.made.milestone.version})
        self.made.milestone.refresh_from_db()
        self.assertEqual(self.made.milestone.supervisions, 1)
        self.assertEqual(
            self.client.post(
                reverse("programmes:milestone_act", args=[self.made.milestone.pk, "nope"])
            ).status_code,
            404,
        )

    def test_a_report_with_a_photo_shows_it_with_the_report(self) -> None:
        self.client.force_login(self.handler)
        self.client.post(
            reverse("programmes:project_act", args=[self.made.project.pk, "report"]),
            {
                "target": self.made.target.pk,
                "value": "300",
                "note": "第三批入户改造完成",
                "photos": jpeg("site.jpg"),
                "version": self.made.project.version,
            },
        )
        photo = Attachment.objects.get(object_id=self.made.project.pk, stage="progress")
        page = self.client.get(self.child_url).content.decode()
        report_at = page.index("第三批入户改造完成")
        self.assertGreater(page.index(reverse("core:attachment_thumb", args=[photo.pk])), report_at)

    def test_milestone_due_soon_and_link_case_refusal(self) -> None:
        add_milestone(self.admin, self.made.project, title="完成 300 户", due_on=date(2027, 7, 18))
        self.client.force_login(self.admin)
        self.assertContains(self.client.get(self.child_url), "临期")
        response = self.client.post(
            reverse("programmes:project_cases", args=[self.made.project.pk]),
            {"link-number": "NOSUCH"},
            follow=True,
        )
        self.assertContains(response, "没有这个工单编号")


class PrintAndPublicTests(Base):
    def test_pdf(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        response = self.client.get(reverse("programmes:projects_pdf") + "?year=2027")
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        for expected in (
            self.east.street.name,
            "2027年实事项目推进情况",
            self.made.project.title,
            "450户",
            "180户",
            self.made.milestone.title,
            self.east.unit.name,
        ):
            self.assertIn(expected, text)

    def test_public_page(self) -> None:
        ProgressReport.objects.filter(pk=self.made.report.pk).update(note="已完成 180 户，联系人 13912345678")
        url = reverse("programmes:public_projects", args=[self.east.street.code, 2027])
        page = self.client.get(url)  # nobody logged in
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, self.made.project.title)
        self.assertContains(page, "已完成 180 户")
        self.assertNotContains(page, "13912345678")
        self.assertNotContains(page, self.draft.title)
        self.assertNotContains(page, self.handler.full_name)
        for bad in (("NOSUCH", 2027), (self.east.street.code, 2031), (self.east.street.code, 1999)):
            self.assertEqual(
                self.client.get(reverse("programmes:public_projects", args=bad)).status_code, 404
            )
        Project.objects.filter(street=self.east.street).update(status=ProjectStatus.CANCELLED)
        self.assertEqual(self.client.get(url).status_code, 404)
