//! ELF core files of Linux processes (x86-64, aarch64): the threads'
//! registers (`NT_PRSTATUS`), the process (`NT_PRPSINFO`), the signal
//! (`NT_SIGINFO`), the auxiliary vector (`NT_AUXV`), the mapped files
//! (`NT_FILE`) and a read-only view of the process's memory.
//!
//! The core stays mapped (or decompressed once): nothing is copied but the
//! notes' small records. Memory is read from the core's `PT_LOAD` segments
//! and, where the core left a page out (`p_filesz` short of `p_memsz`, or a
//! file-backed mapping not dumped), from the mapped file itself once the
//! caller has attached it ([`CoreFile::attach`]): the runtime address maps
//! to the file offset the `NT_FILE` note records.
//!
//! [`Memory`] is the read API the unwinder and the runtime readers (glibc's
//! mutexes here, Go's `runtime.allgs` and pclntab later) share: bytes at an
//! address, all or nothing, little-endian words, and borrowed slices for
//! parsers that want contiguous bytes without a copy.
//!
//! Everything in a core is untrusted: counts and offsets are checked
//! against the data, reads past the end fail instead of panicking.

use crate::model::Bytes;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, FileKind};

/// The CPU a core was written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86-64.
    X86_64,
    /// 64-bit ARM.
    Aarch64,
}

impl Arch {
    /// The name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86-64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// Why a core cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// Not a 64-bit little-endian ELF core.
    NotACore(String),
    /// An ELF core of a machine this reader does not know.
    Unsupported(String),
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoreError::NotACore(why) => write!(f, "not a readable ELF core: {why}"),
            CoreError::Unsupported(what) => write!(
                f,
                "unsupported core: {what} (cores of x86-64 and aarch64 Linux processes are read)"
            ),
        }
    }
}

/// One thread of the core, from its `NT_PRSTATUS` note.
#[derive(Debug, Clone)]
pub struct CoreThread {
    /// The thread's id (LWP).
    pub lwp: u32,
    /// The signal the thread was stopped by (`pr_cursig`).
    pub signal: u16,
    /// The general registers in the kernel's order (`user_regs_struct` on
    /// x86-64: r15 .. gs; `user_pt_regs` on aarch64: x0 .. x30, sp, pc,
    /// pstate).
    pub regs: Vec<u64>,
}

/// One file mapping from `NT_FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    /// First runtime address.
    pub start: u64,
    /// Runtime address past the end.
    pub end: u64,
    /// Offset in the file of `start`, in bytes.
    pub file_offset: u64,
    /// The file's path as the process saw it.
    pub path: String,
}

/// The process, from `NT_PRPSINFO` and `NT_SIGINFO`.
#[derive(Debug, Clone, Default)]
pub struct ProcessInfo {
    /// The process id.
    pub pid: u32,
    /// The command name (`comm`, at most 15 bytes).
    pub name: String,
    /// The start of the command line (at most 80 bytes).
    pub args: String,
    /// The signal that made the kernel write the core (0 for `gcore`).
    pub signal: i32,
    /// The signal's code (`si_code`).
    pub signal_code: i32,
    /// The faulting address of a memory fault (`si_addr`).
    pub fault_addr: Option<u64>,
    /// The process that sent the signal (`si_pid`), for a signal sent by
    /// `kill`, `tgkill` or `raise` (`si_code` 0 or below).
    pub sender: Option<u32>,
    /// The core has no `NT_SIGINFO` (qemu-user's): `signal` is the first
    /// thread's `pr_cursig`, its code and sender unknown.
    pub signal_from_prstatus: bool,
}

impl ProcessInfo {
    /// The process ended on a signal it raised or took itself (a fault,
    /// `abort()`), not one sent from outside (`kill -ABRT`, a debugger's
    /// stop): a crash.
    pub fn crashed(&self) -> bool {
        if self.signal == 0 {
            return false;
        }
        if self.signal_from_prstatus {
            // Without the signal's code, only the faults (which a process
            // takes from its own instructions) are certainly a crash.
            return matches!(self.signal, 4 | 7 | 8 | 11);
        }
        let own = self.signal_code > 0 || (self.sender.is_some() && self.sender == Some(self.pid));
        own && matches!(self.signal, 4 | 5 | 6 | 7 | 8 | 11 | 31)
    }
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
}

/// Reads the memory of a process.
pub trait Memory {
    /// Fills `buf` with the bytes at `addr`; false (and `buf` unspecified)
    /// when any of them is not available.
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool;

    /// Up to `len` contiguous bytes at `addr` without a copy, from one
    /// source (a core segment or one mapped file): possibly fewer than
    /// `len`, `None` when not even the first byte is available.
    fn slice(&self, addr: u64, len: u64) -> Option<&[u8]>;

    /// A little-endian `u32` at `addr`.
    fn read_u32(&self, addr: u64) -> Option<u32> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b).then(|| u32::from_le_bytes(b))
    }

    /// A little-endian `u64` at `addr`.
    fn read_u64(&self, addr: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b).then(|| u64::from_le_bytes(b))
    }

    /// A NUL-terminated string of at most `max` bytes at `addr`.
    fn read_cstr(&self, addr: u64, max: usize) -> Option<String> {
        let s = self.slice(addr, max as u64)?;
        let end = memchr::memchr(0, s)?;
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    }
}

/// A parsed ELF core: notes read, memory readable through [`Memory`].
pub struct CoreFile {
    data: Bytes,
    /// The CPU.
    pub arch: Arch,
    /// Every thread, in the notes' order (the first is the one that took
    /// the signal).
    pub threads: Vec<CoreThread>,
    /// The mapped files.
    pub files: Vec<FileMapping>,
    /// The process.
    pub process: ProcessInfo,
    /// The auxiliary vector, `(type, value)`.
    pub auxv: Vec<(u64, u64)>,
    /// What could not be read: truncation, malformed notes.
    pub warnings: Vec<String>,
    /// aarch64: the bits of a code address that pointer authentication
    /// uses (`insn_mask` of `NT_ARM_PAC_MASK`), when the core records them.
    pub pac_mask: Option<u64>,
    segments: Vec<Segment>,
    /// The file attached to each entry of `files`.
    attached: Vec<Option<Bytes>>,
    siginfo_seen: bool,
}

impl std::fmt::Debug for CoreFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreFile")
            .field("arch", &self.arch)
            .field("threads", &self.threads.len())
            .field("files", &self.files.len())
            .finish()
    }
}

/// `NT_FILE`.
const NT_FILE: u32 = 0x4649_4c45;
/// `NT_SIGINFO`.
const NT_SIGINFO: u32 = 0x5349_4749;
/// `NT_ARM_PAC_MASK`: `struct user_pac_mask { data_mask, insn_mask }`.
const NT_ARM_PAC_MASK: u32 = 0x406;
/// Offset of `pr_reg` in `struct elf_prstatus` (64-bit).
const PR_REG: usize = 112;
/// Offset of `pr_pid` in `struct elf_prstatus` (64-bit).
const PR_PID: usize = 32;
/// At most this many threads and mappings are read from the notes.
const MAX_RECORDS: usize = 1 << 20;

/// Whether `data` starts like an ELF core (64-bit, `ET_CORE`).
pub fn is_core(data: &[u8]) -> bool {
    data.len() >= 18
        && data.starts_with(b"\x7fELF")
        && u16::from_le_bytes([data[16], data[17]]) == elf::ET_CORE
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn c_string(b: &[u8]) -> String {
    let end = memchr::memchr(0, b).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim_end().to_string()
}

impl CoreFile {
    /// Reads the core's headers and notes.
    pub fn parse(data: Bytes) -> Result<CoreFile, CoreError> {
        let bytes: &[u8] = &data;
        match FileKind::parse(bytes) {
            Ok(FileKind::Elf64) => {}
            Ok(FileKind::Elf32) => {
                return Err(CoreError::Unsupported("a 32-bit ELF core".into()));
            }
            Ok(other) => return Err(CoreError::NotACore(format!("{other:?} file"))),
            Err(e) => return Err(CoreError::NotACore(e.to_string())),
        }
        let header = elf::FileHeader64::<Endianness>::parse(bytes)
            .map_err(|e| CoreError::NotACore(e.to_string()))?;
        let endian = header
            .endian()
            .map_err(|e| CoreError::NotACore(e.to_string()))?;
        if endian != Endianness::Little {
            return Err(CoreError::Unsupported("a big-endian core".into()));
        }
        if header.e_type(endian) != elf::ET_CORE {
            return Err(CoreError::NotACore("an ELF file, but not a core".into()));
        }
        let arch = match header.e_machine(endian) {
            elf::EM_X86_64 => Arch::X86_64,
            elf::EM_AARCH64 => Arch::Aarch64,
            other => {
                return Err(CoreError::Unsupported(format!("ELF machine {other}")));
            }
        };
        let mut core = CoreFile {
            data: data.clone(),
            arch,
            threads: Vec::new(),
            files: Vec::new(),
            process: ProcessInfo::default(),
            auxv: Vec::new(),
            warnings: Vec::new(),
            pac_mask: None,
            segments: Vec::new(),
            attached: Vec::new(),
            siginfo_seen: false,
        };
        let phdrs = header
            .program_headers(endian, bytes)
            .map_err(|e| CoreError::NotACore(e.to_string()))?;
        let mut cut = 0usize;
        for ph in phdrs {
            match ph.p_type(endian) {
                elf::PT_LOAD => {
                    let seg = Segment {
                        vaddr: ph.p_vaddr(endian),
                        memsz: ph.p_memsz(endian),
                        offset: ph.p_offset(endian),
                        filesz: ph.p_filesz(endian),
                    };
                    if seg.offset.saturating_add(seg.filesz) > bytes.len() as u64 {
                        cut += 1;
                    }
                    core.segments.push(seg);
                }
                elf::PT_NOTE => match ph.notes(endian, bytes) {
                    Ok(Some(mut notes)) => loop {
                        match notes.next() {
                            Ok(Some(note)) => {
                                // Linux writes its architecture notes
                                // (`NT_ARM_*`) under the name "LINUX".
                                let kind = note.n_type(endian);
                                if note.name() == b"CORE"
                                    || (note.name() == b"LINUX" && kind == NT_ARM_PAC_MASK)
                                {
                                    core.note(kind, note.desc());
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                core.warnings.push(format!("a note could not be read: {e}"));
                                break;
                            }
                        }
                    },
                    Ok(None) => {}
                    Err(e) => core.warnings.push(format!(
                        "the notes are cut off or damaged ({e}): threads and files after them are missing"
                    )),
                },
                _ => {}
            }
        }
        if cut > 0 {
            core.warnings.push(format!(
                "the core is truncated: {cut} of {} memory segments end past its {} bytes (their missing pages read as unavailable)",
                core.segments.len(),
                bytes.len()
            ));
        }
        core.segments.sort_by_key(|s| s.vaddr);
        core.files.sort_by_key(|f| f.start);
        core.attached = vec![None; core.files.len()];
        if core.threads.is_empty() {
            core.warnings
                .push("the core has no thread (no NT_PRSTATUS note)".into());
        }
        if !core.siginfo_seen {
            if let Some(t) = core.threads.first().filter(|t| t.signal != 0) {
                core.process.signal = i32::from(t.signal);
                core.process.signal_from_prstatus = true;
            }
        }
        Ok(core)
    }

    fn note(&mut self, kind: u32, desc: &[u8]) {
        match kind {
            elf::NT_PRSTATUS if self.threads.len() < MAX_RECORDS => {
                let words = match self.arch {
                    Arch::X86_64 => 27,
                    Arch::Aarch64 => 34,
                };
                let regs: Option<Vec<u64>> =
                    (0..words).map(|i| u64_at(desc, PR_REG + 8 * i)).collect();
                match (u32_at(desc, PR_PID), regs) {
                    (Some(lwp), Some(regs)) => self.threads.push(CoreThread {
                        lwp,
                        signal: desc
                            .get(12..14)
                            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]])),
                        regs,
                    }),
                    _ => self
                        .warnings
                        .push("a thread's NT_PRSTATUS note is too short: skipped".into()),
                }
            }
            elf::NT_PRPSINFO => {
                self.process.pid = u32_at(desc, 24).unwrap_or(0);
                self.process.name = desc.get(40..56).map(c_string).unwrap_or_default();
                self.process.args = desc.get(56..136).map(c_string).unwrap_or_default();
            }
            // gdb writes one per thread; the first is the stopping thread's.
            NT_SIGINFO if !self.siginfo_seen => {
                self.siginfo_seen = true;
                self.process.signal = u32_at(desc, 0).unwrap_or(0) as i32;
                self.process.signal_code = u32_at(desc, 8).unwrap_or(0) as i32;
                if self.process.signal_code > 0 && matches!(self.process.signal, 4 | 7 | 8 | 11) {
                    self.process.fault_addr = u64_at(desc, 16);
                }
                if self.process.signal_code <= 0 {
                    self.process.sender = u32_at(desc, 16);
                }
            }
            elf::NT_AUXV => {
                self.auxv = desc
                    .chunks_exact(16)
                    .filter_map(|c| Some((u64_at(c, 0)?, u64_at(c, 8)?)))
                    .take_while(|(t, _)| *t != 0)
                    .collect();
            }
            NT_FILE => self.file_note(desc),
            NT_ARM_PAC_MASK if self.arch == Arch::Aarch64 => {
                self.pac_mask = u64_at(desc, 8).filter(|&m| m != 0);
            }
            _ => {}
        }
    }

    fn file_note(&mut self, desc: &[u8]) {
        let (Some(count), Some(page)) = (u64_at(desc, 0), u64_at(desc, 8)) else {
            return;
        };
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > MAX_RECORDS || count.saturating_mul(24).saturating_add(16) > desc.len() {
            self.warnings
                .push("the NT_FILE note is damaged: mapped files unknown".into());
            return;
        }
        let mut names = desc[16 + count * 24..].split(|b| *b == 0);
        for i in 0..count {
            let at = 16 + i * 24;
            let (Some(start), Some(end), Some(pgoff)) = (
                u64_at(desc, at),
                u64_at(desc, at + 8),
                u64_at(desc, at + 16),
            ) else {
                break;
            };
            let path = names
                .next()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            self.files.push(FileMapping {
                start,
                end,
                file_offset: pgoff.saturating_mul(page),
                path,
            });
        }
    }

    /// Sets the mapped files of a core whose notes name none (user-mode
    /// emulators such as qemu-user write no `NT_FILE`): the caller found
    /// them elsewhere (the executable from the auxiliary vector). Nothing
    /// is attached yet.
    pub fn set_files(&mut self, mut files: Vec<FileMapping>) {
        files.sort_by_key(|f| f.start);
        self.attached = vec![None; files.len()];
        self.files = files;
    }

    /// The core's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Attaches the file of mapping `index` of [`CoreFile::files`]: its
    /// bytes serve the pages the core left out.
    pub fn attach(&mut self, index: usize, file: Bytes) {
        if let Some(slot) = self.attached.get_mut(index) {
            *slot = Some(file);
        }
    }

    /// The file attached to mapping `index`.
    pub fn attached(&self, index: usize) -> Option<&Bytes> {
        self.attached.get(index)?.as_ref()
    }

    /// Whether mapping `index` has its file attached.
    pub fn is_attached(&self, index: usize) -> bool {
        self.attached.get(index).is_some_and(Option::is_some)
    }

    /// The value of an auxiliary vector entry (`AT_ENTRY` is 9,
    /// `AT_SYSINFO_EHDR` 33).
    pub fn aux(&self, kind: u64) -> Option<u64> {
        self.auxv.iter().find(|(t, _)| *t == kind).map(|(_, v)| *v)
    }

    /// The mapping of a file that holds `addr`.
    pub fn file_at(&self, addr: u64) -> Option<(usize, &FileMapping)> {
        let i = self.files.partition_point(|f| f.start <= addr);
        let i = i.checked_sub(1)?;
        let f = self.files.get(i)?;
        (addr < f.end).then_some((i, f))
    }

    /// Bytes at `addr` from the core's own segments only.
    pub fn core_slice(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let i = self.segments.partition_point(|s| s.vaddr <= addr);
        let seg = self.segments.get(i.checked_sub(1)?)?;
        let rel = addr - seg.vaddr;
        if rel >= seg.filesz.min(seg.memsz) {
            return None;
        }
        let start = seg.offset.checked_add(rel)?;
        let avail = (seg.filesz - rel).min(len);
        let end = start.saturating_add(avail).min(self.data.len() as u64);
        if start >= end {
            return None;
        }
        self.data.get(start as usize..end as usize)
    }

    fn file_slice(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let (index, map) = self.file_at(addr)?;
        let file = self.attached.get(index)?.as_ref()?;
        let start = map.file_offset.checked_add(addr - map.start)?;
        let avail = (map.end - addr).min(len);
        let end = start.saturating_add(avail).min(file.len() as u64);
        if start >= end {
            return None;
        }
        file.get(start as usize..end as usize)
    }
}

impl CoreFile {
    /// A code address as the CPU runs it: on aarch64 a return address
    /// saved with pointer authentication carries its signature in the high
    /// bits, cleared here (by `NT_ARM_PAC_MASK`, else above the 48 bits of
    /// a user address).
    pub fn code_addr(&self, addr: u64) -> u64 {
        match self.arch {
            Arch::X86_64 => addr,
            Arch::Aarch64 => match self.pac_mask {
                Some(mask) => addr & !mask,
                None => addr & 0x0000_ffff_ffff_ffff,
            },
        }
    }
}

impl Memory for CoreFile {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        let mut done = 0usize;
        while done < buf.len() {
            let Some(at) = addr.checked_add(done as u64) else {
                return false;
            };
            let Some(s) = self.slice(at, (buf.len() - done) as u64) else {
                return false;
            };
            buf[done..done + s.len()].copy_from_slice(s);
            done += s.len();
        }
        true
    }

    fn slice(&self, addr: u64, len: u64) -> Option<&[u8]> {
        if len == 0 {
            return None;
        }
        self.core_slice(addr, len)
            .or_else(|| self.file_slice(addr, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core of one thread: an ELF header, one `PT_NOTE` holding its
    /// `NT_PRSTATUS` (aarch64) with `pr_cursig` = `signal`, no `NT_SIGINFO`.
    fn one_thread_core(signal: u16) -> Vec<u8> {
        let mut desc = vec![0u8; PR_REG + 34 * 8 + 8];
        desc[12..14].copy_from_slice(&signal.to_le_bytes());
        desc[PR_PID..PR_PID + 4].copy_from_slice(&77u32.to_le_bytes());
        let mut note = Vec::new();
        note.extend_from_slice(&5u32.to_le_bytes());
        note.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        note.extend_from_slice(&elf::NT_PRSTATUS.to_le_bytes());
        note.extend_from_slice(b"CORE\0\0\0\0");
        note.extend_from_slice(&desc);
        let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0\xb7\0\x01\0\0\0".to_vec();
        v.resize(64, 0);
        v[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        v[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        v[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        v[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let mut ph = vec![0u8; 56];
        ph[0..4].copy_from_slice(&elf::PT_NOTE.to_le_bytes());
        ph[8..16].copy_from_slice(&120u64.to_le_bytes());
        ph[32..40].copy_from_slice(&(note.len() as u64).to_le_bytes());
        ph[40..48].copy_from_slice(&(note.len() as u64).to_le_bytes());
        ph[48..56].copy_from_slice(&4u64.to_le_bytes());
        v.extend_from_slice(&ph);
        v.extend_from_slice(&note);
        v
    }

    /// Without `NT_SIGINFO`, the first thread's `pr_cursig` names the
    /// signal: a fault is a crash, an abort (maybe sent by `kill`) is not.
    #[test]
    fn signal_from_prstatus_without_siginfo() {
        let core = CoreFile::parse(Bytes::owned(one_thread_core(11))).unwrap();
        assert_eq!(core.arch, Arch::Aarch64);
        assert_eq!(core.threads.len(), 1, "{:?}", core.warnings);
        assert_eq!(core.threads[0].lwp, 77);
        assert_eq!(core.process.signal, 11);
        assert!(core.process.crashed());
        let core = CoreFile::parse(Bytes::owned(one_thread_core(6))).unwrap();
        assert_eq!(core.process.signal, 6);
        assert!(!core.process.crashed());
        let core = CoreFile::parse(Bytes::owned(one_thread_core(0))).unwrap();
        assert_eq!(core.process.signal, 0);
    }

    #[test]
    fn garbage_is_no_core_and_never_panics() {
        assert!(!is_core(b"\x7fELF"));
        let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0\x3e\0".to_vec();
        assert!(is_core(&v));
        for n in 0..200 {
            v.push(n as u8);
            let _ = CoreFile::parse(Bytes::owned(v.clone()));
        }
    }
}
