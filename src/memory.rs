//! Giving freed memory back to the system.
//!
//! glibc's allocator returns memory only from the top of each arena; what
//! a program frees below a live allocation stays resident. After the
//! console has loaded or left a view of a million keys, that is hundreds of
//! megabytes the console no longer uses. [`release`] asks the allocator to
//! give back every free page (`malloc_trim(0)`, which walks each arena and
//! hands free pages to the kernel). Other allocators return memory
//! themselves, or have no such call; there it does nothing.
//!
//! This is the product's one call that Rust cannot check: the crate denies
//! unsafe code everywhere else.

/// Gives the allocator's free pages back to the system; whether any were.
/// It walks and locks every arena in turn: call it from a worker, at a
/// quiet point, not from the UI thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and has no preconditions;
    // glibc serialises it with every other allocator call.
    unsafe { libc::malloc_trim(0) != 0 }
}

/// Gives the allocator's free pages back to the system: nothing to do with
/// an allocator other than glibc's.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release() -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// This process's resident memory, in KiB.
    fn resident_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn freed_memory_below_a_live_allocation_goes_back() {
        // 64 MiB in blocks below the allocator's mmap threshold, every
        // sixteenth kept: the rest is freed in the middle of the heap,
        // where the allocator keeps it resident.
        const BLOCK: usize = 64 * 1024;
        let mut blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![i as u8; BLOCK]).collect();
        let kept: Vec<Vec<u8>> = blocks.iter_mut().step_by(16).map(std::mem::take).collect();
        drop(blocks);
        let before = resident_kib();
        super::release();
        let after = resident_kib();
        assert!(
            before.saturating_sub(after) >= 20 * 1024,
            "resident {before} KiB before, {after} KiB after"
        );
        assert_eq!(kept.len(), 64);
        assert!(kept.iter().enumerate().all(|(i, b)| b[0] == (i * 16) as u8));
    }
}
