mod common;
use common::State;
use lua_persist::serializer::*;

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn probe_fgc_names() {
    let mut names = std::collections::BTreeMap::new();
    for _ in 0..40 {
        let s = State::new();
        let b = s
            .serialize("return getmetatable(io.stdout).__close")
            .unwrap();
        *names
            .entry(String::from_utf8_lossy(&b[3..]).into_owned())
            .or_insert(0) += 1;
    }
    println!("names: {names:?}");
    let mut fails = 0;
    for _ in 0..400 {
        let b = State::new()
            .serialize("return getmetatable(io.stdout).__gc")
            .unwrap();
        let s2 = State::new();
        if s2.deserialize(&b, "v").is_err() {
            fails += 1;
        }
    }
    println!("fgc round-trip failures: {fails}/400");
}

#[test]
fn probe_upvalue_order() {
    let b = State::new().serialize("local x = 10 local function B() return x end local y = B local function A() return y end local function C() return y end return {A, C}").unwrap();
    println!("{}", hex(&b));
    let s = State::new();
    s.deserialize(&b, "v").unwrap();
    s.run("print('C() =', v[2](), 'A() =', v[1](), v[2]() == v[1]())");
    let b = State::new()
        .serialize(
            "local obj; obj = {get = function() return obj end}; return function() return obj end",
        )
        .unwrap();
    println!("{}", hex(&b));
    let s = State::new();
    println!("{:?}", s.deserialize(&b, "v"));
}

#[test]
fn probe_misc() {
    let s = State::new();
    for code in [
        "return require",
        "return coroutine.wrap(print)",
        "return string.gmatch('a','a')",
        "return _G",
        "return setmetatable({}, {__metatable=false})",
        "return {[2.0]=1}",
    ] {
        println!("{code}: {:?}", s.serialize(code).map(|b| hex(&b)));
    }
    for bytes in [
        &[][..],
        &[0x0E],
        &[0x01],
        &[0x08, 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00],
        &[
            0x08, 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
        ],
        &[0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 1, 0, 0, 0, 0, 0, 0, 0],
        &[0x09, 0, 0, 0, 0],
        &[0x06, 0x42, 0],
        &[0x06, 0x25, 0],
        &[0x07, 1, 0, 0, 0],
        &[0x0B, 3, 0, b'f', b'o', b'o'],
        &[
            0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, 0, 0, 0, 0,
        ],
    ] {
        let r = s.deserialize(bytes, "v");
        println!("{} -> {:?}", hex(bytes), r);
        if r.is_ok() {
            s.run("print(v, v and #v)");
        }
    }
}

#[test]
fn probe_signed_overrun() {
    let mut b = vec![0x0C, 1, 0, 0, 0];
    b.extend([0u8; 32]);
    b.extend([0x04, 1, 0, 0, 0, b'A']);
    let s = State::new();
    let r = std::panic::catch_unwind(|| {
        let s = State::new();
        s.deserialize(&b, "v")
    });
    println!("signed overrun: {r:?}");
    drop(s);
}

#[test]
fn probe_dups_and_cu() {
    let s = State::new();
    s.run(r#"
      local seen = {}
      local function scan(prefix, t)
        for k, f in pairs(t) do
          if type(f) == 'function' and debug.getinfo(f, 'S').what == 'C' and debug.getinfo(f,'u').nups == 0 then
            local n = prefix and (prefix .. '.' .. k) or k
            seen[f] = seen[f] or {}
            table.insert(seen[f], n)
          end
        end
      end
      for _, lib in ipairs{'_G','coroutine','debug','io','math','os','package','string','table','utf8'} do
        scan(lib ~= '_G' and lib or nil, package.loaded[lib])
      end
      scan('FILE*', debug.getregistry()['FILE*'])
      scan('FILE*.__index', debug.getregistry()['FILE*'].__index)
      local count = 0
      for f, names in pairs(seen) do count = count + 1 if #names > 1 then print('DUP', table.concat(names, ' ')) end end
      print('count', count)
    "#);
    for (i, n) in lua_persist::function_serializer::CU_C_FUNCTION_NAMES
        .iter()
        .enumerate()
    {
        s.deserialize(&[0x06, i as u8, 0], "v").unwrap();
        s.eval("return type(v)");
        let t = unsafe {
            lua_persist::lua::tostring(s.0, -1).map(|b| String::from_utf8_lossy(b).into_owned())
        };
        s.pop(1);
        if t.as_deref() != Some("function") {
            println!("cu {i} {n} -> {t:?}");
        }
    }
}

#[test]
#[ignore]
fn probe_nested_signed() {
    let n = 200_000;
    let mut b = Vec::new();
    for i in 0..n {
        let inner = 37 * (n - 1 - i) + 1;
        b.push(0x0C);
        b.extend((inner as u32).to_le_bytes());
        b.extend([0u8; 32]);
    }
    b.push(0);
    let s = State::new();
    println!("{:?}", s.deserialize(&b, "v"));
}

#[test]
fn probe_names() {
    let s = State::new();
    s.run(r#"
      local function scan(prefix, t)
        local ok, bad = {}, {}
        for k, f in pairs(t) do
          if type(f) == 'function' and debug.getinfo(f, 'S').what == 'C' then
            if debug.getinfo(f,'u').nups == 0 then ok[#ok+1] = k else bad[#bad+1] = k end
          end
        end
        table.sort(ok) table.sort(bad)
        print(prefix, #ok, table.concat(ok, ' '), '| WITH UPVALUES:', table.concat(bad, ' '))
      end
      for _, lib in ipairs{'_G','coroutine','debug','io','math','os','package','string','table','utf8'} do
        scan(lib, package.loaded[lib])
      end
      scan('FILE*', debug.getregistry()['FILE*'])
      scan('FILE*.__index', debug.getregistry()['FILE*'].__index)
    "#);
}
