"""`python -m autograder` is the same as the `mgrade` console script."""

from autograder.cli import main

if __name__ == "__main__":
    main()
