# A syntax error: the module never loads; the report names the line.
def broken(:
    pass
