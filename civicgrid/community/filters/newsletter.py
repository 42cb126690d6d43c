"""The one filter of the newsletter lists (docs/architecture.md, "Filters"): the issues page and
`GET /api/v1/community/newsletters` hand their parameters to `NewsletterFilterSet`; the queryset
given is already `restrict(user, "view")`."""

import django_filters
from django.utils.translation import gettext_lazy as _

from civicgrid.programmes.filters import ALL, StreetFilter, StreetFiltered, YearFilter

from ..choices import NewsletterStatus
from ..models import Newsletter


class NewsletterFilterSet(StreetFiltered):
    year = YearFilter()
    street = StreetFilter()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=NewsletterStatus.choices, empty_label=ALL)

    class Meta:
        model = Newsletter
        fields: list[str] = []
