# Ignores every catchable signal (SIGTERM, SIGXCPU, SIGALRM, ...) and then spins: only SIGKILL,
# which cannot be ignored, ends it.
import signal as _signal

for _name in ("SIGTERM", "SIGXCPU", "SIGALRM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2",
              "SIGVTALRM", "SIGPROF", "SIGQUIT"):
    _signal.signal(getattr(_signal, _name), _signal.SIG_IGN)


def _stubborn_exp(self):
    while True:
        pass


Value.exp = _stubborn_exp
