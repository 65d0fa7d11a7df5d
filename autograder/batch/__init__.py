"""Grade a whole class: `mgrade grade-all`.

- `discover`: find one submission per student in a folder (plain, nbgrader or Gradescope export).
- `outputs`: where each student's reports go, and whether a student is already graded.
- `gradebook`: grades.csv, built from the results.json files on disk.
- `pool`: long-lived grading processes, each set up once, with a deadline per submission.
- `run`: the batch itself, with its progress bar and log.
- `command`: the `grade-all` command.
"""
