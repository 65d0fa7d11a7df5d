# Allocates memory until something stops it: the address-space limit makes it a MemoryError.
def _hoarding_exp(self):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


Value.exp = _hoarding_exp
