"""The whole-number election rules a street (or its district) sets for all its rounds
(core.profile); each round may still override any rule with a recorded reason (rules.py)."""

from civicgrid.core.profile import Int, define

from .rules import RULES, profile_key

for rule in RULES.values():
    if rule.in_profile:
        define(profile_key(rule.key), Int(rule.minimum, rule.maximum), rule.default, rule.label)
