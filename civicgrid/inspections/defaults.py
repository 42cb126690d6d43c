"""The checklists shipped for each kind of place: a street's first revision is copied from
these (inspections.checklists.current) and then edited as its own. They are the street's data,
in the language it keeps its records in, not interface text. Items cite the rule they
come from; the hazard source ties an item to seed 003's eight sources (八大隐患)."""

from dataclasses import dataclass

from .choices import HazardSource as H
from .choices import PlaceKind as P
from .choices import Severity as S

FIRE_LAW = "《中华人民共和国消防法》"
SAFETY_LAW = "《中华人民共和国安全生产法》"
CHEMICALS = "《危险化学品安全管理条例》"
SH_FIRE = "《上海市消防条例》"
SH_EBIKE = "《上海市非机动车安全管理条例》"
SH_HOUSING = "《上海市住宅物业管理规定》"
SH_RENTING = "《上海市居住房屋租赁管理办法》"
BUILDING = "《建设工程安全生产管理条例》"


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    severity: str
    rule: str = ""
    hazard: str = ""


# Residential items shared by the kinds in or under housing (basements, group-rented flats, old blocks).
EBIKE = Item("EB01", "电动自行车在楼道、门厅、室内违规停放或充电", S.SERIOUS, SH_EBIKE, H.EBIKE_CHARGING)
CLUTTER = Item("HS01", "楼道、疏散通道堆放杂物", S.GENERAL, SH_FIRE, H.STAIRWELL_CLUTTER)
EXITS = Item("HS02", "占用、堵塞、封闭消防通道或安全出口", S.SERIOUS, FIRE_LAW, H.FIRE_EXITS)
WIRING = Item("HS03", "电线私拉乱接、超负荷用电", S.SERIOUS, SH_FIRE, H.WIRING)
GAS = Item("HS04", "燃气器具使用不规范（软管老化、无熄火保护、违规存放钢瓶）", S.SERIOUS, SH_FIRE, H.GAS)
EXTINGUISHERS = Item("HS05", "灭火器缺失、过期或压力不足", S.GENERAL, FIRE_LAW)

DEFAULTS: dict[str, tuple[str, tuple[Item, ...]]] = {
    P.CHEMICAL: (
        "危化品企业安全检查表",
        (
            Item("CH01", "危险化学品安全生产（经营）许可证在有效期内", S.MAJOR, CHEMICALS),
            Item("CH02", "危化品专用仓库分类分区存放，禁忌物料未混存", S.MAJOR, CHEMICALS),
            Item("CH03", "储存场所防爆电气、通风、泄漏报警装置完好", S.SERIOUS, CHEMICALS),
            Item("CH04", "出入库台账、双人保管双人收发制度落实", S.GENERAL, CHEMICALS),
            Item("CH05", "生产安全事故应急预案已备案并定期演练", S.GENERAL, SAFETY_LAW),
            Item("CH06", "特种作业人员持证上岗", S.SERIOUS, SAFETY_LAW),
            EXTINGUISHERS,
        ),
    ),
    P.PARK: (
        "产业园区安全检查表",
        (
            Item("PK01", "园区安全管理机构和管理人员明确", S.GENERAL, SAFETY_LAW),
            Item("PK02", "入驻企业安全生产责任书签订、台账完整", S.GENERAL, SAFETY_LAW),
            Item("PK03", "消防车通道畅通，消防设施定期维保", S.SERIOUS, FIRE_LAW, H.FIRE_EXITS),
            Item("PK04", "企业应急预案抽查（内容、演练记录）", S.GENERAL, SAFETY_LAW),
            Item("PK05", "无违法搭建、无擅自改变房屋用途", S.SERIOUS, SH_HOUSING, H.ILLEGAL_BUILDING),
            WIRING,
        ),
    ),
    P.SITE: (
        "建筑工地安全检查表",
        (
            Item("ST01", "施工许可证、安全生产许可证齐全", S.SERIOUS, BUILDING),
            Item("ST02", "深基坑、高支模、脚手架等危大工程专项方案落实", S.MAJOR, BUILDING),
            Item("ST03", "施工临时用电三级配电两级保护", S.SERIOUS, BUILDING, H.WIRING),
            Item("ST04", "动火作业审批和看护到位", S.SERIOUS, FIRE_LAW),
            Item("ST05", "工人宿舍无违规用电、无电动自行车室内充电", S.SERIOUS, SH_EBIKE, H.EBIKE_CHARGING),
            Item("ST06", "围挡、扬尘、夜间施工管理符合规定", S.MINOR, BUILDING),
        ),
    ),
    P.BASEMENT: (
        "居民区地下空间安全检查表",
        (
            Item("BS01", "地下空间未违规住人、未擅自改变用途", S.MAJOR, SH_HOUSING),
            Item("BS02", "防汛设施（挡水板、排水泵）完好", S.GENERAL, SH_HOUSING),
            Item("BS03", "应急照明、疏散指示标志完好", S.GENERAL, FIRE_LAW),
            EBIKE,
            CLUTTER,
            EXTINGUISHERS,
        ),
    ),
    P.PETROL: (
        "加油站安全检查表",
        (
            Item("PT01", "成品油零售经营许可证、危险化学品经营许可证有效", S.MAJOR, CHEMICALS),
            Item("PT02", "卸油作业规程执行、油气回收装置正常", S.SERIOUS, CHEMICALS),
            Item("PT03", "加油区严禁烟火、禁打手机标志齐全", S.GENERAL, FIRE_LAW),
            Item("PT04", "灭火毯、灭火器、消防沙配备到位", S.SERIOUS, FIRE_LAW),
            Item("PT05", "应急预案已备案并每半年演练", S.GENERAL, SAFETY_LAW),
            Item("PT06", "站内无违规销售散装汽油", S.MAJOR, CHEMICALS),
        ),
    ),
    P.SMALL: (
        "沿街商铺和小场所安全检查表",
        (
            Item("SM01", "无“三合一”（住宿与经营、仓储合用）现象", S.MAJOR, SH_FIRE),
            Item("SM02", "安全出口不少于规定数量，门窗无影响逃生的障碍物", S.SERIOUS, FIRE_LAW, H.FIRE_EXITS),
            WIRING,
            GAS,
            EXTINGUISHERS,
            Item("SM03", "无违法搭建、无占用公共部位经营", S.GENERAL, SH_HOUSING, H.ILLEGAL_BUILDING),
        ),
    ),
    P.GROUP_RENT: (
        "群租房检查表",
        (
            Item("GR01", "擅自分隔搭建（隔断、高低床）", S.SERIOUS, SH_RENTING, H.GROUP_RENTING),
            Item(
                "GR02",
                "居住人数超过规定（人均面积不足或每间超过 2 人）",
                S.SERIOUS,
                SH_RENTING,
                H.GROUP_RENTING,
            ),
            Item("GR03", "厨房、卫生间、阳台、地下室出租供人居住", S.SERIOUS, SH_RENTING, H.GROUP_RENTING),
            WIRING,
            EBIKE,
            CLUTTER,
        ),
    ),
    P.CHARGING: (
        "电动自行车充电点检查表",
        (
            Item("CG01", "充电设施具备定时断电、过载保护功能", S.SERIOUS, SH_EBIKE, H.EBIKE_CHARGING),
            Item("CG02", "充电区与住宅、疏散通道保持安全距离", S.SERIOUS, SH_EBIKE, H.EBIKE_CHARGING),
            Item("CG03", "充电区配备灭火器材和监控", S.GENERAL, FIRE_LAW),
            Item("CG04", "雨棚、线路完好，无私接电源", S.GENERAL, SH_FIRE, H.WIRING),
            Item("CG05", "管理责任人和巡查记录明确", S.MINOR, SH_EBIKE),
        ),
    ),
    P.OLD_BLOCK: (
        "老旧房屋安全检查表",
        (
            Item("OB01", "承重墙、梁、柱无擅自拆改，无明显裂缝、变形", S.MAJOR, SH_HOUSING, H.LOAD_BEARING),
            Item("OB02", "阳台、外墙、屋面无脱落、坠落风险", S.SERIOUS, SH_HOUSING),
            Item("OB03", "无违法搭建（屋顶、天井、外挑）", S.SERIOUS, SH_HOUSING, H.ILLEGAL_BUILDING),
            WIRING,
            GAS,
            CLUTTER,
            EBIKE,
        ),
    ),
}
