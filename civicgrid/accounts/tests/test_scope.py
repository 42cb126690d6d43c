"""Scope isolation at the queryset layer: every role × registry model × street."""

import pytest

from civicgrid.accounts.models import Membership, User
from civicgrid.core.choices import Action, Role
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.orgs.models import Unit
from civicgrid.testing.factories import UserFactory, box

pytestmark = pytest.mark.django_db

STREET_WIDE = [Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.HANDLER]


def ids(qs):
    return set(qs.values_list("pk", flat=True))


@pytest.mark.parametrize("role", STREET_WIDE)
def test_street_roles_see_their_whole_street_and_nothing_of_the_other(world, role):
    user = world.user("east", role)
    visible = ids(Area.objects.restrict(user, Action.VIEW))
    east = {world.east.street.pk, *(a.pk for a in world.east.residential + world.east.grids)}
    west = {world.west.street.pk, *(a.pk for a in world.west.residential + world.west.grids)}
    assert east <= visible
    assert not (west & visible)
    assert ids(Building.objects.restrict(user)) == {b.pk for b in world.east.buildings}


def test_cadre_sees_own_residential_subtree_and_ancestors_only(world):
    cadre = world.user("east", Role.CADRE)
    mine = world.east.residential[0]
    visible = ids(Area.objects.restrict(cadre))
    assert visible == {
        world.district.pk,
        world.east.street.pk,
        mine.pk,
        *(g.pk for g in world.east.grids[:2]),
    }
    assert ids(Building.objects.restrict(cadre)) == {b.pk for b in world.east.buildings[:2]}


def test_grid_worker_sees_own_grid(world):
    worker = world.user("east", Role.GRID_WORKER)
    grid = world.east.grids[0]
    visible = ids(Area.objects.restrict(worker))
    assert grid.pk in visible
    assert world.east.grids[1].pk not in visible
    assert ids(Building.objects.restrict(worker)) == {world.east.buildings[0].pk}


@pytest.mark.parametrize("model", [Area, Building, Unit, GridLayer])
def test_residents_and_anonymous_see_no_registry(world, model):
    from django.contrib.auth.models import AnonymousUser

    assert not model.objects.restrict(world.user("east", Role.RESIDENT)).exists()
    assert not model.objects.restrict(AnonymousUser()).exists()
    assert not model.objects.restrict(None).exists()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.LEADER, Role.CADRE, Role.GRID_WORKER, Role.HANDLER])
@pytest.mark.parametrize("action", [Action.ADD, Action.CHANGE, Action.DELETE])
def test_only_admins_change_the_registry(world, role, action):
    user = world.user("east", role)
    assert not Area.objects.restrict(user, action).exists()
    assert not Unit.objects.restrict(user, action).exists()
    assert not Area.objects.all().allows(user, action)


def test_admin_changes_only_own_street(world):
    admin = world.user("east", Role.ADMIN)
    changeable = ids(Area.objects.restrict(admin, Action.CHANGE))
    assert world.east.street.pk in changeable
    assert world.west.street.pk not in changeable
    assert world.district.pk not in changeable  # the district is read-only context


def test_district_units_are_readable_but_not_changeable(world):
    admin = world.user("east", Role.ADMIN)
    assert world.shared_unit.pk in ids(Unit.objects.restrict(admin, Action.VIEW))
    assert world.shared_unit.pk not in ids(Unit.objects.restrict(admin, Action.CHANGE))
    assert world.west.unit.pk not in ids(Unit.objects.restrict(admin, Action.VIEW))


def test_handler_sees_own_unit_and_street(world):
    handler = world.user("east", Role.HANDLER)
    assert ids(Unit.objects.restrict(handler)) == {world.east.unit.pk, world.shared_unit.pk}


def test_layer_grids_are_street_scoped(world):
    layer = GridLayer.objects.create(
        layer="police",
        code="P1",
        name="警务1",
        street=world.west.street,
        geometry=box(121.01, 31.20, 121.02, 31.21),
    )
    assert layer.pk not in ids(GridLayer.objects.restrict(world.user("east", Role.DISPATCHER)))
    assert layer.pk in ids(GridLayer.objects.restrict(world.user("west", Role.DISPATCHER)))


def test_superuser_sees_everything(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert Area.objects.restrict(root, Action.DELETE).count() == Area.objects.count()


def test_user_without_membership_sees_nothing(world):
    loner = UserFactory(username="loner", role=Role.DISPATCHER)
    assert not Area.objects.restrict(loner).exists()


def test_user_admin_scope(world):
    admin = world.user("east", Role.ADMIN)
    visible = ids(User.objects.restrict(admin))
    assert {u.pk for u in world.east.users.values()} <= visible
    assert not ({u.pk for u in world.west.users.values()} & visible)
    # Someone who also works in the west street cannot be edited by the east admin.
    both = world.east.users[Role.DISPATCHER]
    Membership.objects.create(user=both, area=world.west.street)
    assert both.pk in ids(User.objects.restrict(admin, Action.VIEW))
    assert both.pk not in ids(User.objects.restrict(admin, Action.CHANGE))
    assert not User.objects.restrict(world.user("east", Role.DISPATCHER)).exists()


def test_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    user = User.objects.get(username="east-dispatcher")
    list(Area.objects.restrict(user))
    with django_assert_num_queries(1):
        list(Area.objects.restrict(user))
