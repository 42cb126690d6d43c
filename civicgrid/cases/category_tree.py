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
    """Flat rows, parents before children."""
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
    by_code: dict[str, Any] = {}
    for row in rows():
        parent = by_code.get(str(row["parent"])) if row["parent"] else None
        obj, _created = category_model.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "parent": parent,
                "kind": row["kind"],
                "is_emergency": row.get("is_emergency", False),
                "default_request_type": row.get("default_request_type", ""),
            },
        )
        by_code[str(row["code"])] = obj


def ensure_loaded() -> None:
    from .models import Category

    if not Category.objects.filter(code="E").exists():
        load(Category)
