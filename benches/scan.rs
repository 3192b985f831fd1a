//! How fast `iamkeys scan` reads plain text: the prefix search and the
//! checks of each candidate, on one core, over 64 MiB of source-like text
//! with a key value every 4 MiB and a near-key (`iamk_` and 43 letters
//! that fail the checksum) every 64 KiB.
//!
//! `cargo bench --bench scan` (criterion's median in MiB/s).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamkeys::scan::Finder;

fn text(len: usize) -> Vec<u8> {
    let lines = [
        "fn main() { let config = load(\"settings.toml\").expect(\"config\"); }\n",
        "    // A comment about the deployment pipeline and its credentials.\n",
        "export PATH=/usr/local/bin:$PATH  # iamk_ is our key prefix\n",
        "{\"name\": \"grace-cli\", \"description\": \"Admin work from the terminal\"}\n",
    ];
    let key = iamkeys::secret::generate();
    let mut out = Vec::with_capacity(len + 256);
    let mut i = 0usize;
    while out.len() < len {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        if i.is_multiple_of(1000) {
            out.extend_from_slice(b"near = \"iamk_");
            out.extend_from_slice(&[b'a'; 43]);
            out.extend_from_slice(b"\"\n");
        }
        if i.is_multiple_of(60_000) {
            out.extend_from_slice(b"token = \"");
            out.extend_from_slice(key.expose().as_bytes());
            out.extend_from_slice(b"\"\n");
        }
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = text(64 << 20);
    let finder = Finder::new();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("plain text, streamed", |b| {
        b.iter(|| {
            let mut found = 0usize;
            finder
                .find_in_reader(&mut &data[..], &mut |_| found += 1, &mut |_| {})
                .expect("reading memory");
            assert!(found >= 16);
            found
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
