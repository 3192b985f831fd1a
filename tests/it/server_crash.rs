//! `iamkeys serve` killed with SIGKILL while clients write: in each round
//! client threads create, rename and delete keys through the server and
//! note every write it acknowledged; the server is killed at a random
//! moment; `iamkeys check` must pass on the store it left, and a restarted
//! server must show every acknowledged write (created keys with their
//! names, renames, deletions). A write whose answer never came may or may
//! not have happened, but nothing else may differ.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::iamkeys;
use crate::crash::Rng;
use crate::server_common::{Http, Server, seed_text};

const FIXTURE: &str = r"
version: 1
users:
  - email: owner@crash.example
    name: Owner
accounts:
  - id: crash
    name: Crash
    owner: owner@crash.example
    settings:
      api_keys_per_identity: 1000
";

const ROUNDS: usize = 6;
const THREADS: usize = 4;
/// Keys a thread keeps at most, so the owner stays under the limit.
const PER_THREAD: usize = 25;

/// What the store must show for a key: exactly one name (or gone), or, for
/// the write whose answer the kill cut off, either of two.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Is(Option<String>),
    Either(Option<String>, Option<String>),
}

impl Expect {
    fn allows(&self, seen: Option<&String>) -> bool {
        match self {
            Expect::Is(e) => e.as_ref() == seen,
            Expect::Either(a, b) => a.as_ref() == seen || b.as_ref() == seen,
        }
    }
}

#[derive(Debug, Clone)]
struct Mine {
    id: String,
    name: String,
    tag: String,
}

/// An acknowledged write.
#[derive(Debug)]
enum Acked {
    Created { id: String, name: String },
    Renamed { id: String, name: String },
    Deleted { id: String },
}

/// The write in flight when the server went away.
#[derive(Debug)]
enum Cut {
    Create {
        name: String,
    },
    Rename {
        id: String,
        from: String,
        to: String,
    },
    Delete {
        id: String,
        name: String,
    },
}

struct Outcome {
    acked: Vec<Acked>,
    cut: Option<Cut>,
    /// Answers no write should get from a live server (each its text).
    surprises: Vec<String>,
}

/// Writes through `h` until the server stops answering.
fn writer(h: &Http, mut mine: Vec<Mine>, seed: u64, label: &str, iam_id: &str) -> Outcome {
    let mut rng = Rng(seed | 1);
    let mut acked = Vec::new();
    let mut surprises = Vec::new();
    for seq in 0.. {
        let pick = rng.below(10);
        if mine.is_empty() || (pick < 4 && mine.len() < PER_THREAD) {
            let name = format!("{label}-c{seq}");
            let Some(a) = h.try_call(
                "POST",
                "/v1/apikeys",
                &[],
                Some(&json!({"name": name, "iam_id": iam_id})),
            ) else {
                return Outcome {
                    acked,
                    cut: Some(Cut::Create { name }),
                    surprises,
                };
            };
            if a.status == 201 {
                let id = a.body["id"].as_str().unwrap().to_string();
                acked.push(Acked::Created {
                    id: id.clone(),
                    name: name.clone(),
                });
                mine.push(Mine {
                    id,
                    name,
                    tag: a.etag.unwrap(),
                });
            } else {
                surprises.push(format!("create: {} {}", a.status, a.text));
            }
        } else if pick < 8 {
            let i = rng.below(mine.len() as u64) as usize;
            let k = mine[i].clone();
            let to = format!("{label}-r{seq}");
            let Some(a) = h.try_call(
                "PUT",
                &format!("/v1/apikeys/{}", k.id),
                &[("If-Match", &k.tag)],
                Some(&json!({"name": to})),
            ) else {
                return Outcome {
                    acked,
                    cut: Some(Cut::Rename {
                        id: k.id,
                        from: k.name,
                        to,
                    }),
                    surprises,
                };
            };
            if a.status == 200 {
                acked.push(Acked::Renamed {
                    id: k.id.clone(),
                    name: to.clone(),
                });
                mine[i].name = to;
                mine[i].tag = a.etag.unwrap();
            } else {
                surprises.push(format!("rename: {} {}", a.status, a.text));
            }
        } else {
            let i = rng.below(mine.len() as u64) as usize;
            let k = mine[i].clone();
            let Some(a) = h.try_call(
                "DELETE",
                &format!("/v1/apikeys/{}", k.id),
                &[("If-Match", &k.tag)],
                None,
            ) else {
                return Outcome {
                    acked,
                    cut: Some(Cut::Delete {
                        id: k.id,
                        name: k.name,
                    }),
                    surprises,
                };
            };
            if a.status == 204 {
                acked.push(Acked::Deleted { id: k.id.clone() });
                mine.remove(i);
            } else {
                surprises.push(format!("delete: {} {}", a.status, a.text));
            }
        }
    }
    unreachable!()
}

/// Every key of the caller's own: id → (name, entity tag).
fn listing(h: &Http) -> BTreeMap<String, (String, String)> {
    h.all_my_keys()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_string(),
                (
                    k["name"].as_str().unwrap().to_string(),
                    k["entity_tag"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn every_acknowledged_write_survives_a_kill_9_of_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let boots = seed_text(&dir, FIXTURE);
    let boot = boots[0].1.clone();
    let mut rng = Rng::from_env("IAMKEYS_SERVER_CRASH_SEED");
    let mut expected: BTreeMap<String, Expect> = BTreeMap::new();
    let mut server = Server::start(&dir);
    let mut owner = server.client().signed_in(&boot);
    let iam_id = owner.get("/iamkeys/v1/session").body["user"]["iam_id"]
        .as_str()
        .unwrap()
        .to_string();
    let boot_id = listing(&owner).into_keys().next().unwrap();
    let (mut creates, mut renames, mut deletes, mut cut_off) = (0, 0, 0, 0);
    for round in 0..ROUNDS {
        // The keys now, shared out among the writers.
        let now = listing(&owner);
        let mut shares: Vec<Vec<Mine>> = vec![Vec::new(); THREADS];
        for (i, (id, (name, tag))) in now.iter().filter(|(id, _)| **id != boot_id).enumerate() {
            shares[i % THREADS].push(Mine {
                id: id.clone(),
                name: name.clone(),
                tag: tag.clone(),
            });
        }
        let kill_after = Duration::from_millis(200 + rng.below(1300));
        let token = owner.token.clone().unwrap();
        let started = AtomicBool::new(false);
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = shares
                .into_iter()
                .enumerate()
                .map(|(t, share)| {
                    let h = Http::new(&server.url).with_token(&token);
                    let seed = rng.next();
                    let iam_id = iam_id.clone();
                    let started = &started;
                    s.spawn(move || {
                        started.store(true, Ordering::Relaxed);
                        writer(&h, share, seed, &format!("k{round}t{t}"), &iam_id)
                    })
                })
                .collect();
            while !started.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            std::thread::sleep(kill_after);
            let killed = Instant::now();
            // SIGKILL, as a crash would.
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            let outcomes: Vec<Outcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert!(killed.elapsed() < Duration::from_secs(60));
            outcomes
        });

        // What the round's writers were told.
        let mut may_exist: BTreeMap<String, ()> = BTreeMap::new();
        for o in &outcomes {
            assert!(o.surprises.is_empty(), "round {round}: {:?}", o.surprises);
            for a in &o.acked {
                match a {
                    Acked::Created { id, name } => {
                        creates += 1;
                        expected.insert(id.clone(), Expect::Is(Some(name.clone())));
                    }
                    Acked::Renamed { id, name } => {
                        renames += 1;
                        expected.insert(id.clone(), Expect::Is(Some(name.clone())));
                    }
                    Acked::Deleted { id } => {
                        deletes += 1;
                        expected.insert(id.clone(), Expect::Is(None));
                    }
                }
            }
            match &o.cut {
                Some(Cut::Create { name }) => {
                    may_exist.insert(name.clone(), ());
                }
                Some(Cut::Rename { id, from, to }) => {
                    expected.insert(
                        id.clone(),
                        Expect::Either(Some(from.clone()), Some(to.clone())),
                    );
                }
                Some(Cut::Delete { id, name }) => {
                    expected.insert(id.clone(), Expect::Either(Some(name.clone()), None));
                }
                None => {}
            }
            cut_off += usize::from(o.cut.is_some());
        }
        let acked_this_round: usize = outcomes.iter().map(|o| o.acked.len()).sum();

        // The store the killed server left passes the check.
        let check = iamkeys(&dir).arg("check").output().unwrap();
        assert!(
            check.status.success(),
            "round {round}: iamkeys check after the kill: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );

        // A restarted server shows every acknowledged write.
        server = Server::start(&dir);
        owner = server.client().signed_in(&boot);
        let seen = listing(&owner);
        for (id, want) in &expected {
            let got = seen.get(id).map(|(name, _)| name);
            assert!(
                want.allows(got),
                "round {round}: key {id} should be {want:?}, is {got:?}"
            );
        }
        for (id, (name, _)) in &seen {
            if *id == boot_id || expected.contains_key(id) {
                continue;
            }
            assert!(
                may_exist.contains_key(name),
                "round {round}: key {id} ({name}) was never created"
            );
            // A create whose answer was cut off did happen: it is a key now.
            expected.insert(id.clone(), Expect::Is(Some(name.clone())));
        }
        // From here on each key is what it was seen to be.
        for (id, want) in &mut expected {
            if let Expect::Either(..) = want {
                *want = Expect::Is(seen.get(id).map(|(n, _)| n.clone()));
            }
        }
        eprintln!(
            "round {round}: killed after {kill_after:?}; {acked_this_round} acknowledged writes, all there; {} keys",
            seen.len()
        );
    }
    let total = creates + renames + deletes;
    eprintln!(
        "{ROUNDS} rounds, {THREADS} writers each: {total} acknowledged writes ({creates} creates, {renames} renames, {deletes} deletes) all survived kill -9; {cut_off} writes were cut off"
    );
    assert!(total >= ROUNDS * THREADS, "the writers wrote: {total}");
    assert_eq!(server.stop().code(), Some(0));
    let check = iamkeys(&dir).arg("check").output().unwrap();
    assert!(check.status.success());
}
