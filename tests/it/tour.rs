//! Demo tours: the built-in tour checked, a tour failing at the step its
//! fixture broke, strict tour files, the console playing a tour in a real
//! terminal, recordings, and the README's pictures.

use crate::common::bin;
use crate::e2e_console::Console;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("run iamkeys");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo fixture with `from` replaced by `to` (which must be there).
fn changed_demo(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("fixtures/demo.yaml")).unwrap();
    assert!(text.contains(from), "the demo fixture has no {from:?}");
    let p = dir.join("changed.yaml");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    p
}

#[test]
fn the_builtin_tour_matches_the_demo() {
    let (code, out, err) = run(&["tour", "check", "builtin"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("9 steps, each as expected"), "{out}");
}

#[test]
fn a_changed_fixture_fails_the_tour_at_the_step_it_broke() {
    let tmp = tempfile::tempdir().unwrap();
    // Alan no longer invited by Grace: her classic view (step 6) loses
    // Alan's and Katherine's keys; every step before still holds.
    let fx = changed_demo(
        tmp.path(),
        "      - user: alan@acme.example\n        invited_by: grace@acme.example",
        "      - user: alan@acme.example\n        invited_by: ada@acme.example",
    );
    let (code, out, err) = run(&[
        "tour",
        "check",
        "builtin",
        "--fixture",
        fx.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("step 6 of 9 does not match"), "{out}");
    assert!(
        out.contains("In \\\"Classic infrastructure API keys\\\" Grace sees"),
        "{out}"
    );
    assert!(
        out.contains("expected: the table to list: Classic infrastructure API key, Classic infrastructure API key"),
        "{out}"
    );
    assert!(out.contains("found:    it lists: (nothing)"), "{out}");
    // What the screen showed, for the person fixing the tour.
    assert!(
        out.contains("Classic infrastructure API keys · 0 keys"),
        "{out}"
    );
    assert!(err.contains("fails at step 6 of 9"), "{err}");

    // Grace an Editor instead of an Administrator: step 3 (her four options).
    let fx = changed_demo(
        tmp.path(),
        "        invited_by: ada@acme.example\n        roles: [Administrator]",
        "        invited_by: ada@acme.example\n        roles: [Editor]",
    );
    let (code, out, _) = run(&[
        "tour",
        "check",
        "builtin",
        "--fixture",
        fx.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("step 3 of 9 does not match"), "{out}");
    assert!(
        out.contains("found:    it offers: My IBM Cloud API keys, Classic infrastructure API keys"),
        "{out}"
    );

    // A key renamed: the step that selects it says so.
    let fx = changed_demo(tmp.path(), "name: alan-notebook", "name: alan-jupyter");
    let (code, out, _) = run(&[
        "tour",
        "check",
        "builtin",
        "--fixture",
        fx.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("step 4 of 9 does not match"), "{out}");
    assert!(
        out.contains("a key named \"alan-notebook\" in the table"),
        "{out}"
    );
}

/// Writes a tour next to a copy of nothing: it plays on the built-in demo.
fn tour_file(dir: &Path, text: &str) -> String {
    let p = dir.join("tour.yaml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn tour_files_are_checked_strictly_with_line_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "version: 1\ntitle: t\nsteps:\n  - caption: one\n    as: ada@acme.example\n";
    let cases: &[(&str, &str)] = &[
        // An unknown field in a step, in expect, at the top.
        (
            "    expect: {view: My IBM Cloud API keys}\n    keyz: j\n",
            "tour.yaml:7:5: steps[0].keyz: unknown field `keyz`, expected one of `caption`",
        ),
        (
            "    expect: {viewz: My IBM Cloud API keys}\n",
            "tour.yaml:6:14: steps[0].expect.viewz: unknown field `viewz`",
        ),
        // A View option not spelled as in Table 1.
        (
            "    expect:\n      views: [My IBM Cloud API keys, All user keys]\n",
            "tour.yaml:7:38: steps[0].expect.views[1]: \"All user keys\" is not a View option",
        ),
        // A key the keymap does not know.
        (
            "    keys: \"j ctrl-\"\n    expect: {view: My IBM Cloud API keys}\n",
            "tour.yaml:6:11: steps[0].keys: \"ctrl-\": unknown key \"ctrl-\"",
        ),
        (
            "    view: everything\n    expect: {view: My IBM Cloud API keys}\n",
            "tour.yaml:6:11: steps[0].view: unknown variant `everything`",
        ),
        // Nothing to check.
        (
            "    expect: {}\n",
            "steps[0].expect: expect names nothing to check",
        ),
        (
            "    picture: Grace.Views\n    expect: {view: My IBM Cloud API keys}\n",
            "tour.yaml:6:14: steps[0].picture: \"Grace.Views\": a picture's name is",
        ),
    ];
    for (tail, want) in cases {
        let f = tour_file(tmp.path(), &format!("{head}{tail}"));
        let (code, out, err) = run(&["tour", "check", &f]);
        assert_eq!(code, 2, "{tail}: {out}{err}");
        assert!(err.contains("invalid tour: "), "{err}");
        assert!(err.contains(want), "{tail}: wanted {want:?} in\n{err}");
    }
    // Captions: one or two lines.
    let f = tour_file(
        tmp.path(),
        "version: 1\ntitle: t\nsteps:\n  - caption: |\n      a\n      b\n      c\n    expect: {view: My IBM Cloud API keys}\n",
    );
    let (code, _, err) = run(&["tour", "check", &f]);
    assert_eq!(code, 2);
    assert!(
        err.contains("tour.yaml:4:14: steps[0].caption: a caption has one or two lines, not 3"),
        "{err}"
    );
    // Another version, no steps, a file that is not there.
    for (text, want) in [
        ("version: 2\ntitle: t\nsteps: []\n", "tour version 1"),
        ("version: 1\ntitle: t\nsteps: []\n", "at least one step"),
    ] {
        let f = tour_file(tmp.path(), text);
        let (code, _, err) = run(&["tour", "check", &f]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    }
    let (code, _, err) = run(&["tour", "check", "no-such-tour.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read the tour"), "{err}");
    // A tour picks its own personas and store.
    let (code, _, err) = run(&["--as", "ada@acme.example", "tour", "check", "builtin"]);
    assert_eq!(code, 2);
    assert!(err.contains("a tour signs in as its own personas"), "{err}");
    let out = bin()
        .args(["tour", "check", "builtin"])
        .env(
            "IAMKEYS_API_KEY",
            "iamk_DEMOgrace0002XIYfkq7AFQsnFA8ym9eNDZF3hxGIb",
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a key in the environment is left alone"
    );
    // A persona the fixture does not have fails the step, naming it.
    let f = tour_file(
        tmp.path(),
        "version: 1\ntitle: t\nsteps:\n  - caption: one\n    as: nobody@acme.example\n    expect: {view: My IBM Cloud API keys}\n",
    );
    let (code, out, _) = run(&["tour", "check", &f]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected: to sign in as nobody@acme.example"),
        "{out}"
    );
}

#[test]
fn a_tour_file_names_its_fixture_relative_to_itself() {
    let tmp = tempfile::tempdir().unwrap();
    changed_demo(tmp.path(), "name: Ada Lovelace", "name: Ada Byron");
    let tour = "version: 1\ntitle: t\nfixture: changed.yaml\nsteps:\n  - caption: Ada, renamed in the tour's own fixture\n    as: ada@acme.example\n    expect: {screen: [\"Ada Byron <ada@acme.example>\"]}\n";
    let f = tour_file(tmp.path(), tour);
    let (code, out, err) = run(&["tour", "check", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 step, each as expected"), "{out}");
    // --fixture wins over the tour's own: the built-in demo has Ada Lovelace.
    let demo = root().join("fixtures/demo.yaml");
    let (code, out, _) = run(&["tour", "check", &f, "--fixture", demo.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected: \"Ada Byron <ada@acme.example>\" on the screen"),
        "{out}"
    );
    assert!(out.contains("Ada Lovelace <ada@acme.example>"), "{out}");
}

#[test]
fn the_readme_pictures_are_what_the_program_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("pictures");
    let (code, out, err) = run(&["tour", "pictures", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let committed = root().join("assets/pictures");
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".svg"))
            .collect();
        v.sort();
        v
    };
    let made = names(&out_dir);
    assert!(!made.is_empty());
    assert_eq!(
        made,
        names(&committed),
        "the pictures the built-in tour names and those in assets/pictures differ: \
         run `cargo run -- tour pictures --out assets/pictures`"
    );
    for n in &made {
        let new = std::fs::read(out_dir.join(n)).unwrap();
        let old = std::fs::read(committed.join(n)).unwrap();
        assert!(
            new == old,
            "assets/pictures/{n} is not what the program draws now: \
             run `cargo run -- tour pictures --out assets/pictures` and review the change"
        );
        let text = String::from_utf8(new).unwrap();
        assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(text.contains("<rect") && text.contains("<text"));
    }
    // The grace-actions picture shows the actions menu of Alan's locked key.
    let actions = std::fs::read_to_string(committed.join("grace-actions.svg")).unwrap();
    assert!(actions.contains("Unlock"), "grace-actions.svg shows Unlock");
}

const RIGHT: &str = "\x1b[C";
const LEFT: &str = "\x1b[D";

#[test]
fn the_console_plays_a_tour_next_back_pause() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Console::spawn(
        tmp.path(),
        &["demo", "--record", "tour.cast", "--tour"],
        &[],
    );
    c.wait_all(&[
        "step 1 of 9",
        "Katherine Johnson",
        "The View filter offers her own keys",
    ]);
    // The banner leaves the console its rows: the table's bottom border
    // sits right above it.
    let s = c.screen();
    let lines: Vec<&str> = s.lines().collect();
    let banner = lines
        .iter()
        .position(|l| l.contains("step 1 of 9"))
        .unwrap();
    assert!(lines[banner - 1].contains('j'), "{s}");
    c.type_text(RIGHT);
    c.wait_all(&[
        "step 2 of 9",
        "Classic infrastructure API keys · 1 key",
        "she invited nobody",
    ]);
    c.type_text(" ");
    c.wait_all(&[
        "step 3 of 9",
        "Grace Hopper <grace@acme.example>",
        "All service ID API keys",
    ]);
    // Back: replayed from the start on a fresh store.
    c.type_text(LEFT);
    c.wait_all(&["step 2 of 9", "Katherine Johnson <katherine@acme.example>"]);
    c.type_text(LEFT);
    c.wait_all(&["step 1 of 9", "The View filter offers her own keys"]);
    // Pause: the console is the presenter's; u signs in someone else.
    c.keys("p");
    c.wait_all(&["Tour paused at step 1 of 9", "The console is yours"]);
    // The View menu of step 1 is still open: Esc closes it, u signs out.
    c.keys("esc");
    c.keys("u");
    c.wait_for("Sign in");
    c.keys("p");
    c.wait_all(&["step 1 of 9", "Katherine Johnson <katherine@acme.example>"]);
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
    // The recording of a tour holds its banner.
    let (header, events) = read_cast(&tmp.path().join("tour.cast"));
    assert_eq!(header["version"], 2);
    assert_eq!(header["title"], "iamkeys tour: Table 1 on the demo");
    let screens = replay(&header, &events);
    for want in [
        "step 3 of 9",
        "Tour paused at step 1 of 9",
        "Grace Hopper <grace@acme.example>",
    ] {
        assert!(
            screens.iter().any(|s| s.contains(want)),
            "no frame shows {want:?}"
        );
    }
}

#[test]
fn autoplay_moves_on_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Console::spawn(tmp.path(), &["demo", "--tour", "--autoplay", "1"], &[]);
    c.wait_all(&["step 1 of 9", "plays every 1 s"]);
    c.wait_for("step 2 of 9");
    c.wait_for("step 3 of 9");
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
    // --autoplay is for tours only; a tour is given a file or builtin.
    let (code, _, err) = run(&["demo", "--autoplay", "3"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["demo", "--tour", "builtin", "--autoplay", "0"]);
    assert_eq!(code, 2, "{err}");
}

/// The screens a terminal shows while it plays the recording, one after
/// each event.
fn replay(header: &serde_json::Value, events: &[(f64, String, String)]) -> Vec<String> {
    let w = u16::try_from(header["width"].as_u64().unwrap()).unwrap();
    let h = u16::try_from(header["height"].as_u64().unwrap()).unwrap();
    let mut term = vt100::Parser::new(h, w, 0);
    events
        .iter()
        .map(|(_, _, data)| {
            term.process(data.as_bytes());
            term.screen().contents()
        })
        .collect()
}

/// The asciicast lines: the header, then the events.
fn read_cast(p: &Path) -> (serde_json::Value, Vec<(f64, String, String)>) {
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let events = lines
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("an event is JSON");
            let a = v.as_array().expect("an event is an array");
            assert_eq!(a.len(), 3, "{l}");
            (
                a[0].as_f64().expect("a time"),
                a[1].as_str().unwrap().to_string(),
                a[2].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (header, events)
}

#[test]
fn a_recording_is_asciicast_v2_and_never_holds_a_key_value() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Console::spawn(
        tmp.path(),
        &[
            "demo",
            "--as",
            "grace@acme.example",
            "--record",
            "walk.cast",
        ],
        &[],
    );
    c.wait_for("grace-cli");
    c.keys("c");
    c.wait_for("Create");
    c.type_text("recorded-key");
    c.keys("enter");
    c.wait_for("API key successfully created");
    c.keys("s");
    let screen = c.wait_for("iamk_");
    let value: String = {
        let at = screen.find("iamk_").unwrap();
        screen[at..]
            .chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
            .collect()
    };
    assert!(value.len() > 30, "the value is on screen: {screen}");
    // Closing over a key neither copied nor saved warns once.
    c.keys("esc");
    c.keys("esc");
    c.wait_until("the reveal closed", |s| {
        !s.contains("API key successfully created")
    });
    // The value pasted into the search box is on screen, not in the recording.
    c.keys("/");
    c.type_text(&format!("\x1b[200~{value}\x1b[201~"));
    c.wait_for(&value);
    c.keys("esc");
    c.keys("esc");
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);

    let cast = tmp.path().join("walk.cast");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cast).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (header, events) = read_cast(&cast);
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], 120);
    assert_eq!(header["height"], 40);
    assert!(events.len() > 3, "{} events", events.len());
    let mut last = 0.0;
    for (t, kind, _) in &events {
        assert_eq!(kind, "o");
        assert!(*t >= last, "times go forward");
        last = *t;
    }
    let screens = replay(&header, &events);
    assert!(
        screens
            .iter()
            .any(|s| s.contains("recorded-key") && s.contains("API key successfully created")),
        "the recording shows the session"
    );
    let raw = std::fs::read_to_string(&cast).unwrap();
    assert!(!raw.contains(&value), "the recording holds the key value");
    let secret_part = &value[value.len() - 24..];
    assert!(
        !raw.contains(secret_part),
        "the recording holds part of the key value"
    );
    assert!(
        screens
            .iter()
            .any(|s| s.contains("(shown on screen; hidden in this recording)")),
        "the recording says the value is hidden"
    );
    assert!(
        !raw.contains("\x1b]52") && !raw.contains("\\u001b]52"),
        "no clipboard sequence"
    );

    // A recording never overwrites a file.
    let (code, _, err) = {
        let out = bin()
            .current_dir(tmp.path())
            .args(["demo", "--record", "walk.cast"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            (),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_console_says_which_step_does_not_match_its_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = changed_demo(
        tmp.path(),
        "        invited_by: ada@acme.example\n        roles: [Administrator]",
        "        invited_by: ada@acme.example\n        roles: [Editor]",
    );
    let mut c = Console::spawn(
        tmp.path(),
        &["demo", fx.to_str().unwrap(), "--tour", "builtin"],
        &[],
    );
    c.wait_for("step 1 of 9");
    c.type_text(RIGHT);
    c.wait_for("step 2 of 9");
    c.type_text(RIGHT);
    c.wait_all(&[
        "step 3 of 9 does not match its fixture",
        "found: it offers: My IBM Cloud API keys, Classic infrastructure API keys",
    ]);
    // Next does nothing past a failed step; back does.
    c.type_text(RIGHT);
    c.wait_for("step 3 of 9 does not match its fixture");
    c.type_text(LEFT);
    c.wait_for("step 2 of 9");
    c.keys("q");
    assert_eq!(c.wait_exit(), 0);
}
