//! The `core` fuzz target: `dumpscope::fuzzing::Target::Core`.
#![no_main]

use dumpscope::fuzzing::{run, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| run(Target::Core, data));
