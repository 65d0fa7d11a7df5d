# Connects (TCP) and sends (UDP) to a loopback port the suite listens on, under a computed import
# name. No network exists inside the namespace; the audit hook reports the attempt anyway.
_relu = Value.relu


def _calling_relu(self):
    sockets = __import__("soc" + "ket")
    try:
        with sockets.create_connection(("127.0.0.1", @PORT@), timeout=0.5) as conn:
            conn.sendall(b"@MARK@")
    except OSError:
        pass
    try:
        udp = sockets.socket(sockets.AF_INET, sockets.SOCK_DGRAM)
        udp.sendto(b"@MARK@", ("127.0.0.1", @PORT@))
        udp.close()
    except OSError:
        pass
    return _relu(self)


Value.relu = _calling_relu
