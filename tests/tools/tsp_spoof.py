#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Blind spoofing of a live TCP connection, for tests/cases/44-spoof.sh.

   tsp_spoof.py IFACE SRC DST DPORT [hostile | after-fin | late-ack GOFILE]

Run in the namespace of the peer whose address SRC it forges.  Sniffs one
outgoing segment SRC -> DST:DPORT with data on IFACE to learn the
connection's sequence and acknowledgment numbers, then sends two forged
100-byte segments on the same tuple: one 1 GiB beyond the sequence number
(out of any window), one acknowledging 1 GiB of data never sent.  With
"hostile", then also, on the same tuple and in the window, the shapes a
spliced tuple must never pass on (see HOSTILE): malformed TCP options,
an IPv4 fragment, IP options, a bad checksum, a SYN, a RST out of the
window, and a packet too short for a TCP header.  With "after-fin",
instead: waits for SRC's FIN on the connection, then sends 100 bytes
beyond it (a tuple that is finishing carries no new data).  With
"late-ack", instead: follows SRC's segments on the connection until GOFILE
exists, then sends a duplicate of SRC's last acknowledgment (what a peer
in TIME_WAIT sends when the other's FIN comes again).  Prints what it
saw and sent, one line per packet, after a first line "sniffing IFACE"
once the sniffer is bound."""
import os
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, payload, opts=b"",
            flags=0x18, frag=0x4000, ipopts=b"", bad_csum=False):
    """An IPv4 TCP segment; opts are TCP option bytes (padded to 4)."""
    opts += b"\0" * (-len(opts) % 4)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (5 + len(opts) // 4) << 4, flags,
                      1024, 0, 0) + opts + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp) ^ (0x5555 if bad_csum else 0)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ipopts += b"\0" * (-len(ipopts) % 4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45 + len(ipopts) // 4, 0,
                     20 + len(ipopts) + len(tcp), 1, frag, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst)) + ipopts
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


# name, the counter of /proc/net/stat/tcp_splice that must count it (None:
# the IP/TCP stack drops it before the module can read a tuple), and the
# keyword arguments of segment() (seq and ack are the sniffed ones).
HOSTILE = [
    ("opt-len-0", "drop_malformed", {"opts": b"\x13\x00"}),
    ("opt-len-1", "drop_malformed", {"opts": b"\x13\x01"}),
    ("opt-overlong", "drop_malformed", {"opts": b"\x13\x20\x00\x00"}),
    ("ts-truncated", "drop_malformed", {"opts": b"\x08\x06\x00\x00\x00\x01"}),
    ("sack-truncated", "drop_malformed", {"opts": b"\x05\x06\x00\x00\x00\x01"}),
    ("sack-odd-length", "drop_malformed",
     {"opts": b"\x01\x01\x05\x0c" + b"\x00" * 10}),
    ("ip-options", "drop_malformed", {"ipopts": b"\x01\x01\x01\x00"}),
    ("ip-fragment", "drop_fragment", {"frag": 0x2000}),
    ("bad-checksum", "drop_bad_csum", {"bad_csum": True}),
    ("syn", "drop_syn", {"flags": 0x02, "payload": b""}),
    ("rst-out-of-window", "drop_out_of_window",
     {"flags": 0x04, "payload": b"", "seq_add": 1 << 30}),
]


def hostile(raw, src, dst, sport, dport, seq, ack):
    for name, counter, kw in HOSTILE:
        kw = dict(kw)
        payload = kw.pop("payload", b"Z" * 100)
        s = seq + kw.pop("seq_add", 0)
        raw.sendto(segment(src, dst, sport, dport, s, ack, payload, **kw),
                   (dst, 0))
        print("sent %s expect %s" % (name, counter))
    # ports and sequence number only: no TCP header to parse
    tiny = segment(src, dst, sport, dport, seq, ack, b"")[:28]
    raw.sendto(tiny, (dst, 0))
    print("sent tiny expect none")


def sniff(sn, src, dst, dport, want, flags=False):
    """The first outgoing TCP segment SRC -> DST:DPORT that want(flags,
    payload length) accepts: (sport, seq, ack, payload length), and its
    flags last if asked."""
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
        sport, dp, seq, ack, off, fl = struct.unpack("!HHIIBB", ip[ihl:ihl + 14])
        plen = tot - ihl - (off >> 4) * 4
        if dp == dport and want(fl, plen):
            return (sport, seq, ack, plen) + ((fl,) if flags else ())


def pkt_stats(sn):
    """PACKET_STATISTICS of the packet socket since the last call:
    (packets, drops)."""
    SOL_PACKET, PACKET_STATISTICS = 263, 6
    return struct.unpack("II", sn.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))


def after_fin(sn, src, dst, dport):
    """Wait for SRC's FIN to DST:DPORT, then send 100 bytes beyond it.
    Every 10 s without a packet it says what the packet socket got and
    dropped (a FIN lost to an overrun buffer would never come); it gives
    up after 60 s without one."""
    sn.settimeout(10)
    got = drops = 0
    for _ in range(6):
        try:
            sport, seq, ack, plen = sniff(sn, src, dst, dport,
                                          lambda fl, n: fl & 0x01)
            break
        except socket.timeout:
            p, d = pkt_stats(sn)
            got, drops = got + p, drops + d
            print("no FIN yet: %d packets seen, %d of them dropped" % (got, drops),
                  flush=True)
    else:
        sys.exit("no FIN seen")
    fin = (seq + plen) & 0xFFFFFFFF
    print("seen FIN sport=%d seq=%u ack=%u" % (sport, fin, ack))
    time.sleep(0.5)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(segment(src, dst, sport, dport, fin + 1, ack, b"L" * 100), (dst, 0))
    print("sent after-fin expect drop_out_of_window")


def late_ack(sn, src, dst, dport, gofile):
    """Follow SRC -> DST:DPORT until GOFILE exists, then repeat SRC's last
    acknowledgment: a bare ACK at the end of what SRC sent (FIN included)."""
    last = None
    sn.settimeout(0.2)
    deadline = time.time() + 120
    go = False
    while time.time() < deadline:
        try:
            seg = sniff(sn, src, dst, dport, lambda fl, n: True, flags=True)
            last = seg
            continue
        except socket.timeout:
            pass
        if go:
            break
        # one more quiet period after GOFILE: nothing queued is missed
        go = os.path.exists(gofile)
    else:
        sys.exit("late-ack: %s never appeared" % gofile)
    if last is None:
        sys.exit("late-ack: no segment seen")
    sport, seq, ack, plen, fl = last
    nxt = (seq + plen + (fl & 0x01)) & 0xFFFFFFFF
    print("seen last sport=%d flags=0x%02x seq=%u ack=%u len=%d" %
          (sport, fl, seq, ack, plen))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(segment(src, dst, sport, dport, nxt, ack, b"", flags=0x10),
               (dst, 0))
    print("sent late-ack seq=%u ack=%u" % (nxt, ack))


def main():
    iface, src, dst, dport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # ETH_P_ALL: a packet socket bound to one protocol sees no outgoing packets
    sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    # every packet of the interface queues here until python reads it: a
    # 256 KiB transfer each way overran the default buffer on a loaded host
    # and the FIN that after-fin waits for was dropped (CI, 44-spoof)
    SO_RCVBUFFORCE = 33
    sn.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    sn.bind((iface, 0))
    # the caller may wait for this line: from here on nothing is missed
    print("sniffing %s" % iface, flush=True)
    if len(sys.argv) > 5 and sys.argv[5] == "after-fin":
        after_fin(sn, src, dst, dport)
        return
    if len(sys.argv) > 6 and sys.argv[5] == "late-ack":
        late_ack(sn, src, dst, dport, sys.argv[6])
        return
    sn.settimeout(10)
    sport, seq, ack, _ = sniff(sn, src, dst, dport, lambda fl, n: n > 0)
    print("seen sport=%d seq=%u ack=%u" % (sport, seq, ack))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    far = segment(src, dst, sport, dport, seq + (1 << 30), ack, b"X" * 100)
    unsent = segment(src, dst, sport, dport, seq, ack + (1 << 30), b"Y" * 100)
    raw.sendto(far, (dst, 0))
    raw.sendto(unsent, (dst, 0))
    print("sent out-of-window seq=%u and ack-of-unsent ack=%u" %
          ((seq + (1 << 30)) & 0xFFFFFFFF, (ack + (1 << 30)) & 0xFFFFFFFF))
    if len(sys.argv) > 5 and sys.argv[5] == "hostile":
        hostile(raw, src, dst, sport, dport, seq, ack)


if __name__ == "__main__":
    main()
