"""(part welfare: its dashboard panel lands here.)"""
