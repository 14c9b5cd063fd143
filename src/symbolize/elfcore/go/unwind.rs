//! Unwinding goroutine stacks with the call-frame information the Go
//! linker writes into `.debug_frame` (one entry per function, assembly
//! included, from the compiler's stack-pointer deltas), evaluated with
//! gimli. Where a pc has no entry the frame-pointer chain is followed
//! (amd64: `[bp]` is the caller's bp, `[bp+8]` the return address; arm64:
//! `[fp]` and `[fp+8]`), as long as it stays inside the goroutine's stack.

use crate::input::elfcore::{Arch, Memory};
use gimli::{
    BaseAddresses, CfaRule, DebugFrame, EndianSlice, LittleEndian, RegisterRule, UnwindContext,
    UnwindSection,
};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cell::RefCell;

/// The rules at one pc: the CFA's offset from sp, the return address's
/// offset from the CFA (`None`: still in the link register).
type Rules = Option<(i64, Option<i64>)>;

type Slice<'a> = EndianSlice<'a, LittleEndian>;

/// The registers a Go frame is unwound from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Regs {
    /// Program counter.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer (rbp, x29); 0 when unknown.
    pub fp: u64,
    /// Link register (arm64 x30); 0 when unknown or on amd64.
    pub lr: u64,
}

/// One unwound frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Its pc: a return address except for the first frame.
    pub pc: u64,
    /// The stack pointer in the frame.
    pub sp: u64,
    /// The frame's CFA (the caller's sp), 0 when unknown.
    pub fp: u64,
}

/// `.debug_frame` of the binary with its entries sorted by address.
pub struct FrameTable<'a> {
    data: Cow<'a, [u8]>,
    /// `(start, end, offset of the FDE)` in link-time addresses.
    fdes: Vec<(u64, u64, usize)>,
    arch: Arch,
    /// Runtime minus link-time addresses.
    bias: u64,
    /// The rules of every pc looked up so far: goroutines share most of
    /// their frames.
    cache: RefCell<FxHashMap<u64, Rules>>,
}

impl<'a> FrameTable<'a> {
    /// Indexes the `.debug_frame` of `file` (none: frame pointers only).
    pub fn new(file: &object::File<'a>, arch: Arch, bias: u64) -> FrameTable<'a> {
        use object::{Object, ObjectSection};
        let data = file
            .section_by_name(".debug_frame")
            .and_then(|s| s.uncompressed_data().ok())
            .unwrap_or(Cow::Borrowed(&[]));
        let mut fdes = Vec::new();
        {
            let mut section = DebugFrame::new(&data, LittleEndian);
            section.set_address_size(8);
            let bases = BaseAddresses::default();
            let mut entries = section.entries(&bases);
            while let Ok(Some(entry)) = entries.next() {
                if let gimli::CieOrFde::Fde(partial) = entry {
                    if let Ok(fde) = partial.parse(DebugFrame::cie_from_offset) {
                        let start = fde.initial_address();
                        let offset = fde.offset();
                        fdes.push((start, start.saturating_add(fde.len()), offset));
                    }
                }
            }
        }
        fdes.sort_unstable_by_key(|f| f.0);
        FrameTable {
            data,
            fdes,
            arch,
            bias,
            cache: RefCell::new(FxHashMap::default()),
        }
    }

    /// Whether the table has entries.
    pub fn is_empty(&self) -> bool {
        self.fdes.is_empty()
    }

    /// The CFA and return-address rules at `pc` (runtime address):
    /// `(cfa offset from sp, ra offset from cfa or None when the return
    /// address is still in the link register)`.
    fn rules(&self, pc: u64, ctx: &mut UnwindContext<usize>) -> Rules {
        if let Some(r) = self.cache.borrow().get(&pc) {
            return *r;
        }
        let r = self.compute(pc, ctx);
        self.cache.borrow_mut().insert(pc, r);
        r
    }

    fn compute(&self, pc: u64, ctx: &mut UnwindContext<usize>) -> Rules {
        let at = pc.wrapping_sub(self.bias);
        let i = self.fdes.partition_point(|f| f.0 <= at).checked_sub(1)?;
        let (start, end, offset) = *self.fdes.get(i)?;
        if at < start || at >= end {
            return None;
        }
        let mut section: DebugFrame<Slice<'_>> = DebugFrame::new(&self.data, LittleEndian);
        section.set_address_size(8);
        let bases = BaseAddresses::default();
        let fde = section
            .fde_from_offset(
                &bases,
                gimli::DebugFrameOffset(offset),
                DebugFrame::cie_from_offset,
            )
            .ok()?;
        let row = fde
            .unwind_info_for_address(&section, &bases, ctx, at)
            .ok()?;
        let sp_reg = match self.arch {
            Arch::X86_64 => gimli::X86_64::RSP,
            Arch::Aarch64 => gimli::AArch64::SP,
        };
        let cfa = match row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } if *register == sp_reg => *offset,
            _ => return None,
        };
        let ra = match row.register(fde.cie().return_address_register()) {
            RegisterRule::Offset(o) => Some(o),
            RegisterRule::Undefined | RegisterRule::SameValue => None,
            _ => return None,
        };
        Some((cfa, ra))
    }

    /// Unwinds from `start` while frames stay inside `[lo, hi)`, at most
    /// `max` frames; stops after a frame for which `last` is true.
    pub fn unwind(
        &self,
        mem: &dyn Memory,
        start: Regs,
        lo: u64,
        hi: u64,
        max: usize,
        last: &dyn Fn(u64) -> bool,
    ) -> Vec<Frame> {
        let mut out: Vec<Frame> = Vec::new();
        let mut ctx = UnwindContext::new();
        let mut cur = start;
        let inside = |sp: u64| lo <= sp && sp < hi;
        while out.len() < max && cur.pc != 0 && inside(cur.sp) {
            let lookup = if out.is_empty() { cur.pc } else { cur.pc - 1 };
            let rules = self.rules(lookup, &mut ctx);
            let mut frame = Frame {
                pc: cur.pc,
                sp: cur.sp,
                fp: 0,
            };
            let next = match rules {
                Some((cfa_off, ra)) => {
                    let cfa = cur.sp.wrapping_add(cfa_off as u64);
                    frame.fp = cfa;
                    let pc = match ra {
                        Some(o) => mem.read_u64(cfa.wrapping_add(o as u64)),
                        None if out.is_empty() && cur.lr != 0 => Some(cur.lr),
                        None => None,
                    };
                    // The saved frame pointer sits below the return address
                    // on amd64 when the function has a frame.
                    let fp = match self.arch {
                        Arch::X86_64 if cfa_off > 8 => mem.read_u64(cfa.wrapping_sub(16)),
                        _ => Some(cur.fp),
                    };
                    pc.map(|pc| Regs {
                        pc,
                        sp: cfa,
                        fp: fp.unwrap_or(0),
                        lr: 0,
                    })
                }
                None => self.step_fp(mem, &cur, &inside),
            };
            out.push(frame);
            if last(cur.pc) {
                break;
            }
            match next {
                // The stack grows down: each caller's sp is above.
                Some(n) if n.sp > cur.sp || (n.sp == cur.sp && out.len() == 1) => cur = n,
                _ => break,
            }
        }
        out
    }

    fn step_fp(&self, mem: &dyn Memory, cur: &Regs, inside: &dyn Fn(u64) -> bool) -> Option<Regs> {
        if cur.fp == 0 || !inside(cur.fp) || cur.fp < cur.sp {
            return None;
        }
        let saved = mem.read_u64(cur.fp)?;
        let ra = mem.read_u64(cur.fp.checked_add(8)?)?;
        Some(Regs {
            pc: ra,
            sp: cur.fp.wrapping_add(16),
            fp: saved,
            lr: 0,
        })
    }
}

/// The registers of a thread as unwinding starts from them.
pub fn thread_regs(arch: Arch, regs: &[u64]) -> Option<Regs> {
    let r = |i: usize| regs.get(i).copied();
    Some(match arch {
        Arch::X86_64 => Regs {
            pc: r(16)?,
            sp: r(19)?,
            fp: r(4)?,
            lr: 0,
        },
        Arch::Aarch64 => Regs {
            pc: r(32)?,
            sp: r(31)?,
            fp: r(29)?,
            lr: r(30)?,
        },
    })
}
