"""/api/v1/elections/ (mounted by civicgrid.api): one router module per part."""

from ninja import Router

from . import ballots, rounds, statistics, voters

router = Router(tags=["elections"])
for part in (rounds, voters, ballots, statistics):
    router.add_router("", part.router)
