"""Models of the elections app."""
