"""Test factories and a small, deterministic world of two streets.

`build_world()` makes: district 测试区 → streets 东街道 (east) and 西街道 (west), each with
two residential areas of two square grids, a building in every grid, a unit per street
and a user of every role per street bound like the demo accounts.
"""

from dataclasses import dataclass, field
from typing import Any

import factory

from civicgrid.accounts.models import Membership, User
from civicgrid.core.choices import Role
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

PASSWORD = "test-civicgrid-pass"


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.DISPATCHER
    password = factory.django.Password(PASSWORD)


@dataclass
class StreetWorld:
    street: Area
    residential: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    unit: Unit | None = None
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class World:
    district: Area
    east: StreetWorld
    west: StreetWorld
    shared_unit: Unit

    def user(self, street: str, role: str) -> User:
        return getattr(self, street).users[role]


def _street(district: Area, key: str, code: str, name: str, x0: float) -> StreetWorld:
    """A street 0.02° wide starting at lon x0, lat 31.20–31.22."""
    y0 = 31.20
    street = Area.objects.create(
        kind=AreaKind.STREET,
        code=code,
        name=name,
        parent=district,
        geometry=box(x0, y0, x0 + 0.02, y0 + 0.02),
    )
    world = StreetWorld(street=street)
    for r in range(2):
        rx = x0 + r * 0.01
        ra = Area.objects.create(
            kind=AreaKind.RESIDENTIAL,
            code=f"{code}{r + 1:03d}",
            name=f"{name}{r + 1}居民区",
            parent=street,
            geometry=box(rx, y0, rx + 0.01, y0 + 0.02),
        )
        world.residential.append(ra)
        for g in range(2):
            gy = y0 + g * 0.01
            grid = Area.objects.create(
                kind=AreaKind.GRID,
                code=f"{ra.code}{g + 1:02d}",
                name=f"{ra.name}{g + 1}号网格",
                parent=ra,
                geometry=box(rx, gy, rx + 0.01, gy + 0.01),
            )
            world.grids.append(grid)
            world.buildings.append(
                Building.objects.create(address=f"{name}路{r + 1}{g + 1}号", lon=rx + 0.005, lat=gy + 0.005)
            )
    world.unit = Unit.objects.create(
        kind=UnitKind.URBAN_MANAGEMENT,
        code=f"{code}-CG",
        name=f"{name}城管中队",
        district=district,
        street=street,
    )
    world.unit.jurisdiction.add(street)
    bindings: dict[str, dict[str, Any]] = {
        Role.ADMIN: {"area": street},
        Role.DISPATCHER: {"area": street},
        Role.LEADER: {"area": street},
        Role.CADRE: {"area": world.residential[0]},
        Role.GRID_WORKER: {"area": world.grids[0]},
        Role.HANDLER: {"unit": world.unit},
        Role.RESIDENT: {"area": world.residential[0]},
    }
    for role, binding in bindings.items():
        user: User = UserFactory(  # type: ignore[assignment]
            username=f"{key}-{role}", role=role, full_name=f"{name}{Role(role).label}"
        )
        Membership.objects.create(user=user, **binding)
        world.users[role] = user
    return world


def build_world() -> World:
    from civicgrid.cases.category_tree import ensure_loaded

    ensure_loaded()  # a transactional test before this one may have flushed the migration's rows
    district = Area.objects.create(
        kind=AreaKind.DISTRICT, code="900001", name="测试区", geometry=box(121.0, 31.19, 121.1, 31.23)
    )
    east = _street(district, "east", "900001001", "东", 121.05)
    west = _street(district, "west", "900001002", "西", 121.01)
    shared = Unit.objects.create(
        kind=UnitKind.WATER, code="900001-WATER", name="测试供水公司", district=district
    )
    return World(district=district, east=east, west=west, shared_unit=shared)


def historical_case(apps: Any, street: Any, category: Any, number: str, at: Any) -> Any:
    """A case written through a migration state's models (migration tests), all its
    deadlines at `at`."""
    return apps.get_model("cases", "Case").objects.create(
        number=number,
        request_type="complaint",
        category=category,
        description="旧工单",
        channel="hotline",
        street=street,
        received_at=at,
        response_due_at=at,
        handling_due_at=at,
    )
