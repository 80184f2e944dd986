#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Blind spoofing of a live TCP connection, for tests/cases/44-spoof.sh.

   tsp_spoof.py IFACE SRC DST DPORT

Run in the namespace of the peer whose address SRC it forges.  Sniffs one
outgoing segment SRC -> DST:DPORT with data on IFACE to learn the
connection's sequence and acknowledgment numbers, then sends two forged
100-byte segments on the same tuple: one 1 GiB beyond the sequence number
(out of any window), one acknowledging 1 GiB of data never sent.  Prints
what it saw and sent."""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, 0x18, 1024, 0, 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000,
                     64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def main():
    iface, src, dst, dport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # ETH_P_ALL: a packet socket bound to one protocol sees no outgoing packets
    sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    sn.bind((iface, 0))
    sn.settimeout(10)
    while True:
        pkt, addr = sn.recvfrom(65535)
        if addr[2] != socket.PACKET_OUTGOING or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != src or \
           socket.inet_ntoa(ip[16:20]) != dst:
            continue
        sport, dp, seq, ack, off = struct.unpack("!HHIIB", ip[ihl:ihl + 13])
        if dp != dport or tot - ihl - (off >> 4) * 4 <= 0:
            continue
        break
    print("seen sport=%d seq=%u ack=%u" % (sport, seq, ack))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    far = segment(src, dst, sport, dport, seq + (1 << 30), ack, b"X" * 100)
    unsent = segment(src, dst, sport, dport, seq, ack + (1 << 30), b"Y" * 100)
    raw.sendto(far, (dst, 0))
    raw.sendto(unsent, (dst, 0))
    print("sent out-of-window seq=%u and ack-of-unsent ack=%u" %
          ((seq + (1 << 30)) & 0xFFFFFFFF, (ack + (1 << 30)) & 0xFFFFFFFF))


if __name__ == "__main__":
    main()
