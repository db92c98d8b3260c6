#!/usr/bin/env python3
"""Writes a deterministic synthetic pcap for netraf's benchmarks.

usage: genpcap.py OUT PROFILE (--bytes N | --packets N) [--seed S]

PROFILE
  mixed  frames of many sizes: IPv4 and IPv6, TCP (full-size segments and
         bare ACKs), UDP of 18..1000-byte payloads, ICMP and ICMPv6 echo,
         ARP and UDP (DHCP, NetBIOS) broadcasts, 802.1Q-tagged frames.
  small  60-byte frames only: IPv4 UDP unicast, plus 10 % broadcast ARP from
         sources drawn among 2^24 MAC addresses (so a plugin that tracks
         sources meets far more than it may keep).

The same arguments always give the same bytes. Standard library only.
A JSON summary (packets, bytes, broadcast, kinds) goes to OUT.meta and stdout.
"""

import argparse
import json
import random
import struct
import sys

BCAST = b"\xff" * 6


def mac(n):
    return bytes([0x02, 0x00]) + struct.pack(">I", n & 0xFFFFFFFF)


def ip_checksum(header):
    if len(header) % 2:
        header += b"\0"
    s = sum(struct.unpack(">%dH" % (len(header) // 2), header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, ethertype, payload, vlan=None):
    if vlan is not None:
        return dst + src + struct.pack(">HHH", 0x8100, vlan, ethertype) + payload
    return dst + src + struct.pack(">H", ethertype) + payload


def ipv4(src, dst, proto, payload):
    total = 20 + len(payload)
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack(">H", ip_checksum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, flags, payload):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 1, 0x50, flags, 65535, 0, 0) + payload


def icmp_echo(ident, seq, payload):
    return struct.pack(">BBHHH", 8, 0, 0, ident, seq) + payload


def arp_request(src_mac, sender_ip, target_ip):
    body = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + src_mac + sender_ip + b"\0" * 6 + target_ip
    return eth(BCAST, src_mac, 0x0806, body)


def pad60(frame):
    return frame + b"\0" * (60 - len(frame)) if len(frame) < 60 else frame


def v4(n):
    return bytes([10, 1, (n >> 8) & 0xFF, n & 0xFF])


def v6(n):
    return b"\xfd\x00" + b"\0" * 10 + struct.pack(">I", n)


class Mixed:
    """Kinds with their weights; each kind builds a frame from the generator."""

    def __init__(self, rng):
        self.rng = rng
        self.payload = bytes(rng.randrange(256) for _ in range(1500))
        self.kinds = [
            ("udp4_small", 26, self.udp4_small),
            ("udp4_sized", 12, self.udp4_sized),
            ("tcp4_full", 22, self.tcp4_full),
            ("tcp4_ack", 12, self.tcp4_ack),
            ("tcp6", 6, self.tcp6),
            ("udp6", 4, self.udp6),
            ("icmp4", 2, self.icmp4),
            ("icmp6", 1, self.icmp6),
            ("arp_bcast", 5, self.arp),
            ("udp_bcast", 4, self.udp_bcast),
            ("vlan_udp4", 6, self.vlan_udp4),
        ]
        self.names = [k[0] for k in self.kinds]
        self.weights = [k[1] for k in self.kinds]
        self.builders = [k[2] for k in self.kinds]

    def pick(self):
        i = self.rng.choices(range(len(self.kinds)), self.weights)[0]
        return self.names[i], self.builders[i]()

    def hosts(self):
        r = self.rng
        return r.randrange(1, 200), r.randrange(200, 400)

    def udp4_small(self):
        a, b = self.hosts()
        return pad60(eth(mac(b), mac(a), 0x0800, ipv4(v4(a), v4(b), 17, udp(40000 + a, 53, self.payload[:18]))))

    def udp4_sized(self):
        a, b = self.hosts()
        n = self.rng.randrange(100, 1001)
        return eth(mac(b), mac(a), 0x0800, ipv4(v4(a), v4(b), 17, udp(5000 + a, 6000, self.payload[:n])))

    def tcp4_full(self):
        a, b = self.hosts()
        seg = tcp(443, 50000 + a, self.rng.randrange(1 << 32), 0x18, self.payload[:1460])
        return eth(mac(a), mac(b), 0x0800, ipv4(v4(b), v4(a), 6, seg))

    def tcp4_ack(self):
        a, b = self.hosts()
        seg = tcp(50000 + a, 443, self.rng.randrange(1 << 32), 0x10, b"")
        return pad60(eth(mac(b), mac(a), 0x0800, ipv4(v4(a), v4(b), 6, seg)))

    def tcp6(self):
        a, b = self.hosts()
        n = self.rng.choice((0, 200, 1000, 1440))
        seg = tcp(50000 + a, 443, self.rng.randrange(1 << 32), 0x18, self.payload[:n])
        return eth(mac(b), mac(a), 0x86DD, ipv6(v6(a), v6(b), 6, seg))

    def udp6(self):
        a, b = self.hosts()
        n = self.rng.randrange(20, 600)
        return eth(mac(b), mac(a), 0x86DD, ipv6(v6(a), v6(b), 17, udp(5353, 5353, self.payload[:n])))

    def icmp4(self):
        a, b = self.hosts()
        body = icmp_echo(a, self.rng.randrange(65536), self.payload[:56])
        return eth(mac(b), mac(a), 0x0800, ipv4(v4(a), v4(b), 1, body))

    def icmp6(self):
        a, b = self.hosts()
        body = struct.pack(">BBHHH", 128, 0, 0, a, 1) + self.payload[:56]
        return eth(mac(b), mac(a), 0x86DD, ipv6(v6(a), v6(b), 58, body))

    def arp(self):
        a, _ = self.hosts()
        return pad60(arp_request(mac(a), v4(a), v4(self.rng.randrange(1, 400))))

    def udp_bcast(self):
        a, _ = self.hosts()
        if self.rng.random() < 0.5:
            body = udp(68, 67, self.payload[:300])  # DHCP discover
        else:
            body = udp(138, 138, self.payload[:200])  # NetBIOS datagram
        return eth(BCAST, mac(a), 0x0800, ipv4(b"\0\0\0\0", b"\xff" * 4, 17, body))

    def vlan_udp4(self):
        a, b = self.hosts()
        n = self.rng.randrange(18, 400)
        frame = ipv4(v4(a), v4(b), 17, udp(7000, 7001, self.payload[:n]))
        return pad60(eth(mac(b), mac(a), 0x0800, frame, vlan=100 + a % 8))


class Small:
    """60-byte frames: unicast IPv4/UDP, 10 % ARP broadcasts from 2^24 sources."""

    def __init__(self, rng):
        self.rng = rng
        self.unicast = [
            pad60(eth(mac(b), mac(a), 0x0800, ipv4(v4(a), v4(b), 17, udp(40000 + a, 9, b"\x41" * 18))))
            for a, b in ((rng.randrange(1, 200), rng.randrange(200, 400)) for _ in range(256))
        ]

    def pick(self):
        r = self.rng
        if r.random() < 0.1:
            src = r.randrange(1 << 24)
            return "arp_bcast", pad60(arp_request(mac(src), v4(src), v4(1)))
        return "udp4_small", self.unicast[r.randrange(256)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("profile", choices=("mixed", "small"))
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--bytes", type=int, help="stop once the file reaches this size")
    g.add_argument("--packets", type=int, help="write exactly this many frames")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    rng = random.Random(a.seed)
    gen = Mixed(rng) if a.profile == "mixed" else Small(rng)
    kinds = {}
    packets = broadcast = 0
    size = 24
    ts_us = 1_700_000_000 * 1_000_000
    chunk = []
    with open(a.out, "wb") as f:
        # classic pcap, microseconds, Ethernet, snaplen 65535
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        while True:
            if a.packets is not None and packets >= a.packets:
                break
            if a.bytes is not None and size >= a.bytes:
                break
            kind, frame = gen.pick()
            ts_us += 1 + rng.randrange(3)
            n = len(frame)
            chunk.append(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, n, n))
            chunk.append(frame)
            packets += 1
            size += 16 + n
            kinds[kind] = kinds.get(kind, 0) + 1
            if frame[:6] == BCAST:
                broadcast += 1
            if len(chunk) >= 65536:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))
    meta = {
        "profile": a.profile,
        "seed": a.seed,
        "packets": packets,
        "bytes": size,
        "broadcast": broadcast,
        "kinds": dict(sorted(kinds.items())),
    }
    with open(a.out + ".meta", "w") as m:
        json.dump(meta, m)
    json.dump(meta, sys.stdout)
    print()


if __name__ == "__main__":
    main()
