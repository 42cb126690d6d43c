"""(part evaluations: its bodies land here.)"""
