//! A pure-bytes reading of FORMAT.md: checks that a payload is one well-formed value and
//! says what it holds (code, external-table references), without creating any Lua object.
//!
//! Bytes from someone else (a dump, a store file) are walked before anything decodes them:
//! a value that holds code must carry a signature that verifies for where it is stored, and
//! only then may the decoder, which creates objects and loads bytecode, see it. The
//! collector of unreachable tables walks stored values the same way to find their `07`
//! references.
//!
//! The walk checks everything the decoder checks that does not need a Lua state: tags,
//! lengths, counts against the bytes left, limits, object and upvalue references, table keys,
//! metatables, bytecode headers and chunk structure, where envelopes may stand. What it
//! cannot check: whether a C function name exists in a state's registry (the decoder's
//! `UnknownCFunction`), and whether bytecode behaves (only a signature or the policy
//! "trust" vouches for that).

use crate::bytecode::validate_bytecode;
use crate::format::{
    CoroutineProblem, DeserializeOptions, FunctionSerializationError, ReadBytes,
    SerializationError, SerializationType,
};
use crate::trust::{envelope_parts, signature_verifies, SignedPlace, SIGNED_HEADER_LEN};

/// What a well-formed payload holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    /// Functions: bytecode (05, 0A) or C functions (06, 0B).
    pub holds_functions: bool,
    /// The globals table (0D), a capability like a function.
    pub holds_globals: bool,
    /// The payload is a signed envelope (0C).
    pub signed: bool,
    /// The external-table ids of its `07` references, each once, in the order first met (0,
    /// which reads as nil, is left out).
    pub table_refs: Vec<u32>,
}

impl Walked {
    /// Something that the policy "authenticate" loads only from a verified envelope.
    pub fn holds_code(&self) -> bool {
        self.holds_functions || self.holds_globals
    }

    /// The error the policy "authenticate" gives for these bytes unsigned.
    pub fn unsigned_error(&self) -> SerializationError {
        if self.holds_functions {
            FunctionSerializationError::UnsignedBytecode.into()
        } else {
            FunctionSerializationError::GlobalsRefused.into()
        }
    }
}

/// Walks `bytes` as one whole value within `limits`.
pub fn walk(bytes: &[u8], limits: &DeserializeOptions) -> Result<Walked, SerializationError> {
    if bytes.len() > limits.max_size {
        return Err(SerializationError::SizeLimitExceeded {
            limit: limits.max_size,
        });
    }
    let mut walker = Walker {
        input: bytes,
        pos: 0,
        limits,
        depth: 0,
        entries: 0,
        objects: Vec::new(),
        upvalues: 0,
        found: Walked::default(),
    };
    walker.value()?;
    if walker.pos != bytes.len() {
        return Err(SerializationError::TrailingBytes {
            offset: walker.pos,
            len: bytes.len() - walker.pos,
        });
    }
    Ok(walker.found)
}

/// Walks `bytes` and checks them as the policy "authenticate" with `key` would at `place`,
/// on the bytes alone (see [`check_signature`]).
pub fn verify_signed(
    bytes: &[u8],
    key: &[u8],
    place: SignedPlace,
    limits: &DeserializeOptions,
) -> Result<Walked, SerializationError> {
    let walked = walk(bytes, limits)?;
    check_signature(&walked, bytes, key, place)?;
    Ok(walked)
}

/// For `bytes` that walked as `walked`: a payload that holds code must be an envelope signed
/// with `key` for `place`, and an envelope's signature must verify whatever it holds.
pub fn check_signature(
    walked: &Walked,
    bytes: &[u8],
    key: &[u8],
    place: SignedPlace,
) -> Result<(), SerializationError> {
    if walked.signed {
        if !signature_verifies(key, place, bytes) {
            return Err(FunctionSerializationError::SignatureMismatch.into());
        }
    } else if walked.holds_code() {
        return Err(walked.unsigned_error());
    }
    Ok(())
}

/// The inside of a whole-payload envelope, unverified; `None` when `payload` is not one.
pub fn envelope_inner(payload: &[u8]) -> Option<&[u8]> {
    envelope_parts(payload).map(|(_, inner)| inner)
}

/// What an object index names, for checking metatables.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Object {
    Table,
    Closure,
    Coroutine,
}

/// What a value turned out to be, as far as its use as a key or metatable matters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Nil,
    NaN,
    Table,
    /// A `07` reference: a table, or nil for id 0.
    TableRef(u32),
    /// A function (cu's `06` may decode to nil in a state without the name: let through).
    Function,
    Other,
}

struct Walker<'a> {
    input: &'a [u8],
    pos: usize,
    limits: &'a DeserializeOptions,
    depth: usize,
    entries: usize,
    objects: Vec<Object>,
    /// Upvalue indices given so far (kind `00` entries).
    upvalues: u32,
    found: Walked,
}

impl<'a> ReadBytes<'a> for Walker<'a> {
    #[inline]
    fn cursor(&mut self) -> (&'a [u8], &mut usize) {
        (self.input, &mut self.pos)
    }
}

impl<'a> Walker<'a> {
    /// Tables and closures nest; the outermost is level 1 (as the decoder counts).
    fn nested<T>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, SerializationError>,
    ) -> Result<T, SerializationError> {
        if self.depth >= self.limits.max_depth {
            return Err(SerializationError::DepthLimitExceeded {
                limit: self.limits.max_depth,
                path: String::new(),
            });
        }
        self.depth += 1;
        let result = body(self);
        self.depth -= 1;
        result
    }

    fn value(&mut self) -> Result<Shape, SerializationError> {
        let offset = self.pos;
        let tag = self.take_u8()?;
        let Some(kind) = SerializationType::from_tag(tag) else {
            return Err(SerializationError::UnknownTag { tag, offset });
        };
        Ok(match kind {
            SerializationType::Nil => Shape::Nil,
            SerializationType::Boolean => {
                self.take(1)?;
                Shape::Other
            }
            SerializationType::Integer => {
                self.take(8)?;
                Shape::Other
            }
            SerializationType::Float => {
                let f = f64::from_le_bytes(self.take_8()?);
                if f.is_nan() {
                    Shape::NaN
                } else {
                    Shape::Other
                }
            }
            SerializationType::String => {
                let len = self.take_u32()? as usize;
                self.take(len)?;
                Shape::Other
            }
            SerializationType::TableRef => {
                let id = self.take_u32()?;
                // A value names few tables: a linear check is smaller than sorting (wasm).
                if id != 0 && !self.found.table_refs.contains(&id) {
                    self.found.table_refs.push(id);
                }
                Shape::TableRef(id)
            }
            SerializationType::Table => {
                self.table()?;
                Shape::Table
            }
            SerializationType::Reference => {
                let index = self.take_u32()?;
                match self.objects.get(index as usize) {
                    Some(Object::Table) => Shape::Table,
                    Some(Object::Closure) => Shape::Function,
                    Some(Object::Coroutine) => Shape::Other,
                    None => {
                        return Err(SerializationError::InvalidReference {
                            index,
                            known: self.objects.len() as u32,
                            offset,
                        })
                    }
                }
            }
            SerializationType::Globals => {
                self.found.holds_globals = true;
                Shape::Table
            }
            SerializationType::Signed => {
                if offset != 0 {
                    return Err(SerializationError::MisplacedSignature { offset });
                }
                self.found.signed = true;
                let len = self.take_u32()? as usize;
                self.take(SIGNED_HEADER_LEN - 5)?; // the MAC
                let inner_start = self.pos;
                let inner_end = inner_start.saturating_add(len);
                if inner_end > self.input.len() {
                    return Err(SerializationError::Truncated {
                        offset: inner_start,
                        needed: inner_end - self.input.len(),
                    });
                }
                // The inner value is read from exactly its len bytes.
                let outer = self.input;
                self.input = &outer[..inner_end];
                let shape = self.value();
                self.input = outer;
                let shape = shape?;
                if self.pos != inner_end {
                    return Err(SerializationError::TrailingBytes {
                        offset: self.pos,
                        len: inner_end - self.pos,
                    });
                }
                shape
            }
            SerializationType::FunctionBytecode => {
                self.found.holds_functions = true;
                let len = self.take_u32()? as usize;
                validate_bytecode(self.take(len)?)?;
                Shape::Function
            }
            SerializationType::FunctionRef => {
                self.found.holds_functions = true;
                let index = self.take_u16()?;
                if index != 0xFFFF && index >= 66 {
                    return Err(FunctionSerializationError::InvalidCFunctionIndex { index }.into());
                }
                Shape::Function
            }
            SerializationType::CFunction => {
                self.found.holds_functions = true;
                let len = self.take_u16()? as usize;
                self.take(len)?;
                Shape::Function
            }
            SerializationType::Closure => {
                self.found.holds_functions = true;
                self.closure()?;
                Shape::Function
            }
            SerializationType::Coroutine => {
                let state = self.take_u8()?;
                if state > 0x02 {
                    return Err(SerializationError::UnknownCoroutineState {
                        state,
                        offset: self.pos - 1,
                    });
                }
                self.objects.push(Object::Coroutine);
                if state == 0x00 && self.value()? != Shape::Function {
                    return Err(SerializationError::CoroutineWithoutFunction { offset });
                }
                if state == 0x02 {
                    self.found.holds_functions = true; // frames are positions in code
                    self.suspended_coroutine(offset)?;
                }
                Shape::Other
            }
        })
    }

    fn table(&mut self) -> Result<(), SerializationError> {
        let array_len = self.take_u32()?;
        let hash_count = self.take_u32()?;
        let remaining = (self.input.len() - self.pos) as u64;
        let least = array_len as u64 + 2 * hash_count as u64;
        if least > remaining {
            return Err(SerializationError::Truncated {
                offset: self.pos,
                needed: usize::try_from(least - remaining).unwrap_or(usize::MAX),
            });
        }
        self.entries = self
            .entries
            .saturating_add(array_len as usize + hash_count as usize);
        if self.entries > self.limits.max_entries {
            return Err(SerializationError::EntryLimitExceeded {
                limit: self.limits.max_entries,
            });
        }
        self.nested(|w| {
            w.objects.push(Object::Table);
            for _ in 0..array_len {
                w.value()?;
            }
            for _ in 0..hash_count {
                let offset = w.pos;
                match w.value()? {
                    Shape::Nil | Shape::TableRef(0) => {
                        return Err(SerializationError::InvalidKey {
                            what: "nil",
                            offset,
                        })
                    }
                    Shape::NaN => {
                        return Err(SerializationError::InvalidKey {
                            what: "NaN",
                            offset,
                        })
                    }
                    _ => {}
                }
                w.value()?;
            }
            let offset = w.pos;
            match w.value()? {
                Shape::Nil | Shape::Table | Shape::TableRef(_) => Ok(()),
                _ => Err(SerializationError::InvalidMetatable { offset }),
            }
        })
    }

    /// A suspended coroutine after its state byte: what the decoder checks before it has
    /// the frames' functions (slot ranges and order, counts, frame kinds, upvalue indices).
    fn suspended_coroutine(&mut self, offset: usize) -> Result<(), SerializationError> {
        let slots = self.take_u32()?;
        let remaining = self.input.len() - self.pos;
        if slots as usize > remaining {
            return Err(SerializationError::Truncated {
                offset: self.pos,
                needed: slots as usize - remaining,
            });
        }
        let invalid = |problem| SerializationError::InvalidCoroutine { offset, problem };
        if slots > crate::suspended_coroutines::MAX_SLOTS {
            return Err(invalid(CoroutineProblem::StackTooLarge { slots }));
        }
        let open = self.take_u32()?;
        let mut previous = slots + 1;
        for _ in 0..open {
            let slot = self.take_u32()?;
            if slot == 0 || slot >= previous {
                return Err(invalid(CoroutineProblem::SlotOutOfRange { slot, slots }));
            }
            previous = slot;
            self.upvalue_reference()?;
        }
        self.nested(|w| {
            for _ in 0..slots {
                w.value()?;
            }
            Ok(())
        })?;
        let at = self.pos;
        self.pos +=
            crate::suspended_coroutines::frames_shape(&self.input[at..], offset, at, slots)?;
        Ok(())
    }

    /// An upvalue's kind byte: `00` gives the next upvalue index (a closure's value follows,
    /// which the caller walks; a coroutine's lives in its stack), `01` + u32 refers to one.
    fn upvalue_reference(&mut self) -> Result<bool, SerializationError> {
        match self.take_u8()? {
            0x00 => {
                self.upvalues += 1;
                Ok(true)
            }
            0x01 => {
                let index = self.take_u32()?;
                if index >= self.upvalues {
                    return Err(FunctionSerializationError::InvalidSharedUpvalue {
                        index,
                        known: self.upvalues as usize,
                    }
                    .into());
                }
                Ok(false)
            }
            kind => Err(FunctionSerializationError::UnknownUpvalueKind { kind }.into()),
        }
    }

    fn closure(&mut self) -> Result<(), SerializationError> {
        let len = self.take_u32()? as usize;
        let chunk = self.take(len)?;
        validate_bytecode(chunk)?;
        // validate_bytecode checked that byte 31 (the closure's upvalue slots) is the
        // function's own upvalue count.
        let actual = chunk[31];
        self.nested(|w| {
            w.objects.push(Object::Closure);
            let declared = w.take_u8()?;
            if declared != actual {
                return Err(
                    FunctionSerializationError::UpvalueCountMismatch { declared, actual }.into(),
                );
            }
            for _ in 0..declared {
                if w.upvalue_reference()? {
                    w.value()?;
                }
            }
            Ok(())
        })
    }
}
