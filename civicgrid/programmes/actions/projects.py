"""(part projects: its bodies land here.)"""
