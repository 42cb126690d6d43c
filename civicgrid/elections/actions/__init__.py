"""The only writers of the elections app."""
