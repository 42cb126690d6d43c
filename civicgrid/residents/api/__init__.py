"""The registry's endpoints under /api/v1/residents/ (token scope `residents`), one module per
family: `registry` (flats, households, persons, care tags, reveals), `visits`, `exams`. Reads go
through `restrict()` and print personal fields masked; writes go through residents.actions."""

from ninja import Router

from . import exams, registry, visits

router = Router()
for part in (registry, visits, exams):
    router.add_router("", part.router)

__all__ = ["router"]
