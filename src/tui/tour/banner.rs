//! The tour's banner: the caption of the step on screen, below the console
//! (which keeps every row above it), with the step counter and the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::text::fit;

use super::super::theme::Theme;

/// The rows the banner takes at the bottom of the screen.
pub const BANNER_ROWS: u16 = 4;

/// What the banner says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner {
    /// Step `step` (from 1) of `of` is on screen.
    Step {
        title: String,
        step: usize,
        of: usize,
        caption: Vec<String>,
        /// Seconds between steps when the tour plays by itself.
        autoplay: Option<u64>,
    },
    /// The presenter uses the console freely; `p` replays back to `step`.
    Paused { step: usize, of: usize },
    /// A step did not match its fixture.
    Failed {
        step: usize,
        of: usize,
        lines: Vec<String>,
    },
}

/// Draws the banner in `area` (the screen's last [`BANNER_ROWS`] rows).
pub fn draw_banner(frame: &mut Frame, area: Rect, t: &Theme, banner: &Banner) {
    frame.render_widget(Clear, area);
    let (head, body, keys, border) = match banner {
        Banner::Step {
            title,
            step,
            of,
            caption,
            autoplay,
        } => {
            let next = if step == of {
                "the end"
            } else {
                "→ Space next"
            };
            let mut keys: Vec<String> = [next, "← back", "p use freely", "q quit"]
                .into_iter()
                .map(str::to_string)
                .collect();
            if let Some(s) = autoplay {
                keys.insert(0, format!("plays every {s} s"));
            }
            (
                format!("Tour · {title} · step {step} of {of}"),
                caption.clone(),
                keys,
                t.border_focus,
            )
        }
        Banner::Paused { step, of } => (
            format!("Tour paused at step {step} of {of}"),
            vec![
                "The console is yours: every key works as usual.".to_string(),
                format!("p goes back to the tour (replayed to step {step} on a fresh store)."),
            ],
            vec!["p back to the tour".to_string(), "Ctrl-C quit".to_string()],
            t.border,
        ),
        Banner::Failed { step, of, lines } => (
            format!("Tour · step {step} of {of} does not match its fixture"),
            lines.clone(),
            vec!["← back".to_string(), "q quit".to_string()],
            t.status_error,
        ),
    };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    draw(frame, area, t, &head, &body, &keys, border);
}

fn draw(
    frame: &mut Frame,
    area: Rect,
    t: &Theme,
    head: &str,
    body: &[String],
    keys: &[&str],
    border: ratatui::style::Style,
) {
    let w = usize::from(area.width.saturating_sub(4));
    let hints = keys.join(" · ");
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Line::from(vec![
            Span::raw(" "),
            Span::styled(fit(head, w.saturating_sub(2)).into_owned(), t.title),
            Span::raw(" "),
        ]))
        .title_bottom(
            Line::from(Span::styled(format!(" {} ", fit(&hints, w)), t.muted)).right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = body
        .iter()
        .take(usize::from(inner.height))
        .map(|l| {
            Line::styled(
                fit(l, usize::from(inner.width.saturating_sub(1))).into_owned(),
                t.text,
            )
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        },
    );
}
