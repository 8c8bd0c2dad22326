/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). "C" locale only. */
#ifndef _LP_CTYPE_H
#define _LP_CTYPE_H
int isalnum(int c); int isalpha(int c); int iscntrl(int c); int isdigit(int c);
int isgraph(int c); int islower(int c); int isprint(int c); int ispunct(int c);
int isspace(int c); int isupper(int c); int isxdigit(int c);
int tolower(int c); int toupper(int c);
#endif
