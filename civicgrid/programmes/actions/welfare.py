"""(part welfare: its bodies land here.)"""
