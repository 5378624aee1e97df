#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Injects malformed IPv4/IPv6 frames from a lab device (run inside its
# namespace) towards the CN servers, one case at a time, and reports for
# each whether the gateway's queue saw it (id_sequence, read through the
# daemon's /proc/PID/net view of the gw namespace) and whether anything
# arrived in wan (nft counter there).  One JSON line per case.
#   badpkt.py GW_MAC DAEMON_PID WAN_NS
import json, subprocess, sys, time
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (AH, ICMP, IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, Raw, PadN, conf, sendp)

conf.verb = 0
gw_mac, pid, wan = sys.argv[1], sys.argv[2], sys.argv[3]
S4, D4, S6, D6 = "198.18.1.10", "198.51.100.10", "2001:db8:1::10", "2001:db8:86::10"
ETH = Ether(src="02:00:5e:00:53:01", dst=gw_mac)
port = [40000]


def sport():
    port[0] += 1
    return port[0]


def ids():
    with open("/proc/%s/net/netfilter/nfnetlink_queue" % pid) as f:
        for line in f:
            v = line.split()
            if v and v[0] == "0":
                return int(v[7])
    return 0


def arrived():
    out = subprocess.run(["ip", "netns", "exec", wan, "nft", "list", "counter", "inet",
                          "labcount", "cn"], capture_output=True, text=True).stdout.split()
    return int(out[out.index("packets") + 1]) if "packets" in out else -1


def raw4(b):
    return ETH / Raw(b)


def ip4(**kw):
    return IP(src=S4, dst=D4, **kw)


def ip6(**kw):
    return IPv6(src=S6, dst=D6, **kw)


def cases():
    u = lambda: UDP(sport=sport(), dport=7799)
    c = {}
    c["v4-ok-udp"] = [ETH / ip4() / u() / Raw(b"x" * 8)]
    c["v4-bad-ihl-3"] = [ETH / ip4(ihl=3) / u()]
    c["v4-ihl15-nop-options"] = [ETH / ip4(ihl=15, options=b"\x01" * 40) / u() / Raw(b"x")]
    c["v4-totlen-longer-than-frame"] = [ETH / ip4(len=1000) / u()]
    c["v4-totlen-cuts-udp-header"] = [ETH / ip4(len=24) / u() / Raw(b"x" * 8)]
    c["v4-truncated-tcp-header"] = [ETH / ip4(proto=6) / Raw(bytes(TCP(sport=sport(), dport=80))[:8])]
    c["v4-truncated-udp-header"] = [ETH / ip4(proto=17) / Raw(bytes(u())[:4])]
    c["v4-tcp-bad-dataofs"] = [ETH / ip4() / TCP(sport=sport(), dport=80, dataofs=15)]
    c["v4-truncated-icmp"] = [ETH / ip4(proto=1) / Raw(b"\x08")]
    c["v4-bad-ip-checksum"] = [ETH / ip4(chksum=0x1234) / u()]
    c["v4-first-fragment-alone"] = [ETH / ip4(id=101, flags="MF", frag=0) / u() / Raw(b"y" * 16)]
    c["v4-nonfirst-fragment-alone"] = [ETH / ip4(id=102, proto=17, frag=3) / Raw(b"z" * 16)]
    whole = ip4(id=103) / u() / Raw(b"w" * 40)
    b = bytes(whole)
    f1 = IP(b[:20]); f1.flags = "MF"; f1.len = None; f1.chksum = None
    f2 = IP(b[:20]); f2.frag = 3; f2.flags = 0; f2.len = None; f2.chksum = None
    c["v4-fragment-pair"] = [ETH / f1 / Raw(b[20:44]), ETH / f2 / Raw(b[44:])]
    c["v4-unknown-proto-253"] = [ETH / ip4(proto=253) / Raw(b"q" * 20)]
    c["v4-proto-132-sctp-truncated"] = [ETH / ip4(proto=132) / Raw(b"\x00\x01")]
    c["v6-ok-udp"] = [ETH / ip6() / u() / Raw(b"x" * 8)]
    chain = ip6()
    for _ in range(30):
        chain = chain / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)])
    c["v6-30-destopt-headers-udp"] = [ETH / chain / u() / Raw(b"x")]
    chain = ip6()
    for _ in range(8):
        chain = chain / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)])
    c["v6-8-destopt-headers-udp"] = [ETH / chain / u() / Raw(b"x")]
    c["v6-destopt-len-past-end"] = [ETH / ip6(nh=60) / Raw(b"\x11\xff" + b"\x00" * 6)]
    c["v6-plen-longer-than-frame"] = [ETH / ip6(plen=1000) / u()]
    c["v6-plen-cuts-udp-header"] = [ETH / ip6(plen=4) / u() / Raw(b"x" * 8)]
    c["v6-truncated-tcp-header"] = [ETH / ip6(nh=6) / Raw(bytes(TCP(sport=sport(), dport=80))[:8])]
    c["v6-first-fragment-alone"] = [ETH / ip6() / IPv6ExtHdrFragment(id=201, m=1, offset=0) / u() / Raw(b"y" * 16)]
    c["v6-nonfirst-fragment-alone"] = [ETH / ip6() / IPv6ExtHdrFragment(id=202, nh=17, m=0, offset=3) / Raw(b"z" * 16)]
    c["v6-ah-then-udp"] = [ETH / ip6() / AH(spi=1, seq=1, icv=b"\x00" * 12) / u() / Raw(b"x")]
    c["v6-no-next-header-59"] = [ETH / ip6(nh=59) / Raw(b"garbage!")]
    c["v6-unknown-proto-253"] = [ETH / ip6(nh=253) / Raw(b"q" * 20)]
    return c


for name, frames in cases().items():
    i0, a0 = ids(), arrived()
    sendp(frames, iface="eth0")
    time.sleep(0.25)
    i1, a1 = ids(), arrived()
    print(json.dumps({"case": name, "frames": len(frames), "queued": i1 - i0, "arrived": a1 - a0}), flush=True)
