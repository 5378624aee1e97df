#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Long-lived sessions for the conntrack tests: one TCP and/or UDP echo
session per target, each sending a numbered line every INTERVAL seconds
for DURATION seconds (bounded), recording every event as one JSON line:

  {"t": 1764512345.123, "target": "tcp:198.51.100.10:7", "ev": "sent", "seq": 3}
  ... "ev": "echo", "seq": 3          (the line came back)
  ... "ev": "error", "err": "ECONNRESET"   (the session ended; no more sends)
  ... "ev": "up"                      (connected / first datagram sent)

  sessions.py OUT DURATION INTERVAL TARGET...    TARGET: tcp:ADDR:PORT | udp:ADDR:PORT

Stops early when the file OUT.stop exists.  Exit 0.

  sessions.py --check OUT TARGET T0 stopped|alive [WITHIN]

checks one target's record against an event at realtime T0 (a start, a
reload): "stopped" — no echo later than T0 + WITHIN (default 1 s), and it
kept trying (TCP: the session ended with an error such as a reset by then
or at its next send; UDP: sends after T0 + WITHIN went unanswered);
"alive" — no error at all, every line sent was echoed (but those of the
last 0.5 s), and echoes continued after T0 + WITHIN.  Prints one line;
exit 0 when it holds, 1 when not.
"""
import errno
import json
import os
import select
import socket
import sys
import time


def check(out, target, t0, want, within):
    evs = [json.loads(l) for l in open(out)]
    evs = [e for e in evs if e["target"] == target]
    if not evs:
        print("no events for", target)
        return 1
    last = max(e["t"] for e in evs)
    echoes = [e for e in evs if e["ev"] == "echo"]
    errors = [e for e in evs if e["ev"] == "error"]
    late_echo = [e for e in echoes if e["t"] > t0 + within]
    if want == "stopped":
        tried = [e for e in evs if e["ev"] == "sent" and e["t"] > t0 + within]
        if late_echo:
            print("%s: still echoing %.2f s after the event (%d late echoes)" %
                  (target, late_echo[-1]["t"] - t0, len(late_echo)))
            return 1
        if target.startswith("tcp") and not errors:
            print("%s: no echo after the event, but no reset either" % target)
            return 1
        if target.startswith("udp") and len(tried) < 3:
            print("%s: too few sends after the event to tell (%d)" % (target, len(tried)))
            return 1
        last_ok = max([e["t"] for e in echoes if e["t"] > t0 - 5] or [t0])
        print("%s: stopped; last echo %+.3f s from the event%s" %
              (target, last_ok - t0, ", " + errors[0]["err"] + " %+.3f s" % (errors[0]["t"] - t0) if errors else ""))
        return 0
    if errors:
        print("%s: error %s at %+.3f s" % (target, errors[0]["err"], errors[0]["t"] - t0))
        return 1
    got = {e["seq"] for e in echoes}
    lost = [e["seq"] for e in evs if e["ev"] == "sent" and e["seq"] not in got and e["t"] < last - 0.5]
    if lost:
        print("%s: %d lines lost (first %d)" % (target, len(lost), lost[0]))
        return 1
    if not late_echo:
        print("%s: no echo after the event" % target)
        return 1
    print("%s: alive, %d lines echoed, none lost" % (target, len(got)))
    return 0


def main():
    if sys.argv[1] == "--check":
        a = sys.argv[2:]
        return check(a[0], a[1], float(a[2]), a[3], float(a[4]) if len(a) > 4 else 1.0)
    out, duration, interval = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    targets = sys.argv[4:]
    f = open(out, "a", buffering=1)

    def ev(target, kind, **kw):
        rec = {"t": round(time.time(), 4), "target": target, "ev": kind}
        rec.update(kw)
        f.write(json.dumps(rec) + "\n")

    socks = {}
    for t in targets:
        proto, addr, port = t.split(":", 1)[0], t.split(":", 1)[1].rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])
        addr = addr.strip("[]")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        try:
            s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect((addr, port))
            s.setblocking(False)
            socks[t] = {"s": s, "proto": proto, "seq": 0, "buf": b""}
            ev(t, "up")
        except OSError as e:
            ev(t, "error", err=errno.errorcode.get(e.errno, str(e)) if e.errno else str(e))
    end = time.monotonic() + duration
    nxt = time.monotonic()
    while socks and time.monotonic() < end and not os.path.exists(out + ".stop"):
        now = time.monotonic()
        if now >= nxt:
            for t, st in list(socks.items()):
                st["seq"] += 1
                try:
                    st["s"].send(b"%d\n" % st["seq"])
                    ev(t, "sent", seq=st["seq"])
                except OSError as e:
                    ev(t, "error", err=errno.errorcode.get(e.errno, str(e)))
                    st["s"].close()
                    del socks[t]
            nxt = now + interval
        r, _, _ = select.select([st["s"] for st in socks.values()], [], [], max(0.0, nxt - time.monotonic()))
        for t, st in list(socks.items()):
            if st["s"] not in r:
                continue
            try:
                data = st["s"].recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                ev(t, "error", err=errno.errorcode.get(e.errno, str(e)))
                st["s"].close()
                del socks[t]
                continue
            if not data and st["proto"] == "tcp":
                ev(t, "error", err="EOF")
                st["s"].close()
                del socks[t]
                continue
            st["buf"] += data
            while b"\n" in st["buf"]:
                line, st["buf"] = st["buf"].split(b"\n", 1)
                ev(t, "echo", seq=int(line))
    for st in socks.values():
        st["s"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
