# Sleeps for an hour inside an op (no CPU used, so only the wall clock can catch it).
import time as _time


def _sleeping_sigmoid(self):
    _time.sleep(3600)


Value.sigmoid = _sleeping_sigmoid
