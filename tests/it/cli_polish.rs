//! The command line's finish: no existence oracle for service IDs, aligned
//! settings, page sizes, JSON errors, confirmations for lock and disable,
//! wording, `demo` with `--data-dir`, and help for every argument.

use std::path::Path;
use std::process::Output;

use clap::CommandFactory;
use serde_json::Value;

use crate::common::{self, iamkeys};

const BILLING_SERVICE_KEY: &str = "iamk_DEMObilling01UFKkDNDU3Db0LSZeTiClQiw2ZYeJf";

fn run(dir: &Path, args: &[&str]) -> Output {
    iamkeys(dir).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let o = run(dir, &all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn creating_a_service_key_without_the_role_does_not_reveal_service_ids() {
    let (_tmp, dir) = common::seeded_demo();
    // Linus is a Viewer in acme: whether the service ID exists or not, the
    // same refusal, the same exit code, and nothing created.
    for format in ["text", "json"] {
        let real = run(
            &dir,
            &[
                "--as",
                "linus@acme.example",
                "service-api-key-create",
                "x",
                "billing-exporter",
                "--output",
                format,
            ],
        );
        let missing = run(
            &dir,
            &[
                "--as",
                "linus@acme.example",
                "service-api-key-create",
                "x",
                "no-such-service-id",
                "--output",
                format,
            ],
        );
        assert_eq!(real.status.code(), Some(3), "{}", stderr(&real));
        assert_eq!(real.status.code(), missing.status.code());
        assert_eq!(stderr(&real), stderr(&missing));
        assert_eq!(stdout(&real), stdout(&missing));
    }
    // Someone with the role still learns which one is missing.
    let o = run(
        &dir,
        &[
            "--as",
            "alan@acme.example",
            "service-api-key-create",
            "x",
            "no-such-service-id",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let keys = json(
        &dir,
        &[
            "--as",
            "ada@acme.example",
            "api-keys",
            "--view",
            "service-ids",
        ],
    );
    assert!(
        !keys["apikeys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "x")
    );
}

/// The column where the value starts on each `Label  value` line.
fn value_columns(text: &str) -> Vec<usize> {
    text.lines()
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let gap = l.find("  ").unwrap_or_else(|| panic!("no gap in {l:?}"));
            gap + l[gap..].chars().take_while(|c| *c == ' ').count()
        })
        .collect()
}

#[test]
fn settings_and_details_align_labels_and_values() {
    let (_tmp, dir) = common::seeded_demo();
    let o = run(&dir, &["--as", "ada@acme.example", "account-settings"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Restrict API key creation  off"), "{text}");
    assert!(text.contains("API keys per identity      20"), "{text}");
    let cols = value_columns(&text);
    assert_eq!(cols.len(), 5, "{text}");
    assert!(cols.iter().all(|c| *c == cols[0]), "{text}");
    let o = run(&dir, &["--as", "ada@acme.example", "api-key", "ada-laptop"]);
    let text = stdout(&o);
    let cols = value_columns(&text);
    assert!(cols.len() > 15, "{text}");
    assert!(cols.iter().all(|c| *c == cols[0]), "{text}");
}

#[test]
fn page_size_is_one_to_a_hundred_and_an_empty_page_says_how_many_exist() {
    let (_tmp, dir) = common::seeded_demo();
    let ada = ["--as", "ada@acme.example", "api-keys", "--view", "users"];
    for bad in ["0", "101", "x"] {
        let mut args = ada.to_vec();
        args.extend(["--limit", bad]);
        let o = run(&dir, &args);
        assert_eq!(o.status.code(), Some(2), "--limit {bad}: {}", stdout(&o));
        assert!(stderr(&o).contains("1 to 100"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    for good in ["1", "100"] {
        let mut args = ada.to_vec();
        args.extend(["--limit", good]);
        assert!(run(&dir, &args).status.success());
    }
    // A page past the end is not "no API keys".
    let mut args = ada.to_vec();
    args.extend(["--offset", "50"]);
    let o = run(&dir, &args);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        "No API keys from offset 8: \"All IBM Cloud user API keys\" has 8 (0 of 8 shown)."
    );
}

fn json_error(o: &Output, code: i32, kind: &str) -> Value {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
    let text = stderr(o);
    let v: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {text}"));
    assert_eq!(v["code"], kind, "{v}");
    assert_eq!(v["exit_code"], code, "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
    v
}

#[test]
fn with_json_output_errors_are_json_objects_on_stderr() {
    let (tmp, dir) = common::seeded_demo();
    let ada = ["--as", "ada@acme.example", "--output", "json"];
    let with = |args: &[&str]| {
        let mut all = ada.to_vec();
        all.extend_from_slice(args);
        run(&dir, &all)
    };
    let v = json_error(&with(&["api-key", "nope"]), 4, "not_found");
    assert!(v["message"].as_str().unwrap().contains("nope"));
    json_error(
        &with(&["api-key-delete", "alan-notebook", "-f"]),
        3,
        "refused",
    );
    json_error(&with(&["api-key-update", "ada-laptop"]), 2, "bad_input");
    // Usage errors, found before the arguments are understood.
    let v = json_error(&with(&["api-keys", "--limit", "0"]), 2, "bad_input");
    assert!(v["message"].as_str().unwrap().contains("1 to 100"), "{v}");
    json_error(&with(&["no-such-command"]), 2, "bad_input");
    let o = run(&dir, &["--output=json", "api-keys", "--bogus"]);
    json_error(&o, 2, "bad_input");
    // Sign-in and store failures too.
    json_error(
        &run(
            &dir,
            &["--output", "json", "--as", "nobody@x.example", "views"],
        ),
        3,
        "refused",
    );
    let o = run(
        &tmp.path().join("elsewhere"),
        &["--output", "json", "check"],
    );
    assert_ne!(o.status.code(), Some(0));
    let text = stderr(&o);
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["exit_code"], o.status.code().unwrap());
    // Text output keeps text errors.
    let o = run(&dir, &["--as", "ada@acme.example", "api-key", "nope"]);
    assert!(stderr(&o).starts_with("iamkeys: "), "{}", stderr(&o));
    // Help is not an error.
    let o = run(&dir, &["--output", "json", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("Usage"));
}

/// Runs the binary in a pseudo-terminal, answers its prompt, and returns
/// what it showed and its exit code.
fn answer_prompt(dir: &Path, args: &[&str], expect: &str, answer: &str) -> (String, u32) {
    let mut all = vec!["--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut c = crate::e2e_console::Console::spawn(dir, &all, &[]);
    c.wait_for(expect);
    c.keys(answer);
    c.keys("enter");
    let code = c.wait_exit();
    (c.screen(), code)
}

#[test]
fn lock_and_disable_ask_on_a_terminal_and_need_f_without_one() {
    let (_tmp, dir) = common::seeded_demo();
    let ada = ["--as", "ada@acme.example"];
    let state = |field: &str| {
        json(&dir, &["--as", "ada@acme.example", "api-key", "ada-laptop"])[field].clone()
    };
    for (cmd, field, verb) in [
        ("api-key-lock", "locked", "Lock"),
        ("api-key-disable", "disabled", "Disable"),
    ] {
        // No terminal, no -f: refused as bad input, naming -f; unchanged.
        let mut args = ada.to_vec();
        args.extend([cmd, "ada-laptop"]);
        let o = run(&dir, &args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("add -f"), "{}", stderr(&o));
        assert_eq!(state(field), false);
        // On a terminal: asked; "n" changes nothing, "y" does it.
        let prompt = format!("{verb} API key ada-laptop (");
        let (shown, code) = answer_prompt(&dir, &args, "[y/N]", "n");
        assert!(shown.contains(&prompt), "{shown}");
        assert_eq!(code, 2, "{shown}");
        assert_eq!(state(field), false);
        let (shown, code) = answer_prompt(&dir, &args, "[y/N]", "y");
        assert_eq!(code, 0, "{shown}");
        assert_eq!(state(field), true);
        if cmd == "api-key-lock" {
            // A change the rules refuse is not asked about: the rule answers.
            let o = run(&dir, &args);
            assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
            let mut unlock = ada.to_vec();
            unlock.extend(["api-key-unlock", "ada-laptop"]);
            assert!(run(&dir, &unlock).status.success());
        }
    }
    // -f does it without asking.
    let mut args = ada.to_vec();
    args.extend(["api-key-lock", "ada-laptop", "-f"]);
    assert!(run(&dir, &args).status.success());
    assert_eq!(state("locked"), true);
}

#[test]
fn wording_of_sign_in_and_session_support() {
    let (_tmp, dir) = common::seeded_demo();
    let o = run(&dir, &["--apikey", BILLING_SERVICE_KEY, "views"]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(!e.contains("console"), "{e}");
    assert!(e.contains("cannot sign in to iamkeys"), "{e}");
    let o = run(&dir, &["api-key-create", "--help"]);
    let help = stdout(&o);
    assert!(!help.contains("console sessions"), "{help}");
    assert!(help.contains("CLI login sessions"), "{help}");
}

#[test]
fn demo_refuses_a_data_dir() {
    let (_tmp, dir) = common::seeded_demo();
    let o = run(&dir, &["demo"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--data-dir"), "{}", stderr(&o));
    let o = run(&dir, &["demo", "--output", "json"]);
    json_error(&o, 2, "bad_input");
}

#[test]
fn every_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if a.is_hide_set() || matches!(a.get_id().as_str(), "help" | "version") {
                continue;
            }
            if a.get_help().is_none() {
                missing.push(format!("{path} {}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            if sub.get_about().is_none() {
                missing.push(format!("{path} {}", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&iamkeys::cli::Cli::command(), "iamkeys", &mut missing);
    assert!(missing.is_empty(), "without help: {missing:?}");
}
