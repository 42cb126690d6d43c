"""Which cases Open311 shows, and to whom (the permission layer of this app).

Anonymous readers (no api_key) see the *public* cases of the street named by jurisdiction_id
(of every street when it is left out): every case except those of a private category (each
street's profile, "open311.private_categories", and their sub-categories). Listings (GET requests without
service_request_id) also leave out cases merged into a master (the master stands for them)
and cases not accepted (不予立案: often abuse or spam); looked up by number, those are
answered too. A reader with an api_key additionally sees, in that street, every case the
key's account may see there in the staff UI (`Case.objects.restrict(user, "view")`). No answer
ever carries personal fields, and the personal data typed into descriptions is masked
(views.full_text_reader() says who reads it in full).
"""

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, Category
from civicgrid.cases.querysets import CaseChildQuerySet
from civicgrid.core import profile
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

# Left out of listings (see the module docstring).
UNLISTED_STATUSES = (CaseStatus.MERGED, CaseStatus.REJECTED)


class SubmissionQuerySet(CaseChildQuerySet):
    """Submissions follow their case's scope."""


def private_category_ids(street: Area, categories: list[Category] | None = None) -> set[int]:
    """The street's private categories and everything below them (one query unless given the tree)."""
    rows = categories if categories is not None else list(Category.objects.only("pk", "code", "parent_id"))
    codes = set(profile.value("open311.private_categories", street.pk))
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    found: set[int] = set()
    todo = [c for c in rows if c.code in codes]
    while todo:
        node = todo.pop()
        if node.pk not in found:
            found.add(node.pk)
            todo.extend(children.get(node.pk, []))
    return found


def private_anywhere(categories: list[Category]) -> set[int]:
    """Categories private in any street: not part of the services every street shares."""
    found: set[int] = set()
    for street in Area.objects.filter(kind=AreaKind.STREET):
        found |= private_category_ids(street, categories)
    return found


def readable_cases(street: Area | None, user: Any = None, *, listing: bool = False) -> QuerySet[Case]:
    """The cases of `street` (of every street when None) this reader may see through Open311
    (module docstring)."""
    streets = [street] if street is not None else list(Area.objects.filter(kind=AreaKind.STREET))
    tree = list(Category.objects.only("pk", "code", "parent_id"))
    public = Q()  # each street hides its own private categories
    for s in streets:
        if private := private_category_ids(s, tree):
            public &= ~Q(street=s, category_id__in=private)
    if listing:
        public &= ~Q(status__in=UNLISTED_STATUSES)
    if user is not None and public:  # (an empty Q already reads every case)
        mine = Case.objects.restrict(user, Action.VIEW)
        public |= Q(pk__in=(mine if street is None else mine.filter(street=street)).values("pk"))
    within = Q(street=street) if street is not None else Q()
    return Case.objects.filter(within & public)
