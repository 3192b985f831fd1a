//! `iamkeys serve` under load, over real HTTP on 127.0.0.1: a server over a
//! store of 10 keys and one over 100,000 keys (or `IAMKEYS_BENCH_KEYS`) (one account; the owner, who
//! makes the requests, holds 10 keys either way).
//!
//! `cargo bench --bench server`. Prints one table:
//!
//! 1. the per-request cost of get-one-key (`GET /v1/apikeys/{id}`) and
//!    list-my-keys (`GET /v1/apikeys?account_id=…&iam_id=<caller>`), one
//!    client on one keep-alive connection per server, in rounds that
//!    alternate the two stores (10, 100k, 100k, 10, …) so that a noisy
//!    machine disturbs both alike. Two server processes differ in speed by
//!    themselves (by up to a third on a loaded 2-core machine, whichever
//!    store they serve), so the pair is started afresh many times, in
//!    alternating order, and the figure is the median of the pairs'
//!    ratios. `cargo bench --bench server -- --same` measures two stores of
//!    10 keys instead: the ratio the method gives where there is no
//!    difference;
//! 2. requests per second, median and p99 with 8 concurrent clients
//!    (threads, each its own keep-alive connection) reading: get-one and
//!    list-my-keys in turn;
//! 3. one reader's latency (median, p99) on the 100k store while several
//!    clients hammer `POST /identity/token` with valid keys (each exchange
//!    is an argon2id verification), against the same reader without them;
//!    the passes alternate (quiet, flood, flood, quiet).
//!
//! The stores are made with `iamkeys gen-fixture` and `iamkeys seed` and
//! kept under `target/bench-server/` (about 130 MB), so a second run starts
//! at once; delete that directory to make them again. Key values are
//! hashed with the production argon2id parameters.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iamkeys");
/// Bump when the fixture or the store's format changes: stores cached under
/// another version are not used.
const CACHE_VERSION: &str = "v3";
const SMALL: usize = 10;
/// The large store: 100,000 keys, or `IAMKEYS_BENCH_KEYS` (up to 1,000,000).
fn large() -> usize {
    std::env::var("IAMKEYS_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (SMALL..=1_000_000).contains(n))
        .unwrap_or(100_000)
}
/// Owner keys that carry a value (the token flood's keys).
const VALUES: usize = 4;

// ---- the stores ----------------------------------------------------------------

/// Where the cached stores live: `target/bench-server/<version>/`.
fn cache_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    // target/<profile>/deps/server-<hash>
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    target.join("bench-server").join(CACHE_VERSION)
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .env("IAMKEYS_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A seeded store: where it is and the owner's key values.
struct Store {
    dir: PathBuf,
    values: Vec<String>,
}

/// A store of `keys` keys named `name` under the cache, made once.
fn store(keys: usize, name: &str) -> Store {
    let root = cache_dir().join(name);
    let fixture = root.join("fixture.yaml");
    let data = root.join("data");
    let ready = root.join("ready");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let started = Instant::now();
        run(
            Command::new(BIN)
                .args(["gen-fixture", "--keys", &keys.to_string()])
                .args(["--with-values", &VALUES.to_string(), "-o"])
                .arg(&fixture),
            "gen-fixture",
        );
        run(
            Command::new(BIN)
                .arg("--data-dir")
                .arg(&data)
                .arg("seed")
                .arg(&fixture),
            "seed",
        );
        std::fs::write(&ready, b"").unwrap();
        eprintln!(
            "seeded {keys} keys in {:.1} s into {}",
            started.elapsed().as_secs_f64(),
            data.display()
        );
    }
    let text = std::fs::read_to_string(&fixture).unwrap();
    let values: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("apikey: "))
        .map(|v| v.trim().to_string())
        .collect();
    assert_eq!(values.len(), VALUES, "key values in {}", fixture.display());
    // Each run's log starts afresh, so the cached store does not grow.
    let _ = std::fs::remove_file(data.join("iamkeys.log"));
    Store { dir: data, values }
}

// ---- a server ------------------------------------------------------------------

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("iamkeys serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("serve did not start on {}: {line:?}", data.display()))
            .to_string();
        Server { child, addr }
    }
}

/// A server for each store, started in turn: the second store's first
/// when `second_first`.
fn start_both(stores: &[Store; 2], second_first: bool) -> [Server; 2] {
    if second_first {
        let b = Server::start(&stores[1].dir);
        [Server::start(&stores[0].dir), b]
    } else {
        let a = Server::start(&stores[0].dir);
        [a, Server::start(&stores[1].dir)]
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: the server drains and flushes, as in production.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

// ---- a keep-alive HTTP/1.1 client ------------------------------------------------

struct Conn {
    reader: BufReader<TcpStream>,
    host: String,
    token: String,
    out: Vec<u8>,
}

impl Conn {
    fn open(addr: &str, token: &str) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Conn {
            reader: BufReader::with_capacity(64 * 1024, stream),
            host: addr.to_string(),
            token: token.to_string(),
            out: Vec::with_capacity(1024),
        }
    }

    /// One request and its whole answer: (status, body).
    fn call(&mut self, method: &str, path: &str, form: Option<&str>) -> (u16, Vec<u8>) {
        self.out.clear();
        write!(
            self.out,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.host
        )
        .unwrap();
        if !self.token.is_empty() {
            write!(self.out, "Authorization: Bearer {}\r\n", self.token).unwrap();
        }
        match form {
            Some(body) => write!(
                self.out,
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap(),
            None => self.out.extend_from_slice(b"\r\n"),
        }
        self.reader.get_mut().write_all(&self.out).expect("send");
        self.answer()
    }

    fn answer(&mut self) -> (u16, Vec<u8>) {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {line:?}"));
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.trim().eq_ignore_ascii_case("chunked");
                } else if name.eq_ignore_ascii_case("connection") {
                    assert!(
                        !value.trim().eq_ignore_ascii_case("close"),
                        "the server closed a keep-alive connection"
                    );
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("chunk size");
                let n = usize::from_str_radix(line.trim(), 16).expect("chunk size");
                let at = body.len();
                body.resize(at + n, 0);
                self.reader.read_exact(&mut body[at..]).expect("chunk");
                line.clear();
                self.reader.read_line(&mut line).expect("chunk end");
                if n == 0 {
                    break;
                }
            }
        } else {
            body.resize(length.unwrap_or(0), 0);
            self.reader.read_exact(&mut body).expect("body");
        }
        (status, body)
    }

    fn get_ok(&mut self, path: &str) -> usize {
        let (status, body) = self.call("GET", path, None);
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        body.len()
    }
}

fn token_form(value: &str) -> String {
    format!("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={value}")
}

// ---- one server's reads ------------------------------------------------------------

/// What a reader asks one server: the owner's token, one of the owner's key
/// ids and the list-my-keys path.
#[derive(Clone)]
struct Target {
    addr: String,
    token: String,
    key_ids: Vec<String>,
    list_my: String,
    values: Vec<String>,
}

impl Target {
    fn new(server: &Server, values: Vec<String>) -> Target {
        let mut c = Conn::open(&server.addr, "");
        let (status, body) = c.call("POST", "/identity/token", Some(&token_form(&values[0])));
        assert_eq!(status, 200, "token: {}", String::from_utf8_lossy(&body));
        let t: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let token = t["access_token"].as_str().unwrap().to_string();
        let mut c = Conn::open(&server.addr, &token);
        let (status, body) = c.call("GET", "/v1/apikeys", None);
        assert_eq!(status, 200, "list: {}", String::from_utf8_lossy(&body));
        let l: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let keys = l["apikeys"].as_array().unwrap();
        assert_eq!(keys.len(), SMALL, "the owner's keys");
        let iam_id = keys[0]["iam_id"].as_str().unwrap();
        let account = keys[0]["account_id"].as_str().unwrap();
        Target {
            addr: server.addr.clone(),
            token,
            key_ids: keys
                .iter()
                .map(|k| k["id"].as_str().unwrap().to_string())
                .collect(),
            list_my: format!("/v1/apikeys?account_id={account}&iam_id={iam_id}"),
            values,
        }
    }

    /// The same caller (the token stays valid: the signing key is the
    /// store's) against another server process over the same store.
    fn on(&self, server: &Server) -> Target {
        Target {
            addr: server.addr.clone(),
            ..self.clone()
        }
    }

    fn conn(&self) -> Conn {
        Conn::open(&self.addr, &self.token)
    }

    fn get_path(&self, i: usize) -> String {
        format!("/v1/apikeys/{}", self.key_ids[i % self.key_ids.len()])
    }
}

#[derive(Clone, Copy)]
enum Op {
    GetOne,
    ListMine,
}

/// Times one request, in microseconds.
fn timed(c: &mut Conn, t: &Target, op: Op, i: usize) -> f64 {
    let path = match op {
        Op::GetOne => t.get_path(i),
        Op::ListMine => t.list_my.clone(),
    };
    let started = Instant::now();
    std::hint::black_box(c.get_ok(&path));
    started.elapsed().as_secs_f64() * 1e6
}

/// The mixed read: get-one and list-my-keys in turn.
fn mixed(c: &mut Conn, t: &Target, i: usize) -> f64 {
    let op = if i.is_multiple_of(2) {
        Op::GetOne
    } else {
        Op::ListMine
    };
    timed(c, t, op, i / 2)
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    assert!(!v.is_empty(), "no samples");
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}

fn median(v: &mut [f64]) -> f64 {
    quantile(v, 0.5)
}

// ---- 1. per-request cost, interleaved ------------------------------------------------

struct Paired {
    /// [op][store] medians over every pair, in µs.
    medians: [[f64; 2]; 2],
    /// [op] the median of the pairs' ratios (second store ÷ first), and
    /// their range.
    ratio: [f64; 2],
    range: [(f64, f64); 2],
    requests: usize,
}

/// Server pairs started afresh, in alternating order; in each, rounds that
/// alternate the stores (ABBA), each round a batch of get-one then a batch
/// of list-my-keys per store.
fn paired(stores: &[Store; 2], callers: &[Target; 2]) -> Paired {
    const PAIRS: usize = 16;
    const WARMUP: usize = 2;
    const ROUNDS: usize = 10;
    const BATCH: usize = 20;
    // all[op][store]; ratios[op]
    let mut all: [[Vec<f64>; 2]; 2] = Default::default();
    let mut ratios: [Vec<f64>; 2] = Default::default();
    for pair in 0..PAIRS {
        let servers = start_both(stores, pair % 2 == 1);
        let targets = [callers[0].on(&servers[0]), callers[1].on(&servers[1])];
        let mut conns = [targets[0].conn(), targets[1].conn()];
        let mut this: [[Vec<f64>; 2]; 2] = Default::default();
        for round in 0..WARMUP + ROUNDS {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for s in order {
                for (o, op) in [Op::GetOne, Op::ListMine].into_iter().enumerate() {
                    for i in 0..BATCH {
                        let t = timed(&mut conns[s], &targets[s], op, i);
                        if round >= WARMUP {
                            this[o][s].push(t);
                        }
                    }
                }
            }
        }
        drop(conns);
        drop(servers);
        for o in 0..2 {
            ratios[o].push(median(&mut this[o][1]) / median(&mut this[o][0]));
            for s in 0..2 {
                all[o][s].append(&mut this[o][s]);
            }
        }
    }
    let range = |r: &[f64]| {
        r.iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
    };
    Paired {
        medians: [0, 1].map(|o| [0, 1].map(|s| median(&mut all[o][s]))),
        range: [range(&ratios[0]), range(&ratios[1])],
        ratio: [median(&mut ratios[0]), median(&mut ratios[1])],
        requests: PAIRS * ROUNDS * BATCH * 4,
    }
}

// ---- 2. throughput with concurrent clients ----------------------------------------------

const CLIENTS: usize = 8;

struct Load {
    rps: f64,
    median: f64,
    p99: f64,
}

/// `CLIENTS` threads reading for `secs`, each on its own connection.
fn load(t: &Target, secs: f64) -> (usize, f64, Vec<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|w| {
            let t = t.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut c = t.conn();
                let mut lat = Vec::with_capacity(100_000);
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    lat.push(mixed(&mut c, &t, i));
                    i += 1;
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.join().expect("a client"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    (lat.len(), elapsed, lat)
}

/// Both stores in turn, on a fresh pair of servers each pass (started in
/// alternating order): figures over all passes.
fn throughput(stores: &[Store; 2], callers: &[Target; 2]) -> [Load; 2] {
    const PASSES: usize = 4;
    const PASS_SECS: f64 = 1.5;
    let mut n = [0usize; 2];
    let mut secs = [0f64; 2];
    let mut lat: [Vec<f64>; 2] = Default::default();
    for pass in 0..PASSES {
        let servers = start_both(stores, pass % 2 == 1);
        let order = if pass % 2 == 0 { [0, 1] } else { [1, 0] };
        for s in order {
            let (count, elapsed, mut l) = load(&callers[s].on(&servers[s]), PASS_SECS);
            n[s] += count;
            secs[s] += elapsed;
            lat[s].append(&mut l);
        }
    }
    [0, 1].map(|s| Load {
        rps: n[s] as f64 / secs[s],
        median: median(&mut lat[s]),
        p99: quantile(&mut lat[s], 0.99),
    })
}

// ---- 3. reads during a token flood ---------------------------------------------------

const FLOODERS: usize = 4;

struct Flood {
    quiet: [f64; 2],
    flooded: [f64; 2],
    tokens_per_sec: f64,
    refused: u64,
}

/// One reader for `secs`; with `flood`, `FLOODERS` clients exchanging keys
/// for tokens meanwhile. Returns the reader's latencies and the tokens issued.
fn reader_during(t: &Target, secs: f64, flood: bool, refused: &AtomicU64) -> (Vec<f64>, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let flooders: Vec<_> = (0..if flood { FLOODERS } else { 0 })
        .map(|f| {
            let form = token_form(&t.values[f % t.values.len()]);
            let addr = t.addr.clone();
            let stop = Arc::clone(&stop);
            let issued = Arc::clone(&issued);
            std::thread::spawn(move || {
                let mut c = Conn::open(&addr, "");
                let mut refused = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = c.call("POST", "/identity/token", Some(&form));
                    match status {
                        200 => {
                            issued.fetch_add(1, Ordering::Relaxed);
                        }
                        429 => refused += 1,
                        _ => panic!(
                            "token exchange: {status} {}",
                            String::from_utf8_lossy(&body)
                        ),
                    }
                }
                refused
            })
        })
        .collect();
    if flood {
        // Let the flood build up before the reader starts.
        std::thread::sleep(Duration::from_millis(300));
    }
    let issued_before = issued.load(Ordering::Relaxed);
    let mut c = t.conn();
    let mut lat = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed().as_secs_f64() < secs {
        lat.push(mixed(&mut c, t, i));
        i += 1;
    }
    let issued_during = issued.load(Ordering::Relaxed) - issued_before;
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        refused.fetch_add(f.join().expect("a flooder"), Ordering::Relaxed);
    }
    (lat, issued_during)
}

fn flood(t: &Target) -> Flood {
    const PASS_SECS: f64 = 3.0;
    let refused = AtomicU64::new(0);
    let mut quiet = Vec::new();
    let mut flooded = Vec::new();
    let mut issued = 0;
    for pass in 0..2 {
        // Which comes first alternates between the passes.
        let order = if pass == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for with_flood in order {
            let (mut l, n) = reader_during(t, PASS_SECS, with_flood, &refused);
            if with_flood {
                flooded.append(&mut l);
                issued += n;
            } else {
                quiet.append(&mut l);
            }
        }
    }
    Flood {
        quiet: [median(&mut quiet), quantile(&mut quiet, 0.99)],
        flooded: [median(&mut flooded), quantile(&mut flooded, 0.99)],
        tokens_per_sec: issued as f64 / (2.0 * PASS_SECS),
        refused: refused.load(Ordering::Relaxed),
    }
}

// ---- the table -----------------------------------------------------------------

fn us(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} ms", v / 1000.0)
    } else {
        format!("{v:.0} µs")
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `--same` compares two small stores.
    let same = std::env::args().any(|a| a == "--same");
    let started = Instant::now();
    let stores = if same {
        [store(SMALL, "k10"), store(SMALL, "k10-second")]
    } else {
        [
            store(SMALL, "k10"),
            store(large(), &format!("k{}", large())),
        ]
    };
    let large_name = format!("{}k keys", large() / 1000);
    let names = if same {
        ["10 keys", "10 keys (2)"]
    } else {
        ["10 keys", large_name.as_str()]
    };
    // The owner's token and keys on each store, asked once.
    let callers = {
        let servers = start_both(&stores, false);
        [
            Target::new(&servers[0], stores[0].values.clone()),
            Target::new(&servers[1], stores[1].values.clone()),
        ]
    };
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "iamkeys serve, release build, {cpus} cores; stores: {} and {}, the caller owns {SMALL} keys",
        names[0], names[1]
    );

    let p = paired(&stores, &callers);
    println!();
    println!(
        "1. per request, one keep-alive client per server, the stores interleaved ({} requests, 16 server pairs)",
        p.requests
    );
    println!(
        "   {:<14} {:>10} {:>11} {:>9} {:>14}",
        "", names[0], names[1], "ratio", "(pairs)"
    );
    for (o, name) in ["get-one-key", "list-my-keys"].into_iter().enumerate() {
        let [a, b] = p.medians[o];
        let (lo, hi) = p.range[o];
        println!(
            "   {:<14} {:>10} {:>11} {:>8.2}× {:>14}",
            name,
            us(a),
            us(b),
            p.ratio[o],
            format!("{lo:.2}–{hi:.2}")
        );
    }
    if same {
        return;
    }

    let l = throughput(&stores, &callers);
    println!();
    println!(
        "2. {CLIENTS} concurrent clients, each its own keep-alive connection, get-one and list-my-keys in turn"
    );
    println!(
        "   {:<14} {:>10} {:>10} {:>10}",
        "", "req/s", "median", "p99"
    );
    for (s, name) in names.into_iter().enumerate() {
        println!(
            "   {:<14} {:>10.0} {:>10} {:>10}",
            name,
            l[s].rps,
            us(l[s].median),
            us(l[s].p99)
        );
    }

    let server = Server::start(&stores[1].dir);
    let f = flood(&callers[1].on(&server));
    drop(server);
    println!();
    println!(
        "3. one reader (back to back, get-one and list-my-keys in turn) on the large store, with and without {FLOODERS} clients flooding POST /identity/token"
    );
    println!("   {:<14} {:>10} {:>10}", "", "median", "p99");
    println!(
        "   {:<14} {:>10} {:>10}",
        "no flood",
        us(f.quiet[0]),
        us(f.quiet[1])
    );
    println!(
        "   {:<14} {:>10} {:>10}   ({:.1} tokens/s issued, {} refused 429)",
        "token flood",
        us(f.flooded[0]),
        us(f.flooded[1]),
        f.tokens_per_sec,
        f.refused
    );
    println!();
    println!("total {:.0} s", started.elapsed().as_secs_f64());
}
