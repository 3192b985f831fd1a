//! Crash safety: the binary is killed with SIGKILL at random moments in a
//! stream of creates, updates, locks and deletes. After every kill the store
//! opens, `iamkeys check` finds indexes and records in agreement, and every
//! change that was acknowledged (exit 0, answer printed) is there.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;
use common::iamkeys;

const TRIALS: usize = 50;

/// A small, seeded generator, so a failing run can be repeated.
pub struct Rng(pub u64);
impl Rng {
    /// Seeded from `var` if set, else from the clock; the seed is printed
    /// so that a failing run can be repeated.
    pub fn from_env(var: &str) -> Rng {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("test seed: {var}={seed}");
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, PartialEq)]
struct KeyState {
    name: String,
    locked: bool,
}

/// What the store must show for a key: exactly one state, or (for the
/// change that was killed) either of two.
#[derive(Debug, Clone)]
enum Expect {
    Is(Option<KeyState>),
    Either(Option<KeyState>, Option<KeyState>),
}

fn my_keys(dir: &Path) -> BTreeMap<String, KeyState> {
    let out = iamkeys(dir)
        .args(["--as", "ada@acme.example", "api-keys", "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["apikeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_string(),
                KeyState {
                    name: k["name"].as_str().unwrap().to_string(),
                    locked: k["locked"].as_bool().unwrap(),
                },
            )
        })
        .collect()
}

#[test]
fn acknowledged_changes_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let seeded = iamkeys(&dir).arg("seed").output().unwrap();
    assert!(seeded.status.success());

    let mut rng = Rng::from_env("IAMKEYS_CRASH_SEED");

    let mut model: BTreeMap<String, Expect> = my_keys(&dir)
        .into_iter()
        .map(|(id, s)| (id, Expect::Is(Some(s))))
        .collect();
    let mut killed_mid_change = 0;
    // How long a change takes here, so kills land across its whole life.
    let mut durations: Vec<u64> = vec![20_000];
    let mut counter = 0;

    for trial in 0..TRIALS {
        // A few acknowledged changes, then one that is killed.
        let ops = 1 + rng.below(4) as usize;
        for step in 0..=ops {
            let last = step == ops;
            counter += 1;
            let known: Vec<(String, KeyState)> = model
                .iter()
                .filter_map(|(id, e)| match e {
                    Expect::Is(Some(s)) => Some((id.clone(), s.clone())),
                    _ => None,
                })
                .collect();
            let choice = if known.len() < 3 {
                0
            } else if known.len() > 15 {
                3
            } else {
                rng.below(4)
            };
            let (args, target, after): (Vec<String>, Option<String>, Option<KeyState>) =
                match choice {
                    0 => {
                        let name = format!("crash-{trial}-{counter}");
                        (
                            vec![
                                "api-key-create".into(),
                                name.clone(),
                                "--output".into(),
                                "json".into(),
                            ],
                            None,
                            Some(KeyState {
                                name,
                                locked: false,
                            }),
                        )
                    }
                    1..=3 => {
                        let (id, state) = known[rng.below(known.len() as u64) as usize].clone();
                        if state.locked {
                            let mut s = state.clone();
                            s.locked = false;
                            (vec!["api-key-unlock".into(), id.clone()], Some(id), Some(s))
                        } else if choice == 1 {
                            let mut s = state.clone();
                            s.name = format!("renamed-{trial}-{counter}");
                            (
                                vec![
                                    "api-key-update".into(),
                                    id.clone(),
                                    "-n".into(),
                                    s.name.clone(),
                                ],
                                Some(id),
                                Some(s),
                            )
                        } else if choice == 2 {
                            let mut s = state.clone();
                            s.locked = true;
                            (
                                vec!["api-key-lock".into(), id.clone(), "-f".into()],
                                Some(id),
                                Some(s),
                            )
                        } else {
                            (
                                vec!["api-key-delete".into(), id.clone(), "-f".into()],
                                Some(id),
                                None,
                            )
                        }
                    }
                    _ => unreachable!(),
                };
            let mut child = iamkeys(&dir)
                .args(["--as", "ada@acme.example"])
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let started = Instant::now();
            if last {
                let mut sorted = durations.clone();
                sorted.sort_unstable();
                let median = sorted[sorted.len() / 2];
                std::thread::sleep(Duration::from_micros(rng.below(median + median / 5)));
                let _ = child.kill();
            }
            let out = child.wait_with_output().unwrap();
            if !last {
                durations.push(started.elapsed().as_micros() as u64);
            }
            let acknowledged = out.status.success() && !out.stdout.is_empty();
            if !last {
                assert!(
                    acknowledged,
                    "trial {trial}: {args:?} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            // The id of a created key is known only from its answer.
            let target = match target {
                Some(id) => Some(id),
                None if acknowledged => {
                    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                    Some(v["id"].as_str().unwrap().to_string())
                }
                None => None,
            };
            match (acknowledged, target) {
                (true, Some(id)) => {
                    model.insert(id, Expect::Is(after));
                }
                (false, Some(id)) => {
                    killed_mid_change += 1;
                    let before = match model.get(&id) {
                        Some(Expect::Is(s)) => s.clone(),
                        _ => None,
                    };
                    model.insert(id, Expect::Either(before, after));
                }
                (false, None) => {
                    // A create killed before it answered: its key may or may
                    // not exist; it is found and settled below.
                    killed_mid_change += 1;
                }
                (true, None) => unreachable!(),
            }
        }

        // After the kill: the store opens and is consistent.
        let check = iamkeys(&dir).arg("check").output().unwrap();
        assert!(
            check.status.success(),
            "trial {trial}: check failed: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let actual = my_keys(&dir);
        for (id, expect) in &model {
            let got = actual.get(id).cloned();
            match expect {
                Expect::Is(s) => assert_eq!(&got, s, "trial {trial}: key {id}"),
                Expect::Either(a, b) => assert!(
                    &got == a || &got == b,
                    "trial {trial}: key {id} is {got:?}, neither {a:?} nor {b:?} (half-written?)"
                ),
            }
        }
        for (id, s) in &actual {
            if !model.contains_key(id) {
                // Only a killed create may leave a key the model has not seen,
                // and it must be whole.
                assert!(
                    s.name.starts_with("crash-"),
                    "trial {trial}: unexpected key {id}"
                );
            }
        }
        // Settle the model on what is there now.
        model = actual
            .into_iter()
            .map(|(id, s)| (id, Expect::Is(Some(s))))
            .collect();
    }
    eprintln!("{TRIALS} trials, {killed_mid_change} kills landed before the answer");
    assert!(killed_mid_change > 0, "no kill landed before an answer");
}
