//! Go's pprof profiles: the protobuf form (`?debug=0`, `profile.proto`) of the
//! goroutine, goroutineleak and heap profiles, and their text forms
//! (`?debug=1`). Goroutine profiles become snapshots whose tasks carry no
//! ids ([`crate::model::TaskFlags::NO_ID`]) unless the profile is the
//! per-goroutine variant; heap profiles become [`crate::model::heap::HeapProfile`]s.

pub mod counted;
pub mod decode;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto;
pub mod text;
