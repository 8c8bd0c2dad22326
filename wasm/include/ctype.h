/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). "C" locale only.
   Inline: pattern matching (lstrlib.c's character classes) asks for one of these per
   character it looks at, and a call per character cost more than the test itself.
   Each compares as unsigned, so EOF (-1) and bytes 128..255 are in no class, as in the
   "C" locale. */
#ifndef _LP_CTYPE_H
#define _LP_CTYPE_H
static inline int isdigit(int c) { return (unsigned)c - '0' < 10; }
static inline int islower(int c) { return (unsigned)c - 'a' < 26; }
static inline int isupper(int c) { return (unsigned)c - 'A' < 26; }
/* Setting bit 5 maps 'A'..'Z' onto 'a'..'z' and nothing else onto them. */
static inline int isalpha(int c) { return ((unsigned)c | 32) - 'a' < 26; }
static inline int isalnum(int c) { return isalpha(c) || isdigit(c); }
static inline int isxdigit(int c) { return isdigit(c) || ((unsigned)c | 32) - 'a' < 6; }
static inline int iscntrl(int c) { return (unsigned)c < 32 || c == 127; }
static inline int isgraph(int c) { return (unsigned)c - 33 < 94; }
static inline int isprint(int c) { return (unsigned)c - 32 < 95; }
static inline int ispunct(int c) { return isgraph(c) && !isalnum(c); }
static inline int isspace(int c) { return c == ' ' || (unsigned)c - '\t' < 5; }
static inline int tolower(int c) { return isupper(c) ? c + ('a' - 'A') : c; }
static inline int toupper(int c) { return islower(c) ? c - ('a' - 'A') : c; }
#endif
