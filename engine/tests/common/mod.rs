//! Helpers shared by the test binaries that measure the whole process.

/// Whether the process runs under a shadow-memory sanitizer, which reserves
/// terabytes of address space (AddressSanitizer does): its allocator and shadow
/// memory take memory and page faults of their own, so process-wide measures say
/// nothing about the arenas there.
pub fn under_sanitizer() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmSize:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .is_some_and(|kib| kib > 1 << 30)
}
