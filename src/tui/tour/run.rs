//! Playing a tour: in the console (`iamkeys demo --tour`), headless
//! (`iamkeys tour check`), and into pictures (`iamkeys tour pictures`).

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use crate::app::{self, Failure};

use super::super::draw::{self, Look};
use super::super::state::{Action, Area, Outcome, Popup, Screen, SignInFocus, State, update};
use super::super::theme::{self, Theme};
use super::super::{TICK, keymap};
use super::banner::{BANNER_ROWS, Banner, draw_banner};
use super::player::{Player, StepFailure, render};
use super::record::Recorder;
use super::{Tour, TourError, load};

/// `iamkeys demo --tour`: what to play and how.
pub struct TourRun<'a> {
    /// A tour file, or `builtin`.
    pub tour: &'a str,
    /// A fixture to play on instead of the tour's own.
    pub fixture: Option<&'a Path>,
    /// Seconds between steps, for a kiosk.
    pub autoplay: Option<u64>,
    pub record: Option<&'a Path>,
}

fn invalid(e: &TourError) -> Failure {
    app::bad_input(format!("invalid tour: {e}"))
}

/// A player for `tour` with no terminal: the built-in dark theme, at the
/// tour's own size.
fn headless(tour: Tour, fixture: Option<&Path>) -> Result<Player, Failure> {
    let params = app::hash_params()?;
    let size = tour.size();
    Player::new(
        tour,
        fixture,
        params,
        Theme::builtin(true),
        (size.0, size.1),
    )
}

fn fail(f: &Failure) -> i32 {
    eprintln!("iamkeys: {}", crate::text::inert(&f.message));
    f.code
}

/// `iamkeys tour check TOUR [--fixture F]`: plays the tour headless, the
/// way the console plays it, and reports the first step that does not
/// match (exit 1); exit 0 when every step does, 2 on a tour or fixture
/// that cannot be read.
pub fn check(tour: &str, fixture: Option<&Path>, out: &mut dyn Write) -> i32 {
    let tour = match load(tour) {
        Ok(t) => t,
        Err(e) => return fail(&invalid(&e)),
    };
    let title = tour.title.0.clone();
    let n = tour.len();
    let mut player = match headless(tour, fixture) {
        Ok(p) => p,
        Err(f) => return fail(&f),
    };
    match player.replay_to(n) {
        Err(f) => fail(&f),
        Ok(Err(step)) => {
            let _ = write!(out, "{step}");
            eprintln!(
                "iamkeys: the tour {title:?} fails at step {} of {n}",
                step.number
            );
            1
        }
        Ok(Ok(())) => {
            let steps = if n == 1 {
                "1 step"
            } else {
                &format!("{n} steps")
            };
            let _ = writeln!(out, "the tour {title:?}: {steps}, each as expected");
            0
        }
    }
}

/// `iamkeys tour pictures [TOUR] --out DIR`: plays the tour headless at its
/// size and clock and writes `DIR/NAME.svg` for every step with a picture.
pub fn pictures(tour: &str, fixture: Option<&Path>, dir: &Path, out: &mut dyn Write) -> i32 {
    let tour = match load(tour) {
        Ok(t) => t,
        Err(e) => return fail(&invalid(&e)),
    };
    if tour.clock.is_none() {
        return fail(&app::bad_input(
            "a tour that makes pictures needs a clock (clock: 2026-11-28T12:00:00Z), so they do not change from day to day",
        ));
    }
    let mut names: Vec<&str> = tour
        .steps
        .0
        .iter()
        .filter_map(|s| s.picture.as_ref().map(|p| p.0.as_str()))
        .collect();
    if names.is_empty() {
        return fail(&app::bad_input("no step of this tour names a picture"));
    }
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return fail(&app::bad_input(format!(
            "two steps name the picture {:?}",
            w[0]
        )));
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(&app::bad_input(format!(
            "cannot create {}: {e}",
            dir.display()
        )));
    }
    let mut player = match headless(tour, fixture) {
        Ok(p) => p,
        Err(f) => return fail(&f),
    };
    if let Err(f) = player.restart() {
        return fail(&f);
    }
    while player.played < player.tour.len() {
        let i = player.played;
        if let Err(step) = player.play_next() {
            let _ = write!(out, "{step}");
            return 1;
        }
        let step = &player.tour.steps.0[i];
        if let Some(name) = &step.picture {
            let picture =
                super::svg::svg(&render(&player.st, Look::Screen), &step.caption.to_string());
            let path = dir.join(format!("{}.svg", name.0));
            if let Err(e) = std::fs::write(&path, picture) {
                return fail(&app::other(format!("cannot write {}: {e}", path.display())));
            }
            let _ = writeln!(out, "{}", path.display());
        }
    }
    0
}

/// `iamkeys demo --tour`: the tour in the console, a banner under it.
pub fn run_tour(run: &TourRun) -> i32 {
    if let Err(f) = super::super::need_terminal() {
        return fail(&f);
    }
    let tour: Tour = match load(run.tour) {
        Ok(t) => t,
        Err(e) => return fail(&invalid(&e)),
    };
    let params = match app::hash_params() {
        Ok(p) => p,
        Err(f) => return fail(&f),
    };
    let config = keymap::config_dir();
    // The user's colours; the keys are the built-in ones, as the tour wrote them.
    let (theme, _) = Theme::load(config.as_deref(), theme::colors_wanted());
    let (w, h) = crossterm::terminal::size().unwrap_or((120, 40));
    let title = tour.title.0.clone();
    let recorder = match run.record {
        Some(p) => match Recorder::create(p, (w, h), &format!("iamkeys tour: {title}")) {
            Ok(r) => Some(r),
            Err(f) => return fail(&f),
        },
        None => None,
    };
    let mut player = match Player::new(
        tour,
        run.fixture,
        params,
        theme,
        (w, h.saturating_sub(BANNER_ROWS)),
    ) {
        Ok(p) => p,
        Err(f) => return fail(&f),
    };
    // The store is seeded and the first step played before the terminal
    // is taken over, so a failure is a plain message.
    let failure = match player.replay_to(1) {
        Ok(r) => r.err(),
        Err(f) => return fail(&f),
    };
    let mut live = Live {
        player,
        title,
        paused: false,
        failure,
        autoplay: run.autoplay.map(Duration::from_secs),
        recorder,
        size: (w, h),
    };
    let result = super::super::with_terminal(|terminal, runtime| {
        runtime.block_on(tour_loop(terminal, &mut live))
    });
    super::super::finish(result, live.recorder.take())
}

struct Live {
    player: Player,
    title: String,
    paused: bool,
    failure: Option<StepFailure>,
    autoplay: Option<Duration>,
    recorder: Option<Recorder>,
    size: (u16, u16),
}

impl Live {
    fn banner(&self) -> Banner {
        let of = self.player.tour.len();
        let step = self.player.played;
        if let Some(f) = &self.failure {
            return Banner::Failed {
                step: f.number,
                of,
                lines: vec![
                    format!("expected {}", f.expected),
                    format!("found: {}", f.found),
                ],
            };
        }
        if self.paused {
            return Banner::Paused { step, of };
        }
        let caption = step
            .checked_sub(1)
            .and_then(|i| self.player.tour.steps.0.get(i))
            .map(|s| s.caption.0.clone())
            .unwrap_or_default();
        Banner::Step {
            title: self.title.clone(),
            step,
            of,
            caption,
            autoplay: self.autoplay.map(|d| d.as_secs()),
        }
    }

    fn next(&mut self) {
        if self.failure.is_some() {
            return;
        }
        if self.player.played >= self.player.tour.len() {
            // A kiosk starts over; a presenter stays on the last step.
            if self.autoplay.is_some() {
                self.replay(1);
            }
            return;
        }
        self.failure = self.player.play_next().err();
    }

    fn replay(&mut self, steps: usize) {
        self.failure = match self.player.replay_to(steps.max(1)) {
            Ok(r) => r.err(),
            Err(f) => Some(StepFailure {
                number: steps.max(1),
                of: self.player.tour.len(),
                caption: String::new(),
                expected: "a fresh throwaway store to replay on".into(),
                found: f.message,
                screen: String::new(),
            }),
        };
        self.player.st.needs_draw = true;
    }

    fn draw<B: Backend>(&mut self, terminal: &mut Terminal<B>) -> io::Result<()>
    where
        B::Error: Into<io::Error>,
    {
        let banner = self.banner();
        let st = &self.player.st;
        let frame = |f: &mut ratatui::Frame, look: Look| {
            let a = f.area();
            let rows = BANNER_ROWS.min(a.height);
            let console = Rect {
                height: a.height - rows,
                ..a
            };
            let strip = Rect {
                y: a.y + a.height - rows,
                height: rows,
                ..a
            };
            draw::draw_area(f, console, st, look);
            draw_banner(f, strip, &st.theme, &banner);
        };
        let _ = crossterm::execute!(io::stdout(), crossterm::terminal::BeginSynchronizedUpdate);
        let drawn = terminal.draw(|f| frame(f, Look::Screen)).map(|_| ());
        let _ = crossterm::execute!(io::stdout(), crossterm::terminal::EndSynchronizedUpdate);
        drawn.map_err(Into::into)?;
        if let Some(r) = &mut self.recorder {
            r.frame(self.size, |f| frame(f, Look::Recording))?;
        }
        self.player.st.needs_draw = false;
        Ok(())
    }

    /// A key while the tour plays.
    fn tour_key(&mut self, k: KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('c') if ctrl => self.player.st.quit = true,
            KeyCode::Char('q') | KeyCode::Esc => self.player.st.quit = true,
            KeyCode::Right | KeyCode::Char(' ' | 'n') | KeyCode::Enter => self.next(),
            KeyCode::Left | KeyCode::Char('b') => {
                let back = self.player.played.saturating_sub(1);
                if back >= 1 {
                    self.replay(back);
                }
            }
            KeyCode::Char('p') if self.failure.is_none() => self.paused = true,
            _ => return,
        }
        self.player.st.needs_draw = true;
    }
}

/// Whether a text field has the focus: there `p` is a letter to type.
fn typing(st: &State) -> bool {
    match st.popups.last() {
        Some(Popup::Form(_)) => true,
        Some(_) => false,
        None => match st.screen {
            Screen::SignIn => st.sign_in.focus() == SignInFocus::Key,
            Screen::Page => st.page.focus == Area::Search,
        },
    }
}

async fn tour_loop<B: Backend>(terminal: &mut Terminal<B>, live: &mut Live) -> io::Result<()>
where
    B::Error: Into<io::Error>,
{
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Work started in free use answers here; a replay makes a new channel,
    // so answers from a store thrown away are dropped.
    let (mut tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let mut next_step = live.autoplay.map(|d| tokio::time::Instant::now() + d);
    live.player.st.needs_draw = true;
    loop {
        if live.player.st.needs_draw {
            live.draw(terminal)?;
        }
        if live.player.st.quit {
            return Ok(());
        }
        let auto = async {
            match next_step {
                Some(t) => tokio::time::sleep_until(t).await,
                None => futures::future::pending::<()>().await,
            }
        };
        tokio::select! {
            ev = events.next() => {
                let ev = match ev {
                    Some(Ok(ev)) => ev,
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                };
                match ev {
                    Event::Resize(w, h) => {
                        live.size = (w, h);
                        live.player.resize(w, h.saturating_sub(BANNER_ROWS));
                        live.player.st.needs_draw = true;
                    }
                    Event::Key(k) if k.kind == KeyEventKind::Release => {}
                    Event::Key(k) if !live.paused => {
                        live.tour_key(k);
                        if let Some(d) = live.autoplay {
                            next_step = Some(tokio::time::Instant::now() + d);
                        }
                    }
                    Event::Key(k) if k.code == KeyCode::Char('p') && k.modifiers.is_empty() && !typing(&live.player.st) => {
                        live.paused = false;
                        let played = live.player.played;
                        live.replay(played);
                        (tx, rx) = mpsc::unbounded_channel::<Outcome>();
                        if let Some(d) = live.autoplay {
                            next_step = Some(tokio::time::Instant::now() + d);
                        }
                    }
                    other if live.paused => {
                        let action = match other {
                            Event::Key(k) => Some(Action::Key(k)),
                            Event::Mouse(m) => Some(Action::Mouse(m)),
                            Event::Paste(p) => Some(Action::Paste(p)),
                            _ => None,
                        };
                        if let Some(a) = action {
                            free_use(live, a, &tx);
                        }
                    }
                    _ => {}
                }
            }
            Some(outcome) = rx.recv() => free_use(live, Action::Done(outcome), &tx),
            _ = tick.tick() => {
                if live.paused {
                    free_use(live, Action::Tick, &tx);
                }
            }
            () = auto => {
                if !live.paused {
                    live.next();
                    live.player.st.needs_draw = true;
                }
                next_step = live.autoplay.map(|d| tokio::time::Instant::now() + d);
            }
        }
    }
}

/// An action in free use: the console as usual, its work on workers.
fn free_use(live: &mut Live, action: Action, tx: &mpsc::UnboundedSender<Outcome>) {
    let effects = update(&mut live.player.st, action);
    if let Some(client) = live.player.client() {
        super::super::perform(effects, &client, tx);
    }
    live.player.pin_clock();
}
