"""(part proposals: its bodies land here.)"""
