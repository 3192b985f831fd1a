//! The console at scale: keystroke → frame (update and draw) with 100 and
//! 100,000 rows in the view (or `IAMKEYS_BENCH_KEYS`, up to 1,000,000), for
//! navigation, jumping to the end, sorting and typing in the search box.
//! `cargo bench --bench console`.
//!
//! In a view of more than `SYNC_ROWS` rows, searching and sorting run on a
//! worker: for those, `*_results` is the keystroke to the frame showing its
//! results (the worker's job run here, in line), and `*_ui_only` the
//! keystroke to the frame the UI thread draws at once (the job is run
//! afterwards, outside the measured time).
//!
//! The state is the real one, loaded from a real store through the same
//! worker job the console runs; drawing goes to ratatui's `TestBackend` at
//! 120×40, so the figures are update + draw, without terminal output.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use iamkeys::fixture::{self, GenSpec};
use iamkeys::secret::HashParams;
use iamkeys::service::{Service, now};
use iamkeys::store::SledStore;
use iamkeys::tui::{Action, Effect, Keymap, State, Theme, draw, run_job, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

struct Console {
    _tmp: tempfile::TempDir,
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

    fn key(&mut self, code: KeyCode) {
        let effects = update(
            &mut self.st,
            Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.settle(effects);
    }

    /// One keystroke and the frame the UI thread draws at once, timed;
    /// the work it asked for is then done, untimed.
    fn keystroke_ui(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        let effects = update(
            &mut self.st,
            Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        let st = &self.st;
        self.term.draw(|f| draw::draw(f, st)).unwrap();
        let took = t.elapsed();
        self.settle(effects);
        took
    }

    /// One keystroke and the frame that follows it.
    fn keystroke(&mut self, code: KeyCode) {
        self.key(code);
        let st = &self.st;
        self.term.draw(|f| draw::draw(f, st)).unwrap();
    }
}

/// The owner of a generated account, on "All IBM Cloud user API keys".
fn console(keys: usize) -> Console {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (fx, _) = fixture::generate(&GenSpec {
        keys,
        own_keys: 10.min(keys),
        with_values: 0,
        ..GenSpec::default()
    });
    let (seed, _) = fixture::to_seed(&fx, HashParams::TEST, now());
    SledStore::create(&dir, &seed, true, "bench", false).unwrap();
    let svc = Service::open(&dir, HashParams::TEST).unwrap();
    let session = svc.sign_in_as("owner@scale.example", None).unwrap();
    let st = State::new(
        Keymap::builtin(),
        Theme::builtin(true),
        true,
        "bench".into(),
    );
    let mut c = Console {
        _tmp: tmp,
        svc,
        st,
        term: Terminal::new(TestBackend::new(120, 40)).unwrap(),
    };
    let effects = c.st.start(Some(session));
    c.settle(effects);
    let effects = update(&mut c.st, Action::Resize(120, 40));
    c.settle(effects);
    // The View filter: My IBM Cloud API keys → All IBM Cloud user API keys.
    c.key(KeyCode::Char('v'));
    c.key(KeyCode::Down);
    c.key(KeyCode::Enter);
    assert_eq!(c.st.page.table.len(), keys, "the all-users view is loaded");
    c
}

/// The large view: 100,000 keys, or `IAMKEYS_BENCH_KEYS` (up to 1,000,000).
fn large() -> usize {
    std::env::var("IAMKEYS_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1_000..=1_000_000).contains(n))
        .unwrap_or(100_000)
}

fn benches(c: &mut Criterion) {
    for rows in [100usize, large()] {
        let t = Instant::now();
        let mut con = console(rows);
        eprintln!(
            "console_{rows}_rows: store made and view loaded in {:?}",
            t.elapsed()
        );
        let mut g = c.benchmark_group(format!("console_{rows}_rows"));
        g.sample_size(50).measurement_time(Duration::from_secs(3));

        g.bench_function("draw_only", |b| {
            b.iter(|| {
                let st = &con.st;
                con.term.draw(|f| draw::draw(f, st)).unwrap();
            });
        });
        g.bench_function("down_j", |b| b.iter(|| con.keystroke(KeyCode::Char('j'))));
        // End, then Home: two keystrokes and two frames per iteration.
        g.bench_function("end_then_home_2_keys", |b| {
            b.iter(|| {
                con.keystroke(KeyCode::Char('G'));
                con.keystroke(KeyCode::Char('g'));
            });
        });
        g.bench_function("sort_next_column_s", |b| {
            b.iter(|| con.keystroke(KeyCode::Char('s')));
        });
        g.bench_function("sort_reverse_S", |b| {
            b.iter(|| con.keystroke(KeyCode::Char('S')));
        });
        g.bench_function("sort_next_column_s_ui_only", |b| {
            b.iter_custom(|n| (0..n).map(|_| con.keystroke_ui(KeyCode::Char('s'))).sum());
        });
        g.bench_function("sort_reverse_S_ui_only", |b| {
            b.iter_custom(|n| (0..n).map(|_| con.keystroke_ui(KeyCode::Char('S'))).sum());
        });

        // Typing a search: "/" then a character, then Backspace, each with
        // its frame. Per iteration: typing "k" over the whole view (a full
        // scan) and erasing it again (another full scan).
        con.keystroke(KeyCode::Char('/'));
        g.bench_function("search_type_and_erase_2_keys_ui_only", |b| {
            b.iter_custom(|n| {
                (0..n)
                    .map(|_| {
                        con.keystroke_ui(KeyCode::Char('k')) + con.keystroke_ui(KeyCode::Backspace)
                    })
                    .sum()
            });
        });
        g.bench_function("search_type_and_erase_2_keys_results", |b| {
            b.iter(|| {
                con.keystroke(KeyCode::Char('k'));
                con.keystroke(KeyCode::Backspace);
            });
        });
        // Narrowing: with "backup" typed, one more character only re-tests
        // the rows still shown.
        for ch in "backup-key-0".chars() {
            con.keystroke(KeyCode::Char(ch));
        }
        g.bench_function("search_narrow_and_widen_2_keys_ui_only", |b| {
            b.iter_custom(|n| {
                (0..n)
                    .map(|_| {
                        con.keystroke_ui(KeyCode::Char('9')) + con.keystroke_ui(KeyCode::Backspace)
                    })
                    .sum()
            });
        });
        g.bench_function("search_narrow_and_widen_2_keys_results", |b| {
            b.iter(|| {
                con.keystroke(KeyCode::Char('9'));
                con.keystroke(KeyCode::Backspace);
            });
        });
        black_box(con.st.page.visible.len());
        g.finish();
    }
}

criterion_group!(console_benches, benches);
criterion_main!(console_benches);
