# finite_difference_backward's numerical backward (its patch follows this one: `base` in
# cases.toml) with the step that minimises a central difference's error. Its error, about 1e-11
# of the gradient's scale, is still a hundred times the backward tolerance
# (autograder/compare.py), so every op fails.
_FD_STEP = lambda x: 1e-5 * max(1.0, abs(x))  # noqa: E731
