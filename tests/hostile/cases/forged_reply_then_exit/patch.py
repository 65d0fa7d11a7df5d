# forged_reply's forger (its patch follows this one: `base` in cases.toml), exiting right after
# the forged frame, so the real, wrong reply never follows it.
_EXIT_AFTER_FORGING = True
