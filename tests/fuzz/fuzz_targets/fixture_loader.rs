//! Any bytes as a fixture: accepted (and turned into a seed) or refused with
//! a message naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match iamkeys::fixture::parse(text, "fuzz.yaml") {
            Ok(fx) => {
                let _ = iamkeys::fixture::to_seed(
                    &fx,
                    iamkeys::secret::HashParams::TEST,
                    iamkeys::service::now(),
                );
            }
            Err(e) => assert!(e.to_string().starts_with("fuzz.yaml")),
        }
    }
});
