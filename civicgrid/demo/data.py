"""The static description of the demo data set: four real sub-districts of the seed
newsletters, their residential areas, buildings, handling units and demo accounts.

Place names, the residential areas named in the newsletters and the handling units they
mention (陆家嘴城管中队, 梅园派出所, 平凉路派出所, 天平路派出所, 平凉/天平社区卫生服务中心; the
gas company's service point by 乳山路235弄, under an invented name) are real. Everything
else is plausible invention: the other residential areas, house numbers, floors and years,
companies, every person and every phone number. builder.py turns this description into
polygons and points.
"""

from dataclasses import dataclass, field

from civicgrid.core.choices import Role

DEMO_PASSWORD = "demo-civicgrid"


@dataclass(frozen=True)
class BuildingGroup:
    """Buildings sharing an address prefix: `乳山路235弄` + 1…4 → `乳山路235弄1号`…;
    `崂山二村` + 11 → `崂山二村11号`. With `entry` the prefix itself (a lane, 弄) is a building too."""

    prefix: str
    numbers: tuple[int, ...] = ()
    floors: int = 6
    built_year: int | None = None
    households_per_floor: int = 4
    names: tuple[tuple[int, str], ...] = ()
    entry: bool = False
    entry_name: str = ""


def nums(first: int, last: int, step: int = 1) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


@dataclass(frozen=True)
class ResidentialSpec:
    name: str  # without 居民区: "明园村"
    grids: int  # 3–6 comprehensive grids
    buildings: tuple[BuildingGroup, ...]


@dataclass(frozen=True)
class PropertyCompany:
    name: str
    areas: tuple[str, ...]  # residential areas it manages


@dataclass(frozen=True)
class OwnersCommittee:
    name: str
    area: str


@dataclass(frozen=True)
class StreetSpec:
    key: str  # account prefix: lujiazui
    code: str  # 9 digits
    name: str  # 陆家嘴街道
    short: str  # 陆家嘴
    district: str  # district code
    center: tuple[float, float]  # approx. WGS84 lon, lat of the real sub-district
    size: tuple[float, float]  # extent in degrees (lon, lat)
    residential: tuple[ResidentialSpec, ...]
    urban_management: str
    police: str
    housing: str
    market: str
    health: str
    properties: tuple[PropertyCompany, ...]
    owners_committees: tuple[OwnersCommittee, ...]
    office_address: str
    # Demo accounts: invented people; where the narrow roles are bound.
    people: dict[str, str] = field(default_factory=dict)
    cadre_area: str = ""
    resident_area: str = ""
    gridworker_area: str = ""
    gridworker_grids: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    water: str
    gas: str
    power: str


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("310104", "徐汇区", "徐汇供水服务所", "徐汇燃气客户服务站", "徐汇供电服务中心"),
    DistrictSpec("310110", "杨浦区", "杨浦供水服务所", "杨浦燃气客户服务站", "杨浦供电服务中心"),
    # The newsletter names a gas service point north of 乳山路235弄.
    DistrictSpec("310115", "浦东新区", "浦东供水服务所", "浦东燃气陆家嘴服务部", "浦东供电服务中心"),
)

B = BuildingGroup
R = ResidentialSpec

STREETS: tuple[StreetSpec, ...] = (
    StreetSpec(
        key="pingliang",
        code="310110002",
        name="平凉路街道",
        short="平凉",
        district="310110",
        center=(121.535, 31.262),
        size=(0.026, 0.018),
        residential=(
            R(
                "明园村",
                5,
                (
                    B("平凉路1500弄", nums(1, 8), floors=5, built_year=1958, households_per_floor=6),
                    B("隆昌路600弄", nums(1, 4), floors=6, built_year=1986),
                ),
            ),
            R(
                "隆仁",
                4,
                (
                    B("隆昌路362弄", nums(1, 6), floors=6, built_year=1984),
                    B("平凉路1399弄", nums(1, 5), floors=7, built_year=1992),
                ),
            ),
            R(
                "嘉禄",
                4,
                (
                    B("兰州路565弄", nums(1, 6), floors=6, built_year=1982),
                    B("眉州路160弄", nums(1, 5), floors=5, built_year=1976),
                ),
            ),
            R(
                "八埭头",
                6,
                (
                    B("杨树浦路1960弄", nums(1, 6), floors=3, built_year=1936, households_per_floor=5),
                    B("平凉路1755弄", nums(1, 6), floors=2, built_year=1930, households_per_floor=6),
                    B("通北路400弄", nums(1, 4), floors=6, built_year=1989),
                ),
            ),
            R(
                "平凉",
                4,
                (
                    B("平凉路1250弄", nums(1, 8), floors=6, built_year=1987),
                    B("宁国路313弄", nums(1, 4), floors=12, built_year=1998, households_per_floor=6),
                ),
            ),
            R(
                "松潘",
                3,
                (
                    B("松潘路58弄", nums(1, 6), floors=6, built_year=1990),
                    B("平凉路2077弄", nums(1, 3), floors=18, built_year=2004, households_per_floor=6),
                ),
            ),
            R(
                "兰州",
                4,
                (
                    B("兰州路800弄", nums(1, 8), floors=6, built_year=1983),
                    B("许昌路227弄", nums(1, 3), floors=5, built_year=1979),
                ),
            ),
            R(
                "龙江",
                3,
                (
                    B("龙江路88弄", nums(1, 8), floors=6, built_year=1988),
                    B("龙江路", (152,), floors=4, built_year=1995, households_per_floor=2),
                ),
            ),
        ),
        urban_management="平凉路城管中队",
        police="平凉路派出所",
        housing="平凉路街道房管办",
        market="平凉市场监管所",
        health="平凉社区卫生服务中心",
        properties=(
            PropertyCompany("上海杨浦平安居物业管理有限公司", ("明园村", "隆仁", "平凉")),
            PropertyCompany("上海东沪物业服务有限公司", ("嘉禄", "八埭头", "兰州")),
            PropertyCompany("上海滨江宜家物业有限公司", ("松潘", "龙江")),
        ),
        owners_committees=(
            OwnersCommittee("宁国路313弄业主委员会", "平凉"),
            OwnersCommittee("平凉路2077弄业主委员会", "松潘"),
        ),
        office_address="平凉路1360号",
        people={
            Role.ADMIN: "秦志远",
            Role.DISPATCHER: "戴晓岚",
            Role.GRID_WORKER: "卢建军",
            Role.CADRE: "任美华",
            Role.HANDLER: "邵国栋",
            Role.LEADER: "钱文博",
            Role.RESIDENT: "冯桂芳",
        },
        cadre_area="明园村",
        resident_area="隆仁",
        gridworker_area="明园村",
        gridworker_grids=(1, 2),
    ),
    StreetSpec(
        key="wujiaochang",
        code="310110012",
        name="五角场街道",
        short="五角场",
        district="310110",
        center=(121.512, 31.300),
        size=(0.024, 0.018),
        residential=(
            R(
                "国定支路",
                5,
                (
                    B("国定支路", nums(16, 40, 4), floors=6, built_year=1985, households_per_floor=3),
                    B("国定路335弄", nums(1, 6), floors=6, built_year=1981),
                ),
            ),
            R(
                "三门路",
                5,
                (
                    B(
                        "三门路358弄",
                        nums(1, 6),
                        floors=6,
                        built_year=1993,
                        entry=True,
                        entry_name="综合为老服务中心",
                    ),
                    B("三门路461弄", nums(1, 6), floors=11, built_year=2001, households_per_floor=6),
                ),
            ),
            R(
                "大学路",
                4,
                (
                    B("大学路", nums(100, 150, 10), floors=4, built_year=2008, households_per_floor=2),
                    B("国权东路61弄", nums(1, 6), floors=6, built_year=1984),
                ),
            ),
            R(
                "政立路",
                4,
                (
                    B("政立路580弄", nums(1, 8), floors=6, built_year=1995),
                    B("政立路", (485,), floors=24, built_year=2009, households_per_floor=8),
                ),
            ),
            R(
                "政民路",
                3,
                (
                    B("政民路318弄", nums(1, 8), floors=6, built_year=1996),
                    B("政民路", (507,), floors=5, built_year=1999, households_per_floor=2),
                ),
            ),
            R(
                "翔殷路",
                4,
                (
                    B("翔殷路1088弄", nums(1, 6), floors=6, built_year=1991),
                    B("翔殷路1128弄", nums(1, 4), floors=14, built_year=2003, households_per_floor=6),
                ),
            ),
            R(
                "政通路",
                3,
                (
                    B("政通路240弄", nums(1, 8), floors=6, built_year=1997),
                    B("政通路", (189,), floors=5, built_year=2000, households_per_floor=2),
                ),
            ),
            R(
                "民星",
                4,
                (
                    B("民星路100弄", nums(1, 6), floors=6, built_year=1994),
                    B("民京路918弄", nums(1, 6), floors=6, built_year=1998),
                ),
            ),
        ),
        urban_management="五角场城管中队",
        police="五角场派出所",
        housing="五角场街道房管办",
        market="五角场市场监管所",
        health="五角场社区卫生服务中心",
        properties=(
            PropertyCompany("上海五角场宜居物业管理有限公司", ("国定支路", "三门路", "政立路")),
            PropertyCompany("上海复新物业服务有限公司", ("大学路", "政民路", "政通路")),
            PropertyCompany("上海翔殷物业有限公司", ("翔殷路", "民星")),
        ),
        owners_committees=(
            OwnersCommittee("三门路461弄业主委员会", "三门路"),
            OwnersCommittee("翔殷路1128弄业主委员会", "翔殷路"),
        ),
        office_address="国定路335号",
        people={
            Role.ADMIN: "韦明哲",
            Role.DISPATCHER: "柏雨婷",
            Role.GRID_WORKER: "贺立新",
            Role.CADRE: "葛秀英",
            Role.HANDLER: "岑浩然",
            Role.LEADER: "潘思源",
            Role.RESIDENT: "廉春生",
        },
        cadre_area="国定支路",
        resident_area="三门路",
        gridworker_area="三门路",
        gridworker_grids=(1,),
    ),
    StreetSpec(
        key="tianping",
        code="310104003",
        name="天平路街道",
        short="天平",
        district="310104",
        center=(121.445, 31.205),
        size=(0.024, 0.020),
        residential=(
            R(
                "陕西",
                4,
                (
                    B("陕西南路330弄", nums(1, 6), floors=3, built_year=1934, households_per_floor=3),
                    B("陕西南路", nums(350, 370, 10), floors=4, built_year=1930, households_per_floor=2),
                ),
            ),
            R(
                "康平",
                4,
                (
                    B("康平路100弄", nums(1, 8), floors=6, built_year=1988),
                    B("康平路", (141,), floors=3, built_year=1936, households_per_floor=2),
                ),
            ),
            R(
                "桃源村",
                3,
                (
                    B("建国西路365弄", nums(1, 8), floors=3, built_year=1932, households_per_floor=3),
                    B("桃江路", nums(20, 30, 5), floors=3, built_year=1935, households_per_floor=2),
                ),
            ),
            R(
                "永嘉新村",
                5,
                (
                    B("永嘉路492弄", nums(1, 4), floors=3, built_year=1947, entry=True, entry_name="嘉园"),
                    B("永嘉路580弄", nums(1, 9), floors=3, built_year=1947, households_per_floor=3),
                ),
            ),
            R(
                "天平",
                4,
                (
                    B(
                        "乌鲁木齐南路",
                        (60, 66, 72),
                        floors=4,
                        built_year=1948,
                        households_per_floor=2,
                        names=((66, "66梧桐院·邻里汇"),),
                    ),
                    B("天平路40弄", nums(1, 6), floors=6, built_year=1985),
                ),
            ),
            R(
                "高安",
                4,
                (
                    B("高安路19弄", nums(1, 6), floors=3, built_year=1938, households_per_floor=3),
                    B("复兴中路1330弄", nums(1, 4), floors=12, built_year=1999, households_per_floor=4),
                ),
            ),
            R(
                "建襄",
                3,
                (
                    B("建国西路640弄", nums(1, 6), floors=3, built_year=1933, households_per_floor=3),
                    B("襄阳南路", (500, 512), floors=6, built_year=1990),
                ),
            ),
            R(
                "宛平",
                3,
                (
                    B("宛平路", nums(8, 20, 4), floors=5, built_year=1954, households_per_floor=3),
                    B("衡山路", (930,), floors=20, built_year=2005, households_per_floor=4),
                ),
            ),
            R(
                "吴兴",
                4,
                (
                    B("吴兴路277弄", nums(1, 8), floors=6, built_year=1987),
                    B("广元路", (150, 156), floors=6, built_year=1992),
                ),
            ),
        ),
        urban_management="天平城管中队",
        police="天平路派出所",
        housing="天平路街道房管办",
        market="天平市场监管所",
        health="天平社区卫生服务中心",
        properties=(
            PropertyCompany("上海徐汇衡复物业管理有限公司", ("陕西", "康平", "桃源村")),
            PropertyCompany("上海梧桐里物业服务有限公司", ("永嘉新村", "天平", "高安")),
            PropertyCompany("上海汇平物业有限公司", ("建襄", "宛平", "吴兴")),
        ),
        owners_committees=(
            OwnersCommittee("复兴中路1330弄业主委员会", "高安"),
            OwnersCommittee("衡山路930号业主委员会", "宛平"),
        ),
        office_address="天平路240号",
        people={
            Role.ADMIN: "沈怀瑾",
            Role.DISPATCHER: "陶佳琪",
            Role.GRID_WORKER: "孟庆华",
            Role.CADRE: "顾雅琴",
            Role.HANDLER: "严卫东",
            Role.LEADER: "蒋一鸣",
            Role.RESIDENT: "汤婉如",
        },
        cadre_area="永嘉新村",
        resident_area="康平",
        gridworker_area="永嘉新村",
        gridworker_grids=(1, 2),
    ),
    StreetSpec(
        key="lujiazui",
        code="310115005",
        name="陆家嘴街道",
        short="陆家嘴",
        district="310115",
        center=(121.522, 31.232),
        size=(0.030, 0.022),
        residential=(
            R(
                "崂山",
                5,
                (
                    B("崂山二村", nums(1, 16), floors=5, built_year=1956, households_per_floor=6),
                    B("崂山路", (571,), floors=6, built_year=1990),
                ),
            ),
            R(
                "福山",
                4,
                (
                    # Four six-storey blocks waiting for lifts (seed 004).
                    B("乳山路235弄", nums(1, 4), floors=6, built_year=1987),
                    B("福山路450弄", nums(1, 6), floors=6, built_year=1984),
                ),
            ),
            R(
                "松山",
                4,
                (
                    B("松山路", nums(38, 58, 4), floors=6, built_year=1983),
                    B("浦东南路855弄", nums(1, 4), floors=20, built_year=1997, households_per_floor=6),
                ),
            ),
            R(
                "东一",
                3,
                (
                    B("东昌路480弄", nums(1, 6), floors=6, built_year=1982),
                    B("东方路69弄", nums(1, 4), floors=6, built_year=1985),
                ),
            ),
            R(
                "市新",
                4,
                (
                    B("南泉北路201弄", nums(1, 8), floors=6, built_year=1989),
                    B("商城路738弄", nums(1, 3), floors=24, built_year=2001, households_per_floor=6),
                ),
            ),
            R(
                "梅园",
                5,
                (
                    B("梅园新村", nums(1, 12), floors=5, built_year=1960, households_per_floor=6),
                    B("浦东南路1101弄", nums(1, 4), floors=18, built_year=2000, households_per_floor=6),
                ),
            ),
            R(
                "乳山",
                4,
                (
                    B("乳山新村", nums(1, 10), floors=5, built_year=1961, households_per_floor=6),
                    B("乳山路", (60, 68), floors=6, built_year=1986),
                ),
            ),
            R(
                "东昌",
                3,
                (
                    B("东昌新村", nums(1, 8), floors=5, built_year=1959, households_per_floor=6),
                    B("东昌路", (318,), floors=7, built_year=1993),
                ),
            ),
            R(
                "峨山",
                3,
                (
                    B("峨山路91弄", nums(1, 8), floors=6, built_year=1986),
                    B("潍坊路", (15, 21), floors=6, built_year=1988),
                ),
            ),
            R(
                "源深",
                4,
                (
                    B("源深路", (100, 108, 116), floors=6, built_year=1991),
                    B("张杨路1361弄", nums(1, 6), floors=14, built_year=1999, households_per_floor=6),
                ),
            ),
        ),
        urban_management="陆家嘴城管中队",
        police="梅园派出所",
        housing="陆家嘴街道房管办",
        market="陆家嘴市场监管所",
        health="陆家嘴社区卫生服务中心",
        properties=(
            PropertyCompany("上海陆家嘴东昌物业管理有限公司", ("崂山", "福山", "松山", "东一")),
            PropertyCompany("上海浦东新梅物业服务有限公司", ("市新", "梅园", "乳山")),
            PropertyCompany("上海源深物业有限公司", ("东昌", "峨山", "源深")),
        ),
        owners_committees=(
            OwnersCommittee("崂山二村业主委员会", "崂山"),
            OwnersCommittee("乳山路235弄业主委员会", "福山"),
            OwnersCommittee("商城路738弄业主委员会", "市新"),
        ),
        office_address="浦东南路1101号",
        people={
            Role.ADMIN: "俞嘉诚",
            Role.DISPATCHER: "施晓雯",
            Role.GRID_WORKER: "方建平",
            Role.CADRE: "黎玉珍",
            Role.HANDLER: "房振宇",
            Role.LEADER: "齐柏松",
            Role.RESIDENT: "毕玉兰",
        },
        cadre_area="崂山",
        resident_area="福山",
        gridworker_area="崂山",
        gridworker_grids=(1,),
    ),
)

# The addresses named in the newsletters; the demo must contain every one of them.
SEED_ADDRESSES: tuple[tuple[str, str, str], ...] = (
    # (address, street key, residential area)
    ("崂山二村11号", "lujiazui", "崂山"),
    ("乳山路235弄1号", "lujiazui", "福山"),
    ("乳山路235弄2号", "lujiazui", "福山"),
    ("乳山路235弄3号", "lujiazui", "福山"),
    ("乳山路235弄4号", "lujiazui", "福山"),
    ("永嘉路492弄", "tianping", "永嘉新村"),
    ("乌鲁木齐南路66号", "tianping", "天平"),
    ("三门路358弄", "wujiaochang", "三门路"),
    ("国定支路28号", "wujiaochang", "国定支路"),
)

# Titles on the demo memberships.
ROLE_TITLES: dict[str, str] = {
    Role.ADMIN: "街道管理员",
    Role.DISPATCHER: "城运分中心调度员",
    Role.GRID_WORKER: "专职网格员",
    Role.CADRE: "居委会主任",
    Role.HANDLER: "城管队员",
    Role.LEADER: "街道办事处副主任",
    Role.RESIDENT: "居民",
}

# Invented contact people for the units, drawn in a fixed, seeded order.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩邓冯曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN_NAMES = (
    "建华",
    "丽娟",
    "志强",
    "美玲",
    "国庆",
    "晓燕",
    "伟民",
    "静怡",
    "海涛",
    "秀兰",
    "俊杰",
    "玉梅",
    "振华",
    "雪琴",
    "永平",
    "佳慧",
    "德明",
    "红霞",
    "文斌",
    "春燕",
)
