"""(part proposals: its dashboard panel lands here.)"""
