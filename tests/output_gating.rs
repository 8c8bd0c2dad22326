//! Output gating (README, "What is durable when"): external-table writes outside atomic
//! blocks are stored together at the next output point, so other processes do not see them
//! before it, and nothing printed is ahead of a write made before it, even under SIGKILL.

mod common_runner;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common_runner::{text, Setup};

/// The value of `_home[key]` in the store file as another process sees it now, read with
/// SQLite directly (no runner, so nothing of ours commits meanwhile): whether it is there.
fn stored(s: &Setup, key: &str) -> bool {
    let conn = rusqlite::Connection::open_with_flags(
        s.store(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row(
        "SELECT count(*) FROM entries WHERE table_id = 1 AND key = ?1",
        [key.as_bytes()],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        == 1
}

#[test]
fn writes_are_stored_at_the_next_output_and_not_before() {
    let s = Setup::new();
    s.lua("_home.ready = true");
    let flag = s.dir.path().join("go");
    // Writes, then waits for the flag without output (opening a file to read is none).
    let code = format!(
        "_home.x = 1 _home.t = {{1, 2}} while not io.open('{}') do end print('after')",
        flag.display()
    );
    let child = s
        .command(&["-e", &code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!stored(&s, "x"), "a write is stored before any output");
    std::fs::write(&flag, "").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "after\n");
    assert!(stored(&s, "x") && stored(&s, "t"));
}

#[test]
fn each_kind_of_output_stores_the_writes_before_it() {
    let s = Setup::new();
    s.lua("_home.ready = true");
    let out = s.dir.path().join("out.txt");
    for (i, output) in [
        "print('x')".to_string(),
        "io.write('x')".to_string(),
        "io.stderr:write('x')".to_string(),
        "io.stdout:flush()".to_string(),
        format!(
            "local f = io.open('{}', 'w') f:write('x') f:close()",
            out.display()
        ),
        "ext.commit()".to_string(),
        "os.exit(0)".to_string(),
        "os.exit(0, true)".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let flag = s.dir.path().join(format!("go{i}"));
        let code = format!(
            "_home.k{i} = {i} {output} while not io.open('{}') do end",
            flag.display()
        );
        let child = s
            .command(&["-e", &code])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The write is stored by the output, while the process still runs (or has exited).
        let key = format!("k{i}");
        let mut seen = false;
        for _ in 0..500 {
            if stored(&s, &key) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::fs::write(&flag, "").unwrap();
        let status = child.wait_with_output().unwrap().status;
        assert!(status.success(), "{output}");
        assert!(seen, "{output} did not store the write before it");
    }
}

#[test]
fn sigkill_right_after_a_print_loses_none_of_the_writes_before_it() {
    let s = Setup::new();
    let code = "for i = 1, 2000 do _home['k' .. i] = i end print('written') while true do end";
    let mut child = s
        .command(&["-e", code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "written");
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    assert_eq!(
        s.lua("local n = 0 for i = 1, 2000 do if _home['k' .. i] == i then n = n + 1 end end print(n)"),
        "2000\n"
    );
}

#[test]
fn a_chunk_sees_its_own_pending_writes_and_pairs_sees_them_too() {
    let s = Setup::new();
    assert_eq!(
        s.lua(
            "_home.a = 1 _home.a = 2 _home.b = {x = 1} _home.c = 3 _home.c = nil \
             local keys = {} for k in pairs(_home) do keys[#keys + 1] = k end table.sort(keys) \
             io.write(_home.a, ' ', _home.b.x, ' ', tostring(_home.c), ' ', table.concat(keys, ','), ' ', #_home, '\\n')"
        ),
        "2 1 nil a,b 2\n"
    );
}
