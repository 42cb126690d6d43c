"""Every schema the API describes has a name of its own. ninja files each schema under its class
name in the description's components, the last of two alike winning: two apps' `RoundOut`
would be one component, and the one app's endpoints described with the other's fields."""

from collections import defaultdict

from ninja import Schema

import civicgrid.urls  # noqa: F401  (mounts every app's router)
from civicgrid.api.urls import api


def _schema_classes() -> list[type[Schema]]:
    found: list[type[Schema]] = []

    def walk(cls: type[Schema]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("civicgrid.") and ".tests" not in sub.__module__:
                found.append(sub)
            walk(sub)

    walk(Schema)
    return found


def test_no_two_schema_classes_share_a_name():
    modules: dict[str, set[str]] = defaultdict(set)
    for cls in _schema_classes():
        modules[cls.__name__].add(cls.__module__)
    assert {name: sorted(where) for name, where in modules.items() if len(where) > 1} == {}


def test_each_component_describes_its_own_class():
    components = api.get_openapi_schema()["components"]["schemas"]
    checked = 0
    for cls in _schema_classes():
        component = components.get(cls.__name__)
        if component is None or "properties" not in component:
            continue  # not in the API, or a body built elsewhere (core.rest's action bodies)
        own = cls.model_json_schema(by_alias=True).get("properties", {})
        assert set(component["properties"]) == set(own), cls
        checked += 1
    assert checked > 100
