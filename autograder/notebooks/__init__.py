"""Assignments as Jupyter notebooks: generate nbgrader source notebooks from the reference
(`build`), grade a submitted notebook (`extract`), and check a notebook's code from inside it
(`selfcheck`, `testcell`). Nothing here is imported until a notebook feature is used."""
