"""The service list: one GeoReport service per active leaf of the case category tree."""

from dataclasses import dataclass
from typing import Any

from civicgrid.cases.choices import RequestType
from civicgrid.cases.models import Category
from civicgrid.geo.models import Area

from .querysets import private_anywhere, private_category_ids

# The one question every service asks (optional): the request type, which sets the case's
# deadlines (inquiries and suggestions are answered within 1 working day, the rest within 5).
REQUEST_TYPE_ATTRIBUTE = "request_type"
FALLBACK_REQUEST_TYPE = RequestType.COMPLAINT  # as the public report form


@dataclass(frozen=True)
class Service:
    category: Category
    group: str

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def default_request_type(self) -> str:
        return str(self.category.inherited("default_request_type") or FALLBACK_REQUEST_TYPE)

    def as_dict(self) -> dict[str, Any]:
        c = self.category
        description = f"{self.group}·{c.name}"
        if c.emergency:
            description += "（突发事件：危及人身安全时请同时拨打 110/119 或相关抢修电话）"
        parent = c.parent.name if c.parent is not None else ""
        return {
            "service_code": c.code,
            "service_name": c.name,
            "description": description,
            # Every service has the optional request_type question (definition()).
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(k for k in (c.name, parent, c.code) if k),
            "group": self.group,
        }

    def definition(self) -> dict[str, Any]:
        default = self.default_request_type
        return {
            "service_code": self.code,
            "attributes": [
                {
                    "variable": True,
                    "code": REQUEST_TYPE_ATTRIBUTE,
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": f"不填则为“{RequestType(default).label}”（{default}）",
                    "order": 1,
                    "description": "诉求类型：决定办理时限（咨询、建议 1 个工作日，其余 5 个工作日）",
                    "values": [{"key": value, "name": label} for value, label in RequestType.choices],
                }
            ],
        }


def catalogue(street: Area | None) -> list[Service]:
    """Active leaf categories outside the street's private branches, by code (one query). Without
    a street, the services every street shares: outside the private branches of any street."""
    tree = Category.objects.order_by("code").linked()
    private = private_category_ids(street, tree) if street is not None else private_anywhere(tree)
    with_active_children = {c.parent_id for c in tree if c.is_active and c.parent_id}
    services = []
    for c in tree:
        if not c.is_active or c.pk in with_active_children or c.pk in private or c.parent is None:
            continue
        lineage = c.lineage()
        root, top = lineage[-1], lineage[-2]
        group = f"{root.name}·{top.name}" if top is not c else root.name
        services.append(Service(category=c, group=group))
    return services


def find(code: str, street: Area | None) -> Service | None:
    return next((s for s in catalogue(street) if s.code == code), None)
