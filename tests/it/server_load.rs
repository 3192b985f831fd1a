//! `iamkeys serve` under load and attack: the rules that count (the
//! per-identity limit, one classic key per user, If-Match) hold when many
//! clients race; a flood of token exchanges does not starve reads; and a
//! body too big, a client too slow or too many connections cannot take the
//! server down.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{deadline, iamkeys};
use crate::server_common::{Answer, Http, Server, seed_text};

/// One owner in an account with classic infrastructure and room for 20
/// keys per identity; seeding gives the owner a bootstrap key (one of the
/// 20).
const LOAD: &str = r"
version: 1
users:
  - email: owner@load.example
    name: Owner
accounts:
  - id: load
    name: Load
    owner: owner@load.example
    classic_infrastructure: true
    settings:
      api_keys_per_identity: 20
";

const LIMIT: usize = 20;

/// OWASP's argon2id parameters, the production default, spelled out: the
/// tests' binary is otherwise given cheap ones. A create hashes its new
/// value, so at this cost the time between a create's check and its write
/// is tens of milliseconds: a race the rules did not guard would show.
const PRODUCTION_ARGON2: (&str, &str) = ("IAMKEYS_ARGON2", "m=19456,t=2,p=1");

struct Load {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    key: String,
}

fn load() -> Load {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let boots = seed_text(&dir, LOAD);
    let key = boots
        .iter()
        .find(|(o, _)| o == "owner@load.example")
        .map(|(_, k)| k.clone())
        .expect("a bootstrap key for the owner");
    Load {
        _tmp: tmp,
        dir,
        key,
    }
}

fn me(h: &Http) -> String {
    h.get("/iamkeys/v1/session").body["user"]["iam_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs `n` copies of `each` at once (each on its own thread, with its own
/// client and so its own connection), released together, and returns
/// their answers.
fn race(
    n: usize,
    token: &str,
    base: &str,
    each: impl Fn(usize, &Http) -> Answer + Sync,
) -> Vec<Answer> {
    let start = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let start = &start;
                let each = &each;
                s.spawn(move || {
                    let h = Http::new(base).with_token(token);
                    // Connected before the start, so that all go at once.
                    assert_eq!(h.get("/identity/keys").status, 200);
                    start.wait();
                    each(i, &h)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The statuses of `answers`, with the text of the unexpected ones.
fn statuses(answers: &[Answer]) -> String {
    answers
        .iter()
        .map(|a| match a.status {
            200 | 201 | 409 | 422 => a.status.to_string(),
            _ => format!("{} {}", a.status, a.text),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

#[test]
fn fifty_parallel_creates_against_the_limit_leave_exactly_the_limit() {
    let l = load();
    let server = Server::start_with(&l.dir, &[PRODUCTION_ARGON2]);
    let owner = server.client().signed_in(&l.key);
    let iam_id = me(&owner);
    let before = owner.all_my_keys().len();
    assert_eq!(before, 1, "the bootstrap key");
    let token = owner.token.clone().unwrap();
    let answers = race(50, &token, &server.url, |i, h| {
        h.post(
            "/v1/apikeys",
            &json!({"name": format!("race-{i}"), "iam_id": iam_id}),
        )
    });
    let created = count(&answers, 201);
    let refused = count(&answers, 422);
    eprintln!("50 parallel creates: {created} × 201, {refused} × 422");
    for a in answers.iter().filter(|a| a.status == 422) {
        assert_eq!(
            a.body["errors"][0]["message_code"], "BXNIM0151E",
            "{}",
            a.text
        );
    }
    assert_eq!(
        created + refused,
        50,
        "every answer is 201 or 422: {}",
        statuses(&answers)
    );
    assert_eq!(created, LIMIT - before, "exactly up to the limit");
    let keys = owner.all_my_keys();
    assert_eq!(keys.len(), LIMIT, "the list holds exactly the limit");
    // The keys listed are the bootstrap key and exactly the ones answered 201.
    let mut listed: Vec<String> = keys
        .iter()
        .filter_map(|k| k["name"].as_str())
        .filter(|n| n.starts_with("race-"))
        .map(str::to_string)
        .collect();
    let mut answered: Vec<String> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.body["name"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    answered.sort();
    assert_eq!(listed, answered);
    // The store agrees with itself afterwards.
    assert_eq!(server.stop().code(), Some(0));
    let check = iamkeys(&l.dir).arg("check").output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn parallel_classic_key_creates_make_exactly_one() {
    let l = load();
    let server = Server::start_with(&l.dir, &[PRODUCTION_ARGON2]);
    let owner = server.client().signed_in(&l.key);
    let token = owner.token.clone().unwrap();
    // Rounds: the classic key is deleted after each, so the next races anew.
    for round in 0..5 {
        let answers = race(40, &token, &server.url, |_, h| {
            h.call("POST", "/iamkeys/v1/classic_keys", &[], None)
        });
        let created = count(&answers, 201);
        let refused = count(&answers, 422);
        eprintln!(
            "round {round}: 40 parallel classic key creates: {created} × 201, {refused} × 422"
        );
        let classic = owner.get("/iamkeys/v1/keys?view=classic");
        assert_eq!(classic.status, 200, "{}", classic.text);
        assert_eq!(
            classic.body["total"], 1,
            "one classic key: {}",
            classic.text
        );
        assert_eq!(created, 1, "{}", statuses(&answers));
        assert_eq!(refused, 39, "{}", statuses(&answers));
        let id = classic.body["rows"][0]["id"].as_str().unwrap();
        let gone = owner.call("DELETE", &format!("/v1/apikeys/{id}"), &[], None);
        assert_eq!(gone.status, 204, "{}", gone.text);
    }
}

#[test]
fn if_match_is_atomic_with_the_write() {
    const ROUNDS: usize = 10;
    const RACERS: usize = 48;
    let l = load();
    let server = Server::start(&l.dir);
    let owner = server.client().signed_in(&l.key);
    let iam_id = me(&owner);
    let made = owner.post(
        "/v1/apikeys",
        &json!({"name": "contested", "iam_id": iam_id}),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    let tag = made.etag.clone().unwrap();
    let token = owner.token.clone().unwrap();
    let path = format!("/v1/apikeys/{id}");
    for round in 0..ROUNDS {
        let tag = if round == 0 {
            tag.clone()
        } else {
            owner.get(&path).etag.unwrap()
        };
        let answers = race(RACERS, &token, &server.url, |i, h| {
            h.call(
                "PUT",
                &path,
                &[("If-Match", &tag)],
                Some(&json!({"name": format!("winner-{round}-{i}"), "description": format!("by {i}")})),
            )
        });
        let ok = count(&answers, 200);
        let conflict = count(&answers, 409);
        eprintln!(
            "round {round}: {RACERS} parallel PUTs with one If-Match: {ok} × 200, {conflict} × 409"
        );
        assert_eq!(ok, 1, "{}", statuses(&answers));
        assert_eq!(conflict, RACERS - 1, "{}", statuses(&answers));
        let winner = answers.iter().find(|a| a.status == 200).unwrap();
        let now = owner.get(&path);
        assert_eq!(now.body["name"], winner.body["name"]);
        assert_eq!(now.body["description"], winner.body["description"]);
        assert_eq!(now.etag, winner.etag, "the final state is the winner's");
        // The history records one edit per round.
        let hist = owner.get(&format!("{path}?include_history=true"));
        let edits = hist.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "edit")
            .count();
        assert_eq!(edits, round + 1, "{}", hist.text);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    assert!(!v.is_empty());
    v.sort();
    v[v.len() / 2]
}

/// Times `GET /v1/apikeys/{id}` until `until` holds (at least `min` reads).
fn time_reads(h: &Http, path: &str, min: usize, until: impl Fn() -> bool) -> Vec<Duration> {
    let mut times = Vec::new();
    while times.len() < min || !until() {
        let t = Instant::now();
        let a = h.get(path);
        times.push(t.elapsed());
        assert_eq!(a.status, 200, "{}", a.text);
        if times.len() > 100_000 {
            break;
        }
    }
    times
}

/// argon2 runs on a bounded pool: while many clients flood the token
/// endpoint with a key hashed at production strength (OWASP's argon2id
/// parameters, the default), reads with a token taken before the flood
/// stay fast. Prints both medians.
#[test]
fn a_flood_of_token_requests_does_not_starve_reads() {
    let l = load();
    // The server hashes new keys at production strength: the flood's key
    // is made through it, so each exchange verifies a production hash.
    let server = Server::start_with(&l.dir, &[PRODUCTION_ARGON2]);
    let owner = server.client().signed_in(&l.key);
    let iam_id = me(&owner);
    let flood_key = owner.post("/v1/apikeys", &json!({"name": "flood", "iam_id": iam_id}));
    assert_eq!(flood_key.status, 201, "{}", flood_key.text);
    let value = flood_key.body["apikey"].as_str().unwrap().to_string();
    let one = Instant::now();
    let probe = server.client().token_for(&[
        ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
        ("apikey", &value),
    ]);
    assert_eq!(probe.status, 200, "{}", probe.text);
    eprintln!(
        "one token exchange at production strength: {:?}",
        one.elapsed()
    );
    let path = format!("/v1/apikeys/{}", flood_key.body["id"].as_str().unwrap());
    // A reader with its own connection and a token from before the flood.
    let reader = Http::new(&server.url).with_token(owner.token.as_deref().unwrap());
    time_reads(&reader, &path, 20, || true); // warm up
    let quiet_before = median(time_reads(&reader, &path, 200, || true));

    const FLOODERS: usize = 16;
    let flood_for = Duration::from_secs(4);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (loud, tallies) = std::thread::scope(|s| {
        let flooders: Vec<_> = (0..FLOODERS)
            .map(|_| {
                let stop = Arc::clone(&stop);
                let c = Http::new(&server.url);
                let value = value.clone();
                s.spawn(move || {
                    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let a = c.token_for(&[
                            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
                            ("apikey", &value),
                        ]);
                        *by_status.entry(a.status).or_default() += 1;
                    }
                    by_status
                })
            })
            .collect();
        // Let the flood build up, then read through it.
        std::thread::sleep(Duration::from_millis(300));
        let end = Instant::now() + flood_for;
        let loud = time_reads(&reader, &path, 50, || Instant::now() >= end);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut tallies = std::collections::BTreeMap::<u16, usize>::new();
        for f in flooders {
            for (k, v) in f.join().unwrap() {
                *tallies.entry(k).or_default() += v;
            }
        }
        (loud, tallies)
    });
    let reads = loud.len();
    let loud = median(loud);
    // Quiet again: the machine's own load (other tests, builds) may have
    // changed meanwhile; the baseline is the slower of the two.
    let quiet_after = median(time_reads(&reader, &path, 200, || true));
    let quiet = quiet_before.max(quiet_after);
    eprintln!(
        "read latency, median: {quiet_before:?} before the flood, {loud:?} during it ({reads} reads), \
         {quiet_after:?} after it; ratio {:.2}; token answers by status during the flood: {tallies:?}",
        loud.as_secs_f64() / quiet.as_secs_f64()
    );
    assert!(
        tallies.get(&200).copied().unwrap_or(0) >= 10,
        "the flood exchanged keys for tokens: {tallies:?}"
    );
    assert!(
        tallies.keys().all(|s| [200, 429].contains(s)),
        "a token request is answered or told to come back: {tallies:?}"
    );
    // Generous, and floored at 2 ms so a sub-millisecond quiet median on
    // an idle machine does not make the ratio brittle.
    let allowed = quiet.max(Duration::from_millis(2)) * 5;
    assert!(
        loud <= allowed,
        "reads slowed from {quiet:?} to {loud:?} under a token flood (allowed {allowed:?})"
    );
}

// ---- bounds ----------------------------------------------------------------

fn addr(server: &Server) -> String {
    server.url.strip_prefix("http://").unwrap().to_string()
}

/// Sends `bytes` on a new connection and reads the answer until the
/// server closes or `wait` passes.
fn raw(addr: &str, bytes: &[u8], wait: Duration) -> String {
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(wait)).unwrap();
    // The server may answer (and close) before it has read everything.
    let _ = sock.write_all(bytes);
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn body_of(answer: &str) -> serde_json::Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_body_over_64_kib_is_413_in_ibms_shape() {
    let l = load();
    let server = Server::start(&l.dir);
    let owner = server.client().signed_in(&l.key);
    let token = owner.token.clone().unwrap();
    let a = addr(&server);
    let big = format!(
        "{{\"name\": \"big\", \"description\": \"{}\"}}",
        "x".repeat(70 * 1024)
    );
    // With a length, and chunked without one; signed in and not.
    for auth in [format!("Authorization: Bearer {token}\r\n"), String::new()] {
        let with_length = format!(
            "POST /v1/apikeys HTTP/1.1\r\nHost: {a}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
            big.len()
        );
        let mut chunked = format!(
            "POST /v1/apikeys HTTP/1.1\r\nHost: {a}\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        for c in big.as_bytes().chunks(8000) {
            use std::fmt::Write as _;
            let _ = write!(
                chunked,
                "{:x}\r\n{}\r\n",
                c.len(),
                std::str::from_utf8(c).unwrap()
            );
        }
        chunked.push_str("0\r\n\r\n");
        for req in [with_length, chunked] {
            let ans = raw(&a, req.as_bytes(), Duration::from_secs(20));
            assert!(ans.starts_with("HTTP/1.1 413"), "{ans}");
            let body = body_of(&ans);
            assert_eq!(body["status_code"], "413", "{ans}");
            assert_eq!(body["errors"][0]["code"], "payload_too_large", "{ans}");
            assert!(
                body["trace"].as_str().is_some_and(|t| !t.is_empty()),
                "{ans}"
            );
        }
    }
    // Just under the limit is read and judged on its content.
    let iam_id = me(&owner);
    let fits = owner.post(
        "/v1/apikeys",
        &json!({"name": "fits", "iam_id": iam_id, "description": "y".repeat(60 * 1024)}),
    );
    assert_eq!(
        fits.status, 400,
        "too long a description, not too big a body: {}",
        fits.text
    );
    assert_ne!(fits.body["errors"][0]["code"], "payload_too_large");
    // The server goes on answering.
    assert_eq!(owner.get("/v1/apikeys").status, 200);
}

/// Whether the server closed `sock` (end of stream or reset) within `wait`.
fn closed_within(sock: &mut TcpStream, wait: Duration) -> bool {
    let end = Instant::now() + wait;
    let mut buf = [0u8; 1024];
    while Instant::now() < end {
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        match sock.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {} // an answer (such as 408) before the close
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let l = load();
    let server = Server::start_with(&l.dir, &[("IAMKEYS_SERVE_HEADER_TIMEOUT_MS", "600")]);
    let a = addr(&server);
    let half = format!("GET /identity/keys HTTP/1.1\r\nHost: {a}\r\nAccept: appl");
    let mut slow = TcpStream::connect(&a).unwrap();
    slow.write_all(half.as_bytes()).unwrap();
    let mut silent = TcpStream::connect(&a).unwrap();
    let started = Instant::now();
    // Meanwhile others are answered.
    assert_eq!(server.client().get("/identity/keys").status, 200);
    assert!(
        closed_within(&mut slow, Duration::from_secs(10)),
        "the stalled client was not disconnected"
    );
    let took = started.elapsed();
    eprintln!("a client stalled in its headers was disconnected after {took:?} (timeout 600 ms)");
    assert!(
        took >= Duration::from_millis(400),
        "not before its time: {took:?}"
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(10)),
        "a client that sends nothing is disconnected too"
    );
    assert_eq!(server.client().get("/identity/keys").status, 200);
    drop(server);

    // Without the setting, the timeout is 10 s: the same client is still
    // connected after 1 s.
    let server = Server::start(&l.dir);
    let a = addr(&server);
    let mut slow = TcpStream::connect(&a).unwrap();
    let half = format!("GET /identity/keys HTTP/1.1\r\nHost: {a}\r\nAccept: appl");
    slow.write_all(half.as_bytes()).unwrap();
    assert!(!closed_within(&mut slow, Duration::from_secs(1)));
}

#[test]
fn the_header_timeout_setting_may_only_shorten_it() {
    let l = load();
    for bad in ["", "abc", "0", "-5", "10001", "600000", "1.5", " 500"] {
        let out = iamkeys(&l.dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("IAMKEYS_SERVE_HEADER_TIMEOUT_MS", bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(
            err.contains("IAMKEYS_SERVE_HEADER_TIMEOUT_MS"),
            "{bad:?}: {err}"
        );
        assert!(err.contains("10000"), "names the bound: {err}");
        assert!(out.stdout.is_empty(), "not listening: {bad:?}");
    }
    // The bound itself is fine.
    let server = Server::start_with(&l.dir, &[("IAMKEYS_SERVE_HEADER_TIMEOUT_MS", "10000")]);
    assert_eq!(server.client().get("/identity/keys").status, 200);
}

/// A keep-alive connection that has been answered once.
fn open_answered(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    request(&mut s, addr);
    assert_eq!(
        read_answer(&mut s, Duration::from_secs(20))
            .as_deref()
            .map(status),
        Some(200)
    );
    s
}

fn request(s: &mut TcpStream, addr: &str) {
    s.write_all(format!("GET /identity/keys HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
}

fn status(answer: &str) -> u16 {
    answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// One whole answer (headers and a `Content-Length` body), or `None` if
/// none came within `wait`.
fn read_answer(s: &mut TcpStream, wait: Duration) -> Option<String> {
    let end = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= len {
                return Some(text);
            }
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        s.set_read_timeout(Some(left.min(Duration::from_millis(200))))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
}

/// 256 connections at once: more wait (in the kernel's backlog) while the
/// open ones go on being answered, and are served as soon as some close.
#[test]
fn connections_are_bounded_and_the_excess_waits_its_turn() {
    const LIMIT: usize = 256;
    const EXCESS: usize = 8;
    let l = load();
    let server = Server::start(&l.dir);
    let a = addr(&server);
    let started = Instant::now();
    let mut open: Vec<TcpStream> = (0..LIMIT).map(|_| open_answered(&a)).collect();
    eprintln!(
        "{LIMIT} connections opened and answered in {:?}",
        started.elapsed()
    );
    // More connect (the kernel takes them) but are not served.
    let mut waiting: Vec<TcpStream> = (0..EXCESS)
        .map(|_| {
            let mut s = TcpStream::connect(&a).unwrap();
            request(&mut s, &a);
            s
        })
        .collect();
    for w in &mut waiting {
        assert_eq!(
            read_answer(w, Duration::from_millis(150)),
            None,
            "a connection over the limit was served"
        );
    }
    // The open ones are still answered.
    for s in open.iter_mut().step_by(32) {
        request(s, &a);
        assert_eq!(
            read_answer(s, Duration::from_secs(10))
                .as_deref()
                .map(status),
            Some(200),
            "an open connection went unanswered"
        );
    }
    // As open ones close, the waiting ones are served.
    open.truncate(LIMIT - EXCESS);
    let end = deadline(Duration::from_secs(20));
    for w in &mut waiting {
        let left = end.saturating_duration_since(Instant::now());
        assert_eq!(
            read_answer(w, left).as_deref().map(status),
            Some(200),
            "a waiting connection was not served after others closed"
        );
    }
    eprintln!(
        "{EXCESS} connections over the limit waited, then were served; whole test {:?}",
        started.elapsed()
    );
    drop(open);
    drop(waiting);
    assert_eq!(server.client().get("/identity/keys").status, 200);
}
