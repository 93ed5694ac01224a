"""Test stand-in for DNS in server processes the tests start: no lookup leaves the machine.

The fuzzing tests send generated host names (targets, URLs) to a real `cspm serve` process, whose
destination policy resolves them. On this machine a lookup would go to a resolver elsewhere on the
network, so this module (loaded by Python at start-up when its folder is on PYTHONPATH) answers
numeric addresses and `localhost` as the C library would and refuses every other name with the
same error an unknown name gets. Nothing in the platform imports it.
"""

from __future__ import annotations

import ipaddress
import socket

_real_getaddrinfo = socket.getaddrinfo


def _offline_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name in {"localhost", "localhost."}:
        return _real_getaddrinfo(host, *args, **kwargs)
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:
            socket.inet_aton(name)  # the C library's short, octal and decimal forms resolve locally too
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (offline test resolver)") from None
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _offline_getaddrinfo
