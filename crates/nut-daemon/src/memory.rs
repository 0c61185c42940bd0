//! Giving back the memory of the start-up.
//!
//! A daemon reads its configuration, builds its tables and talks to the device once before its
//! loop starts; most of that is freed, but glibc's allocator keeps the freed pages mapped (and
//! counted in the process's resident size) until the top of the heap grows past its trim
//! threshold, which a daemon in its steady loop never does. One `malloc_trim(0)` at the end of
//! the start-up returns every whole free page to the kernel; the loop's own allocations then
//! reuse what is left.

/// Return the start-up's freed heap pages to the kernel (glibc only; elsewhere nothing to do).
pub fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; 0 keeps no extra padding.
    unsafe {
        libc::malloc_trim(0);
    }
}
