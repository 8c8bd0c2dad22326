//! Suspended coroutines persist and resume where they stopped (FORMAT.md, tag 0x0E state
//! 02): in a fresh state, with their frames, open upvalues shared with persisted closures,
//! pcall/xpcall frames and to-be-closed variables; and bytes that lie about them fail with
//! a named error before any coroutine exists.

mod common;
use common::{round_trip, State};

#[test]
fn a_coroutine_resumes_where_it_yielded() {
    round_trip(
        "local co = coroutine.create(function(a) \
            local x = a * 2 \
            local y = coroutine.yield(x + 1) \
            local z = coroutine.yield(x + y) \
            return x + y + z \
         end) \
         assert(select(2, coroutine.resume(co, 10)) == 21) \
         return co",
        "assert(coroutine.status(v) == 'suspended') \
         local ok, r = coroutine.resume(v, 5) assert(ok and r == 25, r) \
         local ok2, r2 = coroutine.resume(v, 100) assert(ok2 and r2 == 125, r2) \
         assert(coroutine.status(v) == 'dead')",
    );
}
