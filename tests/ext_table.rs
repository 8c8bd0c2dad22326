//! External tables over a host store, natively: proxies, keys, conversion of plain
//! tables, deletion, iteration, identity, errors, and persistence across states.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::State;
use lua_persist::ext_table::{install, ExtStore, MemoryStore, StoreError};

/// A store shared by several states (a "reload" is a new state over the same store), which
/// can be told to fail.
#[derive(Clone, Default)]
struct Shared {
    inner: Rc<RefCell<MemoryStore>>,
    fail_writes: Rc<RefCell<bool>>,
}

impl ExtStore for Shared {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if *self.fail_writes.borrow() {
            return Err(StoreError("disk full".into()));
        }
        self.inner.borrow_mut().set(id, key, value)
    }
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.borrow_mut().get(id, key)
    }
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.inner.borrow_mut().delete(id, key)
    }
    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        self.inner.borrow_mut().size(id)
    }
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.borrow_mut().keys(id)
    }
    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        self.inner.borrow_mut().next_free_id()
    }
}

fn state_over(store: &Shared) -> State {
    let s = State::new();
    // SAFETY: a valid state with the libraries open.
    unsafe { install(s.0, Box::new(store.clone()), true).unwrap() };
    s
}

#[test]
fn values_round_trip_through_the_store() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "_home.n = 42 _home.f = 2.5 _home.s = 'a\\0b' _home.b = false _home.neg0 = -0.0
         assert(_home.n == 42 and math.type(_home.f) == 'float' and _home.s == 'a\\0b')
         assert(_home.b == false and 1 / _home.neg0 == -math.huge and _home.missing == nil)
         assert(Memory == _home and _home == _home, 'one proxy per id')",
    );
}

#[test]
fn plain_tables_become_external_tables_without_duplication() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "local shared = {x = 1}
         local t = {a = shared, b = shared, list = {10, 20, 30}}
         t.self = t
         _home.t = t
         local r = _home.t
         assert(r.a == r.b, 'shared subtable is one external table')
         assert(r.self == r, 'cycle')
         assert(r.list[2] == 20 and #r.list == 3)
         assert(r.a.__ext_table_id ~= nil)",
    );
}

#[test]
fn nil_deletes_and_pairs_iterates() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "_home.a = 1 _home.b = 2 _home[3] = 'three' _home.a = nil
         assert(#_home == 2, 'a deleted key is gone, not a tombstone')
         local seen = {}
         for k, v in pairs(_home) do seen[#seen + 1] = tostring(k) .. '=' .. tostring(v) end
         table.sort(seen)
         assert(table.concat(seen, ',') == '3=three,b=2', table.concat(seen, ','))",
    );
}

#[test]
fn keys_follow_cus_encoding_and_reject_what_cu_drops() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "_home[1] = 'one' assert(_home['1'] == 'one', 'integer 1 and string \"1\" are one key')
         _home[2.0] = 'two' assert(_home[2] == 'two')
         _home[1.5] = 'x' assert(_home[1.5] == 'x' and _home['1.5'] == 'x')
         local ok, e = pcall(function() _home[true] = 1 end)
         assert(not ok and e:find('must be a string or a number, not a boolean'), e)
         ok, e = pcall(function() _home[''] = 1 end)
         assert(not ok and e:find('empty string'), e)
         assert(_home[true] == nil)",
    );
}

#[test]
fn unstorable_values_raise_naming_the_key_and_write_nothing() {
    let store = Shared::default();
    let s = state_over(&store);
    let before = store.inner.borrow().clone();
    s.run(
        "local t = setmetatable({}, {__index = function(_, k) return coroutine.yield(k) end})
         local co = coroutine.create(function() return t.x end) coroutine.resume(co)
         local ok, e = pcall(function() _home.cfg = {deep = {co = co}} end)
         assert(not ok and e:find('cannot store key \"cfg\"') and e:find('inside a metamethod'), e)",
    );
    assert_eq!(*store.inner.borrow(), before, "nothing half-written");
}

#[test]
fn a_suspended_coroutine_is_stored_whole_and_resumes_in_another_state() {
    // Deep inside converted tables; the tables on its stack keep their metatables (a
    // pending to-be-closed value its __close), where a converted table would be a proxy.
    let store = Shared::default();
    state_over(&store).run(
        "local co = coroutine.create(function(a) \
           local log = setmetatable({}, {__index = {kind = 'log'}}) \
           local c <close> = setmetatable({}, {__close = function() _home.closed = log.kind end}) \
           local b = coroutine.yield(a + 1) \
           return a + b, log.kind \
         end) \
         coroutine.resume(co, 1) \
         _home.cfg = {deep = {co = co}}",
    );
    state_over(&store).run(
        "local co = _home.cfg.deep.co \
         local ok, sum, kind = coroutine.resume(co, 10) \
         assert(ok and sum == 11 and kind == 'log', tostring(sum)) \
         assert(_home.closed == 'log')",
    );
}

#[test]
fn a_failing_store_raises_and_leaves_the_store_consistent() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run("_home.keep = 1");
    let before = store.inner.borrow().clone();
    *store.fail_writes.borrow_mut() = true;
    s.run(
        "local ok, e = pcall(function() _home.t = {1, 2, {3}} ext.commit() end)
         assert(not ok and e:find('disk full') and e:find('writes not stored'), e)",
    );
    *store.fail_writes.borrow_mut() = false;
    assert_eq!(*store.inner.borrow(), before);
    s.run("assert(_home.keep == 1 and _home.t == nil)");
}

#[test]
fn closures_and_tables_persist_across_states() {
    let store = Shared::default();
    {
        let s = state_over(&store);
        s.run(
            "local count = 5
             local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
             _home.get = function() return count end
             _home.fact = fact
             local t = {name = 'cyclic'} t.me = t
             _home.graph = t",
        );
    }
    let s = state_over(&store); // a "reload"
    s.run(
        "assert(_home.get() == 5, 'restored upvalue')
         assert(_home.fact(5) == 120, 'recursive local function')
         assert(_home.graph.me == _home.graph and _home.graph.name == 'cyclic')
         local t = ext.table() t.x = 1 _home.made = t
         assert(_home.made.x == 1)",
    );
}

/// Each key holds its own serialized value: a closure is stored as it is when assigned, and
/// two closures stored under two keys do not share upvalues after a reload.
#[test]
fn each_key_is_a_snapshot() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "local n = 1
         local f = function() n = n + 1 return n end
         _home.f = f
         f() f()
         assert(_home.f() == 2, 'the stored closure starts from the value it had when stored')",
    );
}

#[test]
fn assigning_the_id_field_breaks_the_proxy_instead_of_aliasing_another_table() {
    let store = Shared::default();
    let s = state_over(&store);
    s.run(
        "_home.a = {x = 'a'} _home.b = {x = 'b'}
         local a = _home.a
         a.__ext_table_id = _home.b.__ext_table_id -- a raw field: no metamethod sees this
         local ok, err = pcall(function() return a.x end)
         assert(not ok and err:find('not an external table'), tostring(err))
         assert(_home.b.x == 'b', 'the other table is untouched')",
    );
}

#[test]
fn persist_serialize_writes_an_external_table_as_its_id() {
    let store = Shared::default();
    let s = state_over(&store);
    // SAFETY: a valid state, outside any protected call.
    unsafe { lua_persist::lua::protected(s.0, &mut |l| lua_persist::runner::open_persist(l)) }
        .unwrap();
    s.run(
        "_home.t = {x = 1}
         local bytes = persist.serialize(_home.t)
         assert(bytes:byte(1) == 0x07 and #bytes == 5, 'tag 07 + u32 id')
         assert(persist.deserialize(bytes) == _home.t, 'the same proxy comes back')
         local nested = persist.deserialize(persist.serialize({inner = _home.t}))
         assert(nested.inner == _home.t and nested.inner.x == 1)",
    );
}

#[test]
fn a_reference_to_table_id_0_reads_as_nil() {
    let store = Shared::default();
    store
        .inner
        .borrow_mut()
        .set(1, b"zero", &[0x07, 0, 0, 0, 0])
        .unwrap();
    let s = state_over(&store);
    s.run("assert(_home.zero == nil, '0 is never a table id')");
}
