//! Helpers shared by the test binaries that measure the whole process.

/// Field `name` (with its colon, `"VmRSS:"`) of `/proc/self/status`, in KiB;
/// `None` where there is no such file or field (not Linux).
pub fn proc_status_kib(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Whether the process runs under a shadow-memory sanitizer, which reserves
/// terabytes of address space (AddressSanitizer does): its allocator and shadow
/// memory take memory and page faults of their own, so process-wide measures say
/// nothing about the arenas there.
pub fn under_sanitizer() -> bool {
    proc_status_kib("VmSize:").is_some_and(|kib| kib > 1 << 30)
}
