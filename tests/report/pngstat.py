#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Decodes an 8-bit RGB/RGBA PNG (stdlib only) and prints:
#   WIDTH HEIGHT DISTINCT_COLOURS then the count of pixels near each
#   given #rrggbb colour:  pngstat.py FILE [rrggbb ...]
import struct
import sys
import zlib


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise SystemExit('not a PNG')
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit('unsupported PNG type')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = decode(sys.argv[1])
    counts = {}
    for line in rows:
        for i in range(0, len(line), bpp):
            px = bytes(line[i:i + 3])
            counts[px] = counts.get(px, 0) + 1
    out = [str(w), str(h), str(len(counts))]
    for hexcol in sys.argv[2:]:
        want = bytes.fromhex(hexcol)
        out.append(str(sum(n for px, n in counts.items()
                           if all(abs(px[k] - want[k]) <= 8 for k in range(3)))))
    print(' '.join(out))


main()
