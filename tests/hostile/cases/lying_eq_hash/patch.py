# Every Value equals every other and they all share one hash. Sets of Values collapse, so the
# student's own backward() loses nodes; the grader's traversal goes by identity and is not fooled.
Value.__eq__ = lambda self, other: True
Value.__hash__ = lambda self: 0
