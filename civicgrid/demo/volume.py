"""How much demo there is and how it is spread: the one place to change the demo's volume
and shares (cases.py has the texts and the showcase stories, history.py plays the rest).

A street of the kind the demo shows receives a few thousand orders a year: 12345 the biggest
share, then the grid workers' patrols; a handful of categories (noise, sublets, illegal
building, rubbish, parking, e-bike charging) carry most of them. Weights are relative.
"""

from civicgrid.cases.choices import Channel

# Orders per street over the demo's year (the showcase stories included).
CASES_PER_STREET = 3000
# Of those, the first ones per street are played through cases.actions one by one: every
# state, merge, extension, return, supervision and inbox notice of the loop (cases.py). The
# others arrive through the bulk path with their history (history.py).
SHOWCASE_PER_STREET = 40

CHANNELS: dict[str, float] = {
    Channel.HOTLINE: 44,
    Channel.PATROL: 19,
    Channel.WEB: 12,
    Channel.WALK_IN: 7,
    Channel.PHONE: 4,  # calls to the street's own desk (not 12345)
    Channel.DOOR_TO_DOOR: 6,
    Channel.INSPECTION: 5,
    Channel.SENSOR: 3,
}

# Category code → weight: a long tail (the first six carry about two thirds).
CATEGORIES: dict[str, float] = {
    "E2105": 15,  # 噪声扰民
    "E2101": 11,  # 群租
    "E2107": 10,  # 违法搭建
    "E2106": 9,  # 垃圾分类、箱房
    "E0505": 9,  # 乱停车
    "E2103": 8,  # 电动自行车违规充电
    "E2104": 6,  # 物业管理
    "E2112": 3,  # 小区停车
    "E2113": 3,  # 房屋渗漏
    "E2111": 3,  # 邻里纠纷
    "E2102": 2.5,  # 加装电梯
    "E0504": 2.5,  # 店外经营
    "E0102": 2,  # 暴露垃圾
    "E0301": 2,  # 夜间施工
    "E0506": 2,  # 共享单车
    "E0501": 1.5,  # 无证摊贩
    "E0510": 1,  # 露天烧烤
    "E0201": 1,  # 小广告
    "E0404": 1,  # 下水道堵塞
    "E0406": 1,  # 道路积水
    "C0110": 1,  # 路灯
    "E2110": 1,  # 独居老人
    "E2108": 0.8,  # 黑车
    "E2199": 0.8,  # 其他社区事项
    "C0102": 0.5,  # 井盖
    "E0402": 0.3,  # 爆管
    "E2109": 0.3,  # 破坏承重结构
}
# Seasons: a category's weight times this in the months named (rain in the plum season and
# typhoons, summer nights with open windows, the heating of rubbish rooms).
SEASONAL: dict[str, dict[int, float]] = {
    "E0406": {6: 6, 7: 6, 8: 4, 9: 3},
    "E0404": {6: 2, 7: 2, 8: 2},
    "E2105": {6: 1.3, 7: 1.5, 8: 1.5},
    "E2106": {7: 1.4, 8: 1.4},
    "E0510": {6: 2, 7: 3, 8: 3, 9: 2},
    "E2103": {12: 1.3, 1: 1.3},
}
# Orders per day by month (Spring Festival in January/February: fewer) and weekday (Monday
# brings the weekend's matters; the hotline never closes).
MONTHS: dict[int, float] = {
    1: 0.85,
    2: 0.75,
    3: 1.0,
    4: 1.0,
    5: 1.05,
    6: 1.1,
    7: 1.2,
    8: 1.2,
    9: 1.05,
    10: 0.95,
    11: 0.95,
    12: 0.9,
}
WEEKDAYS: tuple[float, ...] = (1.25, 1.1, 1.05, 1.05, 1.0, 0.75, 0.7)

# What becomes of an order (history.py): shares of all the bulk orders.
REJECTED = 0.03  # 不予立案
SUSPENDED = 0.006  # 挂起, more than a month ago
STUCK = 0.008  # left open past its limit (overdue when the demo is loaded)
LATE = 0.03  # closed, but after the handling limit
DESK_ANSWERS = 0.85  # of inquiries and suggestions: answered and closed by the desk
UNREACHED = 0.05  # callbacks that do not reach the requester

# What the showcase shows of the place (cases.py): per street, 12345 orders whose address
# matches no building and no point — left in 待定位, and corrected by the desk (更正位置) soon
# after they arrive — and web reports whose map point and building lie in different grids
# (网格冲突), left for the desk to choose. Of the showcase orders, this share is placed in the
# grid worker's own grids, so that they verify them on site with a GPS check-in (签到); a
# check-in of this share is far from the case (flagged).
TO_LOCATE = 4
RELOCATED = 2
GRID_CONFLICTS = 2
IN_GRIDWORKER_GRIDS = 0.35
CHECKIN_FAR = 0.1
# Of the closed orders with a reporter who left a phone, this share is rated by the reporter
# through the tracking link of their text message (居民评价) — the desk calls back all the same.
RESIDENT_RATES = 0.25

# The grid workers' patrols (patrols.py): on this many working days of each of the last weeks,
# this long (minutes), a position every POINT_MINUTES (the phone posts more often; the demo
# keeps the track light); on this share of them the worker finds something and reports it.
PATROL_WEEKS = 6
PATROLS_PER_WEEK = 4
PATROL_MINUTES = (60, 150)
POINT_MINUTES = 3
PATROL_FINDS = 0.25
# Of the showcase's closed cases, this share has a photo of the result made public by the desk.
PUBLIC_PHOTOS = 0.15
# Of the web reports from the demo resident's residential area, the share the demo resident
# account made (我的反映; the others are their neighbours'); the showcase's grid conflicts are theirs too.
RESIDENT_OWN = 0.12
