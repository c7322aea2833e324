"""Asks one DNS server for a name's A records over UDP (no resolver of the host involved) and
exits 0 when the answer holds every expected address. Used by helm/test/cluster-up and tier2 to
see the cluster DNS answer.

Usage: dns-query.py SERVER NAME [EXPECTED_IP...]   prints the addresses, one a line
"""
import random
import socket
import struct
import sys


def query(server, name, timeout=2.0):
    ident = random.randrange(1 << 16)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (server, 53))
        reply, _ = s.recvfrom(4096)
    rid, flags, qd, an = struct.unpack(">HHHH", reply[:8])
    if rid != ident or flags & 0xF:
        raise SystemExit(f"{name}: rcode {flags & 0xF} from {server}")
    pos = 12 + len(question) + 4
    addresses = []
    for _ in range(an):
        pos = skip_name(reply, pos)
        rtype, _, _, length = struct.unpack(">HHIH", reply[pos:pos + 10])
        pos += 10
        if rtype == 1 and length == 4:
            addresses.append(socket.inet_ntoa(reply[pos:pos + 4]))
        pos += length
    return addresses


def skip_name(data, pos):
    while True:
        length = data[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + length


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    found = query(sys.argv[1], sys.argv[2])
    print("\n".join(found))
    missing = [ip for ip in sys.argv[3:] if ip not in found]
    if missing:
        raise SystemExit(f"{sys.argv[2]}: {', '.join(missing)} not in the answer {found}")
