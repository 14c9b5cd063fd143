//! The `java` fuzz target: `dumpscope::fuzzing::Target::Java`.
#![no_main]

use dumpscope::fuzzing::{run, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| run(Target::Java, data));
