//! Statics the module mutates. wasm32-unknown-unknown without the atomics feature has
//! exactly one thread, so such a static needs no lock; callers keep each access short and
//! never hold it across a call into Lua that could re-enter the module.

use core::cell::UnsafeCell;

/// A static of the single-threaded module.
pub(crate) struct ModuleCell<T>(UnsafeCell<T>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl<T> Sync for ModuleCell<T> {}

impl<T> ModuleCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        ModuleCell(UnsafeCell::new(value))
    }

    /// The value, for a short access (see the module documentation).
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.0.get()
    }
}
