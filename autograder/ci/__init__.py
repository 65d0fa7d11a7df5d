"""GitHub Actions and GitHub Classroom: workflows that grade with the installed grader.

- `workflows`: the workflow files `mgrade ci-template` writes (student repository, Classroom,
  instructor batch).
- `command`: the `ci-template` command.
"""
