"""(part projects: its dashboard panel lands here.)"""
