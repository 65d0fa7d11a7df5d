# The engine is the reference; the submission also ships its own tests, a pytest configuration
# and a notebook whose "test" cells were edited to pass. Tests come from the instructor only.
