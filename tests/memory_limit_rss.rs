//! A memory limit bounds the memory a process really takes (its peak resident set), not
//! only Lua's count: `lua-persist --max-memory 64M` runs workloads that would take far
//! more, each in a child process, and the largest child's peak is compared with the limit.
//! Alone in its test binary: the children's peak (getrusage) must be only these.

use std::process::{Command, Stdio};

/// The largest peak resident set of the children waited for so far, in bytes.
#[cfg(target_os = "linux")]
fn children_peak_rss() -> usize {
    // SAFETY: getrusage writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    usage.ru_maxrss as usize * 1024 // kilobytes on Linux
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lua-persist"))
        .args(["--store", ":memory:"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn each_process_stays_within_the_memory_limit() {
    const LIMIT: usize = 64 << 20;
    let baseline = run(&["-e", "print(1)"]);
    assert!(baseline.status.success());
    let before = children_peak_rss();
    for code in [
        "local s = string.rep('x', 2^30)",
        "local t = {} for i = 1, 1e9 do t[i] = {i} end",
        "local t = {} for i = 1, 1e9 do t[i] = tostring(i) end",
        "local s = 'x' while true do s = s .. s end",
        "local t = {} for i = 1, 1e6 do t[i] = ('x'):rep(100) end local s = table.concat(t):rep(100)",
    ] {
        let o = run(&["--max-memory", "64M", "-e", code]);
        assert_eq!(o.status.code(), Some(1), "{code}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("memory limit exceeded"), "{code}: {stderr}");
    }
    let grown = children_peak_rss().saturating_sub(before);
    assert!(
        grown <= LIMIT + LIMIT / 10,
        "a child took {grown} bytes more than `print(1)`"
    );
}
