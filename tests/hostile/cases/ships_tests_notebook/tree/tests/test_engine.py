# The student's own "tests": if the grader ever ran them, they would leave a file in /tmp.
open("/tmp/@MARK@-student-tests", "w").close()


def test_everything():
    assert True
