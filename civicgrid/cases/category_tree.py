"""The category tree loaded by migration 0002: urban-management event classes (GB/T 30428.2
ordering, codes as commonly used), component classes, and local extensions from the seeds.
Codes: E<class><sub> for events, C<class><sub> for components. Administrators edit the tree
in the admin afterwards; this list is only the starting point."""

from typing import Any

# (code, name, parent code, default request type, is_emergency)
EVENTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "01",
        "市容环境",
        [
            ("01", "私搭乱建"),
            ("02", "暴露垃圾"),
            ("03", "积存垃圾渣土"),
            ("04", "道路不洁"),
            ("05", "水域不洁"),
            ("06", "绿地脏乱"),
            ("07", "废弃车辆"),
            ("99", "其他"),
        ],
    ),
    (
        "02",
        "宣传广告",
        [
            ("01", "非法小广告"),
            ("02", "违章张贴悬挂广告牌匾"),
            ("03", "占道广告牌"),
            ("04", "街头散发广告"),
            ("05", "广告招牌破损"),
        ],
    ),
    (
        "03",
        "施工管理",
        [
            ("01", "施工扰民"),
            ("02", "工地扬尘"),
            ("03", "施工废弃料"),
            ("04", "施工占道"),
            ("05", "无证掘路"),
        ],
    ),
    (
        "04",
        "突发事件",
        [
            ("01", "路面塌陷"),
            ("02", "自来水管破裂"),
            ("03", "燃气管道破裂"),
            ("04", "下水道堵塞或破损"),
            ("05", "热力管道破裂"),
            ("06", "道路积水"),
            ("07", "道路积雪结冰"),
            ("08", "架空线缆损坏"),
            ("09", "群发性事件"),
        ],
    ),
    (
        "05",
        "街面秩序",
        [
            ("01", "无照经营游商"),
            ("02", "流浪乞讨"),
            ("03", "占道废品收购"),
            ("04", "店外经营"),
            ("05", "机动车乱停放"),
            ("06", "非机动车乱停放"),
            ("07", "乱堆物料"),
            ("08", "商业噪音"),
            ("09", "黑车拉客"),
            ("10", "露天烧烤"),
            ("11", "沿街晾挂"),
            ("12", "非法出版物销售"),
            ("13", "空调室外机低挂"),
        ],
    ),
    (
        "21",
        "扩展事件",
        [
            ("01", "群租"),
            ("02", "加装电梯"),
            ("03", "电动车违规充电"),
            ("04", "物业管理"),
            ("05", "噪声扰民"),
            ("06", "垃圾分类"),
            ("07", "违法搭建"),
            ("08", "非法营运"),
            ("09", "房屋承重结构损坏"),
            ("10", "独居老人关爱"),
            ("11", "邻里纠纷"),
            ("12", "停车管理"),
            ("13", "房屋渗漏"),
            ("99", "其他社区事项"),
        ],
    ),
]
COMPONENTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "01",
        "公用设施",
        [
            ("01", "上水井盖"),
            ("02", "污水井盖"),
            ("03", "雨水井盖"),
            ("04", "电力井盖"),
            ("05", "消防栓"),
            ("10", "路灯"),
        ],
    ),
    ("02", "道路交通", [("01", "交通信号灯"), ("02", "交通标志牌"), ("03", "道路护栏"), ("04", "人行道板")]),
    ("03", "市容环境", [("01", "公共厕所"), ("02", "垃圾箱"), ("03", "垃圾房"), ("04", "公共座椅")]),
    ("04", "园林绿化", [("01", "古树名木"), ("02", "行道树"), ("03", "绿地")]),
    ("05", "房屋土地", [("01", "公房"), ("02", "空房")]),
    ("06", "其它设施", [("99", "其他")]),
]
# The English names (Category.name_en), by code: shown to English users wherever a category is.
ENGLISH_NAMES = {
    "E": "Events",
    "C": "Components",
    "E01": "City appearance and environment",
    "E0101": "Unauthorised structures",
    "E0102": "Exposed rubbish",
    "E0103": "Accumulated rubbish and spoil",
    "E0104": "Dirty road",
    "E0105": "Polluted waterway",
    "E0106": "Littered green space",
    "E0107": "Abandoned vehicle",
    "E0199": "Other",
    "E02": "Advertising",
    "E0201": "Illegal flyers",
    "E0202": "Unauthorised posters and signboards",
    "E0203": "Billboard blocking the road",
    "E0204": "Leafleting in the street",
    "E0205": "Damaged advertising sign",
    "E03": "Construction management",
    "E0301": "Construction disturbance",
    "E0302": "Construction site dust",
    "E0303": "Construction waste",
    "E0304": "Construction occupying the road",
    "E0305": "Unlicensed road excavation",
    "E04": "Emergencies",
    "E0401": "Road collapse",
    "E0402": "Burst water main",
    "E0403": "Gas pipe rupture",
    "E0404": "Blocked or damaged sewer",
    "E0405": "Heating pipe rupture",
    "E0406": "Flooded road",
    "E0407": "Snow or ice on the road",
    "E0408": "Damaged overhead cables",
    "E0409": "Mass incident",
    "E05": "Street order",
    "E0501": "Unlicensed street vendors",
    "E0502": "Vagrancy and begging",
    "E0503": "Scrap collection on the road",
    "E0504": "Trading outside the shop",
    "E0505": "Illegally parked motor vehicles",
    "E0506": "Illegally parked bicycles and e-bikes",
    "E0507": "Materials piled in the street",
    "E0508": "Commercial noise",
    "E0509": "Unlicensed taxis touting",
    "E0510": "Open-air barbecue",
    "E0511": "Laundry hung along the street",
    "E0512": "Sale of illegal publications",
    "E0513": "Low-mounted air-conditioner unit",
    "E21": "Community matters",
    "E2101": "Group renting",
    "E2102": "Lift installation",
    "E2103": "Unsafe e-bike charging",
    "E2104": "Property management",
    "E2105": "Noise nuisance",
    "E2106": "Waste sorting",
    "E2107": "Illegal construction",
    "E2108": "Illegal transport services",
    "E2109": "Damaged load-bearing structure",
    "E2110": "Care for elderly people living alone",
    "E2111": "Neighbour dispute",
    "E2112": "Parking management",
    "E2113": "Leaking building",
    "E2199": "Other community matters",
    "C01": "Public utilities",
    "C0101": "Water supply manhole cover",
    "C0102": "Sewer manhole cover",
    "C0103": "Storm drain cover",
    "C0104": "Power manhole cover",
    "C0105": "Fire hydrant",
    "C0110": "Street light",
    "C02": "Roads and traffic",
    "C0201": "Traffic light",
    "C0202": "Traffic sign",
    "C0203": "Road guardrail",
    "C0204": "Pavement slabs",
    "C03": "Street furniture and sanitation",
    "C0301": "Public toilet",
    "C0302": "Litter bin",
    "C0303": "Refuse room",
    "C0304": "Public bench",
    "C04": "Parks and greenery",
    "C0401": "Old and notable tree",
    "C0402": "Street tree",
    "C0403": "Green space",
    "C05": "Buildings and land",
    "C0501": "Public housing",
    "C0502": "Vacant building",
    "C06": "Other facilities",
    "C0699": "Other",
}
EMERGENCY_CLASS = "E04"
DEFAULT_REQUEST_TYPES = {
    "E2101": "report",
    "E2102": "suggestion",
    "E2103": "report",
    "E2104": "complaint",
    "E2105": "complaint",
    "E2106": "suggestion",
    "E2107": "report",
    "E2108": "report",
    "E2109": "help",
    "E2110": "help",
    "E2111": "help",
    "E2113": "help",
    "E0101": "report",
    "E0301": "complaint",
    "E0308": "complaint",
}


def rows() -> list[dict[str, object]]:
    """Flat rows, parents before children (the English names: ENGLISH_NAMES)."""
    out: list[dict[str, object]] = [
        {"code": "E", "name": "事件", "parent": None, "kind": "event"},
        {"code": "C", "name": "部件", "parent": None, "kind": "component"},
    ]
    for prefix, kind, classes in (("E", "event", EVENTS), ("C", "component", COMPONENTS)):
        for class_code, class_name, subs in classes:
            code = f"{prefix}{class_code}"
            out.append(
                {
                    "code": code,
                    "name": class_name,
                    "parent": prefix,
                    "kind": kind,
                    "is_emergency": code == EMERGENCY_CLASS,
                }
            )
            for sub_code, sub_name in subs:
                full = f"{code}{sub_code}"
                out.append(
                    {
                        "code": full,
                        "name": sub_name,
                        "parent": code,
                        "kind": kind,
                        "default_request_type": DEFAULT_REQUEST_TYPES.get(full, ""),
                    }
                )
    return out


def load(category_model: Any) -> None:
    """Create the tree's missing rows (idempotent). Used by migration 0002 with the historical
    model, and by tests that run after a database flush (transactional tests empty the table)."""
    # The historical model of migration 0002 has no name_en yet (the later migration fills it).
    english = any(f.name == "name_en" for f in category_model._meta.get_fields())
    by_code: dict[str, Any] = {}
    for row in rows():
        parent = by_code.get(str(row["parent"])) if row["parent"] else None
        names = {"name_en": ENGLISH_NAMES.get(str(row["code"]), "")} if english else {}
        obj, _created = category_model.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "parent": parent,
                "kind": row["kind"],
                "is_emergency": row.get("is_emergency", False),
                "default_request_type": row.get("default_request_type", ""),
                **names,
            },
        )
        by_code[str(row["code"])] = obj


def fill_english_names(category_model: Any) -> None:
    """Give the shipped categories their English name where none is set (the data migration)."""
    for code, name in ENGLISH_NAMES.items():
        category_model.objects.filter(code=code, name_en="").update(name_en=name)


def ensure_loaded() -> None:
    from .models import Category

    if not Category.objects.filter(code="E").exists():
        load(Category)
