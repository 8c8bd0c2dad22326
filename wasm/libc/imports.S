# The host's imports (cu's names, module "env"), each called through a wrapper that catches
# whatever the host throws. A JavaScript exception must not unwind through Lua's C frames:
# it would skip Lua's own bookkeeping (its C-call counter, the open protected calls) and
# leave the state corrupt. The wrappers turn it into the failure result of each import,
# which the module reports as a Lua error (src/wasm/host_store.rs) or a zero clock.

.functype js_ext_table_set (i32, i32, i32, i32, i32) -> (i32)
.import_module js_ext_table_set, env
.import_name js_ext_table_set, js_ext_table_set
.functype js_ext_table_get (i32, i32, i32, i32, i32) -> (i32)
.import_module js_ext_table_get, env
.import_name js_ext_table_get, js_ext_table_get
.functype js_ext_table_size (i32) -> (i32)
.import_module js_ext_table_size, env
.import_name js_ext_table_size, js_ext_table_size
.functype js_time_now () -> (f64)
.import_module js_time_now, env
.import_name js_time_now, js_time_now

  .section .text.lp_host_ext_table_set,"",@
  .globl lp_host_ext_table_set
  .type lp_host_ext_table_set,@function
lp_host_ext_table_set:            # failure: 1, as a host's non-zero result
  .functype lp_host_ext_table_set (i32, i32, i32, i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    local.get 4
    call js_ext_table_set
  catch_all
    i32.const 1
  end_try
  end_function

  .section .text.lp_host_ext_table_get,"",@
  .globl lp_host_ext_table_get
  .type lp_host_ext_table_get,@function
lp_host_ext_table_get:            # failure: -2, below cu's -1 ("missing")
  .functype lp_host_ext_table_get (i32, i32, i32, i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    local.get 4
    call js_ext_table_get
  catch_all
    i32.const -2
  end_try
  end_function

  .section .text.lp_host_ext_table_size,"",@
  .globl lp_host_ext_table_size
  .type lp_host_ext_table_size,@function
lp_host_ext_table_size:           # failure: -2
  .functype lp_host_ext_table_size (i32) -> (i32)
  try i32
    local.get 0
    call js_ext_table_size
  catch_all
    i32.const -2
  end_try
  end_function

  .section .text.lp_host_time_now,"",@
  .globl lp_host_time_now
  .type lp_host_time_now,@function
lp_host_time_now:                 # failure: 0 (the epoch)
  .functype lp_host_time_now () -> (f64)
  try f64
    call js_time_now
  catch_all
    f64.const 0x0p0
  end_try
  end_function
