# Never finishes importing: a start timeout, paid once for the whole grade.
while True:
    pass
