//! Text from the store shown on a terminal: made inert and fitted to a width.
//!
//! Names and descriptions are user input. A name carrying an escape sequence
//! must not move the cursor, change colours, set the window title or write
//! the clipboard when it is listed, so every control character is shown as a
//! visible picture instead of being sent to the terminal.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Replaces control characters (C0, DEL, C1) and bidirectional overrides by
/// visible stand-ins: ESC shows as `␛`, BEL as `␇`, and so on.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                '\u{7f}' => '\u{2421}',
                c if c.is_control() || is_bidi_control(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` (already inert) to at most `max` cells, ending in `…` if cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Pads `s` with spaces to `cells` cells.
pub fn pad(s: &str, cells: usize) -> String {
    let w = width(s);
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_pictures() {
        assert_eq!(inert("a\u{1b}[31mred\u{7}"), "a␛[31mred␇");
        assert_eq!(inert("\u{9b}x\u{202e}"), "\u{fffd}x\u{fffd}");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn fit_counts_wide_characters() {
        assert_eq!(width("日本"), 4);
        assert_eq!(fit("日本語のキー", 7), "日本語…");
        assert_eq!(fit("short", 10), "short");
    }
}
