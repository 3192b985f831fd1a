//! The console: the API keys page in a terminal.
//!
//! Elm-style: terminal events, worker results and a render tick become
//! [`Action`]s; [`update`] changes the [`State`] and returns [`Effect`]s;
//! [`draw::draw`] is a pure function of the state. Store calls and argon2
//! run on worker tasks (`spawn_blocking`) and answer through a channel, so
//! the screen keeps drawing (a spinner) while they run.

pub mod content;
pub mod draw;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod state;
pub mod theme;
pub mod tour;
pub mod worker;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::{FutureExt, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use crate::app::{self, DataDir, Failure, SignIn};
use crate::client::Client;
use crate::secret::HashParams;
use crate::service::Session;

pub use keymap::Keymap;
pub use state::{Action, Effect, Job, Outcome, State, update};
pub use theme::Theme;
use tour::record::Recorder;
pub use worker::run_job;

/// How often the spinner advances while work runs (about 12 frames a second).
pub const TICK: Duration = Duration::from_millis(80);

/// How often, when idle, the console reads the page again from a server,
/// so that changes made by others appear.
pub const POLL: Duration = Duration::from_secs(3);

fn fail(f: Failure) -> i32 {
    eprintln!("iamkeys: {}", crate::text::inert(&f.message));
    f.code
}

/// What the console is opened with: the data directory given (else the
/// platform's), and who signs in at once (else the sign-in screen shows).
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    pub data_dir: Option<&'a Path>,
    /// The iamkeys server to work through: then no store is opened here.
    pub endpoint: Option<&'a str>,
    pub sign_in: SignIn<'a>,
}

/// `iamkeys` with no command: the console over the data directory, seeded
/// with the built-in demo on a first run.
pub fn run(opts: &Options) -> i32 {
    if let Err(f) = need_terminal() {
        return fail(f);
    }
    if let Some(url) = opts.endpoint {
        return run_remote(opts, url);
    }
    let (dir, params) =
        match app::data_dir(opts.data_dir).and_then(|d| Ok((d, app::hash_params()?))) {
            Ok(x) => x,
            Err(f) => return fail(f),
        };
    // Held until the process exits: another process is told "busy".
    let locked = match DataDir::lock(&dir) {
        Ok(l) => l,
        Err(f) => return fail(f),
    };
    let seeded = match app::ensure_demo(&locked, params) {
        Ok(seeded) => seeded,
        Err(f) => return fail(f),
    };
    if seeded {
        eprintln!(
            "iamkeys: first run: seeded the built-in demo into {}",
            dir.display()
        );
    }
    open_and_run(opts, locked, params, seeded, None)
}

/// The console through the iamkeys server at `url`.
fn run_remote(opts: &Options, url: &str) -> i32 {
    let client = match app::connect(url) {
        Ok(c) => c,
        Err(f) => return fail(f),
    };
    let session = if opts.sign_in.given() {
        match app::sign_in(&opts.sign_in, &client) {
            Ok(s) => Some(s),
            Err(f) => return fail(f),
        }
    } else {
        // A server that cannot be reached is said before the terminal is
        // taken over; a store that is no demo has no personas to list.
        if let Err(e) = client.personas()
            && e.exit_code() == 1
        {
            return fail(e.into());
        }
        None
    };
    run_client(Arc::new(client), session, None)
}

/// `iamkeys demo [FIXTURE]`: the console over a throwaway store seeded from
/// the fixture (default: the built-in demo), removed on exit.
///
/// With `record`, the session is also written to that file as an asciicast
/// v2 recording (see [`tour::record`]).
pub fn run_demo(opts: &Options, fixture: Option<&Path>, record: Option<&Path>) -> i32 {
    if let Err(f) = need_terminal() {
        return fail(f);
    }
    let params = match app::hash_params() {
        Ok(p) => p,
        Err(f) => return fail(f),
    };
    let recorder = match record {
        Some(p) => {
            let size = crossterm::terminal::size().unwrap_or((80, 24));
            match tour::record::Recorder::create(p, size, "iamkeys demo") {
                Ok(r) => Some(r),
                Err(f) => return fail(f),
            }
        }
        None => None,
    };
    let dir = std::env::temp_dir().join(format!(
        "iamkeys-demo-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    let seeded = app::seed_source(fixture).and_then(|source| {
        let locked = DataDir::lock(&dir)?;
        app::seed_into(&locked, source, false, params)?;
        Ok(locked)
    });
    let code = match seeded {
        Ok(locked) => open_and_run(opts, locked, params, true, recorder),
        Err(f) => fail(f),
    };
    let _ = std::fs::remove_dir_all(&dir);
    code
}

/// The console needs a terminal on both ends; without one, say so before
/// anything is seeded or opened.
pub(crate) fn need_terminal() -> Result<(), Failure> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(app::bad_input(
            "the console needs a terminal (standard input and output); for scripts, use a command: see `iamkeys --help`",
        ))
    }
}

/// Opens the store and signs in before the terminal is taken over, so a busy
/// store or a refused sign-in is a plain message and an exit code.
fn open_and_run(
    opts: &Options,
    locked: DataDir,
    params: HashParams,
    just_seeded: bool,
    recorder: Option<Recorder>,
) -> i32 {
    // The console owns the terminal: the log goes to its file only.
    let service = match app::open_locked(locked, params, just_seeded) {
        Ok(s) => s,
        Err(f) => return fail(f),
    };
    tracing::info!("console opened");
    app::sweep_on_open(&service, app::SWEEP_ON_OPEN_EVERY);
    let session = if opts.sign_in.given() {
        match app::sign_in(&opts.sign_in, &service) {
            Ok(s) => Some(s),
            Err(f) => return fail(f),
        }
    } else {
        None
    };
    run_client(Arc::new(service), session, recorder)
}

/// The console over a client signed in (or, without a session, showing
/// the sign-in screen).
fn run_client(
    client: Arc<dyn Client>,
    session: Option<Session>,
    mut recorder: Option<Recorder>,
) -> i32 {
    let config = keymap::config_dir();
    let (keymap, keymap_err) = Keymap::load(config.as_deref());
    let (theme, theme_err) = Theme::load(config.as_deref(), theme::colors_wanted());
    let info = client.info();
    let at = client.location();
    let label = if info.demo {
        format!("{at} · demo, seeded from {}", info.source)
    } else {
        at
    };
    let mut st = State::new(keymap, theme, info.demo, label);
    st.config_dir = config;
    if client.is_remote() {
        let ticks = POLL.as_millis() / TICK.as_millis();
        st.poll_ticks = Some(u32::try_from(ticks).unwrap_or(u32::MAX));
    }
    let problems: Vec<String> = [keymap_err, theme_err].into_iter().flatten().collect();
    let result = console(
        st_with_problems(&mut st, problems),
        client,
        session,
        recorder.as_mut(),
    );
    finish(result, recorder)
}

/// The exit code of a console session that ended with `result`, after
/// finishing its recording, if any: each failure said on standard error.
pub(crate) fn finish(result: io::Result<()>, recorder: Option<Recorder>) -> i32 {
    let recorded = recorder.map(Recorder::finish);
    match (result, recorded) {
        (Err(e), _) => {
            eprintln!("iamkeys: the console failed: {e}");
            1
        }
        (Ok(()), Some(Err(e))) => {
            eprintln!("iamkeys: the recording is incomplete: {e}");
            1
        }
        _ => 0,
    }
}

fn st_with_problems(st: &mut State, problems: Vec<String>) -> &mut State {
    if !problems.is_empty() {
        st.status = Some(state::Status {
            text: problems.join("; "),
            tone: state::Tone::Error,
        });
    }
    st
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal before the panic report is printed.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

fn console(
    st: &mut State,
    service: Arc<dyn Client>,
    session: Option<Session>,
    recorder: Option<&mut Recorder>,
) -> io::Result<()> {
    with_terminal(|terminal, runtime| {
        runtime.block_on(event_loop(terminal, st, service, session, recorder))
    })
}

/// Takes the terminal over (raw mode, alternate screen, mouse, paste),
/// runs `f` with it and a runtime, and gives the terminal back, also on a
/// panic.
pub(crate) fn with_terminal<T>(
    f: impl FnOnce(
        &mut Terminal<CrosstermBackend<io::Stdout>>,
        &tokio::runtime::Runtime,
    ) -> io::Result<T>,
) -> io::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    install_panic_hook();
    enable_raw_mode()?;
    let setup = execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    );
    let result = setup.and_then(|()| {
        // No `terminal.clear()`: it asks the terminal for the cursor position,
        // and the fresh alternate screen is blank anyway.
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        f(&mut terminal, &runtime)
    });
    restore_terminal();
    // Work still running (a key being created) finishes before the process
    // ends, after the terminal is back to normal.
    drop(runtime);
    result
}

fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Paste(p) => Some(Action::Paste(p)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    st: &mut State,
    service: Arc<dyn Client>,
    session: Option<Session>,
    mut recorder: Option<&mut Recorder>,
) -> io::Result<()>
where
    B::Error: Into<io::Error>,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        st.size = (size.width, size.height);
    }
    let effects = st.start(session);
    perform(effects, &service, &tx);
    loop {
        if st.needs_draw {
            // One frame appears at once, not as it is written.
            let _ = execute!(io::stdout(), crossterm::terminal::BeginSynchronizedUpdate);
            let drawn = terminal.draw(|f| draw::draw(f, st)).map(|_| ());
            let _ = execute!(io::stdout(), crossterm::terminal::EndSynchronizedUpdate);
            drawn.map_err(Into::into)?;
            if let Some(r) = recorder.as_deref_mut() {
                r.frame(st.size, |f| {
                    draw::draw_area(f, f.area(), st, draw::Look::Recording);
                })?;
            }
            st.needs_draw = false;
        }
        if st.quit {
            return Ok(());
        }
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => to_action(ev),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(outcome) = rx.recv() => Some(Action::Done(outcome)),
            _ = tick.tick() => Some(Action::Tick),
        };
        // Handle everything already waiting, then draw once.
        let mut pending: Vec<Action> = first.into_iter().collect();
        while let Some(Some(Ok(ev))) = events.next().now_or_never() {
            pending.extend(to_action(ev));
        }
        while let Ok(outcome) = rx.try_recv() {
            pending.push(Action::Done(outcome));
        }
        for action in pending {
            let effects = update(st, action);
            perform(effects, &service, &tx);
            if st.quit {
                break;
            }
        }
    }
}

pub(crate) fn perform(
    effects: Vec<Effect>,
    service: &Arc<dyn Client>,
    tx: &mpsc::UnboundedSender<Outcome>,
) {
    for effect in effects {
        match effect {
            Effect::Run(job) => {
                let service = Arc::clone(service);
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let run = std::panic::AssertUnwindSafe(|| run_job(&*service, job));
                    match std::panic::catch_unwind(run) {
                        Ok(outcome) => {
                            let _ = tx.send(outcome);
                        }
                        // The panic hook has restored the terminal and
                        // printed the report; the console cannot go on.
                        Err(_) => std::process::exit(101),
                    }
                });
            }
            Effect::Copy(text) => {
                let mut out = io::stdout();
                let _ = out.write_all(osc52(&text).as_bytes());
                let _ = out.flush();
            }
            Effect::Quit => {}
        }
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal
/// (over SSH too; in tmux with `set-clipboard on`).
pub fn osc52(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::from("\x1b]52;c;"));
    base64_into(text.as_bytes(), &mut out);
    out.push('\x07');
    out
}

fn base64_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Where the user's keymap.yaml and theme.yaml are looked for.
pub fn config_path() -> Option<PathBuf> {
    keymap::config_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_base64() {
        assert_eq!(&*osc52("hi"), "\x1b]52;c;aGk=\x07");
        assert_eq!(&*osc52("abc"), "\x1b]52;c;YWJj\x07");
        assert_eq!(&*osc52("a"), "\x1b]52;c;YQ==\x07");
    }
}
