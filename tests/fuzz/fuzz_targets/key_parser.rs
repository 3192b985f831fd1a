//! Any bytes as a key value: a key or a clear error, never a panic; an
//! accepted value round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(k) = iamkeys::secret::parse(s) {
            assert_eq!(k.expose(), s.trim());
            assert_eq!(k.lookup().len(), iamkeys::secret::LOOKUP_LEN);
        }
    }
});
