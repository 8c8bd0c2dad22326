/* The frames of a suspended coroutine, written and rebuilt (FORMAT.md, tag 0x0E state 02;
   src/suspended_coroutines.rs is the Rust half, which writes and reads the stack values and
   open upvalues). The public C API cannot reach a suspended frame, so this file works
   against Lua's internal headers, beside Lua's own files.

   A frame is described logically, never as struct bytes: its kind, and for a Lua frame the
   index of its next instruction, its extra (vararg) arguments and whether it was tail
   called. Where each frame's function sits, how many results its caller expects and its
   call status follow from the frame below it (the instruction that made the call, or
   pcall's own layout), so they are computed, not stored: one function (layout_step) checks
   a live coroutine's frames as they are written and bytes before they become frames. Every
   place a rebuilt frame points to is checked against the function it belongs to, so bytes
   that lie give an error code, never a state Lua would misread.

   What a suspended coroutine can be here: Lua frames stopped at a call (OP_CALL,
   OP_TAILCALL, OP_TFORCALL), pcall and xpcall frames between them, and on top the C
   function that yielded without a continuation (coroutine.yield, or a host function that
   returns lua_yield). Yields inside metamethods, __close handlers, hooks or other C
   functions' continuations are refused when writing (LP_REFUSED_*).

   This file is compact on purpose: it is part of the wasm module's size budget. */

#define LUA_CORE
#include "lua.h"

#include "ldo.h"
#include "lfunc.h"
#include "lgc.h"
#include "lmem.h"
#include "lobject.h"
#include "lopcodes.h"
#include "lstate.h"
#include "ltm.h"

/* luaF_newtbcupval's MAXDELTA: the largest distance between to-be-closed variables. */
#define LP_MAXDELTA ((1u << (8 * sizeof(unsigned short))) - 1)

/* Frame kinds of the format. */
enum { FRAME_LUA, FRAME_YIELDED, FRAME_PCALL, FRAME_XPCALL, FRAME_KINDS };

/* Error codes (src/suspended_coroutines.rs, coroutine_error). Codes from LP_FRAME on are
   LP_FRAME + a FrameProblem, about the frame in *failed. */
enum {
  LP_OK,
  LP_TRUNCATED,          /* *failed: bytes missing */
  LP_NO_FRAMES,
  LP_TOO_MANY_FRAMES,    /* *failed: the count */
  LP_UNKNOWN_FRAME_KIND, /* *failed: the frame, *detail: its kind */
  LP_SLOT_OUT_OF_RANGE,  /* *failed: the slot (or count) */
  LP_SLOT_OUTSIDE_LUA,   /* *failed: the slot; *detail: 0 open upvalue, 1 to-be-closed */
  LP_NOT_CLOSABLE,       /* *failed: the slot */
  LP_STACK_TOO_LARGE,
  LP_OUT_OF_MEMORY,
  LP_FRAME
};
enum { /* FrameProblem, in its order */
  OUTSIDE_STACK, NOT_LUA_FUNCTION, VARARG_MISMATCH, PC_OUTSIDE_CODE, NOT_AT_CALL,
  CALLEE_OUTSIDE, LUA_ON_TOP, YIELDED_NOT_ON_TOP, NOT_C_FUNCTION, NOT_PCALL, PCALL_ON_TOP,
  TOO_LARGE, TAIL_CALL_TO_LUA, UNKNOWN_FLAGS
};
/* Why a live coroutine cannot be written (negated as lp_co_write's result). */
enum {
  LP_REFUSED_HOOK = 1,    /* it yielded inside a hook, or a finalizer runs in it */
  LP_REFUSED_METAMETHOD,  /* a Lua frame waits for a metamethod, not for a call */
  LP_REFUSED_CLOSE,       /* it yielded inside a __close metamethod */
  LP_REFUSED_CONTINUATION,/* the C function that yielded has a continuation */
  LP_REFUSED_ACROSS_C,    /* a C function other than pcall/xpcall waits in it */
  LP_REFUSED_UNEXPECTED   /* its frames are not where layout_step puts them */
};

/* One frame: what the bytes say, then what layout_step computes (slots are stack indices;
   slot 0 is the thread's base). */
struct frame {
  int kind, pc, extra, tail;
  int func, base, top, nresults, callstatus;
};

/* Where the next frame's function is and what its caller expects. */
struct layout {
  lua_State *co;
  lua_CFunction pcall, xpcall;
  int stack_top;  /* the first slot above the values */
  int func0;      /* the next frame's function slot (before a vararg function's copy) */
  int nresults;
  int fresh;      /* called by luaD_call: a fresh luaV_execute */
  int highest;    /* the highest slot a frame uses */
};

/* finishpcall of lbaselib.c, which is static there: the continuation of a rebuilt pcall or
   xpcall frame (ctx: how many values lie below the results, 0 for pcall, 2 for xpcall). */
static int lp_finishpcall(lua_State *L, int status, lua_KContext extra) {
  if (l_unlikely(status != LUA_OK && status != LUA_YIELD)) {
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - (int)extra;
}

static lua_CFunction c_function_of(const TValue *f) {
  if (ttislcf(f)) return fvalue(f);
  if (ttisCclosure(f)) return clCvalue(f)->f;
  return NULL;
}

static void layout_init(struct layout *st, lua_State *co, int stack_top, lua_CFunction pcall,
                        lua_CFunction xpcall) {
  st->co = co;
  st->pcall = pcall;
  st->xpcall = xpcall;
  st->stack_top = stack_top;
  st->func0 = 1; /* resume calls the body in slot 1 for all results */
  st->nresults = LUA_MULTRET;
  st->fresh = 1;
  st->highest = stack_top + LUA_MINSTACK;
}

/* Places frame fr (the last one when last; next_kind is the kind of the one above it) and
   checks it against its function and its caller. Returns 0 or a FrameProblem + 1. */
static int layout_step(struct layout *st, struct frame *fr, int last, int next_kind) {
  int func0 = st->func0;
  const TValue *f;
  if (func0 < 1 || func0 >= st->stack_top) return OUTSIDE_STACK + 1;
  f = s2v(st->co->stack.p + func0);
  fr->nresults = st->nresults;
  fr->func = func0;
  fr->base = func0 + 1;
  if (fr->kind == FRAME_LUA) {
    const Proto *p;
    Instruction inst;
    if (last) return LUA_ON_TOP + 1;
    if (!ttisLclosure(f)) return NOT_LUA_FUNCTION + 1;
    if (fr->tail & ~1) return UNKNOWN_FLAGS + 1;
    p = clLvalue(f)->p;
    if (p->is_vararg) {
      /* luaT_adjustvarargs moved the function and its fixed parameters above the
         arguments: the frame's function is that copy, which must be the same closure. */
      const TValue *copy;
      if (fr->extra < 0 || fr->extra >= st->stack_top) return VARARG_MISMATCH + 1;
      fr->func = func0 + p->numparams + fr->extra + 1;
      if (fr->func >= st->stack_top) return OUTSIDE_STACK + 1;
      copy = s2v(st->co->stack.p + fr->func);
      if (!ttisLclosure(copy) || clLvalue(copy) != clLvalue(f)) return VARARG_MISMATCH + 1;
    } else if (fr->extra != 0) {
      return VARARG_MISMATCH + 1;
    }
    fr->base = fr->func + 1;
    if (p->maxstacksize > LUAI_MAXSTACK - fr->base) return TOO_LARGE + 1;
    fr->top = fr->base + p->maxstacksize;
    /* savedpc is the next instruction; the one before it is the waiting call (never a
       function's last instruction: a return follows it). */
    if (fr->pc < 1 || fr->pc >= p->sizecode) return PC_OUTSIDE_CODE + 1;
    inst = p->code[fr->pc - 1];
    fr->callstatus = (st->fresh ? CIST_FRESH : 0) | (fr->tail ? CIST_TAIL : 0);
    st->fresh = 0;
    switch (GET_OPCODE(inst)) {
      case OP_CALL:
        st->nresults = GETARG_C(inst) - 1;
        st->func0 = fr->base + GETARG_A(inst);
        break;
      case OP_TAILCALL: /* a Lua callee would have replaced this frame */
        if (next_kind == FRAME_LUA) return TAIL_CALL_TO_LUA + 1;
        st->nresults = LUA_MULTRET;
        st->func0 = fr->base + GETARG_A(inst);
        break;
      case OP_TFORCALL: /* the iterator in A + 4, by luaD_call */
        st->nresults = GETARG_C(inst);
        st->func0 = fr->base + GETARG_A(inst) + 4;
        st->fresh = 1;
        break;
      default: return NOT_AT_CALL + 1;
    }
    if (st->func0 >= fr->top) return CALLEE_OUTSIDE + 1;
  } else if (fr->kind == FRAME_YIELDED) {
    if (!last) return YIELDED_NOT_ON_TOP + 1;
    if (c_function_of(f) == NULL) return NOT_C_FUNCTION + 1;
    fr->top = func0 + 1 + LUA_MINSTACK;
    if (fr->top < st->stack_top) fr->top = st->stack_top;
    fr->callstatus = CIST_C;
  } else { /* pcall or xpcall: pcall, true, f, args; xpcall, f, handler, true, f, args */
    int xp = (fr->kind == FRAME_XPCALL);
    if (last) return PCALL_ON_TOP + 1;
    if (!ttislcf(f) || (xp ? st->xpcall : st->pcall) == NULL ||
        fvalue(f) != (xp ? st->xpcall : st->pcall))
      return NOT_PCALL + 1;
    st->func0 = func0 + (xp ? 4 : 2);
    fr->top = fr->base + LUA_MINSTACK;
    if (fr->top <= st->func0) fr->top = st->func0 + 1;
    fr->callstatus = CIST_C | CIST_YPCALL | CIST_OAH;
    st->nresults = LUA_MULTRET;
    st->fresh = 1;
  }
  if (fr->top > st->highest) st->highest = fr->top;
  return 0;
}

/* ---------------------------------------------------------------- little-endian bytes */

static void put_u32(unsigned char *out, size_t cap, size_t *pos, unsigned v) {
  int i;
  for (i = 0; i < 4; i++, (*pos)++)
    if (*pos < cap) out[*pos] = (unsigned char)(v >> (8 * i));
}

static void put_u8(unsigned char *out, size_t cap, size_t *pos, int v) {
  if (*pos < cap) out[*pos] = (unsigned char)v;
  (*pos)++;
}

/* Reads what the bytes hold at *pos; past the end, *missing says how much is missing. */
static unsigned get_u32(const unsigned char *in, size_t len, size_t *pos, int *missing) {
  unsigned v = 0;
  int i;
  if (*pos + 4 > len) {
    if (*missing == 0) *missing = (int)(*pos + 4 - len);
    *pos = len;
    return 0;
  }
  for (i = 0; i < 4; i++) v |= (unsigned)in[*pos + i] << (8 * i);
  *pos += 4;
  return v;
}

static int get_u8(const unsigned char *in, size_t len, size_t *pos, int *missing) {
  if (*pos >= len) {
    if (*missing == 0) *missing = 1;
    return 0;
  }
  return in[(*pos)++];
}

/* One frame record: kind, and for a Lua frame pc, extra, tail (values past INT_MAX read
   as -1: outside any function and stack). */
static void get_frame(const unsigned char *in, size_t len, size_t *pos, int *missing,
                      struct frame *fr) {
  fr->kind = get_u8(in, len, pos, missing);
  fr->pc = fr->extra = fr->tail = 0;
  if (fr->kind == FRAME_LUA) {
    unsigned pc = get_u32(in, len, pos, missing), extra = get_u32(in, len, pos, missing);
    fr->pc = pc > 0x7fffffffu ? -1 : (int)pc;
    fr->extra = extra > 0x7fffffffu ? -1 : (int)extra;
    fr->tail = get_u8(in, len, pos, missing);
  }
}

/* -------------------------------------------------------------------------- writing */

/* The number of stack values of the suspended co (slots 1 .. this). */
int lp_co_slots(lua_State *co) { return cast_int(co->top.p - co->stack.p) - 1; }

/* co's open upvalue after prev (the first when prev is NULL), with its slot; NULL after the
   last. Highest slot first, Lua's order. The upvalue is its identity for lua_upvalueid. */
void *lp_co_next_open_upvalue(lua_State *co, void *prev, int *slot) {
  UpVal *uv = prev == NULL ? co->openupval : ((UpVal *)prev)->u.open.next;
  if (uv != NULL) *slot = cast_int(uplevel(uv) - co->stack.p);
  return uv;
}

/* Pushes the value in co's stack slot (below its top) onto L, which has room for it. */
void lp_co_push_slot(lua_State *L, lua_State *co, int slot) {
  setobj2s(L, L->top.p, s2v(co->stack.p + slot));
  L->top.p++;
}

/* Describes a live frame for the format; 0, or why it cannot be written. */
static int describe(const CallInfo *ci, int last, lua_CFunction pcall, lua_CFunction xpcall,
                    struct frame *fr) {
  unsigned short status = ci->callstatus;
  fr->pc = fr->extra = fr->tail = 0;
  if (status & (CIST_HOOKED | CIST_HOOKYIELD | CIST_FIN | CIST_TRAN)) return LP_REFUSED_HOOK;
  if ((status & CIST_CLSRET) || getcistrecst(ci) != 0) return LP_REFUSED_CLOSE;
  if (isLua(ci)) {
    const Proto *p = clLvalue(s2v(ci->func.p))->p;
    if (last) return LP_REFUSED_HOOK; /* Lua yields only from hooks */
    fr->kind = FRAME_LUA;
    fr->pc = cast_int(ci->u.l.savedpc - p->code);
    switch (GET_OPCODE(p->code[fr->pc - 1])) {
      case OP_CALL: case OP_TAILCALL: case OP_TFORCALL: break;
      case OP_CLOSE: case OP_RETURN: return LP_REFUSED_CLOSE;
      default: return LP_REFUSED_METAMETHOD;
    }
    fr->extra = p->is_vararg ? ci->u.l.nextraargs : 0;
    fr->tail = (status & CIST_TAIL) != 0;
  } else if (last) {
    if (ci->u.c.k != NULL) return LP_REFUSED_CONTINUATION;
    fr->kind = FRAME_YIELDED;
  } else {
    lua_CFunction f = c_function_of(s2v(ci->func.p));
    if (!(status & CIST_YPCALL) || ci->u.c.k == NULL || f == NULL) return LP_REFUSED_ACROSS_C;
    if (f == pcall && ci->u.c.ctx == 0) fr->kind = FRAME_PCALL;
    else if (f == xpcall && ci->u.c.ctx == 2) fr->kind = FRAME_XPCALL;
    else return LP_REFUSED_ACROSS_C;
    if (!(status & CIST_OAH)) return LP_REFUSED_HOOK;
  }
  return 0;
}

/* Writes the frames and to-be-closed sections of the suspended co (FORMAT.md) into out, at
   most cap bytes; returns their length (call with cap 0 to learn it), or minus why co
   cannot be written, with the frame's index in *failed. Checks on the way that layout_step
   puts every frame where Lua has it: what the bytes leave out must come back as it was. */
long lp_co_write(lua_State *co, lua_CFunction pcall, lua_CFunction xpcall, unsigned char *out,
                 size_t cap, int *failed) {
  struct layout st;
  const CallInfo *ci;
  size_t pos = 0, tbc_at;
  int n = 0, i, count;
  StkId tbc;
  for (ci = co->ci; ci != &co->base_ci; ci = ci->previous) n++;
  put_u32(out, cap, &pos, (unsigned)n);
  layout_init(&st, co, cast_int(co->top.p - co->stack.p), pcall, xpcall);
  for (ci = co->base_ci.next, i = 0; i < n; ci = ci->next, i++) {
    struct frame fr, next;
    int why, last = (i == n - 1);
    *failed = i;
    why = describe(ci, last, pcall, xpcall, &fr);
    if (why != 0) return -why;
    next.kind = FRAME_YIELDED;
    if (!last && describe(ci->next, i + 1 == n - 1, pcall, xpcall, &next) != 0)
      next.kind = FRAME_YIELDED; /* refused when its turn comes */
    if (layout_step(&st, &fr, last, next.kind) != 0 || ci->func.p != co->stack.p + fr.func ||
        ci->nresults != fr.nresults ||
        (fr.kind == FRAME_LUA && (ci->top.p != co->stack.p + fr.top ||
                                  (ci->callstatus & (CIST_FRESH | CIST_TAIL)) != fr.callstatus)) ||
        (fr.kind >= FRAME_PCALL && ci->u2.funcidx != cast_int(savestack(co, co->stack.p +
                                                                        st.func0))))
      return -LP_REFUSED_UNEXPECTED;
    put_u8(out, cap, &pos, fr.kind);
    if (fr.kind == FRAME_LUA) {
      put_u32(out, cap, &pos, (unsigned)fr.pc);
      put_u32(out, cap, &pos, (unsigned)fr.extra);
      put_u8(out, cap, &pos, fr.tail);
    }
  }
  /* The to-be-closed variables, lowest first: Lua's list runs from the highest. */
  count = 0;
  for (tbc = co->tbclist.p; tbc > co->stack.p; count++) {
    tbc -= tbc->tbclist.delta;
    while (tbc > co->stack.p && tbc->tbclist.delta == 0) tbc -= LP_MAXDELTA; /* dummies */
  }
  put_u32(out, cap, &pos, (unsigned)count);
  tbc_at = pos;
  pos += 4 * (size_t)count;
  for (tbc = co->tbclist.p, i = count - 1; tbc > co->stack.p; i--) {
    size_t at = tbc_at + 4 * (size_t)i;
    put_u32(out, cap, &at, (unsigned)(tbc - co->stack.p));
    tbc -= tbc->tbclist.delta;
    while (tbc > co->stack.p && tbc->tbclist.delta == 0) tbc -= LP_MAXDELTA;
  }
  return (long)pos;
}

/* -------------------------------------------------------------------------- reading */

/* Checks the shape of the frames and to-be-closed sections at in[0..len) for a coroutine
   of `slots` stack values, as far as bytes alone tell: counts, frame kinds, slot order.
   Returns an error code; *used: the sections' length. */
int lp_co_shape(const unsigned char *in, size_t len, unsigned slots, size_t *used, int *failed,
                int *detail) {
  size_t pos = 0;
  int missing = 0;
  unsigned n = get_u32(in, len, &pos, &missing), i, count, previous = 0;
  if (missing) goto truncated;
  if (n == 0) return LP_NO_FRAMES;
  if (n > slots) {
    *failed = (int)n;
    return LP_TOO_MANY_FRAMES;
  }
  for (i = 0; i < n; i++) {
    struct frame fr;
    get_frame(in, len, &pos, &missing, &fr);
    if (missing) goto truncated;
    if (fr.kind >= FRAME_KINDS) {
      *failed = (int)i;
      *detail = fr.kind;
      return LP_UNKNOWN_FRAME_KIND;
    }
  }
  count = get_u32(in, len, &pos, &missing);
  if (!missing && count > slots) {
    *failed = (int)count;
    return LP_SLOT_OUT_OF_RANGE;
  }
  for (i = 0; i < count && !missing; i++) {
    unsigned slot = get_u32(in, len, &pos, &missing);
    if (!missing && (slot <= previous || slot > slots)) {
      *failed = (int)slot;
      return LP_SLOT_OUT_OF_RANGE;
    }
    previous = slot;
  }
  if (missing) goto truncated;
  *used = pos;
  return LP_OK;
truncated:
  *failed = missing;
  *used = pos;
  return LP_TRUNCATED;
}

/* The merged registers of the Lua frames: disjoint ascending [start, end) pairs. */
static int inside(const int *regions, int nregions, int slot) {
  int lo = 0, hi = nregions;
  while (lo < hi) { /* the first region that ends above slot */
    int mid = (lo + hi) / 2;
    if (regions[2 * mid + 1] <= slot) lo = mid + 1;
    else hi = mid;
  }
  return lo < nregions && regions[2 * lo] <= slot;
}

/* Makes co (a new thread whose values fill slots 1 .. top-1, its open upvalues made) the
   suspended coroutine that the frames and to-be-closed sections at in[0..len) describe,
   after lp_co_shape accepted them. Checks every frame, open upvalue and to-be-closed
   variable first; co gets frames only when all pass. Objects are allocated on L (a scratch
   userdata, pushed and popped), where a failure raises inside the decoder's protected call;
   nothing here raises on co, which has no handler of its own. Returns an error code. */
int lp_co_load(lua_State *L, lua_State *co, const unsigned char *in, size_t len,
               lua_CFunction pcall, lua_CFunction xpcall, int *failed, int *detail) {
  struct layout st;
  struct frame fr, next;
  size_t pos = 0, frames_at;
  int missing = 0, n, i, count, nregions = 0, spare = 0, code = LP_OK;
  int *regions;
  UpVal *uv;
  CallInfo *ci;
  ptrdiff_t errfunc = 0;
  n = (int)get_u32(in, len, &pos, &missing);
  frames_at = pos;
  regions = (int *)lua_newuserdatauv(L, sizeof(int) * 2 * (size_t)n, 0);
  layout_init(&st, co, cast_int(co->top.p - co->stack.p), pcall, xpcall);
  get_frame(in, len, &pos, &missing, &next);
  for (i = 0; i < n; i++) {
    int problem;
    fr = next;
    if (i + 1 < n) get_frame(in, len, &pos, &missing, &next);
    *failed = i;
    problem = layout_step(&st, &fr, i == n - 1, next.kind);
    if (problem != 0) {
      code = LP_FRAME + problem - 1;
      goto done;
    }
    if (fr.kind == FRAME_LUA) {
      if (nregions > 0 && fr.base <= regions[2 * nregions - 1]) {
        if (fr.top > regions[2 * nregions - 1]) regions[2 * nregions - 1] = fr.top;
      } else {
        regions[2 * nregions] = fr.base;
        regions[2 * nregions + 1] = fr.top;
        nregions++;
      }
    }
  }
  *detail = 0;
  for (uv = co->openupval; uv != NULL; uv = uv->u.open.next) {
    *failed = cast_int(uplevel(uv) - co->stack.p);
    if (!inside(regions, nregions, *failed)) {
      code = LP_SLOT_OUTSIDE_LUA;
      goto done;
    }
  }
  count = (int)get_u32(in, len, &pos, &missing);
  *detail = 1;
  for (i = 0; i < count; i++) {
    const TValue *o;
    *failed = (int)get_u32(in, len, &pos, &missing);
    if (!inside(regions, nregions, *failed)) {
      code = LP_SLOT_OUTSIDE_LUA;
      goto done;
    }
    o = s2v(co->stack.p + *failed);
    if (l_isfalse(o) || notm(luaT_gettmbyobj(co, o, TM_CLOSE))) { /* luaF_newtbcupval's test */
      code = LP_NOT_CLOSABLE;
      goto done;
    }
  }
  /* Room, and every frame, linked after the base as Lua's spare frames are: running out of
     memory leaves co a plain thread. */
  if (!lua_checkstack(co, st.highest - st.stack_top)) {
    code = LP_STACK_TOO_LARGE;
    goto done;
  }
  for (ci = co->base_ci.next; ci != NULL; ci = ci->next) spare++;
  for (; spare < n; spare++) {
    if (luaE_extendCI(co, 0) == NULL) {
      code = LP_OUT_OF_MEMORY;
      goto done;
    }
  }
  /* The checks passed: the same steps again, now filling the frames. */
  pos = frames_at;
  layout_init(&st, co, cast_int(co->top.p - co->stack.p), pcall, xpcall);
  get_frame(in, len, &pos, &missing, &next);
  for (ci = &co->base_ci, i = 0; i < n; i++) {
    fr = next;
    if (i + 1 < n) get_frame(in, len, &pos, &missing, &next);
    layout_step(&st, &fr, i == n - 1, next.kind);
    ci = ci->next;
    ci->func.p = co->stack.p + fr.func;
    ci->top.p = co->stack.p + fr.top;
    ci->nresults = cast(short, fr.nresults);
    ci->callstatus = cast(unsigned short, fr.callstatus);
    if (fr.kind == FRAME_LUA) {
      ci->u.l.savedpc = clLvalue(s2v(ci->func.p))->p->code + fr.pc;
      ci->u.l.trap = co->hookmask != 0;
      ci->u.l.nextraargs = fr.extra;
    } else {
      ci->u.c.k = NULL;
      ci->u.c.ctx = 0;
      ci->u.c.old_errfunc = errfunc;
      ci->u2.nyield = 0;
      if (fr.kind != FRAME_YIELDED) {
        int xp = (fr.kind == FRAME_XPCALL);
        ci->u.c.k = lp_finishpcall;
        ci->u.c.ctx = xp ? 2 : 0;
        ci->u2.funcidx = cast_int(savestack(co, co->stack.p + st.func0));
        /* lua_pcallk: the handler is xpcall's second argument; pcall has none. */
        errfunc = xp ? savestack(co, co->stack.p + fr.func + 2) : 0;
      }
    }
  }
  count = (int)get_u32(in, len, &pos, &missing);
  for (i = 0; i < count; i++) {
    StkId level = co->stack.p + get_u32(in, len, &pos, &missing);
    while (cast_uint(level - co->tbclist.p) > LP_MAXDELTA) { /* luaF_newtbcupval's dummies */
      co->tbclist.p += LP_MAXDELTA;
      co->tbclist.p->tbclist.delta = 0;
    }
    level->tbclist.delta = cast(unsigned short, level - co->tbclist.p);
    co->tbclist.p = level;
  }
  co->errfunc = errfunc;
  co->ci = ci;
  co->status = LUA_YIELD;
done:
  lua_pop(L, 1);
  return code;
}

/* Makes an open upvalue of co at slot (below co's top once its values are in place) and
   appends it to co's list, whose end *tail remembers (NULL at first): a new one when owner
   is 0, else the upvalue n of the Lua closure at index owner of L, which is closed and
   shared by every closure that holds it, so all of them see the slot from now on. Objects
   are allocated on L. Returns 0, or 1 when that upvalue is open already. */
int lp_co_open_upvalue(lua_State *L, lua_State *co, int slot, int owner, int n, void **tail) {
  UpVal **link = *tail != NULL ? (UpVal **)*tail : &co->openupval;
  UpVal *uv;
  if (owner != 0) {
    const GCObject *o = (const GCObject *)lua_topointer(L, owner);
    LClosure *cl;
    if (lua_type(L, owner) != LUA_TFUNCTION || o == NULL || o->tt != LUA_VLCL) return 1;
    cl = gco2lcl((GCObject *)o);
    if (n < 1 || n > cl->nupvalues || cl->upvals[n - 1] == NULL) return 1;
    uv = cl->upvals[n - 1];
    if (upisopen(uv)) return 1;
    /* Open upvalues are never black: the stack writes to them have no barrier. */
    if (isblack(uv)) resetbit(uv->marked, BLACKBIT);
  } else {
    GCObject *o = luaC_newobj(L, LUA_VUPVAL, sizeof(UpVal)); /* (gco2upv may evaluate twice) */
    uv = gco2upv(o);
  }
  uv->v.p = s2v(co->stack.p + slot);
  uv->u.open.next = NULL;
  uv->u.open.previous = link;
  *link = uv;
  *tail = &uv->u.open.next;
  if (!isintwups(co)) {
    co->twups = G(co)->twups;
    G(co)->twups = co;
  }
  return 0;
}

/* Sets upvalue n of the Lua closure at index f of L to co's open upvalue at slot.
   Returns 0, or 1 when co has none there. */
int lp_co_join_open_upvalue(lua_State *L, int f, int n, lua_State *co, int slot) {
  const GCObject *o = (const GCObject *)lua_topointer(L, f);
  UpVal *uv;
  if (lua_type(L, f) != LUA_TFUNCTION || o == NULL || o->tt != LUA_VLCL ||
      n < 1 || n > gco2lcl((GCObject *)o)->nupvalues)
    return 1;
  for (uv = co->openupval; uv != NULL; uv = uv->u.open.next) {
    if (uplevel(uv) == co->stack.p + slot) {
      LClosure *cl = gco2lcl((GCObject *)o);
      cl->upvals[n - 1] = uv;
      luaC_objbarrier(L, cl, uv);
      return 0;
    }
  }
  return 1;
}
