//! Demo tours: a presenter's walkthrough that plays itself.
//!
//! # Tour format, version 1
//!
//! A tour is one YAML file. It names the fixture it walks, then lists
//! steps; each step puts the console somewhere (a persona, an account, a
//! View option, a selected key, keys pressed) and says what the screen must
//! show afterwards, so that a tour that no longer matches its fixture fails
//! at the step that broke, with what was expected and what was there.
//!
//! ```yaml
//! version: 1                        # required, must be 1
//! title: Table 1 on the demo        # required, one line
//! fixture: ../fixtures/demo.yaml    # optional: relative to the tour file; default the built-in demo
//! size: [120, 36]                   # optional: the console's columns and rows for `tour check`
//!                                   #   and `tour pictures` (default 120×36, at least 60×15)
//! clock: 2026-11-28T12:00:00Z       # optional: the time the console shows (expired badges),
//!                                   #   so the tour looks the same on any day; required for pictures
//! steps:                            # required, at least one
//!   - caption: |                    # required: one or two lines of at most 110 characters
//!       Katherine is a member: two View options.
//!     as: katherine@acme.example    # optional: be signed in as this persona (kept from the step before)
//!     account: acme                 # optional: in this account (kept from the step before)
//!     view: classic                 # optional: choose a View option (my | users | service-ids | classic)
//!     select: alan-notebook         # optional: move the selection to the key of this name
//!     keys: "v"                     # optional: keys to press, by their keymap names, space separated
//!     type: "ci-"                   # optional: text typed after the keys
//!     then: "enter"                 # optional: keys pressed after the text
//!     picture: katherine-views      # optional: `tour pictures` writes katherine-views.svg here
//!     expect:                       # required, at least one check
//!       views: [My IBM Cloud API keys, Classic infrastructure API keys]  # the View options, in order
//!       view: My IBM Cloud API keys # the View option chosen
//!       rows: [katherine-ci]        # the names the table lists, in order (after the search)
//!       screen: ["Katherine Johnson"]   # texts somewhere on the screen
//!       hidden: ["Create +"]        # texts nowhere on the screen
//!       status: "View: My IBM"      # text in the status line
//! ```
//!
//! A step runs in this order: sign in (when `as` or `account` differ from
//! where the console is; a sign-in opens "My IBM Cloud API keys"), `view`,
//! `select`, `keys`, `type`, `then`; every piece of work a key starts (a
//! load, a create) finishes before the next key and before the checks. Keys
//! are named as in `assets/keymap.yaml` (`j`, `enter`, `esc`, `space`,
//! `ctrl-r`, `G`), and a tour always plays with the built-in keymap, so that
//! it plays the same on every machine. Unknown fields are an error; errors
//! name the file, line and column and the item (`steps[2].expect.views[1]`).
//!
//! A tour plays on a throwaway store seeded from its fixture: going back a
//! step replays the tour from the start on a fresh store, so every step is
//! seen as the tour wrote it.

mod banner;
mod player;
pub mod record;
mod run;
pub mod svg;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::access::ViewFilter;
use crate::yaml;

use super::keymap::Key;

pub use banner::{BANNER_ROWS, Banner, draw_banner};
pub use player::{Player, StepFailure, screen_text};
pub use run::{TourRun, check, pictures, run_tour};

/// Reads a string-valued field through `TryFrom<String>` inside the
/// scalar's own visitor, so that a refusal carries that scalar's line and
/// column (serde's `try_from` would report the enclosing item's).
fn from_scalar<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<String, Error = String>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<T: TryFrom<String, Error = String>> serde::de::Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            T::try_from(v.to_string()).map_err(E::custom)
        }
    }
    d.deserialize_str(V(std::marker::PhantomData))
}

macro_rules! string_field {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                from_scalar(d)
            }
        }
    )*};
}

string_field!(OneLine, Caption, Clock, Keys, Text, PictureName, ViewLabel);

/// The built-in tour: Table 1 on the built-in demo.
pub const BUILTIN: &str = include_str!("../../../assets/tours/table1.yaml");
/// How the built-in tour is named on the command line.
pub const BUILTIN_NAME: &str = "builtin";

/// The longest caption line, in characters.
pub const CAPTION_WIDTH: usize = 110;

/// A tour, as read and checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tour {
    pub version: Version,
    pub title: OneLine,
    /// The fixture, as written in the tour (relative to the tour file).
    #[serde(default)]
    pub fixture: Option<String>,
    #[serde(default)]
    pub size: Option<Size>,
    #[serde(default)]
    pub clock: Option<Clock>,
    pub steps: Steps,
    /// Where the tour was read from (empty for the built-in one).
    #[serde(skip)]
    pub origin: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "u32")]
pub struct Version;

impl TryFrom<u32> for Version {
    type Error = String;
    fn try_from(v: u32) -> Result<Version, String> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(format!(
                "version {v} is not known: this iamkeys reads tour version 1"
            ))
        }
    }
}

/// One line of text: no control characters, 1 to 110 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneLine(pub String);

impl TryFrom<String> for OneLine {
    type Error = String;
    fn try_from(s: String) -> Result<OneLine, String> {
        check_line(&s)?;
        Ok(OneLine(s))
    }
}

fn check_line(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("empty text".into());
    }
    if s.chars().any(char::is_control) {
        return Err("control characters are not allowed here".into());
    }
    let n = s.chars().count();
    if n > CAPTION_WIDTH {
        return Err(format!(
            "a line of {n} characters: at most {CAPTION_WIDTH} fit the banner"
        ));
    }
    Ok(())
}

/// A caption: one or two lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption(pub Vec<String>);

impl TryFrom<String> for Caption {
    type Error = String;
    fn try_from(s: String) -> Result<Caption, String> {
        let lines: Vec<String> = s
            .trim_end_matches('\n')
            .lines()
            .map(str::to_string)
            .collect();
        if lines.is_empty() || lines.len() > 2 {
            return Err(format!(
                "a caption has one or two lines, not {}",
                lines.len()
            ));
        }
        for l in &lines {
            check_line(l)?;
        }
        Ok(Caption(lines))
    }
}

impl fmt::Display for Caption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// The console's size for checks and pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<u16>")]
pub struct Size(pub u16, pub u16);

impl Default for Size {
    fn default() -> Size {
        Size(120, 36)
    }
}

impl TryFrom<Vec<u16>> for Size {
    type Error = String;
    fn try_from(v: Vec<u16>) -> Result<Size, String> {
        match v[..] {
            [w, h] if (60..=400).contains(&w) && (15..=200).contains(&h) => Ok(Size(w, h)),
            [_, _] => Err("a size of 60 to 400 columns and 15 to 200 rows".into()),
            _ => Err("a size is [columns, rows]".into()),
        }
    }
}

/// The time the console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(pub jiff::Timestamp);

impl TryFrom<String> for Clock {
    type Error = String;
    fn try_from(s: String) -> Result<Clock, String> {
        crate::time::parse_moment(&s)?;
        s.parse::<jiff::Timestamp>()
            .map(Clock)
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Vec<Step>")]
pub struct Steps(pub Vec<Step>);

impl TryFrom<Vec<Step>> for Steps {
    type Error = String;
    fn try_from(v: Vec<Step>) -> Result<Steps, String> {
        if v.is_empty() {
            return Err("a tour has at least one step".into());
        }
        if v.len() > 200 {
            return Err(format!("{} steps: a tour has at most 200", v.len()));
        }
        Ok(Steps(v))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub caption: Caption,
    #[serde(default, rename = "as")]
    pub persona: Option<OneLine>,
    #[serde(default)]
    pub account: Option<OneLine>,
    #[serde(default)]
    pub view: Option<TourView>,
    #[serde(default)]
    pub select: Option<OneLine>,
    #[serde(default)]
    pub keys: Option<Keys>,
    #[serde(default, rename = "type")]
    pub text: Option<Text>,
    #[serde(default)]
    pub then: Option<Keys>,
    #[serde(default)]
    pub picture: Option<PictureName>,
    pub expect: Expect,
}

/// A View option, by its command-line id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TourView {
    My,
    Users,
    ServiceIds,
    Classic,
}

impl From<TourView> for ViewFilter {
    fn from(v: TourView) -> ViewFilter {
        match v {
            TourView::My => ViewFilter::MyApiKeys,
            TourView::Users => ViewFilter::AllUserApiKeys,
            TourView::ServiceIds => ViewFilter::AllServiceIdApiKeys,
            TourView::Classic => ViewFilter::ClassicInfrastructure,
        }
    }
}

/// Keys by their keymap names, space separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys(pub Vec<Key>);

impl TryFrom<String> for Keys {
    type Error = String;
    fn try_from(s: String) -> Result<Keys, String> {
        let keys = s
            .split_whitespace()
            .map(|k| Key::parse(k).map_err(|e| format!("{k:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("no keys: name at least one, or leave the field out".into());
        }
        if keys.len() > 200 {
            return Err("more than 200 keys in one field".into());
        }
        Ok(Keys(keys))
    }
}

/// Text to type: printable, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl TryFrom<String> for Text {
    type Error = String;
    fn try_from(s: String) -> Result<Text, String> {
        if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err("text to type: 1 to 200 printable characters".into());
        }
        Ok(Text(s))
    }
}

/// A picture's file name, without `.svg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureName(pub String);

impl TryFrom<String> for PictureName {
    type Error = String;
    fn try_from(s: String) -> Result<PictureName, String> {
        let ok = (1..=60).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(PictureName(s))
        } else {
            Err(format!(
                "{s:?}: a picture's name is 1 to 60 of a-z, 0-9 and -"
            ))
        }
    }
}

/// A View option's label, exactly as the seed's Table 1 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewLabel(pub ViewFilter);

impl TryFrom<String> for ViewLabel {
    type Error = String;
    fn try_from(s: String) -> Result<ViewLabel, String> {
        ViewFilter::ALL
            .into_iter()
            .find(|v| v.label() == s)
            .map(ViewLabel)
            .ok_or_else(|| {
                let all: Vec<&str> = ViewFilter::ALL.iter().map(|v| v.label()).collect();
                format!(
                    "{s:?} is not a View option; the options are: {}",
                    all.join(", ")
                )
            })
    }
}

/// What the screen must show after a step.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawExpect")]
pub struct Expect {
    pub views: Option<Vec<ViewLabel>>,
    pub view: Option<ViewLabel>,
    pub rows: Option<Vec<String>>,
    pub screen: Vec<String>,
    pub hidden: Vec<String>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    #[serde(default)]
    views: Option<Vec<ViewLabel>>,
    #[serde(default)]
    view: Option<ViewLabel>,
    #[serde(default)]
    rows: Option<Vec<OneLine>>,
    #[serde(default)]
    screen: Vec<OneLine>,
    #[serde(default)]
    hidden: Vec<OneLine>,
    #[serde(default)]
    status: Option<OneLine>,
}

impl TryFrom<RawExpect> for Expect {
    type Error = String;
    fn try_from(r: RawExpect) -> Result<Expect, String> {
        let none = r.views.is_none()
            && r.view.is_none()
            && r.rows.is_none()
            && r.screen.is_empty()
            && r.hidden.is_empty()
            && r.status.is_none();
        if none {
            return Err(
                "expect names nothing to check: give at least one of views, view, rows, screen, hidden, status"
                    .into(),
            );
        }
        let strings = |v: Vec<OneLine>| v.into_iter().map(|l| l.0).collect::<Vec<_>>();
        Ok(Expect {
            views: r.views,
            view: r.view,
            rows: r.rows.map(strings),
            screen: strings(r.screen),
            hidden: strings(r.hidden),
            status: r.status.map(|s| s.0),
        })
    }
}

/// A tour that cannot be read: where, and why.
pub type TourError = crate::yaml::FileError;

/// Reads a tour from YAML text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Tour, TourError> {
    yaml::from_str::<Tour>(text).map_err(|e| TourError {
        file: file.to_string(),
        line: e.line,
        column: e.column,
        path: e.path,
        message: e.message,
    })
}

/// Reads the tour file at `path`, or the built-in tour for `builtin`.
pub fn load(arg: &str) -> Result<Tour, TourError> {
    if arg == BUILTIN_NAME {
        return Ok(builtin());
    }
    let path = Path::new(arg);
    let text = yaml::read_named(path, arg, "tour")?;
    let mut tour = parse(&text, arg)?;
    tour.origin = Some(path.to_path_buf());
    Ok(tour)
}

/// The built-in tour.
pub fn builtin() -> Tour {
    parse(BUILTIN, "built-in tour").expect("the built-in tour is valid")
}

impl Tour {
    /// The fixture to seed from: `given` (from the command line) first,
    /// else the tour's own, relative to the tour file; `None` is the
    /// built-in demo.
    pub fn fixture_path(&self, given: Option<&Path>) -> Option<PathBuf> {
        if let Some(g) = given {
            return Some(g.to_path_buf());
        }
        let f = self.fixture.as_deref()?;
        if f == BUILTIN_NAME {
            return None;
        }
        let base = self
            .origin
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or_else(|| Path::new(""));
        Some(base.join(f))
    }

    pub fn size(&self) -> Size {
        self.size.unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.steps.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.0.is_empty()
    }
}
