/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
void __lp_assert_fail(const char *expr, const char *file, int line);
#define assert(e) ((e) ? (void)0 : __lp_assert_fail(#e, __FILE__, __LINE__))
#endif
