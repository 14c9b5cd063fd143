//! The arguments the runtime prints for each frame (`f(0xc000012345,
//! 0x1?)`), read as the runtime reads them: the function's `_func` record
//! in the pclntab (found through `runtime.pclntab`'s header, whose layout,
//! like `_func`'s, comes from the DWARF), its `ArgInfo` funcdata (which
//! words of the argument area to print, in which aggregates) and its
//! `ArgLiveInfo` (a `?` after a register argument's spill slot that is not
//! live at the pc).

use super::layout::Layout;
use crate::input::elfcore::Memory;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

/// `FUNCDATA_ArgInfo`.
const FUNCDATA_ARG_INFO: u64 = 5;
/// `FUNCDATA_ArgLiveInfo`.
const FUNCDATA_ARG_LIVE_INFO: u64 = 6;
/// `PCDATA_ArgLiveIndex`.
const PCDATA_ARG_LIVE_INDEX: u64 = 3;
/// `TraceArgsMaxLen`: the longest `ArgInfo` sequence.
const MAX_ARG_INFO: usize = 161;

/// The pclntab of the executable, in the process's memory.
#[derive(Debug)]
pub struct Pcln {
    min_lc: u64,
    text: u64,
    pctab: u64,
    ftab: u64,
    nfunc: u64,
    gofunc: u64,
    npcdata: u64,
    nfuncdata: u64,
    /// What to print at each pc looked up so far.
    cache: RefCell<FxHashMap<u64, Option<Rc<Program>>>>,
}

/// How the runtime prints a frame's arguments at one pc.
#[derive(Debug)]
struct Program {
    /// The `ArgInfo` bytes.
    info: Vec<u8>,
    /// `ArgLiveInfo`'s address, the pc's liveness index, the first offset
    /// that needs liveness.
    live: Option<(u64, i32, u8)>,
}

impl Pcln {
    /// Reads the module's tables from `runtime.firstmoduledata` at
    /// `moduledata`.
    pub fn new(mem: &dyn Memory, l: &Layout, moduledata: u64) -> Option<Pcln> {
        let [header, pctab, ftab, text] = l.moduledata?;
        let [npcdata, nfuncdata] = l.func?;
        let header = mem.read_u64(moduledata + header)?;
        let min_lc = Self::byte(mem, header + l.pcheader_minlc?)?;
        Some(Pcln {
            min_lc: u64::from(min_lc).max(1),
            text: mem.read_u64(moduledata + text)?,
            pctab: mem.read_u64(moduledata + pctab)?,
            ftab: mem.read_u64(moduledata + ftab)?,
            nfunc: mem.read_u64(moduledata + ftab + 8)?.min(1 << 24),
            gofunc: mem.read_u64(moduledata + l.moduledata_gofunc?)?,
            npcdata,
            nfuncdata,
            cache: RefCell::new(FxHashMap::default()),
        })
    }

    /// The `_func` of the function whose entry is `entry`.
    fn func(&self, mem: &dyn Memory, entry: u64) -> Option<u64> {
        let want = entry.checked_sub(self.text)?;
        let (mut lo, mut hi) = (0u64, self.nfunc);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let off = u64::from(mem.read_u32(self.ftab + mid * 8)?);
            match off.cmp(&want) {
                std::cmp::Ordering::Equal => {
                    let funcoff = u64::from(mem.read_u32(self.ftab + mid * 8 + 4)?);
                    return Some(self.ftab + funcoff);
                }
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }

    fn byte(mem: &dyn Memory, at: u64) -> Option<u8> {
        let mut b = [0u8; 1];
        mem.read(at, &mut b).then_some(b[0])
    }

    /// The address of funcdata `i` of `f`.
    fn funcdata(&self, mem: &dyn Memory, f: u64, i: u64) -> Option<u64> {
        let n = u64::from(Self::byte(mem, f + self.nfuncdata)?);
        if i >= n {
            return None;
        }
        let npc = u64::from(mem.read_u32(f + self.npcdata)?);
        let off = mem.read_u32(f + self.nfuncdata + 1 + npc * 4 + i * 4)?;
        (off != u32::MAX).then(|| self.gofunc + u64::from(off))
    }

    /// The value of pcdata table `i` of `f` (entry `entry`) at `pc`; -1
    /// when there is none.
    fn pcdata(&self, mem: &dyn Memory, f: u64, entry: u64, i: u64, target: u64) -> i32 {
        let npc = mem.read_u32(f + self.npcdata).map_or(0, u64::from);
        if i >= npc {
            return -1;
        }
        let Some(off) = mem
            .read_u32(f + self.nfuncdata + 1 + i * 4)
            .filter(|&o| o != 0)
        else {
            return -1;
        };
        let Some(table) = mem.slice(self.pctab + u64::from(off), 4096) else {
            return -1;
        };
        let mut p = table;
        let mut pc = entry;
        let mut val: i32 = -1;
        let mut first = true;
        loop {
            let Some((uv, n)) = varint(p) else { return -1 };
            if uv == 0 && !first {
                return -1;
            }
            p = &p[n..];
            val = val.wrapping_add((-((uv & 1) as i32)) ^ ((uv >> 1) as i32));
            let Some((pcd, n)) = varint(p) else { return -1 };
            p = &p[n..];
            pc = pc.wrapping_add(u64::from(pcd) * self.min_lc);
            first = false;
            if target < pc {
                return val;
            }
        }
    }

    /// What to print for the function at `entry` at `pc`.
    fn program(&self, mem: &dyn Memory, entry: u64, pc: u64) -> Option<Program> {
        let f = self.func(mem, entry)?;
        let info = self.funcdata(mem, f, FUNCDATA_ARG_INFO)?;
        let bytes = mem.slice(info, MAX_ARG_INFO as u64)?;
        let end = bytes
            .iter()
            .position(|&b| b == 0xff)
            .map_or(bytes.len(), |e| e + 1);
        let live = self.funcdata(mem, f, FUNCDATA_ARG_LIVE_INFO).map(|l| {
            (
                l,
                self.pcdata(mem, f, entry, PCDATA_ARG_LIVE_INDEX, pc),
                Self::byte(mem, l).unwrap_or(0xff),
            )
        });
        Some(Program {
            info: bytes[..end].to_vec(),
            live,
        })
    }

    /// The arguments of the frame of the function at `entry`, its pc
    /// looked up at `pc`, its argument area at `argp`, as the runtime
    /// prints them (without the parentheses); `None` when the function has
    /// no argument information.
    pub fn args(&self, mem: &dyn Memory, entry: u64, pc: u64, argp: u64) -> Option<String> {
        let cached = self.cache.borrow().get(&pc).cloned();
        let prog = match cached {
            Some(p) => p?,
            None => {
                let p = self.program(mem, entry, pc).map(Rc::new);
                self.cache.borrow_mut().insert(pc, p.clone());
                p?
            }
        };
        let p = &prog.info[..];
        let start_offset = prog.live.map_or(0xff, |l| l.2);
        let is_live = |off: u8, slot: u8| -> bool {
            let Some((l, live_idx, start_offset)) = prog.live else {
                return true;
            };
            if live_idx <= 0 || off < start_offset {
                return true;
            }
            Self::byte(mem, l + live_idx as u64 + u64::from(slot / 8))
                .is_none_or(|bits| bits & (1 << (slot % 8)) != 0)
        };
        let mut out = String::new();
        let mut start = true;
        let mut slot = 0u8;
        let mut i = 0usize;
        while let Some(&o) = p.get(i) {
            i += 1;
            let comma = |out: &mut String, start: bool| {
                if !start {
                    out.push_str(", ");
                }
            };
            match o {
                0xff => break,
                0xfe => {
                    comma(&mut out, start);
                    out.push('{');
                    start = true;
                    continue;
                }
                0xfd => out.push('}'),
                0xfc => {
                    comma(&mut out, start);
                    out.push_str("...");
                }
                0xfb => {
                    comma(&mut out, start);
                    out.push('_');
                }
                _ => {
                    comma(&mut out, start);
                    let sz = *p.get(i)?;
                    i += 1;
                    let mut x = mem.read_u64(argp + u64::from(o)).unwrap_or(0);
                    if sz < 8 {
                        let shift = 64 - u32::from(sz) * 8;
                        x = (x << shift) >> shift;
                    }
                    let _ = write!(out, "{x:#x}");
                    if !is_live(o, slot) {
                        out.push('?');
                    }
                    if o >= start_offset {
                        slot = slot.wrapping_add(1);
                    }
                }
            }
            start = false;
        }
        Some(out)
    }
}

/// An unsigned LEB128 varint of at most 32 bits, and its length.
fn varint(p: &[u8]) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut shift = 0u32;
    for (n, b) in p.iter().enumerate().take(5) {
        v |= u32::from(b & 0x7f) << (shift & 31);
        if b & 0x80 == 0 {
            return Some((v, n + 1));
        }
        shift += 7;
    }
    None
}
