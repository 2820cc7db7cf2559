#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Render a tmux `capture-pane -p -e` capture (text with SGR colour escapes)
to a PNG, one monospace cell per character, on a dark terminal palette.
Needs python3-pil and fonts-dejavu-core (Debian).

usage: ansi2png.py CAPTURE.txt OUT.png [COLS ROWS]
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 26, 32)
FG = (214, 216, 222)
PALETTE = [
    (40, 42, 54), (228, 86, 73), (80, 200, 120), (230, 192, 70),
    (90, 140, 240), (200, 110, 220), (70, 200, 210), (214, 216, 222),
    (110, 114, 128), (255, 110, 100), (120, 230, 150), (255, 220, 110),
    (130, 170, 255), (230, 140, 250), (110, 230, 240), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        lv = [0, 95, 135, 175, 215, 255]
        return (lv[n // 36], lv[n // 6 % 6], lv[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


def parse(text):
    """Yield rows of (char, fg, bg, bold, underline) cells."""
    st = {"fg": None, "bg": None, "bold": False, "dim": False,
          "ul": False, "rev": False}
    for line in text.split("\n"):
        row = []
        for tok in re.split(r"(\x1b\[[0-9;:]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;:]*)m", tok)
            if m:
                codes = [int(c) if c else 0
                         for c in re.split("[;:]", m.group(1))] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        st.update(fg=None, bg=None, bold=False, dim=False,
                                  ul=False, rev=False)
                    elif c == 1:
                        st["bold"] = True
                    elif c == 2:
                        st["dim"] = True
                    elif c == 4:
                        st["ul"] = True
                    elif c == 7:
                        st["rev"] = True
                    elif c == 22:
                        st["bold"] = st["dim"] = False
                    elif c == 24:
                        st["ul"] = False
                    elif c == 27:
                        st["rev"] = False
                    elif 30 <= c <= 37:
                        st["fg"] = PALETTE[c - 30]
                    elif 90 <= c <= 97:
                        st["fg"] = PALETTE[c - 90 + 8]
                    elif c == 39:
                        st["fg"] = None
                    elif 40 <= c <= 47:
                        st["bg"] = PALETTE[c - 40]
                    elif 100 <= c <= 107:
                        st["bg"] = PALETTE[c - 100 + 8]
                    elif c == 49:
                        st["bg"] = None
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        st["fg" if c == 38 else "bg"] = xterm256(codes[i + 2])
                        i += 2
                    elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                        st["fg" if c == 38 else "bg"] = tuple(codes[i + 2:i + 5])
                        i += 4
                    i += 1
                continue
            for ch in tok:
                fg = st["fg"] or FG
                bg = st["bg"] or BG
                if st["dim"]:
                    fg = tuple(int(v * 0.6 + b * 0.4) for v, b in zip(fg, BG))
                if st["rev"]:
                    fg, bg = bg, fg
                row.append((ch, fg, bg, st["bold"], st["ul"]))
        yield row


def main():
    text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    rows = list(parse(text.rstrip("\n")))
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else max(len(r) for r in rows)
    nrows = int(sys.argv[4]) if len(sys.argv) > 4 else len(rows)
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(BOLD, SIZE)
    cw = round(font.getlength("M"))
    ch = SIZE + 5
    pad = 12
    img = Image.new("RGB", (cols * cw + 2 * pad, nrows * ch + 2 * pad), BG)
    d = ImageDraw.Draw(img)
    for y, row in enumerate(rows[:nrows]):
        for x, (c, fg, bg, b, ul) in enumerate(row[:cols]):
            px, py = pad + x * cw, pad + y * ch
            if bg != BG:
                d.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c in "█▀▄":  # draw blocks exactly so bars join up
                top = py + (ch // 2 if c == "▄" else 0)
                bot = py + (ch // 2 if c == "▀" else ch) - 1
                d.rectangle([px, top, px + cw - 1, bot], fill=fg)
            elif 0x2800 <= ord(c) <= 0x28ff:  # braille: draw the dots
                bits = ord(c) - 0x2800
                dots = [(0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04),
                        (1, 0, 0x08), (1, 1, 0x10), (1, 2, 0x20),
                        (0, 3, 0x40), (1, 3, 0x80)]
                for dx, dy, bit in dots:
                    if bits & bit:
                        cx = px + cw * (1 + 2 * dx) // 4
                        cy = py + ch * (1 + 2 * dy) // 8
                        d.ellipse([cx - 1, cy - 1, cx + 1, cy + 1], fill=fg)
            elif c != " ":
                d.text((px, py + 2), c, font=bold if b else font, fill=fg)
            if ul:
                d.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    img.save(sys.argv[2])


if __name__ == "__main__":
    main()
