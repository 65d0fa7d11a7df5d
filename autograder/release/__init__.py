"""`mgrade release`: the students' template and the student kit, generated from the reference.

- `regions`: find and validate the solution markers; replace regions with stubs.
- `template`: `students_template/` and its drift check (`mgrade release --check`).
- `mapping`: which assignment grades which region (the manifests' `[release] implement`).
- `kit`, `kit_manifest`, `kit_readme`, `wheel`: `mgrade release --kit OUT`, the folder students get.

See docs/RELEASE.md.
"""

from autograder.release.regions import (
    BEGIN_MARKER,
    END_MARKER,
    Region,
    ReleaseError,
    find_regions,
    stub_source,
)
from autograder.release.template import (
    TEMPLATE_README,
    check_template,
    default_paths,
    generate_package,
    generate_template,
    stubbed_functions,
    write_template,
)

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "TEMPLATE_README",
    "Region",
    "ReleaseError",
    "check_template",
    "default_paths",
    "find_regions",
    "generate_package",
    "generate_template",
    "stub_source",
    "stubbed_functions",
    "write_template",
]
