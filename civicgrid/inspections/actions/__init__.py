"""Every write of inspections, one module per family: `frames` (the kernel's action frame bound
to tasks, orders and register entries), `places` (places and checklists), `plans` (plans and the
tasks they generate), `records` (an inspection recorded, the phone form's idempotent submit),
`orders` (issuing and the order machine's bodies, the deadline job), `renting` (the group-rent
register and the sweep)."""
