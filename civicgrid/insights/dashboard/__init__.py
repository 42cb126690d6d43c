"""The operations dashboard (城运驾驶舱): its shared filter (filters.py) and its panels (panels.py)."""
