"""Sockets: AF_INET/AF_INET6 over host sockets (``inet``), AF_UNIX inside the LibOS (``unix``).

:mod:`pyocclum.net.socket` is the interface both implement; :mod:`pyocclum.net.addr`
turns the guest's ``struct sockaddr`` bytes into Python values and back.
"""
