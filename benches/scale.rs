//! Scale: sign-in, the "My" view, the all-users view, opening a session
//! and naming a key (by name and by id, read and lock/unlock) at 10, 1,000
//! and 100,000 keys in one account.
//!
//! `cargo bench --bench scale` (add `-- sign_in` to run one group). Each
//! store is generated with `fixture::generate` (the same generator as
//! `iamkeys gen-fixture`) and seeded once per size; key values are hashed
//! with the production argon2id parameters.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use iamkeys::access::ViewFilter;
use iamkeys::fixture::{self, GenSpec};
use iamkeys::secret::HashParams;
use iamkeys::service::{ListQuery, Service, now};
use iamkeys::store::SledStore;

const SIZES: [usize; 3] = [10, 1_000, 100_000];

struct Bench {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    value: String,
    /// The name of a member's key half way through the store.
    middle: String,
}

fn store(keys: usize) -> Bench {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (fx, values) = fixture::generate(&GenSpec {
        keys,
        own_keys: 10.min(keys),
        with_values: 1,
        ..GenSpec::default()
    });
    let middle = fx.accounts[0].api_keys[keys / 2].name.clone();
    let (seed, _) = fixture::to_seed(&fx, HashParams::OWASP, now());
    SledStore::create(&dir, &seed, true, "bench", false).unwrap();
    Bench {
        _tmp: tmp,
        dir,
        value: values[0].expose().to_string(),
        middle,
    }
}

fn benches(c: &mut Criterion) {
    let stores: Vec<(usize, Bench)> = SIZES.iter().map(|&n| (n, store(n))).collect();

    let mut g = c.benchmark_group("sign_in");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    for (n, b) in &stores {
        let svc = Service::open(&b.dir, HashParams::OWASP).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), n, |bench, _| {
            bench.iter(|| black_box(svc.sign_in_key(&b.value, None).unwrap()));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("my_view");
    g.sample_size(30);
    for (n, b) in &stores {
        let svc = Service::open(&b.dir, HashParams::OWASP).unwrap();
        let s = svc.sign_in_as("owner@scale.example", None).unwrap();
        let q = ListQuery::default();
        g.bench_with_input(BenchmarkId::from_parameter(n), n, |bench, _| {
            bench.iter(|| black_box(svc.list(&s, &q).unwrap().rows.len()));
        });
    }
    g.finish();

    // The whole command as a process: open the store, sign in with a key
    // (one argon2 verification), read the "My" view, print it. This is also
    // what the console does before its first frame.
    let mut g = c.benchmark_group("process_api_keys_my");
    g.sample_size(15).measurement_time(Duration::from_secs(6));
    for (n, b) in &stores {
        g.bench_with_input(BenchmarkId::from_parameter(n), n, |bench, _| {
            bench.iter(|| {
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_iamkeys"))
                    .arg("--data-dir")
                    .arg(&b.dir)
                    .args(["--apikey", &b.value, "api-keys", "--view", "my"])
                    .env("IAMKEYS_LOG", "off")
                    .output()
                    .unwrap();
                assert!(out.status.success());
                black_box(out.stdout.len())
            });
        });
    }
    g.finish();

    // A key named on the command line: by its id (one read), by its name
    // (the name index, then one read), for a read and for a lock + unlock
    // (two flushed writes). The key is a member's, half way through.
    for (group, change) in [("get_key", false), ("lock_unlock_key", true)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(30);
        for (n, b) in &stores {
            let svc = Service::open(&b.dir, HashParams::OWASP).unwrap();
            let s = svc.sign_in_as("owner@scale.example", None).unwrap();
            let name = b.middle.clone();
            let id = svc.get(&s, &name).unwrap().key.id;
            for (how, key_ref) in [("name", &name), ("id", &id)] {
                g.bench_with_input(BenchmarkId::new(how, n), n, |bench, _| {
                    bench.iter(|| {
                        if change {
                            svc.set_locked(&s, key_ref, true, None).unwrap();
                            black_box(svc.set_locked(&s, key_ref, false, None).unwrap());
                        } else {
                            black_box(svc.get(&s, key_ref).unwrap());
                        }
                    });
                });
            }
        }
        g.finish();
    }

    let mut g = c.benchmark_group("users_view_json");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (n, b) in &stores {
        let svc = Service::open(&b.dir, HashParams::OWASP).unwrap();
        let s = svc.sign_in_as("owner@scale.example", None).unwrap();
        let q = ListQuery {
            view: ViewFilter::AllUserApiKeys,
            ..ListQuery::default()
        };
        g.bench_with_input(BenchmarkId::from_parameter(n), n, |bench, _| {
            bench.iter(|| {
                let page = svc.list_ids(&s, &q).unwrap();
                let mut bytes = 0usize;
                for row in svc.page_rows(&page) {
                    let row = row.unwrap();
                    bytes +=
                        serde_json::to_vec(&iamkeys::cli::output::json::KeyJson::new(&row, false))
                            .unwrap()
                            .len();
                }
                black_box(bytes)
            });
        });
    }
    g.finish();
}

criterion_group!(scale, benches);
criterion_main!(scale);
