//! glibc's allocator as the `recaudit` binary sets it up: one heap that keeps what the audit
//! frees, so that each step's buffers reuse the pages of the step before.
//!
//! An audit allocates large, short-lived buffers (a column of codes, a per-user metric, a table
//! of sums) step after step. Every page the kernel hands out is zeroed first, and on the
//! project's VMs a page fault costs 2–7 µs, so memory handed back to the system and asked for
//! again costs about as much as the work that fills it. Memory goes back to the system three
//! ways: with glibc's defaults each thread allocates from its own arena, whose 64 MB heaps are
//! unmapped when they empty, and blocks above the mapping threshold are mapped and unmapped one
//! by one; and the reading calls `malloc_trim` after each table, which returns every free page.
//! [`keep_freed_memory`] turns all three off: all threads share the main heap, no block is mapped
//! on its own, the reading does not trim, and only more than 256 MB of free space at the top of
//! the heap is handed back.
//!
//! Measured on the 2-core VM (docs/performance-log.md, "One heap that keeps what is freed"): at
//! 10M recommendation rows, page faults 400k → 200k (the peak's own pages), system time
//! 0.75 → 0.4 s, wall time 3.51 → 3.20 s, peak 816 → 800 MB; at 100M in one pass 54–57 s →
//! 46–49 s, peak 7.4 → 7.5 GB (free space below the heap's top is kept); at 100M in 64
//! partitions 287 → 241–259 s, peak 1.22 → 1.20 GB.
//!
//! One arena means the threads take one lock to allocate (blocks of up to about 1 KB come from
//! each thread's own cache, glibc's tcache, without it); the audit's threads allocate whole
//! buffers, not per row, and no slowdown showed with two threads or with eight on the two
//! cores. The Python package does not call this: the host process keeps glibc's defaults, and
//! the reading hands its freed memory back ([`returns_freed_memory`]).

use std::sync::atomic::{AtomicBool, Ordering};

static KEEPS_FREED_MEMORY: AtomicBool = AtomicBool::new(false);

/// Sets glibc's allocator up to keep freed memory for reuse (see the module's documentation).
/// Call it first thing in `main`, before any thread starts; it does nothing on other platforms.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator tuning; it is called before any thread starts,
        // and the arena limit is read when the first thread allocates.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
            libc::mallopt(libc::M_MMAP_MAX, 0);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        }
        KEEPS_FREED_MEMORY.store(true, Ordering::Relaxed);
    }
}

/// Whether freed memory should be handed back to the system at the points where an audit's
/// memory falls (after reading a table): not when [`keep_freed_memory`] set the allocator up to
/// keep it for the next step.
pub fn returns_freed_memory() -> bool {
    !KEEPS_FREED_MEMORY.load(Ordering::Relaxed)
}
