//! Key bindings, read from `assets/keymap.yaml` (embedded) and optionally
//! overridden by the user's `keymap.yaml` in the config directory.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.yaml");

/// What a key asks for. The same name means the same thing in every
/// context; each context picks the ones that make sense there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Help,
    Quit,
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    ViewMenu,
    Search,
    SortNext,
    SortReverse,
    Create,
    Details,
    Edit,
    Delete,
    ToggleLock,
    ToggleDisable,
    ClearLeak,
    Rotate,
    InactiveReport,
    MoreDays,
    FewerDays,
    Accounts,
    Settings,
    Persona,
    Refresh,
    NextArea,
    PrevArea,
    NextField,
    PrevField,
    Toggle,
    Confirm,
    Close,
    Show,
    Copy,
    Download,
}

/// Where a key is pressed: the top popup, or the screen under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Page,
    Menu,
    Form,
    Reveal,
    Confirm,
    Details,
    Report,
    SignIn,
}

impl Context {
    pub const ALL: [Context; 9] = [
        Context::Global,
        Context::Page,
        Context::Menu,
        Context::Form,
        Context::Reveal,
        Context::Confirm,
        Context::Details,
        Context::Report,
        Context::SignIn,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Page => "API keys page",
            Context::Menu => "Menus and dropdowns",
            Context::Form => "Create and edit dialogs",
            Context::Reveal => "New API key",
            Context::Confirm => "Confirmations",
            Context::Details => "Details",
            Context::Report => "Inactive identities report",
            Context::SignIn => "Sign-in",
        }
    }
}

/// One key: a code and the modifiers that matter (Ctrl, Alt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// The key a terminal event stands for. Shift is part of the character
    /// (`G`, `?`), so it is not a modifier here.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let code = match ev.code {
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            other => other,
        };
        Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut rest = spec;
        let mut ctrl = false;
        let mut alt = false;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdown" => KeyCode::PageDown,
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key {spec:?}")),
                },
                _ => return Err(format!("unknown key {spec:?}")),
            },
        };
        Ok(Key { code, ctrl, alt })
    }

    /// Is this a character to type into a text field?
    pub fn typed_char(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    action: Command,
    keys: Vec<String>,
    #[serde(default)]
    desc: String,
}

type KeymapFile = BTreeMap<Context, Vec<BindingFile>>;

/// One binding as the help screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub command: Command,
    pub keys: Vec<Key>,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    contexts: BTreeMap<Context, Vec<Binding>>,
}

fn convert(file: KeymapFile, origin: &str) -> Result<BTreeMap<Context, Vec<Binding>>, String> {
    let mut out = BTreeMap::new();
    for (ctx, list) in file {
        let mut bindings = Vec::new();
        for b in list {
            let keys = b
                .keys
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{origin}: {e}"))?;
            bindings.push(Binding {
                command: b.action,
                keys,
                desc: b.desc,
            });
        }
        out.insert(ctx, bindings);
    }
    Ok(out)
}

fn parse_file(text: &str, origin: &str) -> Result<KeymapFile, String> {
    crate::yaml::from_str::<KeymapFile>(text).map_err(|e| {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
            _ => String::new(),
        };
        let path = if e.path.is_empty() {
            String::new()
        } else {
            format!(" at {}", e.path)
        };
        format!("{origin}{path}{at}: {}", e.message)
    })
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::builtin()
    }
}

impl Keymap {
    /// The embedded default keymap.
    pub fn builtin() -> Keymap {
        let file = parse_file(DEFAULT_KEYMAP, "assets/keymap.yaml")
            .expect("the embedded keymap is valid YAML");
        Keymap {
            contexts: convert(file, "assets/keymap.yaml").expect("the embedded keymap is valid"),
        }
    }

    /// The default keymap with the user's overrides applied: an action
    /// listed in the user's file gets the user's keys in that context.
    pub fn with_overrides(text: &str, origin: &str) -> Result<Keymap, String> {
        let mut map = Keymap::builtin();
        let user = convert(parse_file(text, origin)?, origin)?;
        for (ctx, list) in user {
            let target = map.contexts.entry(ctx).or_default();
            for b in list {
                match target.iter_mut().find(|t| t.command == b.command) {
                    Some(t) => {
                        t.keys = b.keys;
                        if !b.desc.is_empty() {
                            t.desc = b.desc;
                        }
                    }
                    None => target.push(b),
                }
            }
        }
        Ok(map)
    }

    /// The keymap for this user: the user's file if there is one.
    /// A broken file is reported and the defaults are used.
    pub fn load(config_dir: Option<&Path>) -> (Keymap, Option<String>) {
        let Some(path) = config_dir.map(|d| d.join("keymap.yaml")) else {
            return (Keymap::builtin(), None);
        };
        match crate::yaml::read_file(&path) {
            Ok(text) => match Keymap::with_overrides(&text, &path.display().to_string()) {
                Ok(k) => (k, None),
                Err(e) => (Keymap::builtin(), Some(format!("keymap ignored: {e}"))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Keymap::builtin(), None),
            Err(e) => (
                Keymap::builtin(),
                Some(format!("keymap ignored: {}: {e}", path.display())),
            ),
        }
    }

    pub fn lookup(&self, ctx: Context, key: Key) -> Option<Command> {
        self.contexts
            .get(&ctx)?
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.command)
    }

    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts.get(&ctx).map_or(&[], |v| v.as_slice())
    }

    /// The first key bound to `command` in `ctx`, for hints.
    pub fn key_for(&self, ctx: Context, command: Command) -> Option<Key> {
        self.bindings(ctx)
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| b.keys.first().copied())
    }

    /// The first key bound to `command` in `ctx` that still works while a
    /// text field has the focus (not a plain character, which types).
    pub fn hint_typing(&self, ctx: Context, command: Command) -> String {
        self.bindings(ctx)
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| b.keys.iter().find(|k| k.typed_char().is_none()))
            .map(std::string::ToString::to_string)
            .unwrap_or_default()
    }

    /// `key_for` as text, or an empty string.
    pub fn hint(&self, ctx: Context, command: Command) -> String {
        self.key_for(ctx, command)
            .map(|k| k.to_string())
            .unwrap_or_default()
    }
}

/// The directory the user's keymap.yaml and theme.yaml are read from.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "iamkeys").map(|p| p.config_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse() {
        assert_eq!(
            Key::parse("ctrl-r").unwrap(),
            Key {
                code: KeyCode::Char('r'),
                ctrl: true,
                alt: false
            }
        );
        assert_eq!(Key::parse("G").unwrap().code, KeyCode::Char('G'));
        assert_eq!(Key::parse("backtab").unwrap().code, KeyCode::BackTab);
        assert_eq!(Key::parse("f1").unwrap().code, KeyCode::F(1));
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn builtin_keymap_loads_and_overrides_apply() {
        let k = Keymap::builtin();
        assert_eq!(
            k.lookup(Context::Page, Key::parse("v").unwrap()),
            Some(Command::ViewMenu)
        );
        let o = Keymap::with_overrides("page:\n  - { action: view_menu, keys: [f] }\n", "test")
            .unwrap();
        assert_eq!(
            o.lookup(Context::Page, Key::parse("f").unwrap()),
            Some(Command::ViewMenu)
        );
        assert_eq!(o.lookup(Context::Page, Key::parse("v").unwrap()), None);
        assert!(Keymap::with_overrides("page: [ { action: fly, keys: [f] } ]", "t").is_err());
    }
}
