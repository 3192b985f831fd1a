//! The console's big view, whole: how long the all-users view takes to
//! open, the memory it takes (peak while loading, on the view after every
//! sort and some searches, and after going back to the My view), and each
//! keystroke → its frame (the UI thread) and → the frame with its results
//! (the worker's search or sort done). `cargo bench --bench console_open`.
//!
//! The store is 100,000 keys, or `IAMKEYS_BENCH_KEYS` (1,000 to
//! 1,000,000), generated as `iamkeys gen-fixture` does; or an existing data
//! directory, `IAMKEYS_BENCH_STORE` (signed in as its `owner@scale.example`).
//! The figures are taken in a fresh process of their own, so that making
//! the store does not count in its memory. `IAMKEYS_BENCH_RUNS` processes
//! (default 3) are run one after another; each prints its figures.
//!
//! The state is the real one, its jobs run as the console's worker runs
//! them, and frames are drawn to ratatui's `TestBackend` at 120×40.

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::fixture::{self, GenSpec};
use iamkeys::secret::HashParams;
use iamkeys::service::{Service, now};
use iamkeys::store::SledStore;
use iamkeys::tui::{Action, Effect, Keymap, State, Theme, draw, run_job, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const STORE_ENV: &str = "IAMKEYS_BENCH_STORE";

fn main() {
    // Run by `cargo bench` with arguments of its own; a measuring process
    // is told its store.
    if let Some(dir) = std::env::var_os(STORE_ENV) {
        measure(Path::new(&dir));
        return;
    }
    let keys = std::env::var("IAMKEYS_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1_000..=1_000_000).contains(n))
        .unwrap_or(100_000);
    let runs = std::env::var("IAMKEYS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=31).contains(n))
        .unwrap_or(3);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (fx, _) = fixture::generate(&GenSpec {
        keys,
        own_keys: 10.min(keys),
        with_values: 0,
        ..GenSpec::default()
    });
    let (seed, _) = fixture::to_seed(&fx, HashParams::TEST, now());
    drop(fx);
    SledStore::create(&dir, &seed, true, "bench", false).unwrap();
    drop(seed);
    let me = std::env::current_exe().unwrap();
    for run in 1..=runs {
        println!("console_open: {keys} keys, run {run} of {runs}");
        let status = std::process::Command::new(&me)
            .env(STORE_ENV, &dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// VmHWM and VmRSS of this process, in MiB.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    format!(
        "peak {:.0} MiB, resident {:.0} MiB",
        kb("VmHWM:") as f64 / 1024.0,
        kb("VmRSS:") as f64 / 1024.0
    )
}

/// CPU time (user + system) of this process so far.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime, in clock ticks of 1/100 s.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

struct Console {
    svc: Service,
    st: State,
    term: Terminal<TestBackend>,
}

impl Console {
    fn settle(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for e in queue {
                if let Effect::Run(job) = e {
                    let outcome = run_job(&self.svc, job);
                    next.extend(update(&mut self.st, Action::Done(outcome)));
                }
            }
            queue = next;
        }
    }

    fn draw(&mut self) {
        let st = &self.st;
        self.term.draw(|f| draw::draw(f, st)).unwrap();
    }

    /// Keys, each with its work done, untimed.
    fn keys(&mut self, codes: &[KeyCode]) {
        for &code in codes {
            let effects = update(
                &mut self.st,
                Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            );
            self.settle(effects);
        }
        self.draw();
    }

    /// One keystroke: → its frame, and → the frame with its results.
    fn stroke(&mut self, code: KeyCode) -> (Duration, Duration) {
        let t = Instant::now();
        let effects = update(
            &mut self.st,
            Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.draw();
        let ui = t.elapsed();
        self.settle(effects);
        self.draw();
        (ui, t.elapsed())
    }

    fn choose_view(&mut self, step: KeyCode) {
        self.keys(&[KeyCode::Char('v'), step, KeyCode::Enter]);
    }
}

fn measure(dir: &Path) {
    let svc = Service::open(dir, HashParams::TEST).unwrap();
    let session = svc.sign_in_as("owner@scale.example", None).unwrap();
    let st = State::new(
        Keymap::builtin(),
        Theme::builtin(true),
        true,
        "bench".into(),
    );
    let mut c = Console {
        svc,
        st,
        term: Terminal::new(TestBackend::new(120, 40)).unwrap(),
    };
    let effects = c.st.start(Some(session));
    c.settle(effects);
    let effects = update(&mut c.st, Action::Resize(120, 40));
    c.settle(effects);
    c.draw();
    println!("  signed in, on the My view: {}", memory());

    let (t, c0) = (Instant::now(), cpu());
    c.choose_view(KeyCode::Down);
    println!(
        "  all-users view open: {} rows in {:.2?} (CPU {:.2?}); {}",
        c.st.page.table.len(),
        t.elapsed(),
        cpu() - c0,
        memory()
    );

    let strokes = [
        ("j", KeyCode::Char('j')),
        ("G", KeyCode::Char('G')),
        ("g", KeyCode::Char('g')),
        ("s (description, first use)", KeyCode::Char('s')),
        ("S", KeyCode::Char('S')),
        ("s (owner, first use)", KeyCode::Char('s')),
        ("s (created, first use)", KeyCode::Char('s')),
        ("s (name again)", KeyCode::Char('s')),
        ("S", KeyCode::Char('S')),
        ("/", KeyCode::Char('/')),
        ("search 'k'", KeyCode::Char('k')),
        ("search 'ke' (narrows)", KeyCode::Char('e')),
        ("Backspace", KeyCode::Backspace),
        ("Backspace", KeyCode::Backspace),
        ("search '9'", KeyCode::Char('9')),
        ("search '99'", KeyCode::Char('9')),
        ("search '999'", KeyCode::Char('9')),
        ("Backspace", KeyCode::Backspace),
    ];
    println!("  keystroke: → frame / → results shown (rows shown)");
    for (label, code) in strokes {
        let (ui, all) = c.stroke(code);
        println!(
            "    {label:<28} {ui:>10.2?} / {all:>10.2?} ({})",
            c.st.page.visible.len()
        );
    }
    println!("  on the view after the sorts and searches: {}", memory());
    c.keys(&[KeyCode::Esc]);
    c.choose_view(KeyCode::Up);
    println!(
        "  back on the My view ({} rows): {}",
        c.st.page.table.len(),
        memory()
    );
    c.choose_view(KeyCode::Down);
    println!("  the all-users view again: {}", memory());
    c.choose_view(KeyCode::Up);
    println!("  and back: {}", memory());
}
