//! The `input` fuzz target: `dumpscope::fuzzing::Target::Input`.
#![no_main]

use dumpscope::fuzzing::{run, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| run(Target::Input, data));
