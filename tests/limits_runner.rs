//! The runner's limits and sandbox options (`lua-persist --max-memory/--max-instructions/
//! --max-time/--sandbox`), as a user runs them.

mod common_runner;

use common_runner::{text, Setup};

#[test]
fn each_limit_stops_the_runner_with_its_message_and_exit_code_1() {
    let s = Setup::new();
    for (option, value, code, message) in [
        (
            "--max-instructions",
            "100000",
            "while true do end",
            "instruction limit exceeded",
        ),
        (
            "--max-time",
            "0.2",
            "while true do end",
            "time limit exceeded",
        ),
        (
            "--max-time",
            "0.2",
            "string.find(('a'):rep(30000), ('a*'):rep(30) .. 'b')",
            "time limit exceeded",
        ),
        (
            "--max-memory",
            "16M",
            "local t = {} for i = 1, 1e9 do t[i] = {} end",
            "memory limit exceeded",
        ),
        (
            "--max-memory",
            "100M",
            "local s = string.rep('x', 2^30)",
            "memory limit exceeded",
        ),
        (
            "--max-instructions",
            "100000",
            "while true do pcall(function() while true do end end) end",
            "instruction limit exceeded",
        ),
    ] {
        let o = s.run(&[option, value, "-e", code]);
        assert_eq!(o.status.code(), Some(1), "{option} {value} {code}");
        let stderr = text(&o.stderr);
        assert!(
            stderr.starts_with("lua-persist: ") && stderr.contains(message),
            "{option} {value} {code}: {stderr}"
        );
    }
    // Within the limits, the same runner runs as before.
    let o = s.run(&[
        "--max-instructions",
        "100000",
        "--max-memory",
        "1G",
        "--max-time",
        "60",
        "-e",
        "print(1 + 1)",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "2\n");
}

#[test]
fn a_script_reads_its_limits() {
    let s = Setup::new();
    let o = s.run(&[
        "--max-memory",
        "2G",
        "--max-time",
        "1.5",
        "-e",
        "local l = limits.get() print(l.memory, l.instructions, l.time)",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "2147483648\tnil\t1.5\n");
}

#[test]
fn bad_limit_values_are_refused_with_the_usage() {
    let s = Setup::new();
    for (option, value, expected) in [
        (
            "--max-memory",
            "lots",
            "'--max-memory' needs a size in bytes",
        ),
        ("--max-memory", "0", "'--max-memory' needs a size in bytes"),
        (
            "--max-instructions",
            "-5",
            "'--max-instructions' needs a positive whole number, not '-5'",
        ),
        (
            "--max-time",
            "never",
            "'--max-time' needs a positive number of seconds, not 'never'",
        ),
    ] {
        let o = s.run(&[option, value, "-e", "print(1)"]);
        assert_eq!(o.status.code(), Some(1));
        let stderr = text(&o.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("usage: lua-persist"), "{stderr}");
    }
    let o = s.run(&["--max-time"]);
    assert!(text(&o.stderr).contains("'--max-time' needs argument"));
}

#[test]
fn sandbox_mode_refuses_with_a_clear_error_and_has_default_limits() {
    let s = Setup::new();
    for (code, message) in [
        (
            "os.execute('true')",
            "os.execute is not available in sandbox mode",
        ),
        (
            "io.popen('ls')",
            "io.popen is not available in sandbox mode",
        ),
        (
            "io.open('/etc/passwd')",
            "io.open is not available in sandbox mode",
        ),
        ("os.exit(0)", "os.exit is not available in sandbox mode"),
        (
            "print(os.getenv('HOME'))",
            "os.getenv is not available in sandbox mode",
        ),
        ("dofile('x.lua')", "dofile is not available in sandbox mode"),
        (
            "package.loadlib('x.so', 'f')",
            "package.loadlib is not available in sandbox mode",
        ),
        (
            "assert(load(string.dump(function() end)))",
            "attempt to load a binary chunk (mode is 't')",
        ),
    ] {
        let o = s.run(&["--sandbox", "-e", code]);
        assert_eq!(o.status.code(), Some(1), "{code}");
        assert!(
            text(&o.stderr).contains(message),
            "{code}: {}",
            text(&o.stderr)
        );
    }
    let o = s.run(&[
        "--sandbox",
        "-e",
        "local l = limits.get() print(l.memory, l.instructions, l.time)",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "268435456\t1000000000\t10.0\n");
    // Options set what they name; the rest keep the sandbox's defaults.
    let o = s.run(&[
        "--sandbox",
        "--max-time",
        "2",
        "-e",
        "print(limits.get().time, limits.get().memory)",
    ]);
    assert_eq!(text(&o.stdout), "2.0\t268435456\n");
    // The store's tables work in sandbox mode.
    assert_eq!(
        text(
            &s.run(&[
                "--sandbox",
                "-e",
                "_home.n = (_home.n or 0) + 1 print(_home.n)"
            ])
            .stdout
        ),
        "1\n"
    );
}

#[test]
fn mutated_bytecode_through_load_is_refused_in_sandbox_mode() {
    let s = Setup::new();
    let code = "local b = string.dump(function(a) return a + 1 end) \
        for i = 13, #b do local m = b:sub(1, i - 1) .. string.char((b:byte(i) + 85) % 256) .. b:sub(i + 1) \
        local f, e = load(m) assert(f == nil and e:find('binary chunk'), e) end print('refused')";
    let o = s.run(&["--sandbox", "-e", code]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "refused\n");
}

#[test]
fn sandbox_read_opens_one_directory_for_reading() {
    let s = Setup::new();
    let dir = s.dir.path().join("inputs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("n.txt"), "41").unwrap();
    let d = dir.to_str().unwrap();
    let o = s.run(&[
        "--sandbox",
        "--sandbox-read",
        d,
        "-e",
        &format!("print(io.open('{d}/n.txt'):read('n') + 1)"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "42\n");
    let o = s.run(&[
        "--sandbox",
        "--sandbox-read",
        d,
        "-e",
        "io.open('/etc/hostname')",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("'/etc/hostname' is not in a readable directory"));
    let o = s.run(&[
        "--sandbox",
        "--sandbox-read",
        "/no/such/dir",
        "-e",
        "print(1)",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("the readable directory /no/such/dir"),
        "{}",
        text(&o.stderr)
    );
}
