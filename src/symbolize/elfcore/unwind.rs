//! Unwinding a thread of a core with the modules' call-frame information:
//! `.eh_frame`, found through each module's `PT_GNU_EH_FRAME` header in the
//! process's memory (the core's pages or the mapped file's), else the
//! `.debug_frame` of the module's file, evaluated with gimli's unwinder. Where a module has no unwind entry for an address,
//! the x86-64 frame-pointer chain is followed while it stays on the stack.

use crate::input::elfcore::{Arch, CoreFile, Memory};
use gimli::{
    BaseAddresses, CfaRule, DebugFrame, EhFrame, EhFrameHdr, EndianSlice, LittleEndian,
    ParsedEhFrameHdr, Register, RegisterRule, UnwindContext, UnwindSection, UnwindTableRow,
};
use object::elf;
use std::borrow::Cow;

/// Frames of one thread, at most.
pub const MAX_FRAMES: usize = 256;
/// DWARF registers tracked (x86-64: 0..=16, aarch64: 0..=31).
const REGS: usize = 33;

type Slice<'a> = EndianSlice<'a, LittleEndian>;

/// A loaded ELF module of the process: where it is and its unwind tables.
#[derive(Debug, Clone)]
pub struct Module {
    /// Its path (from `NT_FILE`).
    pub path: String,
    /// First address of its mappings.
    pub start: u64,
    /// Past the last address of its mappings.
    pub end: u64,
    /// Load bias: runtime address minus ELF virtual address.
    pub bias: u64,
    /// Runtime address of `.eh_frame_hdr`.
    pub eh_frame_hdr: Option<u64>,
    /// The GNU build-id read from the module's notes in memory.
    pub build_id: Option<Vec<u8>>,
    /// Runtime address of its `PT_DYNAMIC`.
    pub dynamic: Option<u64>,
}

/// The modules of a core: every file mapped from offset 0 that starts with
/// an ELF header in memory, plus the vDSO.
pub fn modules(core: &CoreFile) -> Vec<Module> {
    let mut out: Vec<Module> = Vec::new();
    for f in &core.files {
        if let Some(m) = out
            .iter_mut()
            .find(|m| m.path == f.path && f.start >= m.start)
        {
            m.end = m.end.max(f.end);
            continue;
        }
        if f.file_offset != 0 {
            continue;
        }
        if let Some(mut m) = module_at(core, f.start) {
            m.path = f.path.clone();
            m.end = f.end;
            out.push(m);
        }
    }
    // The vDSO (AT_SYSINFO_EHDR) is in the core's memory.
    if let Some(base) = core.aux(33) {
        if let Some(mut m) = module_at(core, base) {
            m.path = "[vdso]".into();
            m.end = base.saturating_add(0x2000);
            out.push(m);
        }
    }
    out.sort_by_key(|m| m.start);
    out
}

/// Reads the ELF header and program headers at `base` from memory.
fn module_at(core: &CoreFile, base: u64) -> Option<Module> {
    let mut eh = [0u8; 64];
    if !core.read(base, &mut eh) || !eh.starts_with(b"\x7fELF") || eh[4] != 2 {
        return None;
    }
    let phoff = u64::from_le_bytes(eh[32..40].try_into().ok()?);
    let phentsize = u16::from_le_bytes([eh[54], eh[55]]) as u64;
    let phnum = u16::from_le_bytes([eh[56], eh[57]]) as u64;
    if phentsize < 56 || phnum == 0 || phnum > 256 {
        return None;
    }
    let mut phdrs = Vec::new();
    for i in 0..phnum {
        let mut ph = [0u8; 56];
        if !core.read(base.checked_add(phoff + i * phentsize)?, &mut ph) {
            return None;
        }
        let word = |at: usize| u64::from_le_bytes(ph[at..at + 8].try_into().unwrap_or([0; 8]));
        let kind = u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]);
        // (type, offset, vaddr, filesz)
        phdrs.push((kind, word(8), word(16), word(32)));
    }
    let first = phdrs.iter().find(|p| p.0 == elf::PT_LOAD)?;
    let bias = base.wrapping_sub(first.2.wrapping_sub(first.1) & !0xfff);
    let at = |vaddr: u64| bias.wrapping_add(vaddr);
    let eh_frame_hdr = phdrs
        .iter()
        .find(|p| p.0 == elf::PT_GNU_EH_FRAME)
        .map(|p| at(p.2));
    let dynamic = phdrs
        .iter()
        .find(|p| p.0 == elf::PT_DYNAMIC)
        .map(|p| at(p.2));
    let build_id = phdrs
        .iter()
        .filter(|p| p.0 == elf::PT_NOTE)
        .find_map(|p| build_id(core, at(p.2), p.3));
    Some(Module {
        path: String::new(),
        start: base,
        end: base,
        bias,
        eh_frame_hdr,
        build_id,
        dynamic,
    })
}

/// The `NT_GNU_BUILD_ID` among the notes at `addr`.
fn build_id(core: &CoreFile, addr: u64, size: u64) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(size.min(4096)).ok()?];
    if !core.read(addr, &mut buf) {
        return None;
    }
    let mut at = 0usize;
    while at + 12 <= buf.len() {
        let word = |o: usize| u32::from_le_bytes(buf[o..o + 4].try_into().unwrap_or([0; 4]));
        let (namesz, descsz, kind) = (word(at) as usize, word(at + 4) as usize, word(at + 8));
        let name_end = at + 12 + namesz.next_multiple_of(4);
        let desc_end = name_end.checked_add(descsz)?;
        if desc_end > buf.len() {
            return None;
        }
        if kind == elf::NT_GNU_BUILD_ID && buf.get(at + 12..at + 15) == Some(b"GNU") {
            return Some(buf[name_end..desc_end].to_vec());
        }
        at = name_end + descsz.next_multiple_of(4);
    }
    None
}

/// One unwound frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// The program counter (frame 0) or return address.
    pub pc: u64,
    /// The stack pointer in that frame.
    pub sp: u64,
    /// Found by the frame-pointer chain, not by call-frame information.
    pub by_frame_pointer: bool,
}

/// The registers of a frame in DWARF numbering.
#[derive(Debug, Clone)]
struct Regs {
    r: [Option<u64>; REGS],
    pc: u64,
}

fn arch_regs(arch: Arch) -> (u16, u16, u16) {
    // (stack pointer, return address, frame pointer)
    match arch {
        Arch::X86_64 => (7, 16, 6),
        Arch::Aarch64 => (31, 30, 29),
    }
}

/// The registers at the thread's stop, in DWARF numbering, and its pc.
fn initial(arch: Arch, regs: &[u64]) -> Option<Regs> {
    let mut r = [None; REGS];
    match arch {
        Arch::X86_64 => {
            // user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax
            // rcx rdx rsi rdi orig_rax rip cs eflags rsp ...
            let order: [(usize, usize); 17] = [
                (0, 10),
                (1, 12),
                (2, 11),
                (3, 5),
                (4, 13),
                (5, 14),
                (6, 4),
                (7, 19),
                (8, 9),
                (9, 8),
                (10, 7),
                (11, 6),
                (12, 3),
                (13, 2),
                (14, 1),
                (15, 0),
                (16, 16),
            ];
            for (dwarf, kernel) in order {
                r[dwarf] = regs.get(kernel).copied();
            }
            Some(Regs {
                pc: *regs.get(16)?,
                r,
            })
        }
        Arch::Aarch64 => {
            for (i, slot) in r.iter_mut().enumerate().take(32) {
                *slot = regs.get(i).copied();
            }
            Some(Regs {
                pc: *regs.get(32)?,
                r,
            })
        }
    }
}

/// The unwind tables of one module, parsed once.
struct Tables<'a> {
    hdr: ParsedEhFrameHdr<Slice<'a>>,
    eh_frame: EhFrame<Slice<'a>>,
    bases: BaseAddresses,
}

fn tables<'a>(core: &'a CoreFile, m: &Module) -> Option<Tables<'a>> {
    let hdr_addr = m.eh_frame_hdr?;
    let hdr_bytes = core.slice(hdr_addr, 1 << 24)?;
    let bases = BaseAddresses::default().set_eh_frame_hdr(hdr_addr);
    let hdr = EhFrameHdr::new(hdr_bytes, LittleEndian)
        .parse(&bases, 8)
        .ok()?;
    let eh_addr = match hdr.eh_frame_ptr() {
        gimli::Pointer::Direct(a) => a,
        gimli::Pointer::Indirect(a) => core.read_u64(a)?,
    };
    let eh_bytes = core.slice(eh_addr, 1 << 26)?;
    let bases = bases.set_eh_frame(eh_addr).set_text(m.start);
    let mut eh_frame = EhFrame::new(eh_bytes, LittleEndian);
    if core.arch == Arch::Aarch64 {
        // DW_CFA_AARCH64_negate_ra_state (pointer authentication).
        eh_frame.set_vendor(gimli::Vendor::AArch64);
    }
    Some(Tables {
        hdr,
        eh_frame,
        bases,
    })
}

/// Unwinds every thread's stack: the frames of each, innermost first.
pub struct Unwinder<'a> {
    core: &'a CoreFile,
    modules: &'a [Module],
    tables: Vec<Option<Option<Tables<'a>>>>,
    /// Each module's `.debug_frame`, read from its file once.
    debug_frames: Vec<Option<Option<Cow<'a, [u8]>>>>,
    ctx: Box<UnwindContext<usize>>,
}

/// One row of an unwind table.
type Row = UnwindTableRow<usize>;

impl<'a> Unwinder<'a> {
    /// An unwinder over the core's memory and its modules.
    pub fn new(core: &'a CoreFile, modules: &'a [Module]) -> Self {
        Unwinder {
            core,
            modules,
            tables: (0..modules.len()).map(|_| None).collect(),
            debug_frames: (0..modules.len()).map(|_| None).collect(),
            ctx: Box::new(UnwindContext::new()),
        }
    }

    fn module_of(&self, pc: u64) -> Option<usize> {
        let i = self
            .modules
            .partition_point(|m| m.start <= pc)
            .checked_sub(1)?;
        (pc < self.modules[i].end).then_some(i)
    }

    /// The frames of a thread from its registers (the kernel's order).
    pub fn unwind(&mut self, regs: &[u64]) -> Vec<Frame> {
        let arch = self.core.arch;
        let (sp_reg, ra_reg, fp_reg) = arch_regs(arch);
        let Some(mut cur) = initial(arch, regs) else {
            return Vec::new();
        };
        let mut frames: Vec<Frame> = Vec::new();
        let mut reached_by_fp = false;
        while frames.len() < MAX_FRAMES {
            let sp = cur.r[sp_reg as usize].unwrap_or(0);
            if cur.pc == 0 {
                break;
            }
            let first = frames.is_empty();
            let lookup = if first { cur.pc } else { cur.pc - 1 };
            let next = match self.step_cfi(&cur, lookup, first) {
                Step::Next(next) => Some((*next, false)),
                Step::End => {
                    frames.push(Frame {
                        pc: cur.pc,
                        sp,
                        by_frame_pointer: reached_by_fp,
                    });
                    break;
                }
                Step::NoInfo => self.step_fp(&cur, fp_reg, sp_reg).map(|n| (n, true)),
            };
            frames.push(Frame {
                pc: cur.pc,
                sp,
                by_frame_pointer: reached_by_fp,
            });
            let Some((mut next, by_fp)) = next else { break };
            next.pc = self.core.code_addr(next.pc);
            let next_sp = next.r[sp_reg as usize].unwrap_or(0);
            if next_sp < sp || (next_sp == sp && next.pc == cur.pc) {
                break;
            }
            if arch == Arch::Aarch64 && ra_reg == 30 && next.pc == 0 {
                break;
            }
            cur = next;
            reached_by_fp = by_fp;
        }
        frames
    }

    /// The unwind row for `lookup` from the module's `.eh_frame`.
    fn row_eh_frame(&mut self, mi: usize, lookup: u64) -> Option<(Row, Register)> {
        if self.tables[mi].is_none() {
            self.tables[mi] = Some(tables(self.core, &self.modules[mi]));
        }
        let t = self.tables[mi].as_ref()?.as_ref()?;
        let table = t.hdr.table()?;
        let fde = table
            .fde_for_address(&t.eh_frame, &t.bases, lookup, EhFrame::cie_from_offset)
            .ok()?;
        let ra = fde.cie().return_address_register();
        let row = fde
            .unwind_info_for_address(&t.eh_frame, &t.bases, &mut self.ctx, lookup)
            .ok()?;
        Some((row.clone(), ra))
    }

    /// The unwind row for `lookup` from the `.debug_frame` of the module's
    /// file (code built without unwind tables keeps its CFI there).
    fn row_debug_frame(&mut self, mi: usize, lookup: u64) -> Option<(Row, Register)> {
        if self.debug_frames[mi].is_none() {
            let m = &self.modules[mi];
            let data = self
                .core
                .files
                .iter()
                .position(|f| f.path == m.path && f.file_offset == 0)
                .and_then(|i| self.core.attached(i))
                .and_then(|bytes| {
                    use object::{Object, ObjectSection};
                    let file = object::File::parse(&bytes[..]).ok()?;
                    file.section_by_name(".debug_frame")?
                        .uncompressed_data()
                        .ok()
                });
            self.debug_frames[mi] = Some(data);
        }
        let data = self.debug_frames[mi].as_ref()?.as_ref()?;
        let mut section = DebugFrame::new(data, LittleEndian);
        section.set_address_size(8);
        if self.core.arch == Arch::Aarch64 {
            section.set_vendor(gimli::Vendor::AArch64);
        }
        let bases = BaseAddresses::default();
        let vaddr = lookup.wrapping_sub(self.modules[mi].bias);
        let fde = section
            .fde_for_address(&bases, vaddr, DebugFrame::cie_from_offset)
            .ok()?;
        let ra = fde.cie().return_address_register();
        let row = fde
            .unwind_info_for_address(&section, &bases, &mut self.ctx, vaddr)
            .ok()?;
        Some((row.clone(), ra))
    }

    fn step_cfi(&mut self, cur: &Regs, lookup: u64, first: bool) -> Step {
        let Some(mi) = self.module_of(lookup) else {
            return Step::NoInfo;
        };
        let found = match self.row_eh_frame(mi, lookup) {
            Some(found) => Some(found),
            None => self.row_debug_frame(mi, lookup),
        };
        let Some((row, ra)) = found else {
            return Step::NoInfo;
        };
        let cfa = match row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } => {
                match cur.r.get(register.0 as usize).copied().flatten() {
                    Some(v) => v.wrapping_add(*offset as u64),
                    None => return Step::NoInfo,
                }
            }
            CfaRule::Expression(_) => return Step::NoInfo,
        };
        // No rule for the return address: the outermost frame (x86-64's
        // CIEs always give one; `.cfi_undefined rip` ends a thread's
        // stack), except an aarch64 leaf, which keeps it in x30.
        if matches!(row.register(ra), RegisterRule::Undefined) {
            if self.core.arch == Arch::Aarch64 && first {
                let mut next = Regs { r: cur.r, pc: 0 };
                next.r[arch_regs(Arch::Aarch64).0 as usize] = Some(cfa);
                return match cur.r[ra.0 as usize] {
                    Some(pc) => {
                        next.pc = pc;
                        Step::Next(Box::new(next))
                    }
                    None => Step::End,
                };
            }
            return Step::End;
        }
        let core = self.core;
        let (sp_reg, _, _) = arch_regs(core.arch);
        let mut next = Regs { r: cur.r, pc: 0 };
        // Registers the row does not mention keep their values (callee-saved).
        for (reg, rule) in row.registers() {
            let i = reg.0 as usize;
            if i >= REGS {
                continue;
            }
            next.r[i] = match rule {
                RegisterRule::Undefined => None,
                RegisterRule::SameValue => cur.r[i],
                RegisterRule::Offset(o) => core.read_u64(cfa.wrapping_add(*o as u64)),
                RegisterRule::ValOffset(o) => Some(cfa.wrapping_add(*o as u64)),
                RegisterRule::Register(Register(r)) => cur.r.get(*r as usize).copied().flatten(),
                RegisterRule::Constant(c) => Some(*c),
                _ => None,
            };
        }
        next.r[sp_reg as usize] = Some(cfa);
        let Some(pc) = next.r.get(ra.0 as usize).copied().flatten() else {
            return Step::End;
        };
        next.pc = pc;
        Step::Next(Box::new(next))
    }

    /// x86-64 and aarch64 frame records: `[fp]` is the caller's fp,
    /// `[fp + 8]` the return address; followed only while fp stays above
    /// the stack pointer, within 1 MiB of it.
    fn step_fp(&self, cur: &Regs, fp_reg: u16, sp_reg: u16) -> Option<Regs> {
        let fp = cur.r[fp_reg as usize]?;
        let sp = cur.r[sp_reg as usize]?;
        if fp < sp || fp - sp > 1 << 20 || fp % 8 != 0 {
            return None;
        }
        let caller_fp = self.core.read_u64(fp)?;
        let ra = self.core.code_addr(self.core.read_u64(fp.wrapping_add(8))?);
        self.module_of(ra.checked_sub(1)?)?;
        let mut next = Regs { r: cur.r, pc: ra };
        next.r[fp_reg as usize] = Some(caller_fp);
        next.r[sp_reg as usize] = Some(fp.wrapping_add(16));
        Some(next)
    }
}

enum Step {
    Next(Box<Regs>),
    End,
    NoInfo,
}
