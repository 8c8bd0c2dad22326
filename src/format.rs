//! The wire format's vocabulary (FORMAT.md): the type tags, the errors of encoding and
//! decoding, the limits, and where encoded bytes go. Everything that reads or writes the
//! format uses these; `serializer` and `function_serializer` re-export them under cu's
//! names.

/// The type tag that starts every encoded value. cu's tags (0x00–0x07) keep cu's meaning.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializationType {
    Nil = 0x00,
    Boolean = 0x01,
    Integer = 0x02,
    Float = 0x03,
    String = 0x04,
    /// cu: a Lua function as `string.dump` bytecode; loads with upvalue 1 = globals.
    FunctionBytecode = 0x05,
    /// cu: a C function by index in cu's 66-name table; 0xFFFF = "unsupported".
    FunctionRef = 0x06,
    /// cu: an external table by id.
    TableRef = 0x07,
    /// A table, inline: array part, hash part, metatable.
    Table = 0x08,
    /// A table or function already encoded in this payload (shared references, cycles).
    Reference = 0x09,
    /// A Lua function with its upvalues.
    Closure = 0x0A,
    /// A C function by its registry name, e.g. `string.format`.
    CFunction = 0x0B,
    /// An HMAC-SHA-256-signed value (bytecode trust policy "authenticate").
    Signed = 0x0C,
    /// The globals table of the state that decodes.
    Globals = 0x0D,
    /// A coroutine that has not started (with its function) or is dead.
    Coroutine = 0x0E,
}

impl SerializationType {
    /// The payload length of a scalar: nil, a boolean, a number, or the globals table;
    /// `None` for every other tag.
    pub fn scalar_payload_len(self) -> Option<usize> {
        match self {
            SerializationType::Nil | SerializationType::Globals => Some(0),
            SerializationType::Boolean => Some(1),
            SerializationType::Integer | SerializationType::Float => Some(8),
            _ => None,
        }
    }

    pub fn from_tag(tag: u8) -> Option<Self> {
        use SerializationType::*;
        Some(match tag {
            0x00 => Nil,
            0x01 => Boolean,
            0x02 => Integer,
            0x03 => Float,
            0x04 => String,
            0x05 => FunctionBytecode,
            0x06 => FunctionRef,
            0x07 => TableRef,
            0x08 => Table,
            0x09 => Reference,
            0x0A => Closure,
            0x0B => CFunction,
            0x0C => Signed,
            0x0D => Globals,
            0x0E => Coroutine,
            _ => return None,
        })
    }
}

/// What is wrong with a suspended coroutine's bytes (FORMAT.md, tag 0x0E state 02).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoroutineProblem {
    #[error("a stack of {slots} slots is too large")]
    StackTooLarge { slots: u32 },
    #[error("slot {slot} outside 1..{slots} or out of order")]
    SlotOutOfRange { slot: u32, slots: u32 },
    #[error("the {what} in slot {slot} is in no Lua frame")]
    SlotOutsideLuaFrame { slot: u32, what: &'static str },
    #[error("the to-be-closed value in slot {slot} has no __close")]
    NotClosable { slot: u32 },
    #[error("upvalue {upvalue} is open already")]
    UpvalueAlreadyOpen { upvalue: u32 },
    #[error("no frames")]
    NoFrames,
    #[error("{frames} frames for {slots} slots")]
    TooManyFrames { frames: u32, slots: u32 },
    #[error("frame {frame}: unknown kind {kind}")]
    UnknownFrameKind { frame: u32, kind: u8 },
    #[error("frame {frame}: {problem}")]
    Frame { frame: u32, problem: FrameProblem },
}

/// What is wrong with one frame of a suspended coroutine, checked against the function the
/// frame belongs to and the frame below it before the coroutine exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameProblem {
    /// Its function's slot is not below the stack top.
    OutsideStack,
    /// A Lua frame whose slot holds no Lua function.
    NotLuaFunction,
    /// Extra arguments for a function without varargs, or a vararg copy that differs.
    VarargMismatch,
    /// Its next instruction is outside its function's code.
    PcOutsideCode,
    /// The instruction before its next one makes no call.
    NotAtCall,
    /// The function it calls lies outside its registers.
    CalleeOutside,
    /// A Lua frame on top (the top frame is the C function that yielded).
    LuaOnTop,
    /// A frame of the C function that yielded below the top.
    YieldedNotOnTop,
    /// A yielded frame whose slot holds no C function.
    NotCFunction,
    /// A pcall/xpcall frame whose slot holds another function than this state's.
    NotPcall,
    /// A pcall frame on top.
    PcallOnTop,
    /// Its registers pass Lua's stack limit.
    TooLarge,
    /// It waits at a tail call to a Lua function.
    TailCallToLua,
    /// Unknown flags.
    UnknownFlags,
}

impl FrameProblem {
    const ALL: [FrameProblem; 14] = [
        FrameProblem::OutsideStack,
        FrameProblem::NotLuaFunction,
        FrameProblem::VarargMismatch,
        FrameProblem::PcOutsideCode,
        FrameProblem::NotAtCall,
        FrameProblem::CalleeOutside,
        FrameProblem::LuaOnTop,
        FrameProblem::YieldedNotOnTop,
        FrameProblem::NotCFunction,
        FrameProblem::NotPcall,
        FrameProblem::PcallOnTop,
        FrameProblem::TooLarge,
        FrameProblem::TailCallToLua,
        FrameProblem::UnknownFlags,
    ];

    /// The problem with the C file's number (its order here).
    pub(crate) fn from_index(index: usize) -> FrameProblem {
        Self::ALL
            .get(index)
            .copied()
            .unwrap_or(FrameProblem::UnknownFlags)
    }
}

impl core::fmt::Display for FrameProblem {
    /// Its name, which says what is wrong (the docs above say more).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

/// Why a value could not be serialized or deserialized. Messages name the value (by its
/// path from the top value, e.g. `.config.handlers[2]`) or the limit involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SerializationError {
    #[error("the buffer holds {capacity} bytes; the value needs more")]
    BufferTooSmall { capacity: usize },
    #[error("cannot serialize a {type_name} value{}", at(path))]
    UnsupportedType { type_name: String, path: String },
    #[error("cannot persist the coroutine{}: {why}", at(path))]
    CoroutineNotPersistable { why: String, path: String },
    #[error("unknown coroutine state {state} at offset {offset}")]
    UnknownCoroutineState { state: u8, offset: usize },
    #[error("the coroutine at offset {offset} has no function")]
    CoroutineWithoutFunction { offset: usize },
    #[error("the suspended coroutine at offset {offset} is invalid: {problem}")]
    InvalidCoroutine {
        offset: usize,
        problem: CoroutineProblem,
    },
    #[error("nesting deeper than the limit of {limit} levels{}", at(path))]
    DepthLimitExceeded { limit: usize, path: String },
    #[error("payload larger than the limit of {limit} bytes")]
    SizeLimitExceeded { limit: usize },
    #[error("more than the limit of {limit} table entries")]
    EntryLimitExceeded { limit: usize },
    #[error(
        "a string of {len} bytes is longer than the format's 4 GiB limit{}",
        at(path)
    )]
    StringTooLong { len: usize, path: String },
    #[error("truncated input: {needed} more bytes needed at offset {offset}")]
    Truncated { offset: usize, needed: usize },
    #[error("unknown type tag 0x{tag:02x} at offset {offset}")]
    UnknownTag { tag: u8, offset: usize },
    #[error("{len} bytes after the value at offset {offset}")]
    TrailingBytes { offset: usize, len: usize },
    #[error(
        "reference to object #{index} at offset {offset}, but only {known} objects precede it"
    )]
    InvalidReference {
        index: u32,
        known: u32,
        offset: usize,
    },
    #[error("a table key is {what} at offset {offset}")]
    InvalidKey { what: &'static str, offset: usize },
    #[error("a metatable is not a table at offset {offset}")]
    InvalidMetatable { offset: usize },
    #[error("a signed envelope (0x0C) must be the whole payload; found one at offset {offset}")]
    MisplacedSignature { offset: usize },
    #[error(
        "external table {id} cannot be resolved: no external-table store is attached to this state"
    )]
    UnresolvedTableRef { id: u32 },
    /// A table sink (external tables) could not take a table: a key it cannot store, or
    /// no id for a new table.
    #[error("{reason}")]
    TableSinkRefused { reason: String },
    /// An allocation of the serializer's own buffers failed (Lua's own allocations fail as
    /// Lua errors). In the wasm module, whose memory may not grow, this is what a value too
    /// large for the memory left gives, instead of a trap.
    #[error("not enough memory")]
    OutOfMemory,
    #[error("Lua error while decoding: {0}")]
    Lua(String),
    #[error("{source}{}", at(path))]
    Function {
        source: FunctionSerializationError,
        path: String,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

impl From<crate::fallible::AllocError> for SerializationError {
    fn from(_: crate::fallible::AllocError) -> Self {
        SerializationError::OutOfMemory
    }
}

impl From<FunctionSerializationError> for SerializationError {
    fn from(source: FunctionSerializationError) -> Self {
        SerializationError::Function {
            source,
            path: String::new(),
        }
    }
}

impl SerializationError {
    /// Prefixes the path of a value inside a table or upvalue (built on the way out).
    pub(crate) fn inside(mut self, segment: &str) -> Self {
        match &mut self {
            SerializationError::UnsupportedType { path, .. }
            | SerializationError::CoroutineNotPersistable { path, .. }
            | SerializationError::DepthLimitExceeded { path, .. }
            | SerializationError::StringTooLong { path, .. }
            | SerializationError::Function { path, .. } => path.insert_str(0, segment),
            _ => {}
        }
        self
    }
}

/// Limits and choices for serializing. The defaults suit values stored by a host.
#[derive(Debug, Clone)]
pub struct SerializeOptions {
    /// Strip debug information from bytecode (line numbers, local names). Default true,
    /// as cu does; false keeps line numbers in error messages of restored functions.
    pub strip_debug: bool,
    /// Deepest nesting of tables and closures. Default 100.
    pub max_depth: usize,
    /// Largest payload in bytes. Default 1 GiB.
    pub max_size: usize,
    /// Most table entries in one payload. Default 10 million.
    pub max_entries: usize,
}

impl Default for SerializeOptions {
    fn default() -> Self {
        SerializeOptions {
            strip_debug: true,
            max_depth: 100,
            max_size: 1 << 30,
            max_entries: 10_000_000,
        }
    }
}

/// Limits for deserializing; input beyond them is rejected before it is decoded.
#[derive(Debug, Clone)]
pub struct DeserializeOptions {
    /// Deepest nesting of tables and closures. Default 100.
    pub max_depth: usize,
    /// Largest payload in bytes. Default 1 GiB.
    pub max_size: usize,
    /// Most table entries in one payload. Default 10 million.
    pub max_entries: usize,
}

impl Default for DeserializeOptions {
    fn default() -> Self {
        DeserializeOptions {
            max_depth: 100,
            max_size: 1 << 30,
            max_entries: 10_000_000,
        }
    }
}

// ------------------------------------------------------------------------- output

/// Where encoded bytes go: a fixed buffer or a growable vector.
pub trait Output {
    fn put(&mut self, bytes: &[u8]) -> Result<(), SerializationError>;
    fn len(&self) -> usize;
    /// Overwrites bytes written earlier (a count or signature known only afterwards).
    fn patch(&mut self, at: usize, bytes: &[u8]);
    fn patch_u32(&mut self, at: usize, value: u32) {
        self.patch(at, &value.to_le_bytes());
    }
    /// The bytes written after `from`.
    fn written(&self, from: usize) -> &[u8];
    /// Forgets everything written after `len`.
    fn truncate(&mut self, len: usize);
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The output as a growable vector, when it is one: `lua_dump` then writes into it
    /// directly (its many small writes are most of a function's serialization time).
    fn as_vec(&mut self) -> Option<&mut Vec<u8>> {
        None
    }
}

impl Output for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), SerializationError> {
        if self.capacity() - self.len() < bytes.len() {
            self.try_reserve(bytes.len())
                .map_err(|_| SerializationError::OutOfMemory)?;
        }
        self.extend_from_slice(bytes);
        Ok(())
    }
    fn as_vec(&mut self) -> Option<&mut Vec<u8>> {
        Some(self)
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn written(&self, from: usize) -> &[u8] {
        &self[from..]
    }
    fn truncate(&mut self, len: usize) {
        Vec::truncate(self, len);
    }
}

/// Why a function could not be serialized or restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionSerializationError {
    #[error("not a function (a {type_name} value)")]
    UnsupportedFunctionType { type_name: String },
    #[error("bytecode of {len} bytes is larger than the format's 4 GiB limit")]
    BytecodeTooLarge { len: usize },
    #[error("invalid bytecode: {reason}")]
    InvalidBytecode { reason: String },
    #[error("C function {description} is not serializable: {reason}")]
    CFunctionNotSerializable { description: String, reason: String },
    #[error("upvalue {index} ({name}) of the function cannot be serialized: {cause}")]
    UpvalueSerializationFailed {
        index: u8,
        name: String,
        cause: Box<SerializationError>,
    },
    #[error("no C function named \"{name}\" in this state's registry")]
    UnknownCFunction { name: String },
    #[error("cu's C function index {index} is out of range (0..66)")]
    InvalidCFunctionIndex { index: u16 },
    #[error("function payload refused: this state's bytecode policy is \"refuse\" (values only)")]
    FunctionsRefused,
    #[error("the globals table refused: this state's bytecode policy allows it only in trusted payloads")]
    GlobalsRefused,
    #[error("unsigned function payload refused: this state's bytecode policy is \"authenticate\"")]
    UnsignedBytecode,
    #[error("signature mismatch: the payload was altered or signed with another key")]
    SignatureMismatch,
    #[error("the closure's payload declares {declared} upvalues; its bytecode has {actual}")]
    UpvalueCountMismatch { declared: u8, actual: u8 },
    #[error("upvalue kind 0x{kind:02x} is unknown (0x00 value, 0x01 shared)")]
    UnknownUpvalueKind { kind: u8 },
    #[error("shared upvalue #{index} does not exist ({known} precede it)")]
    InvalidSharedUpvalue { index: u32, known: usize },
}

/// Bounds-checked reads of little-endian fields at a position in an input, for everything
/// that reads the format (the decoder, the pure-bytes walker): running out of input is
/// `Truncated` with the offset and the bytes missing.
pub(crate) trait ReadBytes<'a> {
    /// The whole input and the position in it.
    fn cursor(&mut self) -> (&'a [u8], &mut usize);

    #[inline]
    fn remaining(&mut self) -> usize {
        let (input, pos) = self.cursor();
        input.len() - *pos
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], SerializationError> {
        let (input, pos) = self.cursor();
        let Some(bytes) = input.get(*pos..pos.saturating_add(n)) else {
            return Err(SerializationError::Truncated {
                offset: *pos,
                needed: n - (input.len() - *pos),
            });
        };
        *pos += n;
        Ok(bytes)
    }

    #[inline]
    fn take_u8(&mut self) -> Result<u8, SerializationError> {
        Ok(self.take(1)?[0])
    }

    #[inline]
    fn take_u16(&mut self) -> Result<u16, SerializationError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    #[inline]
    fn take_u32(&mut self) -> Result<u32, SerializationError> {
        let mut out = [0; 4];
        for (o, b) in out.iter_mut().zip(self.take(4)?) {
            *o = *b;
        }
        Ok(u32::from_le_bytes(out))
    }

    #[inline]
    fn take_8(&mut self) -> Result<[u8; 8], SerializationError> {
        // Copied without indexing: no bounds checks (and their panics) in the module.
        let mut out = [0; 8];
        for (o, b) in out.iter_mut().zip(self.take(8)?) {
            *o = *b;
        }
        Ok(out)
    }
}
