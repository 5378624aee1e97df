#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Injects malformed IPv4/IPv6 frames and unusual header chains from a lab
# device (run inside its namespace), one case at a time.  One JSON line per
# case.
#   badpkt.py GW_MAC DAEMON_PID WAN_NS
#       every case towards the CN servers; reports for each whether the
#       gateway's queue saw it (id_sequence, read through the daemon's
#       /proc/PID/net view of the gw namespace) and whether anything arrived
#       in wan (nft counter there): {"case", "frames", "queued", "arrived"}
#   badpkt.py --spread GW_MAC GW_NS V4BASE V6BASE
#       case i goes to its own destination V4BASE+i / V6BASE+i, and the
#       line carries what the gateway's conntrack lists for it afterwards:
#       {"case", "frames", "dst", "ct": [conntrack -L lines for dst]}
import ipaddress, json, subprocess, sys, time
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (AH, ICMP, IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       ICMPv6EchoRequest, Raw, PadN, conf, sendp)

conf.verb = 0
spread = sys.argv[1] == "--spread"
if spread:
    gw_mac, gw_ns, v4base, v6base = sys.argv[2:6]
else:
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


def conntrack(dst):
    fam = "ipv6" if ":" in dst else "ipv4"
    out = subprocess.run(["ip", "netns", "exec", gw_ns, "conntrack", "-L", "-f", fam, "-d", dst],
                         capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.strip()]


def raw4(b):
    return ETH / Raw(b)


def ip4(**kw):
    return IP(src=S4, dst=D4, **kw)


def ip6(**kw):
    return IPv6(src=S6, dst=D6, **kw)


def dstopts(n):
    return [IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]) for _ in range(n)]


def hchain(*hdrs):
    pkt = ip6()
    for h in hdrs:
        pkt = pkt / h
    return pkt


# A Mobility header (RFC 6275 §6.1) whose "payload proto" field says UDP and
# whose message data looks like a UDP header to port 123: a walker that
# takes MH for an extension header reads udp/123; conntrack tracks proto 135.
MH_UDP123 = bytes([17, 1, 0, 0, 0, 0]) + bytes(10) + bytes([0x9c, 0x41, 0, 123, 0, 8, 0, 0])
# A plain Binding Refresh Request: payload proto 59 (IPPROTO_NONE).
MH_BRR = bytes([59, 0, 0, 0, 0, 0, 0, 0])


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
    c["v6-ah-then-udp"] = [ETH / ip6() / AH(nh=17, payloadlen=4, spi=1, seq=1, icv=b"\x00" * 12) / u() / Raw(b"x")]
    c["v6-no-next-header-59"] = [ETH / ip6(nh=59) / Raw(b"garbage!")]
    c["v6-unknown-proto-253"] = [ETH / ip6(nh=253) / Raw(b"q" * 20)]
    # Next headers conntrack treats as the protocol (ipv6_ext_hdr() does not
    # list them), and the chains it skips (include/net/ipv6.h).
    c["v6-mh-udp123-lookalike"] = [ETH / ip6(nh=135) / Raw(MH_UDP123)]
    c["v6-dstopt-mh"] = [ETH / hchain(IPv6ExtHdrDestOpt(nh=135)) / Raw(MH_BRR)]
    c["v6-hbh-hip-139"] = [ETH / hchain(IPv6ExtHdrHopByHop(nh=139)) / Raw(b"h" * 40)]
    c["v6-dstopt-shim6-140"] = [ETH / hchain(IPv6ExtHdrDestOpt(nh=140)) / Raw(b"s" * 16)]
    c["v6-hbh-esp-50"] = [ETH / hchain(IPv6ExtHdrHopByHop(nh=50)) / Raw(b"e" * 24)]
    c["v6-dstopt-254"] = [ETH / hchain(IPv6ExtHdrDestOpt(nh=254)) / Raw(b"x" * 16)]
    c["v6-hbh-no-next-header"] = [ETH / hchain(IPv6ExtHdrHopByHop(nh=59)) / Raw(b"garbage!")]
    c["v6-routing-segleft0-udp"] = [ETH / hchain(IPv6ExtHdrRouting(type=0, segleft=0, addresses=[])) / u() / Raw(b"r")]
    c["v6-hbh-dst-ah-udp"] = [ETH / hchain(IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), AH(nh=17, payloadlen=4, spi=2, seq=1, icv=b"\x00" * 12)) / u() / Raw(b"a")]
    c["v6-atomic-fragment-udp"] = [ETH / ip6() / IPv6ExtHdrFragment(id=203, m=0, offset=0) / u() / Raw(b"f" * 8)]
    c["v6-dstopt-tcp-syn"] = [ETH / hchain(*dstopts(2)) / TCP(sport=sport(), dport=443, flags="S")]
    c["v6-icmpv6-echo"] = [ETH / ip6() / ICMPv6EchoRequest(id=0x4242, seq=1)]
    c["v4-proto-135"] = [ETH / ip4(proto=135) / Raw(MH_UDP123)]
    # longer than the queue's copy (1280 bytes): the chain cannot be read
    c["v6-170-destopt-headers-udp"] = [ETH / hchain(*dstopts(170)) / u() / Raw(b"x")]
    return c


def send_case(frames):
    sendp(frames, iface="eth0")
    time.sleep(0.25)


if not spread:
    for name, frames in cases().items():
        i0, a0 = ids(), arrived()
        send_case(frames)
        i1, a1 = ids(), arrived()
        print(json.dumps({"case": name, "frames": len(frames), "queued": i1 - i0, "arrived": a1 - a0}), flush=True)
    sys.exit(0)

names = list(cases())
for i, name in enumerate(names):
    v6 = name.startswith("v6")
    dst = str(ipaddress.ip_address(v6base if v6 else v4base) + 1 + i)
    if v6:
        D6 = dst
    else:
        D4 = dst
    frames = cases()[name]
    send_case(frames)
    print(json.dumps({"case": name, "frames": len(frames), "dst": dst, "ct": conntrack(dst)}), flush=True)
