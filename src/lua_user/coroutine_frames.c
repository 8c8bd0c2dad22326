/* The frames of a suspended coroutine, read and rebuilt (FORMAT.md, tag 0x0E state 02;
   src/suspended_coroutines.rs is the Rust half). The public C API cannot reach a suspended
   frame, so this file works against Lua's internal headers, beside Lua's own files.

   A frame is described logically, never as struct bytes: its kind, and for a Lua frame the
   index of its next instruction, its extra (vararg) arguments and whether it was tail
   called. Where each frame's function sits, how many results its caller expects and its
   call status all follow from the frame below it (the instruction that made the call, or
   pcall's own layout), so they are recomputed, not stored: the same function
   (lp_co_layout) checks a live coroutine before it is written and bytes before they become
   one. Every place the rebuilt state points to is checked against the function it belongs
   to, so bytes that lie give an error code, never a state Lua would misread.

   What a suspended coroutine can be here: Lua frames stopped at a call (OP_CALL,
   OP_TAILCALL, OP_TFORCALL), pcall and xpcall frames between them, and on top the C
   function that yielded without a continuation (coroutine.yield, or a host function that
   returns lua_yield). Yields inside metamethods, __close handlers, hooks or other C
   functions' continuations are refused when writing (lp_co_read's codes). */

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

/* Must match src/suspended_coroutines.rs (FrameKind and the #[repr(C)] Frame). */
enum { LP_FRAME_LUA, LP_FRAME_YIELDED, LP_FRAME_PCALL, LP_FRAME_XPCALL };

struct lp_co_frame {
  int kind;
  int pc;    /* Lua: index of the next instruction */
  int extra; /* Lua: extra arguments of a vararg function */
  int tail;  /* Lua: it was tail called */
  /* Computed by lp_co_layout (slots are stack indices; slot 0 is the thread's base). */
  int func, base, top, nresults, callstatus;
};

/* Error codes of lp_co_layout (FrameProblem in the Rust half). */
enum {
  LP_CO_OK,
  LP_CO_NO_FRAMES,
  LP_CO_OUTSIDE_STACK,    /* the frame's function slot is at or above the stack top */
  LP_CO_NOT_LUA_FUNCTION, /* a Lua frame whose slot holds no Lua function */
  LP_CO_VARARG_MISMATCH,  /* extra arguments given for a fixed function, or the copy differs */
  LP_CO_PC_OUTSIDE_CODE,
  LP_CO_NOT_AT_CALL,      /* the instruction before pc makes no call */
  LP_CO_CALLEE_OUTSIDE,   /* the call's function slot is outside the caller's registers */
  LP_CO_LUA_ON_TOP,       /* the top frame must be the C function that yielded */
  LP_CO_YIELDED_NOT_TOP,
  LP_CO_NOT_C_FUNCTION,   /* the yielded frame's slot holds no C function */
  LP_CO_NOT_PCALL,        /* a pcall/xpcall frame whose slot holds another function */
  LP_CO_PCALL_ON_TOP,
  LP_CO_UNKNOWN_KIND,
  LP_CO_TOO_LARGE,        /* the frame's registers would pass Lua's stack limit */
  LP_CO_TAIL_CALL_TO_LUA, /* a frame stopped at a tail call to a Lua function */
  LP_CO_UNKNOWN_FLAGS
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

static int is_c_function(const TValue *f) { return ttislcf(f) || ttisCclosure(f); }

static lua_CFunction c_function_of(const TValue *f) {
  if (ttislcf(f)) return fvalue(f);
  if (ttisCclosure(f)) return clCvalue(f)->f;
  return NULL;
}

/* Computes and checks where each of the n frames lies on co's stack, whose values occupy
   slots 1 .. top-1. On success fills func/base/top/nresults/callstatus of each frame and
   *max_top (the highest slot a frame may use); on failure returns a code, the frame's
   index in *failed and a detail (the function's code size, the opcode) in *detail. */
int lp_co_layout(lua_State *co, int top, struct lp_co_frame *frames, int n,
                 lua_CFunction pcall, lua_CFunction xpcall, int *max_top, int *failed,
                 int *detail) {
  int func0 = 1;              /* where the function of the next frame sits */
  int nresults = LUA_MULTRET; /* what its caller expects */
  int fresh = 1;              /* it was called by luaD_call (a fresh luaV_execute) */
  int highest = top + LUA_MINSTACK;
  int i;
  *detail = 0;
  if (n <= 0) {
    *failed = 0;
    return LP_CO_NO_FRAMES;
  }
  for (i = 0; i < n; i++) {
    struct lp_co_frame *fr = &frames[i];
    int last = (i == n - 1);
    const TValue *f;
    int called_fresh = fresh;
    *failed = i;
    if (func0 < 1 || func0 >= top) return LP_CO_OUTSIDE_STACK;
    f = s2v(co->stack.p + func0);
    fr->nresults = nresults;
    if (fr->kind == LP_FRAME_LUA) {
      const Proto *p;
      int func = func0, base, frame_top, a;
      Instruction inst;
      if (last) return LP_CO_LUA_ON_TOP;
      if (!ttisLclosure(f)) return LP_CO_NOT_LUA_FUNCTION;
      if (fr->tail & ~1) return LP_CO_UNKNOWN_FLAGS;
      p = clLvalue(f)->p;
      if (p->is_vararg) {
        /* luaT_adjustvarargs moved the function and its fixed parameters above the
           arguments: the frame's function is that copy. */
        if (fr->extra < 0 || fr->extra >= top) return LP_CO_VARARG_MISMATCH;
        func = func0 + p->numparams + fr->extra + 1;
        if (func >= top) return LP_CO_OUTSIDE_STACK;
        if (!ttisLclosure(s2v(co->stack.p + func)) ||
            clLvalue(s2v(co->stack.p + func)) != clLvalue(f))
          return LP_CO_VARARG_MISMATCH;
      } else if (fr->extra != 0) {
        return LP_CO_VARARG_MISMATCH;
      }
      base = func + 1;
      if (p->maxstacksize > LUAI_MAXSTACK - base) return LP_CO_TOO_LARGE;
      frame_top = base + p->maxstacksize;
      *detail = p->sizecode;
      /* savedpc is the next instruction; the one before it is the call that is waiting
         (a call is never a function's last instruction: a return follows). */
      if (fr->pc < 1 || fr->pc >= p->sizecode) return LP_CO_PC_OUTSIDE_CODE;
      inst = p->code[fr->pc - 1];
      a = GETARG_A(inst);
      *detail = GET_OPCODE(inst);
      switch (GET_OPCODE(inst)) {
        case OP_CALL:
          func0 = base + a;
          nresults = GETARG_C(inst) - 1;
          fresh = 0;
          break;
        case OP_TAILCALL:
          /* A Lua callee would have replaced this frame: only a C function can wait here. */
          if (frames[i + 1].kind == LP_FRAME_LUA) return LP_CO_TAIL_CALL_TO_LUA;
          func0 = base + a;
          nresults = LUA_MULTRET;
          fresh = 0;
          break;
        case OP_TFORCALL:
          func0 = base + a + 4;
          nresults = GETARG_C(inst);
          fresh = 1; /* luaD_call */
          break;
        default:
          return LP_CO_NOT_AT_CALL;
      }
      if (func0 >= frame_top) return LP_CO_CALLEE_OUTSIDE;
      fr->func = func;
      fr->base = base;
      fr->top = frame_top;
      fr->callstatus = (called_fresh ? CIST_FRESH : 0) | (fr->tail ? CIST_TAIL : 0);
      if (frame_top > highest) highest = frame_top;
    } else if (fr->kind == LP_FRAME_YIELDED) {
      if (!last) return LP_CO_YIELDED_NOT_TOP;
      if (!is_c_function(f)) return LP_CO_NOT_C_FUNCTION;
      fr->func = func0;
      fr->base = func0 + 1;
      fr->top = func0 + 1 + LUA_MINSTACK > top ? func0 + 1 + LUA_MINSTACK : top;
      fr->callstatus = CIST_C;
      if (fr->top > highest) highest = fr->top;
    } else if (fr->kind == LP_FRAME_PCALL || fr->kind == LP_FRAME_XPCALL) {
      int xp = (fr->kind == LP_FRAME_XPCALL);
      lua_CFunction expected = xp ? xpcall : pcall;
      if (last) return LP_CO_PCALL_ON_TOP;
      if (expected == NULL || c_function_of(f) != expected || !ttislcf(f))
        return LP_CO_NOT_PCALL;
      fr->func = func0;
      fr->base = func0 + 1;
      /* pcall: pcall, true, f, args; xpcall: xpcall, f, handler, true, f, args. */
      func0 += xp ? 4 : 2;
      fr->top = func0 + 1 > fr->base + LUA_MINSTACK ? func0 + 1 : fr->base + LUA_MINSTACK;
      fr->callstatus = CIST_C | CIST_YPCALL | CIST_OAH;
      if (fr->top > highest) highest = fr->top;
      nresults = LUA_MULTRET;
      fresh = 1;
    } else {
      return LP_CO_UNKNOWN_KIND;
    }
  }
  if (highest > LUAI_MAXSTACK) {
    *failed = n - 1;
    return LP_CO_TOO_LARGE;
  }
  *max_top = highest;
  return LP_CO_OK;
}

/* Why a live coroutine cannot be written (lp_co_read; NotPersistable in the Rust half). */
enum {
  LP_READ_OK,
  LP_READ_IN_HOOK,       /* it yielded inside a hook, or a finalizer runs in it */
  LP_READ_IN_METAMETHOD, /* a Lua frame waits for a metamethod, not for a call */
  LP_READ_IN_CLOSE,      /* it yielded inside a __close handler */
  LP_READ_CONTINUATION,  /* the C function that yielded has a continuation */
  LP_READ_ACROSS_C,      /* a C function other than pcall/xpcall waits in it */
  LP_READ_UNEXPECTED     /* its frames are not laid out as lp_co_layout computes */
};

/* The number of frames of co above its base. */
int lp_co_frame_count(lua_State *co) {
  int n = 0;
  const CallInfo *ci;
  for (ci = co->ci; ci != &co->base_ci; ci = ci->previous) n++;
  return n;
}

/* Describes the n frames of the suspended coroutine co (n from lp_co_frame_count), bottom
   first, and checks that lp_co_layout puts every one where it is. Returns LP_READ_OK or
   why it cannot be written, with the frame's index in *failed. */
int lp_co_read(lua_State *co, struct lp_co_frame *frames, int n, lua_CFunction pcall,
               lua_CFunction xpcall, int *failed) {
  const CallInfo *ci = &co->base_ci;
  int i, max_top, layout_failed, detail;
  for (i = 0; i < n; i++) {
    struct lp_co_frame *fr = &frames[i];
    int last = (i == n - 1);
    unsigned short status;
    ci = ci->next;
    status = ci->callstatus;
    *failed = i;
    fr->pc = fr->extra = fr->tail = 0;
    if (status & (CIST_HOOKED | CIST_HOOKYIELD | CIST_FIN | CIST_TRAN))
      return LP_READ_IN_HOOK;
    if ((status & CIST_CLSRET) || getcistrecst(ci) != 0) return LP_READ_IN_CLOSE;
    if (isLua(ci)) {
      const Proto *p = clLvalue(s2v(ci->func.p))->p;
      int pc = cast_int(ci->u.l.savedpc - p->code);
      if (last) return LP_READ_IN_HOOK; /* Lua yields only from hooks */
      switch (GET_OPCODE(p->code[pc - 1])) {
        case OP_CALL: case OP_TAILCALL: case OP_TFORCALL: break;
        case OP_CLOSE: case OP_RETURN: return LP_READ_IN_CLOSE;
        default: return LP_READ_IN_METAMETHOD;
      }
      fr->kind = LP_FRAME_LUA;
      fr->pc = pc;
      fr->extra = p->is_vararg ? ci->u.l.nextraargs : 0;
      fr->tail = (status & CIST_TAIL) != 0;
    } else if (last) {
      if (ci->u.c.k != NULL) return LP_READ_CONTINUATION;
      fr->kind = LP_FRAME_YIELDED;
    } else {
      lua_CFunction f = c_function_of(s2v(ci->func.p));
      int protected_call = (status & CIST_YPCALL) && ci->u.c.k != NULL && f != NULL;
      if (protected_call && f == pcall && ci->u.c.ctx == 0)
        fr->kind = LP_FRAME_PCALL;
      else if (protected_call && f == xpcall && ci->u.c.ctx == 2)
        fr->kind = LP_FRAME_XPCALL;
      else
        return LP_READ_ACROSS_C;
      if (!(status & CIST_OAH)) return LP_READ_IN_HOOK;
    }
  }
  if (lp_co_layout(co, cast_int(co->top.p - co->stack.p), frames, n, pcall, xpcall, &max_top,
                   &layout_failed, &detail) != LP_CO_OK) {
    *failed = layout_failed;
    return LP_READ_UNEXPECTED;
  }
  /* What the bytes do not hold must be what the layout computes. */
  ci = &co->base_ci;
  for (i = 0; i < n; i++) {
    const struct lp_co_frame *fr = &frames[i];
    ci = ci->next;
    *failed = i;
    if (ci->func.p != co->stack.p + fr->func || ci->nresults != fr->nresults)
      return LP_READ_UNEXPECTED;
    if (fr->kind == LP_FRAME_LUA) {
      if (ci->top.p != co->stack.p + fr->top ||
          (ci->callstatus & (CIST_FRESH | CIST_TAIL)) != fr->callstatus)
        return LP_READ_UNEXPECTED;
    } else if (fr->kind != LP_FRAME_YIELDED) {
      int called = fr->func + (fr->kind == LP_FRAME_XPCALL ? 4 : 2);
      if (ci->u2.funcidx != cast_int(savestack(co, co->stack.p + called)))
        return LP_READ_UNEXPECTED;
    }
  }
  return LP_READ_OK;
}

/* The open upvalues of co, highest slot first (Lua's order): up to cap slots and
   identities (as lua_upvalueid gives them). Returns how many there are. */
int lp_co_open_upvalues(lua_State *co, int *slots, void **ids, int cap) {
  int n = 0;
  UpVal *uv;
  for (uv = co->openupval; uv != NULL; uv = uv->u.open.next, n++) {
    if (n < cap) {
      slots[n] = cast_int(uplevel(uv) - co->stack.p);
      ids[n] = uv;
    }
  }
  return n;
}

/* The slots of co's pending to-be-closed variables, highest first: up to cap of them.
   Returns how many there are. */
int lp_co_tbc_slots(lua_State *co, int *slots, int cap) {
  int n = 0;
  StkId tbc = co->tbclist.p;
  while (tbc > co->stack.p) {
    if (n < cap) slots[n] = cast_int(tbc - co->stack.p);
    n++;
    tbc -= tbc->tbclist.delta;
    while (tbc > co->stack.p && tbc->tbclist.delta == 0) tbc -= LP_MAXDELTA; /* dummy nodes */
  }
  return n;
}

/* Pushes the value in co's stack slot (below its top) onto L, which has room for it. */
void lp_co_push_slot(lua_State *L, lua_State *co, int slot) {
  setobj2s(L, L->top.p, s2v(co->stack.p + slot));
  L->top.p++;
}

/* Whether the value in co's slot can be a pending to-be-closed variable: not false, and
   with a __close metamethod (luaF_newtbcupval's test). */
int lp_co_closable(lua_State *co, int slot) {
  const TValue *o = s2v(co->stack.p + slot);
  return !l_isfalse(o) && !notm(luaT_gettmbyobj(co, o, TM_CLOSE));
}

/* Makes an open upvalue of co at slot (below co's top once its values are in place) and
   appends it to co's list, whose end *tail remembers (NULL at first): a new one when owner
   is 0, else the upvalue n of the Lua closure at index owner of L, which is closed and
   shared by every closure that holds it, so all of them see the slot from now on. Objects
   are allocated on L, where a failure raises inside the decoder's protected call.
   Returns 0, or 1 when that upvalue is open already. */
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
  LClosure *cl;
  UpVal *uv;
  if (lua_type(L, f) != LUA_TFUNCTION || o == NULL || o->tt != LUA_VLCL) return 1;
  cl = gco2lcl((GCObject *)o);
  if (n < 1 || n > cl->nupvalues) return 1;
  for (uv = co->openupval; uv != NULL; uv = uv->u.open.next) {
    if (uplevel(uv) == co->stack.p + slot) {
      cl->upvals[n - 1] = uv;
      luaC_objbarrier(L, cl, uv);
      return 0;
    }
  }
  return 1;
}

/* Turns co (a new thread whose values fill slots 1 .. top-1, open upvalues in place) into
   the suspended coroutine of the n frames that lp_co_layout checked and placed, with
   pending to-be-closed variables at the ntbc slots (ascending, checked by the caller).
   Returns 0, or 1 when memory ran out, leaving co a plain thread. */
int lp_co_build(lua_State *co, const struct lp_co_frame *frames, int n, int max_top,
                const int *tbc, int ntbc) {
  CallInfo *ci;
  ptrdiff_t errfunc = 0;
  int i, spare = 0;
  /* Room first, and every frame, linked after the base as Lua's spare frames are. None of
     these raises an error on co (which has no handler of its own). */
  if (!lua_checkstack(co, max_top - cast_int(co->top.p - co->stack.p))) return 1;
  for (ci = co->base_ci.next; ci != NULL; ci = ci->next) spare++;
  for (; spare < n; spare++)
    if (luaE_extendCI(co, 0) == NULL) return 1;
  ci = &co->base_ci;
  for (i = 0; i < n; i++) {
    const struct lp_co_frame *fr = &frames[i];
    ci = ci->next;
    ci->func.p = co->stack.p + fr->func;
    ci->top.p = co->stack.p + fr->top;
    ci->nresults = cast(short, fr->nresults);
    ci->callstatus = cast(unsigned short, fr->callstatus);
    if (fr->kind == LP_FRAME_LUA) {
      ci->u.l.savedpc = clLvalue(s2v(ci->func.p))->p->code + fr->pc;
      ci->u.l.trap = co->hookmask != 0;
      ci->u.l.nextraargs = fr->extra;
    } else if (fr->kind == LP_FRAME_YIELDED) {
      ci->u.c.k = NULL;
      ci->u.c.ctx = 0;
      ci->u.c.old_errfunc = errfunc;
      ci->u2.nyield = 0;
    } else {
      int xp = (fr->kind == LP_FRAME_XPCALL);
      ci->u.c.k = lp_finishpcall;
      ci->u.c.ctx = xp ? 2 : 0;
      ci->u.c.old_errfunc = errfunc;
      ci->u2.funcidx = cast_int(savestack(co, co->stack.p + fr->func + (xp ? 4 : 2)));
      /* lua_pcallk: the handler is xpcall's second argument; pcall has none. */
      errfunc = xp ? savestack(co, co->stack.p + fr->func + 2) : 0;
    }
  }
  co->tbclist.p = co->stack.p;
  for (i = 0; i < ntbc; i++) {
    StkId level = co->stack.p + tbc[i];
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
  return 0;
}
