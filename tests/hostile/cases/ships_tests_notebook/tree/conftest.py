open("/tmp/@MARK@-conftest", "w").close()
