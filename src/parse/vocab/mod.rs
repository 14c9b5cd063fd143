//! The vocabulary the parsers apply, kept as data: which
//! `java.util.concurrent` class a parked thread's blocker is ([`jvm`]),
//! which Python frames wait on a lock, queue, event or future
//! ([`cpython`]), which tokio futures wait on a `tokio::sync` primitive
//! ([`tokio`]), and which native frame joins a thread ([`pthread`]).
//!
//! These tables live in the parse layer, not beside Go's and glibc's in
//! `crate::analyze::vocab`, because the parser is the only place they can
//! be applied: a recognised wait also decides the task's state and state
//! class (`Queue.get`, `Mutex::lock`), which are part of the parsed
//! [`crate::model::Snapshot`], and the object it names (a Java class, a
//! py-spy `self` local, a `pthread_t` in a thread header) is in the dump
//! text only. What a parser recognises with them is recorded as a
//! [`crate::model::LockFact`] whose [`crate::model::LockBasis`] says so
//! and whose confidence is the table's, never as a stated fact.

pub mod cpython;
pub mod jvm;
pub mod pthread;
pub mod tokio;
