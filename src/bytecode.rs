//! Checks of Lua 5.4 binary chunks before Lua loads them: the header against this build, and
//! a walk through the function tree as `lundump.c` reads it, so that counts the bytes do not
//! back, or a closure upvalue count that differs from its function's, are refused before they
//! make the loader allocate or read past a closure. Running corrupt bytecode stays unsafe;
//! the trust policy (`trust.rs`) decides whether bytecode loads at all.

use crate::format::FunctionSerializationError;

/// Checks a Lua 5.4 binary chunk's header against this build (version, format, sizes of
/// Instruction, lua_Integer and lua_Number, and the test values) before Lua loads it.
pub fn validate_bytecode(bytecode: &[u8]) -> Result<(), FunctionSerializationError> {
    let invalid = |reason: &str| {
        Err(FunctionSerializationError::InvalidBytecode {
            reason: reason.to_string(),
        })
    };
    let Some(header) = bytecode.get(..31) else {
        return invalid("shorter than the 31-byte Lua 5.4 header");
    };
    if &header[..4] != b"\x1bLua" {
        return invalid("not a Lua binary chunk (no \\x1bLua signature)");
    }
    if header[4] != 0x54 {
        return invalid(&format!("Lua version 0x{:02x}, not 5.4", header[4]));
    }
    if header[5] != 0 {
        return invalid("not the official format");
    }
    if &header[6..12] != b"\x19\x93\r\n\x1a\n" {
        return invalid("corrupted header (line-ending conversion?)");
    }
    if header[12..15] != [4, 8, 8] {
        return invalid("Instruction, lua_Integer or lua_Number has another size");
    }
    if header[15..23] != 0x5678i64.to_le_bytes() || header[23..31] != 370.5f64.to_le_bytes() {
        return invalid("another integer or float format (byte order)");
    }
    // The closure's upvalue slots (byte 31) must match the function's own upvalue count:
    // Lua only asserts it, and reading an upvalue past the slots would read past the closure.
    // The walk also rejects counts that the chunk's bytes do not back.
    let slots = bytecode.get(31).copied();
    match (slots, main_function_upvalues(bytecode)) {
        (Some(slots), Some(count)) if slots as usize == count => Ok(()),
        (Some(slots), Some(count)) => invalid(&format!(
            "the chunk gives its closure {slots} upvalue slots, but the function has {count}"
        )),
        _ => invalid("truncated or malformed function (a count exceeds the bytes that follow it)"),
    }
}

/// Walks a chunk's function tree as `lundump.c` reads it and returns the main function's
/// upvalue count. Every count in a chunk is followed by at least one byte per element, so a
/// chunk that walks to its end claims no more than its size: Lua's loader, which allocates
/// each vector before reading it, then allocates at most a small multiple of the input.
fn main_function_upvalues(bytecode: &[u8]) -> Option<usize> {
    let mut reader = ChunkReader {
        bytes: bytecode,
        pos: 32,
    };
    let upvalues = reader.function(0)?;
    (reader.pos == bytecode.len()).then_some(upvalues)
}

struct ChunkReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl ChunkReader<'_> {
    /// Lua's unsigned varint: 7 bits a byte, most significant first; the last has 0x80.
    fn varint(&mut self) -> Option<usize> {
        // Most are one byte (small counts and line numbers).
        let first = *self.bytes.get(self.pos)?;
        if first & 0x80 != 0 {
            self.pos += 1;
            return Some((first & 0x7f) as usize);
        }
        let mut x: usize = 0;
        loop {
            let b = *self.bytes.get(self.pos)?;
            self.pos += 1;
            x = x.checked_mul(128)? | (b & 0x7f) as usize;
            if b & 0x80 != 0 {
                return Some(x);
            }
        }
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        (end <= self.bytes.len()).then(|| self.pos = end)
    }

    /// A string: its size + 1 (0 for none), then its bytes.
    fn string(&mut self) -> Option<()> {
        let size = self.varint()?;
        self.skip(size.saturating_sub(1))
    }

    /// A count, then `count` elements of at least one byte each, read by `element`.
    fn elements(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<usize> {
        let n = self.varint()?;
        if n > self.bytes.len() - self.pos {
            return None; // more elements than bytes left
        }
        for _ in 0..n {
            element(self)?;
        }
        Some(n)
    }

    /// A count, then `count` elements of `size` bytes each.
    fn fixed_elements(&mut self, size: usize) -> Option<usize> {
        let n = self.varint()?;
        self.skip(n.checked_mul(size)?)?;
        Some(n)
    }

    /// One function (dumpFunction in ldump.c); returns its upvalue count.
    fn function(&mut self, depth: usize) -> Option<usize> {
        if depth > 200 {
            return None; // deeper than Lua's parser nests functions
        }
        self.string()?; // source
        self.varint()?; // linedefined
        self.varint()?; // lastlinedefined
        self.skip(3)?; // numparams, is_vararg, maxstacksize
        let code = self.varint()?;
        self.skip(code.checked_mul(4)?)?;
        self.elements(|r| {
            let tag = *r.bytes.get(r.pos)?;
            r.pos += 1;
            match tag {
                0 | 1 | 17 => Some(()), // nil, false, true
                3 | 19 => r.skip(8),    // integer, float
                4 | 20 => r.string(),   // short, long string
                _ => None,
            }
        })?;
        let upvalues = self.fixed_elements(3)?; // instack, idx, kind
        self.elements(|r| r.function(depth + 1).map(|_| ()))?; // nested functions
        self.fixed_elements(1)?; // lineinfo
        self.elements(|r| r.varint().and_then(|_| r.varint()).map(|_| ()))?; // abslineinfo
        self.elements(|r| {
            r.string()?;
            r.varint()?;
            r.varint().map(|_| ())
        })?; // local variables
        self.elements(|r| r.string())?; // upvalue names
        Some(upvalues)
    }
}
