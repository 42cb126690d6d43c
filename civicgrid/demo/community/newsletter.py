"""The demo's newsletter: per street, the issue of the last full quarter before the load day —
composed from what the demo holds (the cases article only when the demo loaded cases), with
a 卷首语 and a 通知, published a week after the quarter — and a draft of the current quarter,
composed so far. Through `community.actions` inside `clock.at()`."""

from datetime import date, timedelta
from typing import Any

from civicgrid.community.actions.frames import NEWSLETTER_FRAME
from civicgrid.community.actions.newsletter import add_article, create_newsletter
from civicgrid.community.choices import NewsletterAction, PaperSize
from civicgrid.core import clock
from civicgrid.core.choices import Role

FOREWORD = (
    "卷首语",
    "又是一季过去。这一季里，我们在睦邻点里唱歌写字，在服务中心里少跑了腿，"
    "在楼道里看见了志愿者的红马甲。社区的每一点变化，都离不开每一位居民的参与。"
    "本期社区报把这些日子里的数字和故事汇在一起，请您翻阅，也欢迎您把身边的好人好事告诉居委会。",
)
NOTICE = (
    "通知：下季度活动报名",
    "下季度各睦邻点、邻里汇的活动即将开放报名。居民可在“我的社区”页面网上报名，"
    "也可到所在居委会现场报名；行动不便的老人可请居委干部代为报名。名额有限，额满后进入候补。",
)


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def load(plan: Any) -> int:
    from . import at  # the package imports this module first

    admin = plan.users[Role.ADMIN]
    current = quarter_start(plan.today)
    last_day = current - timedelta(days=1)
    first_day = quarter_start(last_day)
    published_on = min(last_day + timedelta(days=7), plan.today)
    columns = 3 if plan.rng("newsletter").random() < 0.5 else 2
    with clock.at(at(published_on, 9)):
        issue = create_newsletter(
            admin,
            street=plan.street,
            year=last_day.year,
            period_start=first_day,
            period_end=last_day,
            paper=PaperSize.A3 if columns == 3 else PaperSize.A4,
            columns=columns,
        )
        NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.COMPOSE, admin)
        add_article(admin, issue, title=FOREWORD[0], body=FOREWORD[1], order=0)
        add_article(admin, issue, title=NOTICE[0], body=NOTICE[1])
        NEWSLETTER_FRAME.run(issue.pk, NewsletterAction.PUBLISH, admin)
    with clock.at(at(plan.today, 9)):
        draft = create_newsletter(
            admin, street=plan.street, year=plan.today.year, period_start=current, period_end=plan.today
        )
        NEWSLETTER_FRAME.run(draft.pk, NewsletterAction.COMPOSE, admin)
    plan.made["newsletters"] = [issue, draft]
    return 2 + issue.articles.count() + draft.articles.count()
