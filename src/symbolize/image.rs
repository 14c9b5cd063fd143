//! What dumpscope needs to know about one ELF file: its build-id, its
//! loadable segments (for load-bias arithmetic), its executable code (for
//! checking addresses and inferring a PIE's base) and the links to its
//! separate debug information.

use memmap2::Mmap;
use object::{Object, ObjectSection, ObjectSegment, SegmentFlags};
use std::fs::File;
use std::path::{Path, PathBuf};

const PF_X: u32 = 1;

/// A loadable segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The segment's virtual address (`p_vaddr`).
    pub vaddr: u64,
    /// Its size in memory (`p_memsz`).
    pub memsz: u64,
    /// Its offset in the file (`p_offset`).
    pub offset: u64,
    /// Its size in the file (`p_filesz`).
    pub filesz: u64,
    /// The segment is executable (`PF_X`).
    pub exec: bool,
}

/// One mapped ELF file and the facts read from it.
pub struct Image {
    /// The file's path.
    pub path: PathBuf,
    map: Mmap,
    /// The `.note.gnu.build-id` bytes, when present.
    pub build_id: Option<Vec<u8>>,
    /// The file's segments as `object` lists them (the ELF `PT_LOAD` ones).
    pub segments: Vec<Segment>,
    /// `.gnu_debuglink`: file name and CRC32.
    pub debuglink: Option<(String, u32)>,
    /// `.gnu_debugaltlink`: path and build-id of the DWZ supplementary file.
    pub altlink: Option<(String, Vec<u8>)>,
    /// The file has DWARF line or function information (`.debug_info`,
    /// possibly compressed, or `.zdebug_info`).
    pub has_dwarf: bool,
    /// The machine the file is for.
    pub arch: object::Architecture,
    /// A position-independent executable or shared object (`ET_DYN`).
    pub relocatable: bool,
}

impl Image {
    /// Maps and reads `path`.
    pub fn open(path: &Path) -> Result<Image, String> {
        let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        // SAFETY: the file is only read; a file truncated under us would
        // fault, as for any mapped input (the same as the dump inputs).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| format!("cannot map: {e}"))?;
        let obj = object::File::parse(&*map).map_err(|e| format!("not an object file: {e}"))?;
        let build_id = obj.build_id().ok().flatten().map(<[u8]>::to_vec);
        let debuglink = obj
            .gnu_debuglink()
            .ok()
            .flatten()
            .map(|(n, crc)| (String::from_utf8_lossy(n).into_owned(), crc));
        let altlink = obj
            .gnu_debugaltlink()
            .ok()
            .flatten()
            .map(|(n, id)| (String::from_utf8_lossy(n).into_owned(), id.to_vec()));
        let has_dwarf = [".debug_info", ".zdebug_info", ".debug_line"]
            .iter()
            .any(|n| {
                obj.section_by_name(n).is_some_and(|s| {
                    s.size() > 0 && s.kind() != object::SectionKind::UninitializedData
                })
            });
        let segments = obj
            .segments()
            .map(|s| {
                let (offset, filesz) = s.file_range();
                let exec = match s.flags() {
                    SegmentFlags::Elf { p_flags } => p_flags & PF_X != 0,
                    _ => false,
                };
                Segment {
                    vaddr: s.address(),
                    memsz: s.size(),
                    offset,
                    filesz,
                    exec,
                }
            })
            .collect();
        let arch = obj.architecture();
        let relocatable = obj.kind() == object::ObjectKind::Dynamic;
        Ok(Image {
            path: path.to_path_buf(),
            build_id,
            segments,
            debuglink,
            altlink,
            has_dwarf,
            arch,
            relocatable,
            map,
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The file name, for matching modules named in a dump.
    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// The lowest address of the first loadable segment, page-aligned: where
    /// the module's first mapping starts when the bias is 0.
    pub fn link_base(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.vaddr.saturating_sub(s.offset) & !0xfff)
            .min()
            .unwrap_or(0)
    }

    /// The ELF virtual address of a file offset, through the segment that
    /// loads it.
    pub fn vaddr_of_offset(&self, off: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|s| off >= s.offset && off - s.offset < s.filesz.max(1))
            .map(|s| (off - s.offset).wrapping_add(s.vaddr))
    }

    /// Whether `vaddr` is inside an executable segment.
    pub fn is_code(&self, vaddr: u64) -> bool {
        self.segments
            .iter()
            .any(|s| s.exec && vaddr >= s.vaddr && vaddr - s.vaddr < s.memsz)
    }

    /// The file bytes that hold `vaddr` and the `n` bytes before it, when
    /// they are in the file.
    fn code_before(&self, vaddr: u64, n: u64) -> Option<&[u8]> {
        let segment = self.segments.iter().find(|segment| {
            segment.exec
                && vaddr >= segment.vaddr.saturating_add(n)
                && vaddr - segment.vaddr <= segment.filesz
        })?;
        let end = usize::try_from((vaddr - segment.vaddr).checked_add(segment.offset)?).ok()?;
        let start = end.checked_sub(usize::try_from(n).ok()?)?;
        self.map.get(start..end)
    }

    /// Whether the instruction before `vaddr` is a call, so that `vaddr` is a
    /// plausible return address. `None` when the architecture is not known
    /// here or the code is not in the file.
    pub fn follows_call(&self, vaddr: u64) -> Option<bool> {
        match self.arch {
            object::Architecture::X86_64 | object::Architecture::I386 => {
                let code = self.code_before(vaddr, 7)?;
                Some(x86_call_ends_at(code))
            }
            object::Architecture::Aarch64 => {
                if vaddr % 4 != 0 {
                    return Some(false);
                }
                let code = self.code_before(vaddr, 4)?;
                let word = u32::from_le_bytes([code[0], code[1], code[2], code[3]]);
                // BL imm26, BLR Xn, BLRAA/BLRAB/BLRAAZ/BLRABZ.
                Some(
                    word >> 26 == 0b100101
                        || word & 0xffff_fc1f == 0xd63f_0000
                        || word & 0xfeff_f800 == 0xd63f_0800,
                )
            }
            _ => None,
        }
    }

    /// The executable address ranges.
    pub fn code_ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.segments
            .iter()
            .filter(|s| s.exec)
            .map(|s| (s.vaddr, s.vaddr.saturating_add(s.memsz)))
    }
}

/// Whether the 7 bytes `b` end with a complete x86 call instruction: `E8
/// rel32`, or `FF /2` with any addressing form (register, `[reg]`, disp8,
/// disp32, SIB, RIP-relative), optionally after a REX prefix.
fn x86_call_ends_at(b: &[u8]) -> bool {
    let size = b.len();
    if size >= 5 && b[size - 5] == 0xe8 {
        return true;
    }
    // FF /2: opcode FF, ModRM with reg field 2; the instruction's length
    // follows from the ModRM (and SIB) byte.
    for len in 2..=7usize {
        if len > size {
            break;
        }
        let start = size - len;
        if b[start] != 0xff {
            continue;
        }
        let Some(&modrm) = b.get(start + 1) else {
            continue;
        };
        if (modrm >> 3) & 7 != 2 {
            continue;
        }
        let md = modrm >> 6;
        let rm = modrm & 7;
        let sib = md != 3 && rm == 4;
        let base5 = sib && b.get(start + 2).is_some_and(|s| s & 7 == 5);
        let disp = match md {
            0 if rm == 5 => 4,
            0 if base5 => 4,
            1 => 1,
            2 => 4,
            _ => 0,
        };
        if 2 + usize::from(sib) + disp == len {
            return true;
        }
    }
    false
}

/// CRC32 of a file, as `.gnu_debuglink` records it.
pub fn file_crc(path: &Path) -> Option<u32> {
    let file = File::open(path).ok()?;
    // SAFETY: read-only mapping of a file we only read.
    let map = unsafe { Mmap::map(&file) }.ok()?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&map);
    Some(hasher.finalize())
}

/// A build-id as lowercase hex.
pub fn hex(id: &[u8]) -> String {
    use std::fmt::Write;
    id.iter()
        .fold(String::with_capacity(id.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Parses a hex build-id.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let text = s.trim();
    if text.is_empty() || text.len() % 2 != 0 || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_calls_are_recognised_by_their_length() {
        // call rel32
        assert!(x86_call_ends_at(&[0x90, 0x90, 0xe8, 1, 2, 3, 4]));
        // call *%rax (ff d0), call *%r11 (41 ff d3)
        assert!(x86_call_ends_at(&[0, 0, 0, 0, 0, 0xff, 0xd0]));
        assert!(x86_call_ends_at(&[0, 0, 0, 0, 0x41, 0xff, 0xd3]));
        // call *0x10(%rax) (ff 50 10)
        assert!(x86_call_ends_at(&[0, 0, 0, 0, 0xff, 0x50, 0x10]));
        // call *0x12345678(%rip) (ff 15 disp32)
        assert!(x86_call_ends_at(&[0, 0xff, 0x15, 1, 2, 3, 4]));
        // not a call: jmp *%rax (ff e0), mov
        assert!(!x86_call_ends_at(&[0, 0, 0, 0, 0, 0xff, 0xe0]));
        assert!(!x86_call_ends_at(&[
            0x48, 0x89, 0xc7, 0x48, 0x89, 0xc7, 0x90
        ]));
    }

    #[test]
    fn build_ids_round_trip_through_hex() {
        assert_eq!(unhex("0a1B").as_deref(), Some(&[0x0a, 0x1b][..]));
        assert_eq!(hex(&[0x0a, 0x1b]), "0a1b");
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
