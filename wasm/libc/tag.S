# The exception tag that __wasm_longjmp throws and the sjlj-lowered code catches
# (tag index 1 in __builtin_wasm_throw). Newer clangs reference it without defining it.
.globl __c_longjmp
.tagtype __c_longjmp i32
__c_longjmp:
