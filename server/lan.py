"""Classroom mode's network facts: this machine's LAN address and the names a student may use."""
from __future__ import annotations

import socket


def lan_address() -> str:
    """The address other machines on the LAN reach us at. Connecting a UDP socket only picks the
    route; no packet is sent. Falls back to loopback on a machine with no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 9))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def host_names(lan_ip: str) -> list[str]:
    """Host header values a classroom server accepts (DNS-rebinding protection stays on)."""
    name = socket.gethostname()
    return sorted({lan_ip, "127.0.0.1", "localhost", "::1", "[::1]", name, f"{name}.local"})
