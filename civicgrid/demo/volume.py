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

# The registry (residents.py): persons per street, at most — a street whose buildings hold
# fewer (天平路's garden houses) has what its flats hold. Flats per building are its declared
# households (floors × flats per floor); when the street's flats would hold more persons, a
# share of each building's flats is registered (a committee's registry is never complete).
RESIDENTS_PER_STREET = 5000
# Shares of a building's flats by use; in this share of buildings the ground floor has
# shops, SHOP_FLATS of its flats used commercially.
FLAT_USES: dict[str, float] = {"owner": 68, "rented": 19, "group_rented": 2.5, "vacant": 10.5}
SHOP_BUILDINGS = 0.2
SHOP_FLATS = 0.6
# Households of owner-occupied flats by kind (residents.py: ages and members of each); the
# old city: about 36% of the persons are 60 or older.
OWNER_HOUSEHOLDS: dict[str, float] = {
    "alone_old": 14,  # one person of 70+: 独居老人
    "single": 7,
    "old_couple": 27,
    "couple": 8,
    "family": 16,
    "three_generations": 12,
    "parent_and_child": 12,
    "grandparents": 6,
}
TENANT_HOUSEHOLDS: dict[str, float] = {"single": 40, "couple": 32, "family": 28}
# Residence status of owner-occupied households (tenants are 流动 or 人在户不在).
OWNER_RESIDENCE: dict[str, float] = {
    "registered": 80,
    "resident": 8,
    "living_unregistered": 8,
    "registered_away": 3,
    "away": 1,
}
TENANT_MIGRANT = 0.75
# Care tags: shares of persons (低保: of households, all members tagged), or a handful per street.
MINIMUM_INCOME = 0.015
DISABILITY = {"under60": 0.02, "60+": 0.045}  # of persons; grades 1–4 by DISABILITY_GRADES
DISABILITY_GRADES: dict[str, float] = {"1": 12, "2": 23, "3": 30, "4": 35}
ILLNESS = {"under60": 0.005, "60+": 0.02}
CHILD_IN_DIFFICULTY = {"low_income": 0.3, "other": 0.004}  # of children under 18
MARTYR = 0.002  # of persons of 60+
CORRECTION_PER_STREET = 3
RELEASED_PER_STREET = 4
# The street's own kinds: 失独家庭 (couples of 60+ who lost their only child), of old couples.
BEREAVED_PARENTS = 0.05
# Visits (走访) over the year before the load at about the profile's interval: each visit
# after the last one in 0.75–1.1 intervals; after this share of visits the next is missed
# (a gap of 1–3 intervals); this share of the households visited is overdue on the load day,
# and in each cadre's own area at least OVERDUE_SHOWN households of elderly living alone.
VISIT_STEP = (0.75, 1.1)
VISIT_MISSED = 0.03
VISITS_OVERDUE = 0.12
OVERDUE_SHOWN = 4
# How a visit is made: the weekly visit of an elderly person living alone is often a call.
VISIT_METHODS: dict[str, float] = {"door": 78, "phone": 17, "outside": 5}
VISIT_METHODS_WEEKLY: dict[str, float] = {"door": 50, "phone": 45, "outside": 5}
VISIT_FOLLOW_UP = 0.08
# Door visits of the last CHECKIN_DAYS were recorded on the phone form, with a GPS check-in
# this many metres from the building.
CHECKIN_DAYS = 60
CHECKIN_METRES = (5, 80)

# The 知情 examinations (exams.py): how well each street's cadre knows her households — the
# share of facts she recalls — by the street's place in the plan; at 0.97 and more she is
# usually graded 一级 and sits the re-check round a month later.
EXAM_RECALL = (0.985, 0.9, 0.975, 0.8)
# The first round this many days before the day of loading; the re-check round a month after it.
EXAM_FIRST_DAYS_AGO = 150
EXAM_RECHECK_AFTER_DAYS = 30

# Safety inspections (demo/inspections.py): places per street by kind, (fewest, most); group-rented
# flats are taken from the registry's flats let out (出租/群租).
INSPECTION_PLACES: dict[str, tuple[int, int]] = {
    "chemical": (3, 6),
    "park": (1, 3),
    "site": (3, 8),
    "basement": (15, 30),
    "petrol": (1, 3),
    "small": (80, 200),
    "group_rent": (20, 50),
    "charging": (20, 40),
    "old_block": (10, 30),
}
# Risk levels of a new place (weights), and each failed item's chance by the place's risk.
PLACE_RISK: dict[str, float] = {"low": 55, "medium": 30, "high": 12, "major": 3}
ITEM_FAILS: dict[str, float] = {"low": 0.006, "medium": 0.015, "high": 0.04, "major": 0.07}
# A share of the places a unit answers for (a property firm, a market).
PLACE_BY_UNIT = 0.1
# A past task missed (cancelled) instead of inspected; in the current period, the share done
# grows with the days gone.
TASK_CANCELLED = 0.03
# Of the older orders: reported upward, cancelled (the rest closed after re-inspection).
ORDER_REPORTED = 0.03
ORDER_CANCELLED = 0.03
# The group-renting campaign: the sweep's findings (weights; no access at one door in
# SWEEP_NO_ACCESS_EVERY), the days it spans and the share of the area's buildings swept.
SWEEP_FINDINGS: dict[str, float] = {"clean": 95, "suspected": 2, "group_rent": 3}
SWEEP_NO_ACCESS_EVERY = 9
SWEEP_DAYS = 60
SWEEP_BUILDING_SHARE = 0.6

# Residents' committee elections (demo/elections.py, seed 001: 16 committees, 13 by all voters or
# household representatives, 3 by residents' group representatives). Each street's round has
# one committee per residential area; the methods in this order, the rest by all voters.
ELECTION_METHODS: tuple[str, ...] = ("representative", "household", "representative", "household")
# Where the committees stand on the load day, from the area after the finished one on (the
# others wait to be prepared); a couple deferred for 旧区改造 where the street has enough areas.
ELECTION_STEPS: tuple[str, ...] = (
    "nominated",
    "listed",
    "registered",
    "registering",
    "deferred",
    "groups",
    "committee",
    "deferred",
)
# Seats of a committee (5–9) by its number of voters: a large committee elects more.
ELECTION_SEATS = ((600, 7), (0, 5))
# Official candidates beyond the seats (差额), residents' groups per committee, group
# representatives per group.
ELECTION_EXTRA_CANDIDATES = (1, 2)
ELECTION_GROUPS = (3, 5)
ELECTION_GROUP_REPS = (2, 3)
# Election day: share of the electorate voting, of the ballots invalid; the ballots in the
# mobile box (流动票箱, for the old and the sick) and cast by proxies (委托, at most 3 each).
ELECTION_TURNOUT = (0.86, 0.95)
ELECTION_INVALID = (0.005, 0.02)
ELECTION_MOBILE = 0.12
ELECTION_PROXIES = 4
# Letters to every household (告居民书); notices with receipts (选举通知书和回执) to every voter,
# with this share of receipts returned.
ELECTION_RECEIPTS = (0.82, 0.96)
