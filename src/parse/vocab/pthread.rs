//! The part of glibc's vocabulary the gdb and lldb parser applies: which
//! frame joins a thread. Its argument (`thread=0x7f..`) is the joined
//! thread's `pthread_t`, which gdb prints in that thread's header, so the
//! parser pairs the two (the rest of glibc's vocabulary is read from the
//! frames by the analysis, in `crate::analyze::vocab::pthread`).

use crate::model::Confidence;

/// A part of the function name of a frame that joins a thread
/// (`pthread_join`, `__pthread_clockjoin_ex`, `std::thread::join`).
pub const JOIN_NAME_PART: &str = "join";

/// The class a join's facts are given: what the address is.
pub const JOIN_CLASS: &str = "pthread_t";

/// A join whose argument is the `pthread_t` a thread header prints names
/// that thread outright: as sure as a stated relation.
pub const JOIN_CONFIDENCE: Confidence = Confidence::Certain;

/// A frame that joins a thread, by its function name.
pub fn is_join(function: &str) -> bool {
    function.contains(JOIN_NAME_PART)
}
