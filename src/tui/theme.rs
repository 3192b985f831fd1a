//! Colours and text styles, read from `assets/theme.yaml` (embedded) and
//! optionally overridden by the user's `theme.yaml`. `NO_COLOR` drops every
//! colour and keeps the text attributes, so the screen stays legible.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const DEFAULT_THEME: &str = include_str!("../../assets/theme.yaml");

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    styles: BTreeMap<String, StyleSpec>,
}

/// Every style the console draws with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Theme {
    pub text: Style,
    pub muted: Style,
    pub header: Style,
    pub brand: Style,
    pub breadcrumb: Style,
    pub breadcrumb_current: Style,
    pub user: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub table_header: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub button: Style,
    pub button_focus: Style,
    pub button_disabled: Style,
    pub danger: Style,
    pub badge_leaked: Style,
    pub badge_locked: Style,
    pub badge_disabled: Style,
    pub badge_expired: Style,
    pub badge_functional: Style,
    pub badge_managed: Style,
    pub status_info: Style,
    pub status_ok: Style,
    pub status_error: Style,
    pub warning: Style,
    pub key: Style,
    pub input: Style,
    pub input_focus: Style,
    pub placeholder: Style,
    pub spinner: Style,
    pub secret: Style,
    pub label: Style,
    /// Colours are off (`NO_COLOR`): widgets add visible markers instead.
    pub monochrome: bool,
}

fn color(s: &str, name: &str) -> Result<Color, String> {
    Color::from_str(s).map_err(|_| format!("style {name}: {s:?} is not a colour"))
}

fn build(spec: &StyleSpec, name: &str, colors: bool) -> Result<Style, String> {
    let mut st = Style::default();
    if let Some(fg) = &spec.fg {
        let c = color(fg, name)?;
        if colors {
            st = st.fg(c);
        }
    }
    if let Some(bg) = &spec.bg {
        let c = color(bg, name)?;
        if colors {
            st = st.bg(c);
        }
    }
    let flags = [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underlined, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
    ];
    for (on, m) in flags {
        if on {
            st = st.add_modifier(m);
        }
    }
    Ok(st)
}

fn parse(text: &str, origin: &str) -> Result<BTreeMap<String, StyleSpec>, String> {
    crate::yaml::from_str::<ThemeFile>(text)
        .map(|f| f.styles)
        .map_err(|e| {
            let at = e.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            format!("{origin}{at}: {}", e.message)
        })
}

macro_rules! assign {
    ($theme:ident, $name:expr, $style:expr, $($field:ident),* $(,)?) => {
        match $name {
            $(stringify!($field) => { $theme.$field = $style; true })*
            _ => false,
        }
    };
}

impl Theme {
    /// The embedded theme; `colors: false` for `NO_COLOR`.
    pub fn builtin(colors: bool) -> Theme {
        Theme::from_specs(
            parse(DEFAULT_THEME, "assets/theme.yaml").expect("the embedded theme parses"),
            None,
            colors,
        )
        .expect("the embedded theme is valid")
    }

    fn from_specs(
        base: BTreeMap<String, StyleSpec>,
        user: Option<BTreeMap<String, StyleSpec>>,
        colors: bool,
    ) -> Result<Theme, String> {
        let mut specs = base;
        if let Some(user) = user {
            specs.extend(user);
        }
        let mut t = Theme {
            monochrome: !colors,
            ..Theme::default()
        };
        for (name, spec) in &specs {
            let style = build(spec, name, colors)?;
            let known = assign!(
                t,
                name.as_str(),
                style,
                text,
                muted,
                header,
                brand,
                breadcrumb,
                breadcrumb_current,
                user,
                title,
                border,
                border_focus,
                table_header,
                selected,
                selected_unfocused,
                button,
                button_focus,
                button_disabled,
                danger,
                badge_leaked,
                badge_locked,
                badge_disabled,
                badge_expired,
                badge_functional,
                badge_managed,
                status_info,
                status_ok,
                status_error,
                warning,
                key,
                input,
                input_focus,
                placeholder,
                spinner,
                secret,
                label,
            );
            if !known {
                return Err(format!("unknown style {name:?}"));
            }
        }
        if !colors {
            // Without colours the selection must still stand out.
            t.selected = t.selected.add_modifier(Modifier::REVERSED);
            t.button_focus = t.button_focus.add_modifier(Modifier::REVERSED);
            t.input_focus = t.input_focus.add_modifier(Modifier::UNDERLINED);
        }
        Ok(t)
    }

    /// The default theme with the user's `theme.yaml` applied, if any.
    pub fn load(config_dir: Option<&Path>, colors: bool) -> (Theme, Option<String>) {
        let Some(path) = config_dir.map(|d| d.join("theme.yaml")) else {
            return (Theme::builtin(colors), None);
        };
        let text = match crate::yaml::read_file(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (Theme::builtin(colors), None);
            }
            Err(e) => {
                return (
                    Theme::builtin(colors),
                    Some(format!("theme ignored: {}: {e}", path.display())),
                );
            }
        };
        let origin = path.display().to_string();
        let result = parse(&text, &origin).and_then(|user| {
            let base = parse(DEFAULT_THEME, "assets/theme.yaml")?;
            Theme::from_specs(base, Some(user), colors).map_err(|e| format!("{origin}: {e}"))
        });
        match result {
            Ok(t) => (t, None),
            Err(e) => (Theme::builtin(colors), Some(format!("theme ignored: {e}"))),
        }
    }
}

/// True when colours are wanted: `NO_COLOR` unset or empty.
pub fn colors_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_theme_loads_with_and_without_colour() {
        let t = Theme::builtin(true);
        assert!(t.selected.bg.is_some());
        let m = Theme::builtin(false);
        assert!(m.selected.bg.is_none() && m.selected.fg.is_none());
        assert!(m.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn a_bad_user_theme_is_reported() {
        let user = parse("styles:\n  nonsense: { fg: red }\n", "t").unwrap();
        let base = parse(DEFAULT_THEME, "d").unwrap();
        assert!(Theme::from_specs(base, Some(user), true).is_err());
    }
}
