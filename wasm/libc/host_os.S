# The runner's module's imports (module "lp_os", feature host-files): the host's files
# and environment, for Lua's io and os libraries and for loadfile, dofile and require
# (wasm/libc/host_files.c uses them; docs/runner-module.md describes each). cu's module
# does not have them. As in imports.S, each is called through a wrapper that catches
# whatever the host throws, so no JavaScript exception unwinds through Lua's C frames:
# a throw becomes -EIO (5), the failure a host reports for an I/O error.
.functype lp_os_import_file_open (i32, i32, i32) -> (i32)
.import_module lp_os_import_file_open, lp_os
.import_name lp_os_import_file_open, file_open
.functype lp_os_import_file_read (i32, i32, i32, f64) -> (i32)
.import_module lp_os_import_file_read, lp_os
.import_name lp_os_import_file_read, file_read
.functype lp_os_import_file_write (i32, i32, i32, f64) -> (i32)
.import_module lp_os_import_file_write, lp_os
.import_name lp_os_import_file_write, file_write
.functype lp_os_import_file_size (i32) -> (f64)
.import_module lp_os_import_file_size, lp_os
.import_name lp_os_import_file_size, file_size
.functype lp_os_import_file_close (i32) -> (i32)
.import_module lp_os_import_file_close, lp_os
.import_name lp_os_import_file_close, file_close
.functype lp_os_import_remove (i32, i32) -> (i32)
.import_module lp_os_import_remove, lp_os
.import_name lp_os_import_remove, remove
.functype lp_os_import_rename (i32, i32, i32, i32) -> (i32)
.import_module lp_os_import_rename, lp_os
.import_name lp_os_import_rename, rename
.functype lp_os_import_tmpname (i32, i32) -> (i32)
.import_module lp_os_import_tmpname, lp_os
.import_name lp_os_import_tmpname, tmpname
.functype lp_os_import_getenv (i32, i32, i32, i32) -> (i32)
.import_module lp_os_import_getenv, lp_os
.import_name lp_os_import_getenv, getenv
.functype lp_os_import_isatty (i32) -> (i32)
.import_module lp_os_import_isatty, lp_os
.import_name lp_os_import_isatty, isatty

  .section .text.lp_os_file_open,"",@
  .globl lp_os_file_open
  .type lp_os_file_open,@function
lp_os_file_open:
  .functype lp_os_file_open (i32, i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    call lp_os_import_file_open
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_file_read,"",@
  .globl lp_os_file_read
  .type lp_os_file_read,@function
lp_os_file_read:
  .functype lp_os_file_read (i32, i32, i32, f64) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    call lp_os_import_file_read
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_file_write,"",@
  .globl lp_os_file_write
  .type lp_os_file_write,@function
lp_os_file_write:
  .functype lp_os_file_write (i32, i32, i32, f64) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    call lp_os_import_file_write
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_file_size,"",@
  .globl lp_os_file_size
  .type lp_os_file_size,@function
lp_os_file_size:
  .functype lp_os_file_size (i32) -> (f64)
  try f64
    local.get 0
    call lp_os_import_file_size
  catch_all
    f64.const -0x1.4p2
  end_try
  end_function

  .section .text.lp_os_file_close,"",@
  .globl lp_os_file_close
  .type lp_os_file_close,@function
lp_os_file_close:
  .functype lp_os_file_close (i32) -> (i32)
  try i32
    local.get 0
    call lp_os_import_file_close
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_remove,"",@
  .globl lp_os_remove
  .type lp_os_remove,@function
lp_os_remove:
  .functype lp_os_remove (i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    call lp_os_import_remove
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_rename,"",@
  .globl lp_os_rename
  .type lp_os_rename,@function
lp_os_rename:
  .functype lp_os_rename (i32, i32, i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    call lp_os_import_rename
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_tmpname,"",@
  .globl lp_os_tmpname
  .type lp_os_tmpname,@function
lp_os_tmpname:
  .functype lp_os_tmpname (i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    call lp_os_import_tmpname
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_getenv,"",@
  .globl lp_os_getenv
  .type lp_os_getenv,@function
lp_os_getenv:
  .functype lp_os_getenv (i32, i32, i32, i32) -> (i32)
  try i32
    local.get 0
    local.get 1
    local.get 2
    local.get 3
    call lp_os_import_getenv
  catch_all
    i32.const -5
  end_try
  end_function

  .section .text.lp_os_isatty,"",@
  .globl lp_os_isatty
  .type lp_os_isatty,@function
lp_os_isatty:
  .functype lp_os_isatty (i32) -> (i32)
  try i32
    local.get 0
    call lp_os_import_isatty
  catch_all
    i32.const -5
  end_try
  end_function
