//! ELF core files as a format of the table: `--input-format elf-core`
//! (also `core`, `coredump`) names them, and detection knows them by their
//! ELF header. A core is not text: the pipeline hands it to the core reader
//! (`symbolize::elfcore`: threads unwound from their registers, memory
//! read, goroutines rebuilt) before any parser runs, so this entry's parser
//! only says why what it was given is not read as a core.

use super::format::{Dumps, InputFormat, ParseOptions};
use crate::input::elfcore::is_core;
use crate::model::Bytes;

/// The format id of snapshots read from a core.
pub const FORMAT: &str = "elf-core";

/// ELF core files of Linux processes.
pub struct ElfCore;

impl InputFormat for ElfCore {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["core", "coredump"]
    }

    fn help(&self) -> &'static str {
        "ELF core files of Linux processes (x86-64, aarch64), read with --binary; recognised by their header without this option"
    }

    fn expected(&self) -> Option<&'static str> {
        None
    }

    fn detect(&self, text: &[u8]) -> f32 {
        if is_core(text) {
            1.0
        } else {
            0.0
        }
    }

    fn is_raw(&self) -> bool {
        true
    }

    fn parse(&self, text: Bytes, _source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        if is_core(&text) {
            Err(
                "an ELF core is read by `dumpscope analyze CORE --binary EXE` from the file itself"
                    .into(),
            )
        } else {
            Err("not an ELF core file (no 64-bit ELF header of type ET_CORE)".into())
        }
    }
}
