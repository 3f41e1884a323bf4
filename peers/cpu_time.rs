//! CPU time of the calling thread, shared by the peer crates (`peers/stiff`,
//! `peers/explicit`) through `#[path]`.

/// CPU time of the calling thread in seconds (`CLOCK_THREAD_CPUTIME_ID`):
/// unlike wall time it does not count the time the thread waits for a core,
/// which matters on a shared machine. The solvers compared run single-threaded.
pub fn thread_cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as f64 + 1e-9 * ts.tv_nsec as f64
}
