//! The console at scale: keystroke → frame (update and draw) with 100 and
//! 100,000 rows in the view, for navigation, jumping to the end, sorting and
//! typing in the search box. `cargo bench --bench console`.
//!
//! The state is the real one, loaded from a real store through the same
//! worker job the console runs; drawing goes to ratatui's `TestBackend` at
//! 120×40, so the figures are update + draw, without terminal output.

use std::hint::black_box;
use std::time::Duration;

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
    assert_eq!(c.st.page.rows.len(), keys, "the all-users view is loaded");
    c
}

fn benches(c: &mut Criterion) {
    for rows in [100usize, 100_000] {
        let mut con = console(rows);
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

        // Typing a search: "/" then a character, then Backspace, each with
        // its frame. Per iteration: typing "k" over the whole view (a full
        // scan) and erasing it again (another full scan).
        con.keystroke(KeyCode::Char('/'));
        g.bench_function("search_type_and_erase_2_keys", |b| {
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
        g.bench_function("search_narrow_and_widen_2_keys", |b| {
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
