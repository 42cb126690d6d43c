"""Bodies of the election machine."""
