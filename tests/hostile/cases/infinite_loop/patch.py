# Spins forever inside an op: a wall-clock timeout ends it with SIGKILL.
def _spinning_relu(self):
    while True:
        pass


Value.relu = _spinning_relu
