"""The registry's named choices (实有房屋、实有人口、关爱对象、走访、知情考试)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlatUse(models.TextChoices):
    OWNER = "owner", _("自住")
    RENTED = "rented", _("出租")
    GROUP_RENTED = "group_rented", _("群租")
    VACANT = "vacant", _("空置")
    COMMERCIAL = "commercial", _("商用")


class Tenure(models.TextChoices):
    """How a household holds its flat."""

    OWNER = "owner", _("产权人")
    TENANT = "tenant", _("租户")
    LODGER = "lodger", _("借住")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("居民身份证")
    HMT_RESIDENCE = "hmt_residence", _("港澳台居民居住证")
    HK_MACAO_PERMIT = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan", _("台湾居民来往大陆通行证")
    PASSPORT = "passport", _("护照")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    OTHER = "other", _("其他证件")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    RELATIVE = "relative", _("其他亲属")
    TENANT = "tenant", _("租客")
    OTHER = "other", _("其他")


class ResidenceStatus(models.TextChoices):
    REGISTERED = "registered", _("户籍（人户一致）")
    RESIDENT = "resident", _("常住")
    REGISTERED_AWAY = "registered_away", _("人户分离（户在人不在）")
    LIVING_UNREGISTERED = "living_unregistered", _("人户分离（人在户不在）")
    MIGRANT = "migrant", _("流动人口")
    AWAY = "away", _("外出")
    DECEASED = "deceased", _("死亡")


class Employment(models.TextChoices):
    EMPLOYED = "employed", _("在业")
    SELF_EMPLOYED = "self_employed", _("个体经营")
    UNEMPLOYED = "unemployed", _("失业")
    RETIRED = "retired", _("退休")
    STUDENT = "student", _("在校学生")
    PRESCHOOL = "preschool", _("学龄前")
    UNABLE = "unable", _("无劳动能力")
    OTHER = "other", _("其他")


class CareKind(models.TextChoices):
    """The kinds of care tag the city knows; a street adds its own (`LocalCareKind`). High age
    (80+, 90+, 100+) is no tag: it is computed from the birth date (`care.age_band`)."""

    ALONE = "alone", _("独居老人")
    DISABILITY = "disability", _("残疾")
    MINIMUM_INCOME = "minimum_income", _("低保")
    ILLNESS = "illness", _("大病")
    CHILD = "child", _("困境儿童")
    MARTYR = "martyr", _("烈属")
    CORRECTION = "correction", _("社区矫正")
    RELEASED = "released", _("安置帮教")
    LOCAL = "local", _("街道自定义")


class AgeBand(models.TextChoices):
    EIGHTY = "80", _("80岁以上")
    NINETY = "90", _("90岁以上")
    HUNDRED = "100", _("百岁老人")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    DONE = "done", _("已走访")
    CANCELLED = "cancelled", _("已取消")


class VisitAction(models.TextChoices):
    RECORD = "record", _("记录走访")
    CANCEL = "cancel", _("取消")
    OPEN_CASE = "open_case", _("由走访立工单")


class VisitMethod(models.TextChoices):
    DOOR = "door", _("入户走访")
    PHONE = "phone", _("电话问候")
    OUTSIDE = "outside", _("户外见面")


class ExamStatus(models.TextChoices):
    DRAWN = "drawn", _("已抽户")
    ANSWERED = "answered", _("已作答")
    GRADED = "graded", _("已评级")


class ExamAction(models.TextChoices):
    ANSWER = "answer", _("提交作答")
    GRADE = "grade", _("评级")


class RoundKind(models.TextChoices):
    FIRST = "first", _("初审")
    RECHECK = "recheck", _("复审")
