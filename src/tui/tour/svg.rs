//! A screen as an SVG picture, from the console's own buffer: every cell's
//! character, colours and weight, so the README's pictures are what the
//! program draws. The output depends on the buffer only (no clock, no
//! random ids), so a picture can be compared byte for byte.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// One cell, in pixels.
const CELL_W: u32 = 9;
const CELL_H: u32 = 19;
/// The terminal's own colours (`Color::Reset`).
const DEFAULT_FG: &str = "#d4d4d4";
const DEFAULT_BG: &str = "#1e1e1e";

/// The 16 named colours, as xterm draws them.
const ANSI: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

fn indexed(n: u8) -> String {
    match n {
        0..=15 => ANSI[usize::from(n)].to_string(),
        16..=231 => {
            let n = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * u32::from(v) };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(n / 36),
                level((n / 6) % 6),
                level(n % 6)
            )
        }
        232..=255 => {
            let v = 8 + 10 * u32::from(n - 232);
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

fn color(c: Color) -> Option<String> {
    Some(match c {
        Color::Reset => return None,
        Color::Black => ANSI[0].into(),
        Color::Red => ANSI[1].into(),
        Color::Green => ANSI[2].into(),
        Color::Yellow => ANSI[3].into(),
        Color::Blue => ANSI[4].into(),
        Color::Magenta => ANSI[5].into(),
        Color::Cyan => ANSI[6].into(),
        Color::Gray => ANSI[7].into(),
        Color::DarkGray => ANSI[8].into(),
        Color::LightRed => ANSI[9].into(),
        Color::LightGreen => ANSI[10].into(),
        Color::LightYellow => ANSI[11].into(),
        Color::LightBlue => ANSI[12].into(),
        Color::LightMagenta => ANSI[13].into(),
        Color::LightCyan => ANSI[14].into(),
        Color::White => ANSI[15].into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(n) => indexed(n),
    })
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Look {
    fg: String,
    bg: Option<String>,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
}

/// The picture of `buf`, with `title` for screen readers.
pub fn svg(buf: &Buffer, title: &str) -> String {
    let area = buf.area;
    let (w, h) = (
        u32::from(area.width) * CELL_W,
        u32::from(area.height) * CELL_H,
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace\" font-size=\"15\" xml:space=\"preserve\" role=\"img\">"
    );
    out.push_str("<title>");
    escape(title, &mut out);
    out.push_str("</title>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{w}\" height=\"{h}\" fill=\"{DEFAULT_BG}\"/>"
    );
    let mut texts = String::new();
    for y in area.top()..area.bottom() {
        // Runs of cells of one look: (first column, cells, text, look).
        let mut runs: Vec<(u16, u16, String, Look)> = Vec::new();
        let mut x = area.left();
        while x < area.right() {
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            let cells = u16::try_from(unicode_width::UnicodeWidthStr::width(sym).max(1))
                .unwrap_or(1)
                .min(area.right() - x);
            let m = cell.modifier;
            let (mut fg, mut bg) = (color(cell.fg), color(cell.bg));
            if m.contains(Modifier::REVERSED) {
                (fg, bg) = (
                    Some(bg.unwrap_or_else(|| DEFAULT_BG.into())),
                    Some(fg.unwrap_or_else(|| DEFAULT_FG.into())),
                );
            }
            let look = Look {
                fg: fg.unwrap_or_else(|| DEFAULT_FG.into()),
                bg,
                bold: m.contains(Modifier::BOLD),
                dim: m.contains(Modifier::DIM),
                italic: m.contains(Modifier::ITALIC),
                underline: m.contains(Modifier::UNDERLINED),
            };
            match runs.last_mut() {
                Some(r) if r.3 == look => {
                    r.1 += cells;
                    r.2.push_str(sym);
                }
                _ => runs.push((x, cells, sym.to_string(), look)),
            }
            x += cells;
        }
        let top = u32::from(y - area.top()) * CELL_H;
        // Backgrounds first, one rectangle for each run of one colour.
        let mut fills: Vec<(u16, u16, &str)> = Vec::new();
        for (x0, cells, _, look) in &runs {
            match (fills.last_mut(), &look.bg) {
                (Some(f), Some(bg)) if f.2 == bg && f.0 + f.1 == *x0 => f.1 += cells,
                (_, Some(bg)) => fills.push((*x0, *cells, bg)),
                (_, None) => {}
            }
        }
        for (x0, cells, bg) in fills {
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{top}\" width=\"{}\" height=\"{CELL_H}\" fill=\"{bg}\"/>",
                u32::from(x0 - area.left()) * CELL_W,
                u32::from(cells) * CELL_W
            );
        }
        for (x0, cells, text, look) in &runs {
            let left = u32::from(x0 - area.left()) * CELL_W;
            let width = u32::from(*cells) * CELL_W;
            if text.trim().is_empty() && !look.underline {
                continue;
            }
            let _ = write!(
                texts,
                "<text x=\"{left}\" y=\"{}\" textLength=\"{width}\" lengthAdjust=\"spacingAndGlyphs\" fill=\"{}\"",
                top + CELL_H - 5,
                look.fg
            );
            if look.bold {
                texts.push_str(" font-weight=\"bold\"");
            }
            if look.dim {
                texts.push_str(" opacity=\"0.6\"");
            }
            if look.italic {
                texts.push_str(" font-style=\"italic\"");
            }
            if look.underline {
                texts.push_str(" text-decoration=\"underline\"");
            }
            texts.push('>');
            escape(text, &mut texts);
            texts.push_str("</text>\n");
        }
    }
    out.push_str(&texts);
    out.push_str("</svg>\n");
    out
}
