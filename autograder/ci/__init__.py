"""GitHub Actions and GitHub Classroom: workflows that grade with the installed grader.

- `workflows`: the workflow files `mgrade ci-template` writes (student repository, Classroom,
  instructor batch).
- `audience`: the student view of a report (withheld checks left out) and the command the student
  workflow runs to grade with it.
- `command`: the `ci-template` command.
"""
