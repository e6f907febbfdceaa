# Prints the advance widths of DejaVu Sans (regular, bold) per character, in em, from the TrueType files:
# the table of core/report/text-width.ts (which stores them in thousandths). Reads cmap (format 4) and hmtx.
import struct, sys, json
def widths(path):
    data = open(path, 'rb').read()
    num = struct.unpack('>H', data[4:6])[0]
    tables = {}
    for i in range(num):
        tag, _, off, ln = struct.unpack('>4sIII', data[12 + 16 * i: 28 + 16 * i])
        tables[tag.decode()] = (off, ln)
    upem = struct.unpack('>H', data[tables['head'][0] + 18: tables['head'][0] + 20])[0]
    nhm = struct.unpack('>H', data[tables['hhea'][0] + 34: tables['hhea'][0] + 36])[0]
    hoff = tables['hmtx'][0]
    adv = [struct.unpack('>H', data[hoff + 4 * i: hoff + 4 * i + 2])[0] for i in range(nhm)]
    coff = tables['cmap'][0]
    n = struct.unpack('>H', data[coff + 2: coff + 4])[0]
    sub = None
    for i in range(n):
        pid, eid, off = struct.unpack('>HHI', data[coff + 4 + 8 * i: coff + 12 + 8 * i])
        if pid == 3 and eid == 1: sub = coff + off
    assert struct.unpack('>H', data[sub:sub + 2])[0] == 4
    segx2 = struct.unpack('>H', data[sub + 6: sub + 8])[0]
    ends = struct.unpack('>%dH' % (segx2 // 2), data[sub + 14: sub + 14 + segx2])
    starts = struct.unpack('>%dH' % (segx2 // 2), data[sub + 16 + segx2: sub + 16 + 2 * segx2])
    deltas = struct.unpack('>%dh' % (segx2 // 2), data[sub + 16 + 2 * segx2: sub + 16 + 3 * segx2])
    roff_pos = sub + 16 + 3 * segx2
    roffs = struct.unpack('>%dH' % (segx2 // 2), data[roff_pos: roff_pos + segx2])
    def glyph(c):
        for k in range(len(ends)):
            if starts[k] <= c <= ends[k]:
                if roffs[k] == 0: return (c + deltas[k]) & 0xffff
                p = roff_pos + 2 * k + roffs[k] + 2 * (c - starts[k])
                g = struct.unpack('>H', data[p:p + 2])[0]
                return (g + deltas[k]) & 0xffff if g else 0
        return 0
    chars = ''.join(chr(c) for c in range(32, 127)) + '±—…²%°'
    return {ch: round(adv[min(glyph(ord(ch)), nhm - 1)] / upem, 4) for ch in chars}
out = {w: widths(f'/usr/share/fonts/truetype/dejavu/DejaVuSans{s}.ttf') for w, s in [('normal', ''), ('bold', '-Bold')]}
print(json.dumps(out))
