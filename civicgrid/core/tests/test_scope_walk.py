"""Every URL, as everyone who must not see the east street's objects (issue 11, point 5).

Every URL pattern of the project (`get_resolver()`, recursively: pages, the admin, the ninja
API, Open311) is requested with GET, its path parameters filled with objects of the *east*
street, as each role of the *west* street and an anonymous visitor, and as the narrower roles
of the east street (handler, grid worker, cadre, resident) with objects outside their own
scope (`restrict(user, "view")` decides which). East objects carry distinctive names, numbers
and codes ("东区专用标记-…"). An answer passes when it is not a 5xx and neither its body nor
its Location names an object the reader must not see; a page *about* one object (its path
names it) must not answer 2xx at all, unless the object is shared by design (SHARED).

Counts are checked by difference: after the first walk the east street gains a case (its
timeline, audit rows, photo, notices and webhook deliveries); every answer that was 2xx is
asked for again and must read exactly the same, so no total, badge or count moves with
another street's rows.

A new URL pattern this module cannot fill fails the test, naming it: add it to ROUTES (which
object fills its parameters) or, for a page public by design, to PUBLIC with the reason.
"""

import io
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.http import HttpResponseBase
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from PIL import Image

from civicgrid.accounts import actions as account_actions
from civicgrid.accounts import tokens
from civicgrid.accounts.models import ApiToken, Membership, User
from civicgrid.cases import actions
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.models import Case, CaseEvent, Category, DutyRule, Photo
from civicgrid.core import notifications, personal, privacy
from civicgrid.core.choices import Role
from civicgrid.core.models import AuditLog, Holiday, Job, MessageDelivery, Notification, PersonalDataAccess
from civicgrid.geo.choices import GridLayerKind
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.insights.models import GovernancePlan, Report, TopicRun
from civicgrid.inspections.models import Checklist, Inspection, Order, Place, Plan, RentEntry, Task
from civicgrid.orgs.models import Unit
from civicgrid.profiles.actions import save_profile
from civicgrid.residents.actions import exams as exam_actions
from civicgrid.residents.models import Flat, Household, LocalCareKind, Person, Visit
from civicgrid.sensors.actions.alerts import raise_alert
from civicgrid.sensors.choices import Condition
from civicgrid.testing.community import build_community
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import box, build_world
from civicgrid.testing.inspections import build_inspections
from civicgrid.testing.programmes import build_programmes
from civicgrid.testing.residents import build_registry
from civicgrid.testing.sensors import build_sensors
from civicgrid.webhooks.models import Delivery, Subscription

MARK = "东区专用标记"
# A fixed moment (any date works): the two walks may differ only by what the east street adds.
MOMENT = datetime(2027, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# Pages anyone may read by design: only the markers of personal data are checked there.
PUBLIC = {
    "report/": "the public report form: every street is a choice",
    "report/done/": "the public report form's thanks page",
    "report/follow/": "a resident follows a case by number and code (the public case view)",
    "report/t/<token>/": "a resident's signed tracking link: the token is the permission (cases.tracking)",
    "open311/v2/discovery.<fmt>": "Open311 discovery: the jurisdictions are public",
    "open311/v2/services.<fmt>": "Open311 services: the category list is public",
    "open311/v2/services/<code>.<fmt>": "Open311 service definition",
    "open311/v2/requests.<fmt>": "Open311: public cases are public (open311.querysets)",
    "open311/v2/requests/<ref>.<fmt>": "Open311: a public case is public (open311.querysets)",
    "open311/v2/servicerequestupdates.<fmt>": "Open311: the public steps of public cases",
    "open311/v2/tokens/<token>.<fmt>": "Open311 token look-up",
    "open311/v2/openapi.json": "the Open311 description",
    "open311/v2/<path>": "the Open311 404",
    "api/v1/openapi.json": "the API description",
    "api/v1/docs": "the API documentation page",
    "api/v1/": "the API root",
    "api/v1/<rest>": "the API's JSON 404",
    "accounts/login/": "the login page",
    "admin/login/": "the admin login page",
    "admin/jsi18n/": "the admin's JavaScript catalogue",
    "i18n/setlang/": "the language switch",
    "healthz": "the health check",
    "favicon.ico": "the site icon (a redirect to the static file)",
    # programmes: evaluations
    "programmes/vote/": "a representative types their one-time ballot code (no login by design)",
    "programmes/vote/<code>/": "the anonymous ballot of a one-time code; a wrong code shows nothing",
    # programmes: projects
    "programmes/public/<street_code>/<year>/": (
        "a street's published practical projects of a year, for residents: titles, targets and "
        "progress, the latest progress note redacted, no staff names"
    ),
    # community: newsletter
    "community/public/<street_code>/newsletters/<year>/<number>/": (
        "a street's published newsletter issue, for everyone: publishing refused phones and ID "
        "numbers, drafts and withdrawn issues are a 404"
    ),
    "community/public/<street_code>/newsletters/<year>/<number>/newsletter.pdf": (
        "the printed newsletter of a published issue (the same articles as its public page)"
    ),
}

# Public listings of every street's public cases by design (Open311 without a jurisdiction_id):
# they grow with any street, so "nothing moved" is asked of them per street instead (EXTRA).
EVERY_STREET = {"open311/v2/requests.<fmt>", "open311/v2/servicerequestupdates.<fmt>"}

# Answers that do not depend on the reader at all: asked once, anonymously.
SAME_FOR_ALL = {
    "api/v1/openapi.json",
    "api/v1/docs",
    "open311/v2/openapi.json",
    "admin/jsi18n/",
    "healthz",
    "favicon.ico",
}

# Which tracked object fills a route's parameters ("-": constants only, CONSTANTS). Admin
# object routes are derived from the model in their path.
ROUTES = {
    "accounts/users/<pk>/": "accounts.user",
    "accounts/tokens/<pk>/revoke/": "accounts.apitoken",
    "accounts/integrations/<pk>/": "accounts.apiclient",
    "accounts/integrations/<pk>/edit/": "accounts.apiclient",
    "accounts/integrations/<pk>/tokens/new/": "accounts.apiclient",
    "geo/areas/<code>/": "geo.area",
    "geo/areas/<code>/geojson": "geo.area",
    "geo/buildings/<pk>/": "geo.building",
    "geo/layers/<pk>/": "geo.gridlayer",
    "orgs/units/<pk>/": "orgs.unit",
    "cases/categories/<code>/": "cases.category",
    "cases/duties/<pk>/": "cases.dutyrule",
    "cases/<number>/": "cases.case",
    "cases/<number>/reveal-phone/": "cases.case",
    "cases/<number>/reveal-description/": "cases.case",
    "reveal/<app_label>/<model_name>/<pk>/<field>/": "cases.case",
    "cases/<number>/actions/<action>/": "cases.case",
    "cases/<number>/print/<kind>.pdf": "cases.case",
    "cases/<number>/photos/<pk>/": "cases.photo",
    "cases/<number>/photos/<pk>/thumb/": "cases.photo",
    # The token is the permission (cases.tracking): another case's photo with a made-up one is a 404.
    "report/t/<token>/photos/<pk>/": "cases.photo",
    "report/t/<token>/photos/<pk>/thumb/": "cases.photo",
    "cases/inbox/<pk>/read/": "core.notification",
    "cases/m/patrol/<pk>/stop/": "cases.patrol",
    "cases/m/patrol/<pk>/points/": "cases.patrol",
    "cases/patrols/<pk>/": "cases.patrol",
    "webhooks/<pk>/": "webhooks.subscription",
    "webhooks/<pk>/edit/": "webhooks.subscription",
    "webhooks/<pk>/active/": "webhooks.subscription",
    "webhooks/<pk>/secret/": "webhooks.subscription",
    "webhooks/deliveries/<pk>/resend/": "webhooks.delivery",
    "profiles/<code>/": "geo.area",
    "audit/<app_label>/<model_name>/<pk>/": "cases.case",
    "inbox/<pk>/read/": "core.notification",
    "attachments/<pk>/": "cases.photo",
    "attachments/<pk>/thumb/": "cases.photo",
    "jobs/<pk>/": "core.job",
    "jobs/<pk>/status/": "core.job",
    "jobs/<pk>/download/": "core.job",
    "residents/import/<pk>/": "core.job",
    "residents/import/<pk>/apply/": "core.job",
    "admin/r/<content_type_id>/<object_id>/": "cases.case",
    "admin/accounts/user/<id>/password/": "accounts.user",
    "admin/<app_label>/": "-",
    "admin/<url>": "-",
    "api/v1/cases/<ref>": "cases.case",
    "api/v1/cases/<ref>/events": "cases.case",
    "api/v1/cases/<ref>/actions/<action>": "cases.case",
    "api/v1/cases/<ref>/photos": "cases.case",
    "api/v1/cases/<ref>/photos/<photo_id>": "cases.photo",
    "api/v1/duties/<duty_id>": "cases.dutyrule",
    "api/v1/notifications/<notification_id>/read": "core.notification",
    "api/v1/areas/<code>": "geo.area",
    "api/v1/buildings/<building_id>": "geo.building",
    "api/v1/layers/<layer_id>": "geo.gridlayer",
    "api/v1/units/<unit_id>": "orgs.unit",
    "api/v1/webhooks/<subscription_id>": "webhooks.subscription",
    "api/v1/webhooks/<subscription_id>/rotate-secret": "webhooks.subscription",
    "api/v1/webhooks/<subscription_id>/deliveries": "webhooks.subscription",
    "api/v1/webhooks/<subscription_id>/deliveries/<delivery_id>": "webhooks.delivery",
    "api/v1/webhooks/<subscription_id>/deliveries/<delivery_id>/resend": "webhooks.delivery",
    "api/v1/residents/flats/<flat_id>": "residents.flat",
    "api/v1/residents/households/<household_id>": "residents.household",
    "api/v1/residents/persons/<person_id>": "residents.person",
    "api/v1/residents/persons/<person_id>/move-in": "residents.person",
    "api/v1/residents/persons/<person_id>/move-out": "residents.person",
    "api/v1/residents/persons/<person_id>/reveal": "residents.person",
    "api/v1/residents/persons/<person_id>/care-tags": "residents.person",
    "api/v1/residents/care-tags/<tag_id>/end": "residents.caretag",
    # elections: rounds and the timeline
    "api/v1/elections/rounds/<round_id>": "elections.electionround",
    "api/v1/elections/rounds/<round_id>/rules": "elections.electionround",
    "api/v1/elections/rounds/<round_id>/board": "elections.electionround",
    "api/v1/elections/elections/<election_id>": "elections.election",
    "api/v1/elections/elections/<election_id>/actions/<action>": "elections.election",
    # elections: ballots
    "api/v1/elections/elections/<election_id>/candidates": "elections.election",
    "api/v1/elections/elections/<election_id>/candidates/confirm": "elections.election",
    "api/v1/elections/candidates/<candidate_id>/withdraw": "elections.candidate",
    "api/v1/elections/elections/<election_id>/boxes": "elections.election",
    "api/v1/elections/elections/<election_id>/counts": "elections.election",
    "api/v1/elections/elections/<election_id>/members": "elections.election",
    "api/v1/elections/elections/<election_id>/results.pdf": "elections.election",
    # elections: statistics
    "api/v1/elections/rounds/<round_id>/statistics": "elections.electionround",
    # elections: voters
    "api/v1/elections/elections/<election_id>/groups": "elections.election",
    "api/v1/elections/elections/<election_id>/voters": "elections.election",
    "api/v1/elections/elections/<election_id>/build-register": "elections.election",
    "api/v1/elections/elections/<election_id>/voter-list": "elections.election",
    "api/v1/elections/elections/<election_id>/objections": "elections.election",
    "api/v1/elections/elections/<election_id>/proxies": "elections.election",
    "api/v1/elections/elections/<election_id>/mailings": "elections.election",
    "api/v1/elections/voters/<voter_id>/strike": "elections.voter",
    "api/v1/elections/voters/<voter_id>/representative": "elections.voter",
    "api/v1/elections/objections/<objection_id>": "elections.objection",
    "api/v1/elections/objections/<objection_id>/actions/<action>": "elections.objection",
    # community: the seam (each part adds its own rows)
    "community/activities/<activity_id>/": "community.activity",
    "community/venues/<venue_id>/": "community.venue",
    "community/volunteers/<volunteer_id>/": "community.volunteer",
    "community/volunteers/teams/<team_id>/": "community.team",
    "community/service/items/<item_id>/": "community.serviceitem",
    "community/service/appointments/<appointment_id>/": "community.appointment",
    "community/service/home/<home_service_id>/": "community.homeservice",
    "community/newsletters/<newsletter_id>/": "community.newsletter",
    # community: newsletter
    "community/newsletters/<newsletter_id>/act/<action>/": "community.newsletter",
    "community/newsletters/<newsletter_id>/articles/": "community.newsletter",
    "community/newsletters/<newsletter_id>/newsletter.pdf": "community.newsletter",
    "community/newsletters/articles/<article_id>/": "community.article",
    "community/newsletters/articles/<article_id>/delete/": "community.article",
    "community/public/<street_code>/newsletters/<year>/<number>/": "community.newsletter",
    "community/public/<street_code>/newsletters/<year>/<number>/newsletter.pdf": "community.newsletter",
    "api/v1/community/newsletters/<newsletter_id>": "community.newsletter",
    "api/v1/community/newsletters/<newsletter_id>/actions/<action>": "community.newsletter",
    "api/v1/community/newsletters/<newsletter_id>/articles": "community.newsletter",
    "api/v1/community/newsletters/<newsletter_id>/newsletter.pdf": "community.newsletter",
    "api/v1/community/newsletters/articles/<article_id>": "community.article",
    # community: activities
    "community/activities/<activity_id>/edit/": "community.activity",
    "community/activities/<activity_id>/act/<action>/": "community.activity",
    "community/activities/<activity_id>/checkin-code/": "community.activity",
    # A made-up token is a 404: the signed token (activity, day) is what the page needs.
    "community/checkin/<token>/": "-",
    "community/venues/<venue_id>/edit/": "community.venue",
    "community/venues/rooms/<room_id>/": "community.room",
    "api/v1/community/venues/<venue_id>": "community.venue",
    "api/v1/community/activities/<activity_id>": "community.activity",
    "api/v1/community/activities/<activity_id>/actions/<action>": "community.activity",
    "api/v1/community/activities/<activity_id>/sign-ups": "community.activity",
    # community: volunteers
    "community/volunteers/<volunteer_id>/edit/": "community.volunteer",
    "community/volunteers/<volunteer_id>/act/<action>/": "community.volunteer",
    "community/volunteers/<volunteer_id>/certificate.pdf": "community.volunteer",
    "community/volunteers/teams/<team_id>/edit/": "community.team",
    "community/activities/<activity_id>/volunteers/": "community.activity",
    "community/activities/<activity_id>/volunteers/act/<action>/": "community.activity",
    "community/activities/<activity_id>/volunteers/confirm/": "community.activity",
    "api/v1/community/teams/<team_id>": "community.team",
    "api/v1/community/volunteers/<volunteer_id>": "community.volunteer",
    "api/v1/community/volunteers/<volunteer_id>/hours": "community.volunteer",
    "api/v1/community/volunteers/<volunteer_id>/certificate.pdf": "community.volunteer",
    "api/v1/community/volunteers/<volunteer_id>/actions/<action>": "community.volunteer",
    "api/v1/community/activities/<activity_id>/posts": "community.activity",
    "api/v1/community/activities/<activity_id>/posts/actions/<action>": "community.activity",
    "api/v1/community/activities/<activity_id>/posts/confirm": "community.activity",
    # community: service
    "community/service/items/<item_id>/roles/": "community.serviceitem",
    # sensors
    "sensors/alerts/<alert_id>/": "sensors.alert",
    "sensors/alerts/<alert_id>/act/<action>/": "sensors.alert",
    "sensors/devices/<device_id>/": "sensors.device",
    "sensors/devices/<device_id>/retire/": "sensors.device",
    "community/service/items/<item_id>/edit/": "community.serviceitem",
    "community/service/centre/<centre_id>/windows/": "community.servicecentre",
    "community/service/centre/<centre_id>/items/new/": "community.servicecentre",
    "community/service/items/<item_id>/book/": "community.serviceitem",
    "community/service/appointments/<appointment_id>/act/<action>/": "community.appointment",
    "community/service/leave/<leave_id>/cancel/": "community.staffleave",
    "community/service/home/<home_service_id>/act/<action>/": "community.homeservice",
    "api/v1/community/service/items/<item_id>": "community.serviceitem",
    "api/v1/community/service/items/<item_id>/slots": "community.serviceitem",
    "api/v1/community/service/appointments/<appointment_id>": "community.appointment",
    "api/v1/community/service/appointments/<appointment_id>/actions/<action>": "community.appointment",
    "api/v1/community/service/home-services/<home_service_id>": "community.homeservice",
    "api/v1/community/service/home-services/<home_service_id>/actions/<action>": "community.homeservice",
    "api/v1/community/service/leave/<leave_id>/cancel": "community.staffleave",
    # programmes: proposals
    "programmes/sessions/<pk>/": "programmes.session",
    "programmes/representatives/<representative_id>/end/": "programmes.representative",
    "programmes/proposals/<pk>/": "programmes.proposal",
    "programmes/proposals/<pk>/edit/": "programmes.proposal",
    "programmes/proposals/<pk>/act/<action>/": "programmes.proposal",
    "programmes/proposals/<pk>/answer.pdf": "programmes.proposal",
    "api/v1/programmes/sessions/<session_id>": "programmes.session",
    "api/v1/programmes/sessions/<session_id>/proposals": "programmes.session",
    "api/v1/programmes/proposals/<proposal_id>": "programmes.proposal",
    "api/v1/programmes/proposals/<proposal_id>/actions/<action>": "programmes.proposal",
    "api/v1/programmes/proposals/<proposal_id>/answer.pdf": "programmes.proposal",
    # programmes: welfare
    "programmes/welfare/<pk>/": "programmes.welfareproject",
    "programmes/welfare/<pk>/act/<action>/": "programmes.welfareproject",
    "programmes/welfare/<pk>/edit/": "programmes.welfareproject",
    "programmes/welfare/<pk>/claim/": "programmes.welfareproject",
    "programmes/welfare/<pk>/asks/": "programmes.welfareproject",
    "programmes/welfare/asks/<ask_id>/": "programmes.ask",
    "programmes/welfare/asks/<ask_id>/remove/": "programmes.ask",
    "programmes/claims/<pk>/": "programmes.claim",
    "programmes/claims/<pk>/act/<action>/": "programmes.claim",
    "programmes/claims/<pk>/confirmation.pdf": "programmes.claim",
    "programmes/members/<pk>/": "programmes.memberunit",
    "programmes/members/<pk>/edit/": "programmes.memberunit",
    "programmes/members/<pk>/deactivate/": "programmes.memberunit",
    "programmes/members/<pk>/statement/<year>/": "programmes.memberunit",
    "programmes/members/<pk>/statement/<year>.pdf": "programmes.memberunit",
    "api/v1/programmes/members/<member_id>": "programmes.memberunit",
    "api/v1/programmes/members/<member_id>/statement": "programmes.memberunit",
    "api/v1/programmes/welfare/<welfare_id>": "programmes.welfareproject",
    "api/v1/programmes/welfare/<welfare_id>/actions/<action>": "programmes.welfareproject",
    "api/v1/programmes/welfare/<welfare_id>/asks": "programmes.welfareproject",
    "api/v1/programmes/welfare/<welfare_id>/claims": "programmes.welfareproject",
    "api/v1/programmes/claims/<claim_id>": "programmes.claim",
    "api/v1/programmes/claims/<claim_id>/actions/<action>": "programmes.claim",
    "api/v1/programmes/claims/<claim_id>/confirmation.pdf": "programmes.claim",
    # programmes: projects
    "programmes/projects/<pk>/": "programmes.project",
    "programmes/projects/<pk>/edit/": "programmes.project",
    "programmes/projects/<pk>/targets/": "programmes.project",
    "programmes/projects/<pk>/milestones/": "programmes.project",
    "programmes/projects/<pk>/cases/": "programmes.project",
    "programmes/projects/<pk>/act/<action>/": "programmes.project",
    "programmes/targets/<target_id>/goal/": "programmes.target",
    "programmes/targets/<target_id>/remove/": "programmes.target",
    "programmes/milestones/<milestone_id>/act/<action>/": "programmes.projectmilestone",
    "programmes/public/<street_code>/<year>/": "programmes.project",
    "api/v1/programmes/projects/<project_id>": "programmes.project",
    "api/v1/programmes/projects/<project_id>/actions/<action>": "programmes.project",
    "api/v1/programmes/projects/<project_id>/targets": "programmes.project",
    "api/v1/programmes/projects/<project_id>/milestones": "programmes.project",
    "api/v1/programmes/projects/<project_id>/reports": "programmes.project",
    "api/v1/programmes/projects/<project_id>/cases": "programmes.project",
    "api/v1/programmes/projects/<project_id>/cases/unlink": "programmes.project",
    "api/v1/programmes/milestones/<milestone_id>/actions/<action>": "programmes.projectmilestone",
    # inspections: orders
    "inspections/orders/<number>/": "inspections.order",
    "inspections/orders/<number>/act/<action>/": "inspections.order",
    "inspections/orders/<number>/notice.pdf": "inspections.order",
    "inspections/records/<pk>/report.pdf": "inspections.inspection",
    "api/v1/inspections/orders/<number>": "inspections.order",
    "api/v1/inspections/orders/<number>/actions/<action>": "inspections.order",
    "api/v1/inspections/orders/<number>/notice.pdf": "inspections.order",
    "residents/visits/<pk>/": "residents.visit",
    "residents/visits/<pk>/act/<action>/": "residents.visit",
    "residents/households/<pk>/visits/": "residents.household",
    "residents/households/<pk>/visits/plan/": "residents.household",
    "residents/m/visit/<household>/": "residents.household",
    "residents/m/visit/done/<pk>/": "residents.visit",
    "api/v1/residents/visits/<visit_id>": "residents.visit",
    "api/v1/residents/visits/<visit_id>/actions/<action>": "residents.visit",
    "api/v1/residents/households/<household_id>/visits": "residents.household",
    "open311/v2/services/<code>.<fmt>": "cases.category",
    "open311/v2/requests/<ref>.<fmt>": "cases.case",
    "media/<path>": "cases.photo",
    "residents/buildings/<pk>/": "geo.building",
    "residents/flats/<pk>/": "residents.flat",
    "residents/households/<pk>/": "residents.household",
    "residents/persons/<pk>/": "residents.person",
    # residents: 知情考试
    "residents/exams/rounds/<pk>/": "residents.examround",
    "residents/exams/rounds/<pk>/draw/": "residents.examround",
    "residents/exams/rounds/<pk>/recheck/": "residents.examround",
    "residents/exams/<pk>/": "residents.exam",
    "residents/exams/<pk>/answer/": "residents.exam",
    "residents/exams/<pk>/grade/": "residents.exam",
    "api/v1/residents/exams/rounds/<round_id>": "residents.examround",
    "api/v1/residents/exams/rounds/<round_id>/draw": "residents.examround",
    "api/v1/residents/exams/rounds/<round_id>/recheck": "residents.examround",
    "api/v1/residents/exams/<exam_id>": "residents.exam",
    "api/v1/residents/exams/<exam_id>/draw-check": "residents.exam",
    "api/v1/residents/exams/<exam_id>/answer": "residents.exam",
    "api/v1/residents/exams/<exam_id>/grade": "residents.exam",
    # inspections: places
    "inspections/places/<pk>/": "inspections.place",
    "inspections/places/<pk>/edit/": "inspections.place",
    "inspections/checklists/<pk>/": "inspections.checklist",
    "inspections/checklists/<pk>/revise/": "inspections.checklist",
    "api/v1/inspections/places/<place_id>": "inspections.place",
    "api/v1/inspections/checklists/<checklist_id>": "inspections.checklist",
    "api/v1/inspections/checklists/<checklist_id>/revise": "inspections.checklist",
    # inspections: renting
    "inspections/renting/<pk>/": "inspections.rententry",
    "inspections/renting/<pk>/act/<action>/": "inspections.rententry",
    "inspections/renting/sweep/<pk>/": "geo.building",
    "inspections/renting/from-case/<number>/": "cases.case",
    "api/v1/inspections/rent-entries/<entry_id>": "inspections.rententry",
    "api/v1/inspections/rent-entries/<entry_id>/actions/<action>": "inspections.rententry",
    # inspections: field
    "inspections/plans/<pk>/": "inspections.plan",
    "inspections/tasks/<pk>/": "inspections.task",
    "inspections/tasks/<pk>/act/<action>/": "inspections.task",
    # elections: rounds and the timeline
    "elections/rounds/<pk>/": "elections.electionround",
    "elections/rounds/<pk>/rules/": "elections.electionround",
    "elections/rounds/<pk>/elections/": "elections.electionround",
    "elections/rounds/<pk>/board/": "elections.electionround",
    "elections/<pk>/": "elections.election",
    "elections/<pk>/act/<action>/": "elections.election",
    # elections: ballots
    "elections/<election_id>/candidates/": "elections.election",
    "elections/<election_id>/candidates/confirm/": "elections.election",
    "elections/candidates/<candidate_id>/withdraw/": "elections.candidate",
    "elections/<election_id>/ballots/": "elections.election",
    "elections/<election_id>/ballots/count/": "elections.election",
    "elections/<election_id>/results.pdf": "elections.election",
    "elections/<election_id>/district-report.pdf": "elections.election",
    # elections: statistics
    "elections/rounds/<round_id>/statistics/": "elections.electionround",
    # elections: voters
    "elections/<election_id>/voters/": "elections.election",
    "elections/<election_id>/voters/build/": "elections.election",
    "elections/<election_id>/voters/add/": "elections.election",
    "elections/<election_id>/voter-list/print/": "elections.election",
    "elections/voters/<voter_id>/strike/": "elections.voter",
    "elections/voters/<voter_id>/representative/": "elections.voter",
    "elections/<election_id>/groups/": "elections.election",
    "elections/<election_id>/objections/": "elections.election",
    "elections/objections/<objection_id>/": "elections.objection",
    "elections/objections/<objection_id>/act/<action>/": "elections.objection",
    "elections/<election_id>/proxies/": "elections.election",
    "elections/<election_id>/mailings/": "elections.election",
    # programmes: evaluations
    "programmes/evaluations/<pk>/": "programmes.evaluation",
    "programmes/evaluations/<pk>/act/<action>/": "programmes.evaluation",
    "programmes/evaluations/<pk>/subjects/": "programmes.evaluation",
    "programmes/evaluations/subjects/<subject_id>/remove/": "programmes.evaluationsubject",
    "programmes/evaluations/<pk>/codes/": "programmes.evaluation",
    "programmes/evaluations/<pk>/paper/": "programmes.evaluation",
    "programmes/evaluations/<pk>/result.pdf": "programmes.evaluation",
    "programmes/evaluations/<pk>/slips.pdf": "programmes.evaluation",
    "api/v1/programmes/evaluations/<evaluation_id>": "programmes.evaluation",
    "api/v1/programmes/evaluations/<evaluation_id>/actions/<action>": "programmes.evaluation",
    "api/v1/programmes/evaluations/<evaluation_id>/subjects": "programmes.evaluation",
    "api/v1/programmes/evaluations/subjects/<subject_id>": "programmes.evaluationsubject",
    "api/v1/programmes/evaluations/<evaluation_id>/codes": "programmes.evaluation",
    "api/v1/programmes/evaluations/<evaluation_id>/paper-ballots": "programmes.evaluation",
    "api/v1/programmes/evaluations/<evaluation_id>/result.pdf": "programmes.evaluation",
    "inspections/m/tasks/<pk>/inspect/": "inspections.task",
    "inspections/m/places/<pk>/inspect/": "inspections.place",
    "inspections/records/<pk>/": "inspections.inspection",
    "api/v1/inspections/plans/<plan_id>": "inspections.plan",
    "api/v1/inspections/tasks/<task_id>": "inspections.task",
    "api/v1/inspections/tasks/<task_id>/actions/<action>": "inspections.task",
    "api/v1/inspections/inspections/<inspection_id>": "inspections.inspection",
    # insights: reports
    "insights/reports/<pk>/": "insights.report",
    "api/v1/insights/reports/<report_id>/pdf": "insights.report",
    # insights: source-governance plans
    "insights/plans/<pk>/": "insights.governanceplan",
    "insights/plans/<pk>/act/<action>/": "insights.governanceplan",
    "api/v1/insights/plans/<plan_id>": "insights.governanceplan",
    "api/v1/insights/plans/<plan_id>/actions/<action>": "insights.governanceplan",
    "api/v1/insights/plans/<plan_id>/weekly": "insights.governanceplan",
    # insights: root causes
    "insights/rootcauses/topics/<pk>/": "insights.topicrun",
    "api/v1/insights/topics/<run_id>": "insights.topicrun",
}
CONSTANTS = {
    "fmt": "json",
    "action": "dispatch",
    "kind": "dispatch",
    "rest": "no-such-route",
    "path": "no-such-path",
    "url": "no-such-page/",
    "token": "no-such-token",
    "app_label": "cases",
    "field": "reporter_phone",
    "name": "rates",  # insights:panel, a dashboard panel
    "code": "NOSUCHCODE",  # programmes: a ballot code
}
# Object routes that answer 2xx for everyone on the staff: what they show is city-wide.
SHARED = {"cases.category", "core.holiday", "sensors.devicetype"}

# The extra query strings worth asking: other streets' codes and names as filters and searches.
EXTRA = [
    "/cases/?street={street}",
    "/cases/?grid={grid}",
    "/cases/?q={case}",
    "/cases/metrics/?street={street}",
    "/api/v1/cases?street={street}",
    "/api/v1/cases?q={case}",
    "/api/v1/metrics?street={street}",
    "/api/v1/insights/metrics?street={street}",
    "/api/v1/metrics?street={street}&group_by=grid",
    "/api/v1/areas?parent={street}",
    "/api/v1/buildings?q={mark}",
    "/admin/cases/case/?q={case}",
    "/admin/cases/case/?street__id__exact={street_id}",
    "/admin/cases/dutyrule/?area__street__id__exact={street_id}",
    "/admin/cases/case/?_facets=1",
    "/admin/cases/dutyrule/?_facets=1",
    "/admin/geo/area/?q={mark}",
    "/admin/accounts/user/?q={mark}",
    "/admin/core/auditlog/?q={case}",
    "/admin/autocomplete/?app_label=cases&model_name=dutyrule&field_name=area&term={mark}",
    "/admin/autocomplete/?app_label=cases&model_name=case&field_name=street&term=",
    "/admin/autocomplete/?app_label=accounts&model_name=membership&field_name=user&term=",
    "/geo/buildings/?q={mark}",
    "/residents/?q={mark}",
    "/residents/?area={grid}",
    "/admin/residents/person/?q={mark}",
    "/residents/export/?area={grid}",
    "/geo/locate/?lon={lon}&lat={lat}",
    "/cases/patrols/?grid={grid}",
    "/api/v1/buildings?lon={lon}&lat={lat}",
    "/api/v1/residents/persons?q={mark}",
    "/api/v1/residents/persons?care=any",
    "/api/v1/residents/persons?area={grid}",
    "/open311/v2/requests.json?jurisdiction_id={west}",
    "/open311/v2/servicerequestupdates.json?jurisdiction_id={west}",
]

WEST_ROLES = list(Role.values)
EAST_NARROW = [Role.HANDLER, Role.GRID_WORKER, Role.CADRE, Role.RESIDENT]


def jpeg(name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


# ---------------------------------------------------------------------------- patterns

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass
class Route:
    """One URL pattern: its route with every parameter as <name>, and its pieces per level."""

    route: str
    parts: list[Any]

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.route)

    def url(self, values: dict[str, Any]) -> str:
        out = ""
        for part in self.parts:
            text = str(part)
            if isinstance(part, RegexPattern):
                text = _plain(GROUP.sub(lambda m: str(values[m.group(1)]), text))
            else:
                text = PARAM.sub(lambda m: str(values[m.group(1)]), text)
            out += text
        return "/" + out


def _plain(regex: str) -> str:
    return regex.lstrip("^").rstrip("$").replace("\\.", ".")


def _shown(part: Any) -> str:
    if isinstance(part, RegexPattern):
        return _plain(GROUP.sub(lambda m: f"<{m.group(1)}>", str(part)))
    return PARAM.sub(lambda m: f"<{m.group(1)}>", str(part))


def routes(patterns: Any = None, parts: tuple[Any, ...] = ()) -> Iterator[Route]:
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, (*parts, p.pattern))
        elif isinstance(p, URLPattern):
            chain = [*parts, p.pattern]
            yield Route("".join(_shown(x) for x in chain), chain)


ADMIN_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<object_id>/")


def route_type(route: str) -> str | None:
    if route in ROUTES:
        return ROUTES[route]
    if match := ADMIN_OBJECT.match(route):
        return f"{match.group(1)}.{match.group(2)}"
    return "-" if all(p in CONSTANTS for p in PARAM.findall(route)) else None


# ---------------------------------------------------------------------------- the world


@dataclass
class Tracked:
    """A scoped east object, the texts that identify it and the path parameters it fills."""

    obj: models.Model
    markers: tuple[str, ...]
    params: dict[str, Any]

    @property
    def label(self) -> str:
        return self.obj._meta.label_lower

    def hidden_from(self, user: Any) -> bool:
        """Outside the user's scope; objects shared by design (no restrict()) always fill."""
        rows = type(self.obj)._default_manager.all()
        if user is None or not hasattr(rows, "restrict"):
            return True
        return not rows.restrict(user, "view").filter(pk=self.obj.pk).exists()


def scoped(label: str) -> bool:
    return hasattr(apps.get_model(label)._default_manager.all(), "restrict")


def named_for(user: Any) -> set[models.Model]:
    """What a reader is shown by name although restrict() does not give it to them: their own
    account and bindings (and the areas above them), and the places and units of their cases."""
    if user is None:
        return set()
    named: set[models.Model] = {user}
    for m in Membership.objects.filter(user=user).select_related("area", "unit"):
        named |= {m, *(x for x in (m.unit,) if x)}
        area = m.area
        while area is not None:
            named.add(area)
            area = area.parent
    for case in Case.objects.restrict(user, "view").select_related(
        "street", "residential_area", "grid", "lead_unit"
    ):
        named |= {x for x in (case.street, case.residential_area, case.grid, case.lead_unit) if x}
    return named


def track(obj: models.Model, markers: tuple[str, ...] = (), **params: Any) -> Tracked:
    generic = {
        "pk": obj.pk,
        "id": obj.pk,
        "object_id": obj.pk,
        "app_label": obj._meta.app_label,
        "model_name": obj._meta.model_name,
        "content_type_id": ContentType.objects.get_for_model(obj).pk,
    }
    return Tracked(obj, tuple(m for m in markers if m), {**generic, **params})


@dataclass
class Reader:
    name: str
    user: Any  # None: anonymous
    forbidden: list[str]  # markers of what this reader must not see
    personal: list[str]  # the personal ones among them (checked on public pages too)
    fill: dict[str, Tracked]  # per object type, one object this reader must not see
    client: Client
    token: str | None


class ScopeWalk(TestCase):
    media: str
    w: Any
    tracked: list[Tracked]
    personal: set[str]

    @classmethod
    def setUpClass(cls) -> None:
        cls.media = tempfile.mkdtemp(prefix="civicgrid-walk-")
        cls.addClassCleanup(shutil.rmtree, cls.media, ignore_errors=True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=cls.media))
        cls.enterClassContext(time_machine.travel(MOMENT, tick=False))
        # Thousands of refusals are the expected answers here, not news for the log.
        for name in ("django.request", "django.security"):
            logger = logging.getLogger(name)
            cls.addClassCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.CRITICAL)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        w = cls.w = build_world()
        east = w.east
        unit = east.unit
        assert unit is not None
        for sw in (w.east, w.west):
            for role in (Role.ADMIN, Role.DISPATCHER, Role.LEADER):
                User.objects.filter(pk=sw.users[role].pk).update(is_staff=True)
        # Distinctive names, none a part of another ("#" ends each).
        Area.objects.filter(pk=east.street.pk).update(name=f"{MARK}-街道#")
        for i, ra in enumerate(east.residential, 1):
            Area.objects.filter(pk=ra.pk).update(name=f"{MARK}-居民区{i}#")
        for i, grid in enumerate(east.grids, 1):
            Area.objects.filter(pk=grid.pk).update(name=f"{MARK}-网格{i}#")
        for i, b in enumerate(east.buildings, 1):
            Building.objects.filter(pk=b.pk).update(name=f"{MARK}-楼{i}#")
        Unit.objects.filter(pk=unit.pk).update(name=f"{MARK}-城管中队#")
        for key, user in east.users.items():
            User.objects.filter(pk=user.pk).update(full_name=f"{MARK}-{key}#")
        renamed: list[models.Model] = [east.street, *east.residential, *east.grids, *east.buildings, unit]
        for obj in (*renamed, *east.users.values()):
            obj.refresh_from_db()
        admin, desk = east.users[Role.ADMIN], east.users[Role.DISPATCHER]

        subscription = Subscription.objects.create(
            name=f"{MARK}-订阅#",
            url="https://east-marker.example.org/hook",
            events=["cases.create", "cases.file", "cases.dispatch"],
            owner=admin,
            secret="east-secret",
        )
        subscription.streets.set([east.street])
        rule = DutyRule.objects.create(
            category=Category.objects.get(code="E21"),
            area=east.street,
            lead_unit=unit,
            note=f"{MARK}-规则#",
        )
        layer = GridLayer.objects.create(
            layer=GridLayerKind.POLICE,
            code="LEASTMARK9",
            name=f"{MARK}-图层#",
            street=east.street,
            geometry=box(121.05, 31.20, 121.06, 31.22),
        )
        layer.comprehensive_grids.set(east.grids[:1])
        issued = tokens.issue(admin, name=f"{MARK}-令牌#", scopes=["read"])
        client = account_actions.create_integration(
            admin, name=f"{MARK}-接入#", streets=[east.street], role=Role.DISPATCHER
        )
        # A registry import's preview: the job pages and the preview page of residents read it.
        job = Job.objects.create(
            kind="residents.import",
            params={"mode": "preview", "filename": f"{MARK}-台账#.xlsx"},
            created_by=admin,
            street_id=east.street.pk,
            message=f"{MARK}-任务#",
        )
        save_profile(east.street, admin, {"cases.callback_working_days": 5})
        holiday = Holiday.objects.create(date=MOMENT.date(), is_workday=False, name="测试假日")

        cls.tracked = []
        cls.personal = set()
        # Case A: in the grid worker's grid, reported by the resident, dispatched to the unit.
        # Case B: in the other residential area, with a photo and its phone revealed.
        cls.add_case("A", grid=0, by=east.users[Role.RESIDENT], dispatch=True)
        case_b = cls.add_case("B", grid=3, by=desk)
        privacy.reveal(desk, case_b, "reporter_phone", reason=f"{MARK}-查看原因#", via="web")
        notifications.notify([desk], case_b, "new_case", f"{MARK}-通知#", key="walk-note")

        t = cls.tracked
        for area in (east.street, *east.residential, *east.grids):
            t.append(track(area, (area.name, area.code), code=area.code))
        for b in east.buildings:
            t.append(track(b, (b.name,), building_id=b.pk))
        t.append(track(unit, (unit.name,), unit_id=unit.pk))
        for user in east.users.values():
            t.append(track(user, (user.full_name, user.username)))
        t.extend(track(m) for m in Membership.objects.filter(user__in=east.users.values()))
        t.append(track(rule, (rule.note,), duty_id=rule.pk))
        t.append(track(layer, (layer.name, layer.code), layer_id=layer.pk))
        t.append(track(ApiToken.objects.get(pk=issued.token.pk), (issued.token.name, issued.token.prefix)))
        t.append(track(client, (client.name,)))
        t.append(track(job, (job.message, job.params["filename"])))
        t.extend(track(n, (n.text,), notification_id=n.pk) for n in Notification.objects.filter(user=desk))
        t.append(
            track(
                subscription, (subscription.name, "east-marker.example.org"), subscription_id=subscription.pk
            )
        )
        # The event reader makes deliveries after a commit, which a TestCase never reaches.
        delivery = Delivery.objects.create(
            subscription=subscription,
            event="cases.file",
            event_id=1,
            case_id=case_b.pk,
            case_number=case_b.number,
            street_id=east.street.pk,
            occurred_at=MOMENT,
            payload={"case": {"number": case_b.number}},
            response_body=f"{MARK}-回执#",
        )
        t.append(
            track(
                delivery, (delivery.response_body,), delivery_id=delivery.pk, subscription_id=subscription.pk
            )
        )
        # Messages are logged by the notifications consumer after a commit, too.
        message = MessageDelivery.objects.create(
            key="walk-message",
            channel="sms",
            kind="dispatched",
            to="13900009999",
            to_masked="139****9999",
            street_id=east.street.pk,
            subject=f"{MARK}-短信#",
            text=f"{MARK}-短信#",
        )
        t.append(track(message, (message.text,)))
        t.extend(track(e) for e in AuditLog.objects.filter(street_id=east.street.pk)[:5])
        t.extend(track(r, (r.reason,)) for r in PersonalDataAccess.objects.all())
        t.extend(track(e) for e in CaseEvent.objects.filter(case=case_b))
        patrol = actions.start_patrol(east.users[Role.GRID_WORKER])
        t.append(track(actions.stop_patrol(east.users[Role.GRID_WORKER], patrol.pk)))
        # Not scoped by street: shared by design, or for superusers only (Django's own
        # permission tables); other such admins get UNSCOPED_OBJECT.
        t.append(track(rule.category, (), code=rule.category.code))
        t.append(track(holiday))
        t.append(track(Group.objects.create(name=f"{MARK}-组#"), (f"{MARK}-组#",)))
        cls.add_registry()
        cls.add_inspections()
        cls.add_insights(case_b)
        cls.add_elections()
        cls.add_programmes(case_b)
        cls.add_community()
        cls.add_sensors()

    @classmethod
    def add_inspections(cls) -> None:
        """The east street's inspections (testing.inspections): places with marked names and the
        responsible phones as personal data, the checklist, both plans (one unannounced), their
        tasks, the inspection, its order and the group-rent entry. Path parameters: place_id,
        checklist_id, plan_id, task_id, inspection_id, order_id and number (an order's), entry_id."""
        east, t = cls.w.east, cls.tracked
        ins = build_inspections(east)
        for i, place in enumerate(ins.places.values(), 1):
            name = f"{MARK}-场所{i}#"
            Place.objects.filter(pk=place.pk).update(name=name)
            phone = personal.unmasked(place.responsible_phone)
            cls.personal.add(phone)
            t.append(track(place, (name, phone), place_id=place.pk))
        checklist = Checklist.objects.get(pk=ins.inspection.checklist_id)
        Checklist.objects.filter(pk=checklist.pk).update(title=f"{MARK}-检查表#")
        t.append(track(checklist, (f"{MARK}-检查表#",), checklist_id=checklist.pk))
        for i, plan in enumerate((ins.plan, ins.secret_plan), 1):
            Plan.objects.filter(pk=plan.pk).update(title=f"{MARK}-计划{i}#")
            t.append(track(plan, (f"{MARK}-计划{i}#",), plan_id=plan.pk))
        for task in Task.objects.filter(street=east.street):
            t.append(track(task, (), task_id=task.pk))
        Inspection.objects.filter(pk=ins.inspection.pk).update(note=f"{MARK}-检查#")
        t.append(track(ins.inspection, (f"{MARK}-检查#",), inspection_id=ins.inspection.pk))
        Order.objects.filter(pk=ins.order.pk).update(finding=f"{MARK}-隐患#")
        t.append(
            track(
                ins.order, (f"{MARK}-隐患#", ins.order.number), order_id=ins.order.pk, number=ins.order.number
            )
        )
        RentEntry.objects.filter(pk=ins.entry.pk).update(clue=f"{MARK}-群租#")
        t.append(track(ins.entry, (f"{MARK}-群租#",), entry_id=ins.entry.pk))

    @classmethod
    def add_insights(cls, case: Case) -> None:
        """The east street's insights rows: a source-governance plan owned by the east unit and
        linked to a case, a hot-topic run and a weekly report file. Path parameters: plan_id,
        run_id, report_id."""
        east, t = cls.w.east, cls.tracked
        plan = GovernancePlan.objects.create(
            street=east.street,
            title=f"{MARK}-治理方案#",
            hotspot_kind="address",
            hotspot_label=f"{MARK}-问题点#",
            hotspot_params={"street": east.street.code, "address": case.address or "x"},
            owner_unit=east.unit,
            measures=f"{MARK}-措施#",
            deadline=MOMENT.date(),
            started_on=MOMENT.date(),
        )
        plan.cases.add(case)
        t.append(track(plan, (plan.title, plan.measures), plan_id=plan.pk))
        run = TopicRun.objects.create(
            street=east.street,
            date_from=MOMENT.date(),
            date_to=MOMENT.date(),
            status="done",
            cases=1,
            clusters=[
                {
                    "terms": [f"{MARK}-话题#"],
                    "size": 1,
                    "case_ids": [case.pk],
                    "examples": [{"id": case.pk, "number": case.number, "text": f"{MARK}-话题#"}],
                }
            ],
            created_at=MOMENT,
            finished_at=MOMENT,
        )
        t.append(track(run, (f"{MARK}-话题#",), run_id=run.pk))
        report = Report(
            street=east.street,
            kind="weekly",
            period_start=MOMENT.date(),
            period_end=MOMENT.date(),
            generated_at=MOMENT,
        )
        report.file.save("east.pdf", ContentFile(b"%PDF-1.4 east"), save=False)
        report.size = report.file.size
        report.save()
        t.append(track(report, (), report_id=report.pk))

    @classmethod
    def add_elections(cls) -> None:
        """The east street's election round (testing.elections): the round, its two elections,
        the cadre's committee's group, voters, objection, candidates, ballot box, count and
        member, with marked names. Path parameters: round_id, election_id, group_id, voter_id,
        objection_id, candidate_id, box_id, count_id, member_id."""
        east, t = cls.w.east, cls.tracked
        made = build_elections(east, day=MOMENT.date() + timedelta(days=60), mark=f"{MARK}#")
        t.append(track(made.round, (made.round.name,), round_id=made.round.pk))
        for election in made.elections:
            t.append(track(election, (), election_id=election.pk))
        t.append(track(made.group, (made.group.name,), group_id=made.group.pk))
        for voter in made.voters:
            t.append(track(voter, (voter.name,), voter_id=voter.pk))
        assert made.objection is not None and made.box is not None and made.count is not None
        t.append(track(made.objection, (made.objection.statement,), objection_id=made.objection.pk))
        for candidate in made.candidates:
            t.append(track(candidate, (candidate.name,), candidate_id=candidate.pk))
        t.append(track(made.box, (made.box.name,), box_id=made.box.pk))
        t.append(track(made.count, (made.count.reason,), count_id=made.count.pk))
        assert made.member is not None
        t.append(track(made.member, (), member_id=made.member.pk))

    @classmethod
    def add_programmes(cls, case: Case) -> None:
        """The east street's programmes (testing.programmes): the parent project and its child
        owned by the east unit with a target, milestone, progress report and a link to case B;
        a member unit (its contact phone personal data) with a welfare project, ask and claim; a
        session with representatives, a proposal assigned to the unit and an evaluation with a
        subject and a voter. Path parameters: project_id (with street_code and year), target_id,
        milestone_id, report_id, link_id, member_id (with year), welfare_id, ask_id, claim_id,
        session_id, representative_id, proposal_id, evaluation_id, subject_id, voter_id."""
        t, year = cls.tracked, MOMENT.year
        made = build_programmes(cls.w.east, year=year, mark=f"{MARK}#", case=case)
        for project in (made.parent, made.project):
            t.append(
                track(
                    project,
                    (project.title,),
                    project_id=project.pk,
                    street_code=cls.w.east.street.code,
                    year=year,
                )
            )
        t.append(track(made.target, (made.target.name,), target_id=made.target.pk))
        t.append(track(made.milestone, (made.milestone.title,), milestone_id=made.milestone.pk))
        t.append(track(made.report, (made.report.note,), report_id=made.report.pk))
        assert made.case_link is not None
        t.append(track(made.case_link, (), link_id=made.case_link.pk))
        phone = personal.unmasked(made.member.contact_phone)
        cls.personal.add(phone)
        t.append(
            track(
                made.member,
                (made.member.name, made.member.contact_name, phone),
                member_id=made.member.pk,
                year=year,
            )
        )
        t.append(track(made.welfare, (made.welfare.title, made.welfare.need), welfare_id=made.welfare.pk))
        t.append(track(made.ask, (made.ask.item,), ask_id=made.ask.pk))
        t.append(track(made.claim, (made.claim.note,), claim_id=made.claim.pk))
        t.append(track(made.session, (made.session.title,), session_id=made.session.pk))
        for representative in made.representatives:
            t.append(track(representative, (representative.name,), representative_id=representative.pk))
        assert made.proposal is not None and made.evaluation is not None
        assert made.subject is not None and made.voter is not None
        t.append(
            track(made.proposal, (made.proposal.title, made.proposal.body), proposal_id=made.proposal.pk)
        )
        t.append(track(made.evaluation, (made.evaluation.title,), evaluation_id=made.evaluation.pk))
        t.append(track(made.subject, (made.subject.name,), subject_id=made.subject.pk))
        t.append(track(made.voter, (), voter_id=made.voter.pk))

    @classmethod
    def add_community(cls) -> None:
        """The east street's community rows (testing.community): a venue of the second
        committee (outside the east cadre's) with a room, hours and an open activity with a
        caller's and the resident's sign-ups, a team, a volunteer on a post with hours, the
        service centre with a window, an item (A, B), B's leave, a slot, the resident's booking,
        a 上门办 request and a draft newsletter with an article. Path parameters: venue_id,
        room_id, series_id, activity_id, sign_up_id, team_id, volunteer_id, slot_id,
        assignment_id, entry_id, centre_id, window_id, item_id, leave_id, service_slot_id,
        appointment_id, home_service_id, newsletter_id, article_id."""
        t = cls.tracked
        made = build_community(cls.w.east, at=MOMENT + timedelta(days=1), mark=f"{MARK}#")
        phones = [
            personal.unmasked(x)
            for x in (
                made.phone_sign_up.phone,
                made.team.contact_phone,
                made.volunteer.phone,
                made.appointment.phone,
                made.home_service.phone,
            )
        ]
        address = personal.unmasked(made.home_service.address)
        cls.personal.update([*phones, address])
        t.append(track(made.venue, (made.venue.name, made.venue.address), venue_id=made.venue.pk))
        t.append(track(made.room, (made.room.name,), room_id=made.room.pk))
        t.append(track(made.hours, ()))
        t.append(track(made.series, (made.series.title,), series_id=made.series.pk))
        t.append(
            track(
                made.activity, (made.activity.title, made.activity.description), activity_id=made.activity.pk
            )
        )
        t.append(
            track(made.phone_sign_up, (made.phone_sign_up.name, phones[0]), sign_up_id=made.phone_sign_up.pk)
        )
        t.append(track(made.resident_sign_up, ()))
        t.append(track(made.team, (made.team.name, made.team.contact_name, phones[1]), team_id=made.team.pk))
        t.append(
            track(
                made.volunteer,
                (made.volunteer.name, made.volunteer.availability, phones[2]),
                volunteer_id=made.volunteer.pk,
            )
        )
        t.append(track(made.slot, (made.slot.title,), slot_id=made.slot.pk))
        t.append(track(made.assignment, (), assignment_id=made.assignment.pk))
        t.append(track(made.entry, (made.entry.description,), entry_id=made.entry.pk))
        t.append(track(made.centre, (made.centre.name,), centre_id=made.centre.pk))
        t.append(track(made.window, (made.window.name,), window_id=made.window.pk))
        t.append(track(made.item, (made.item.name,), item_id=made.item.pk))
        t.append(track(made.leave, (made.leave.note,), leave_id=made.leave.pk))
        t.append(track(made.service_slot, (), service_slot_id=made.service_slot.pk))
        t.append(
            track(made.appointment, (made.appointment.note, phones[3]), appointment_id=made.appointment.pk)
        )
        t.append(
            track(
                made.home_service,
                (made.home_service.name, made.home_service.need, phones[4], address),
                home_service_id=made.home_service.pk,
            )
        )
        newsletter = made.newsletter
        t.append(
            track(
                newsletter,
                (newsletter.masthead,),
                newsletter_id=newsletter.pk,
                street_code=cls.w.east.street.code,
                year=newsletter.year,
                number=newsletter.number,
            )
        )
        t.append(track(made.article, (made.article.title, made.article.body), article_id=made.article.pk))

    @classmethod
    def add_sensors(cls) -> None:
        """The east street's sensors (testing.sensors) with marked vendor ids: the water meter on
        the flat of the woman living alone (her care alert), a smoke detector, a cabinet and a
        road's manhole cover (street-wide). Path parameters: device_id, alert_id."""
        made = build_sensors(cls.w.east, cls.registry, mark=f"-{MARK}#")
        for device in (made.meter, made.smoke, made.cabinet, made.cover):
            cls.tracked.append(track(device, (device.vendor_id,), device_id=device.pk))
        cls.tracked.append(track(made.meter.type))  # the district's configuration, shared by design
        alert = raise_alert(made.meter, Condition.NO_USE, at=MOMENT, value=14.0)
        assert alert is not None
        cls.tracked.append(track(alert, (made.meter.vendor_id,), alert_id=alert.pk))

    @classmethod
    def add_registry(cls) -> None:
        """The east registry (residents): flats, households and persons with marked names (the
        numbers and phones as personal data), care tags (sensitive ones too), a street's own kind,
        a visit inside the cadre's area and one outside it, an examination round and exam."""
        east, t = cls.w.east, cls.tracked
        reg = cls.registry = build_registry(east)
        for i, flat in enumerate([*reg.flats, *Flat.objects.filter(households=reg.other_household)], 1):
            owner, note = f"{MARK}-业主{i}#", f"{MARK}-房屋{i}#"
            Flat.objects.filter(pk=flat.pk).update(owner_name=owner, note=note)
            t.append(track(flat, (owner, note), flat_id=flat.pk))
        households = [*reg.households, reg.other_household]
        for i, household in enumerate(households, 1):
            assert household is not None
            Household.objects.filter(pk=household.pk).update(note=f"{MARK}-住户{i}#")
            t.append(
                track(household, (f"{MARK}-住户{i}#",), household=household.pk, household_id=household.pk)
            )
            if i in (1, len(households)):
                visit = Visit.objects.create(
                    household=household,
                    street_id=household.street_id,
                    status="done",
                    found=f"{MARK}-走访{i}#",
                    visited_at=MOMENT,
                )
                t.append(track(visit, (visit.found,), visit_id=visit.pk))
        for i, person in enumerate(reg.persons.values(), 1):
            name = f"{MARK}-居民{i}#"
            Person.objects.filter(pk=person.pk).update(name=name)
            number, phone = personal.unmasked(person.id_number), personal.unmasked(person.phone)
            cls.personal |= {number, phone}
            t.append(track(person, (name, number, phone), person_id=person.pk))
        t.extend(track(tag, (), tag_id=tag.pk) for tag in reg.tags.values())
        kind = LocalCareKind.objects.create(street=east.street, code="walk", name=f"{MARK}-关爱类别#")
        t.append(track(kind, (kind.name,)))
        # A 知情考试 round with the cadre's exam drawn over the registry, through the actions.
        admin = east.users[Role.ADMIN]
        exam_round = exam_actions.create_round(admin, street=east.street, name=f"{MARK}-考试#", sample_size=2)
        exam = exam_actions.draw(admin, exam_round, east.users[Role.CADRE], east.grids[0])
        t.append(track(exam_round, (exam_round.name,), round_id=exam_round.pk))
        t.append(track(exam, (), exam_id=exam.pk))

    @classmethod
    def add_case(cls, tag: str, *, grid: int, by: Any, dispatch: bool = False) -> Case:
        sw = cls.w.east
        shape = sw.grids[grid].shape
        phone = f"1390000{len(cls.personal):04d}"
        case = actions.create_case(
            CaseInput(
                request_type="complaint",
                category="E2105",
                title=f"{MARK}-标题{tag}#",
                description=f"{MARK}-工单{tag}#",
                channel="hotline",
                lon=shape.centroid.x,
                lat=shape.centroid.y,
                address=f"{MARK}-地址{tag}#",
                reporter_name=f"{MARK}-报告人{tag}#",
                reporter_phone=phone,
                photos=[jpeg(f"eastmarker{tag}.jpg")],
            ),
            by,
        )
        desk = sw.users[Role.DISPATCHER]
        if dispatch:
            actions.run_action(case.pk, "file", desk, {})
            case = actions.run_action(case.pk, "dispatch", desk, {})
        cls.personal |= {case.reporter_name, phone}
        markers = (case.number, case.title, case.description, case.address, case.reporter_name, phone)
        case_params = {"number": case.number, "ref": case.number}
        cls.tracked.append(track(case, markers, **case_params))
        for photo in Photo.objects.filter(object_id=case.pk):
            cls.tracked.append(
                track(photo, (f"eastmarker{tag}",), **case_params, photo_id=photo.pk, path=photo.file.name)
            )
        return case

    # ------------------------------------------------------------------------ readers

    def readers(self) -> list[Reader]:
        users: list[tuple[str, Any]] = [("anonymous", None)]
        users += [(f"west {role}", self.w.user("west", role)) for role in WEST_ROLES]
        users += [(f"east {role}", self.w.user("east", role)) for role in EAST_NARROW]
        out = []
        for name, user in users:
            named = named_for(user)
            hidden = [t for t in self.tracked if t.hidden_from(user) and t.obj not in named]
            fill: dict[str, Tracked] = {}
            for t in hidden:
                fill.setdefault(t.label, t)
            client = Client()
            token = None
            if user is not None:
                client.force_login(user)
                token = tokens.issue(user, scopes=["read"], rate_limit=0).key
                # Used once now: its "last used" on the tokens page stays put during the walk.
                client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})
            markers = [m for t in hidden for m in t.markers]
            out.append(
                Reader(name, user, markers, [m for m in markers if m in self.personal], fill, client, token)
            )
        return out

    def get(self, reader: Reader, url: str) -> tuple[int, str, str]:
        headers = {}
        if url.startswith("/api/v1/") and reader.token:
            headers["Authorization"] = f"Bearer {reader.token}"
        response: HttpResponseBase = reader.client.get(url, headers=headers)
        return response.status_code, response.get("Location", ""), text_of(response)

    # ------------------------------------------------------------------------ the walk

    def requests(self, reader: Reader) -> Iterator[tuple[str, str, str | None]]:
        """(route, url, object type) for every route this reader can be asked about."""
        for route in routes():
            if route.route in SAME_FOR_ALL and reader.user is not None:
                continue
            kind = route_type(route.route)
            assert kind is not None, (
                f"No filler for the URL pattern {route.route!r}: add it to ROUTES in {__name__} "
                f"(the object its parameters name), or to PUBLIC with the reason it is public."
            )
            if kind == "-":
                yield route.route, route.url(CONSTANTS), None
                continue
            target = reader.fill.get(kind)
            if target is None and not any(t.label == kind for t in self.tracked) and not scoped(kind):
                # An admin of a third-party model kept by Django's permission tables (superusers).
                yield route.route, route.url({**CONSTANTS, "object_id": 1}), kind
                continue
            if target is None:
                # Every object of that type is this reader's (or none is tracked).
                assert any(t.label == kind for t in self.tracked), f"{route.route}: no {kind} tracked"
                continue
            values = {**CONSTANTS, **target.params}
            missing = [p for p in route.params if p not in values]
            assert not missing, f"{route.route}: {kind} does not fill {missing}"
            yield route.route, route.url(values), kind
        values = self.extra_values()
        for template in EXTRA:
            yield "extra", template.format(**values), None

    def extra_values(self) -> dict[str, Any]:
        east = self.w.east
        point = east.grids[3].shape.centroid
        return {
            "street": east.street.code,
            "street_id": east.street.pk,
            "west": self.w.west.street.code,
            "grid": east.grids[3].code,
            "case": Case.objects.filter(street=east.street).order_by("pk").last().number,  # type: ignore[union-attr]
            "mark": MARK,
            "lon": point.x,
            "lat": point.y,
        }

    def check(
        self, reader: Reader, route: str, url: str, kind: str | None, status: int, where: str, body: str
    ) -> list[str]:
        if status >= 500:
            return [f"{reader.name}: {url}: {status}"]
        # What the reader sent is theirs already (a search box, ?next= or a filter echoes it).
        asked = unquote(url)
        markers = [m for m in (reader.personal if route in PUBLIC else reader.forbidden) if m not in asked]
        shown = sorted({m for m in markers if m in body or m in where})
        if shown:
            return [f"{reader.name}: {url}: {status} names {shown}"]
        if kind and kind not in SHARED and route not in PUBLIC and 200 <= status < 300:
            return [f"{reader.name}: {url}: {status} for a {kind} outside the reader's scope"]
        return []

    def test_no_reader_sees_another_scope(self) -> None:
        failures: list[str] = []
        answered: dict[tuple[str, str], str] = {}
        readers = self.readers()
        for reader in readers:
            seen = set()
            for route, url, kind in self.requests(reader):
                if url in seen:  # the methods of one API path are one pattern each
                    continue
                seen.add(url)
                status, where, body = self.get(reader, url)
                failures += self.check(reader, route, url, kind, status, where, body)
                # A blank form counts nothing; a listing of every street grows by design.
                if 200 <= status < 300 and not route.endswith("add/") and route not in EVERY_STREET:
                    answered[(reader.name, url)] = normalized(body)

        # The east street grows; nothing another reader was shown may change.
        self.add_case("C", grid=3, by=self.w.user("east", Role.DISPATCHER))
        for reader in readers:
            for (name, url), before in answered.items():
                if name == reader.name and normalized(self.get(reader, url)[2]) != before:
                    failures.append(f"{reader.name}: {url}: moved with the east street's rows")
        self.assertEqual(failures, [], "\n".join(failures))

    def test_every_route_has_a_filler(self) -> None:
        unknown = [r.route for r in routes() if route_type(r.route) is None]
        self.assertEqual(unknown, [], "add these URL patterns to ROUTES or PUBLIC")
        stale = [r for r in ROUTES if r not in {x.route for x in routes()} and r != "media/<path>"]
        self.assertEqual(stale, [], "ROUTES names patterns that no longer exist")


def text_of(response: HttpResponseBase) -> str:
    streaming = getattr(response, "streaming", False)
    data = b"".join(response.streaming_content) if streaming else response.content  # type: ignore[attr-defined]
    text = data.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


# The CSRF token is masked afresh on every answer; the admin's one-off notices ("no object
# with ID 1") belong to the request before.
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
NOTICES = re.compile(r'<ul class="messagelist">.*?</ul>', re.DOTALL)
WHITESPACE = re.compile(r"\s+")


def normalized(body: str) -> str:
    return WHITESPACE.sub(" ", NOTICES.sub("", CSRF.sub(r"\1", body)))
