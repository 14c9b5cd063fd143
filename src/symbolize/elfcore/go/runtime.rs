//! The Go runtime's state in a core: every goroutine of `runtime.allgs`,
//! every M of `runtime.allm`, and the runtime's own name tables
//! (`runtime.waitReasonStrings`, `runtime.gStatusStrings`), read from the
//! process's memory with the offsets of [`Layout`].

use super::layout::{LabelLayout, Layout};
use crate::input::elfcore::Memory;
use std::fmt::Write;

/// Goroutines read at most (a damaged `allgs` length cannot run away).
pub const MAX_GOROUTINES: u64 = 10_000_000;
/// Labels read at most per goroutine.
pub const MAX_LABELS: u64 = 64;
/// Bytes read at most per label key or value.
pub const MAX_LABEL_BYTES: u64 = 1024;
/// Ms read at most.
const MAX_MS: usize = 100_000;

/// `_Grunning`.
pub const RUNNING: u32 = 2;
/// `_Gsyscall`.
pub const SYSCALL: u32 = 3;
/// `_Gwaiting`.
pub const WAITING: u32 = 4;
/// `_Gdead`.
pub const DEAD: u32 = 6;
/// The scan bit of `atomicstatus`.
pub const SCAN: u32 = 0x1000;

/// One goroutine as the runtime keeps it.
#[derive(Debug, Clone, Default)]
pub struct G {
    /// The `g`'s address.
    pub addr: u64,
    /// `goid`.
    pub goid: u64,
    /// `atomicstatus`, scan bit included.
    pub status: u32,
    /// `waitreason`.
    pub waitreason: u8,
    /// `waitsince` (nanotime), 0 when unset.
    pub waitsince: i64,
    /// `gopc`.
    pub gopc: u64,
    /// `parentGoid`.
    pub parent: u64,
    /// `sched.pc`, `sched.sp`, `sched.bp`, `sched.lr`.
    pub sched: [u64; 4],
    /// `syscallsp`, `syscallpc`.
    pub syscall: [u64; 2],
    /// `stack.lo`, `stack.hi`.
    pub stack: [u64; 2],
    /// `m`.
    pub m: u64,
    /// `lockedm`.
    pub lockedm: u64,
    /// `labels`: the pprof label set, 0 when none.
    pub labels: u64,
}

/// One M (an OS thread of the runtime).
#[derive(Debug, Clone, Default)]
pub struct M {
    /// The `m`'s address.
    pub addr: u64,
    /// `id`.
    pub id: i64,
    /// `procid`: the LWP.
    pub procid: u64,
    /// `curg`.
    pub curg: u64,
    /// `g0`.
    pub g0: u64,
    /// `gsignal`.
    pub gsignal: u64,
}

fn word(mem: &dyn Memory, base: u64, off: Option<u64>) -> u64 {
    off.and_then(|o| mem.read_u64(base.wrapping_add(o)))
        .unwrap_or(0)
}

/// Reads the `g` at `addr`; `None` when its memory is not in the core.
pub fn read_g(mem: &dyn Memory, l: &Layout, addr: u64) -> Option<G> {
    let goid = mem.read_u64(addr.checked_add(l.g_goid)?)?;
    let status = mem.read_u32(addr.checked_add(l.g_status)?)?;
    let mut b = [0u8; 1];
    let waitreason = match l.g_waitreason {
        Some(o) if mem.read(addr.wrapping_add(o), &mut b) => b[0],
        _ => 0,
    };
    Some(G {
        addr,
        goid,
        status,
        waitreason,
        waitsince: word(mem, addr, l.g_waitsince) as i64,
        gopc: word(mem, addr, l.g_gopc),
        parent: word(mem, addr, l.g_parent),
        sched: [
            word(mem, addr, Some(l.g_sched_pc)),
            word(mem, addr, Some(l.g_sched_sp)),
            word(mem, addr, l.g_sched_bp),
            word(mem, addr, l.g_sched_lr),
        ],
        syscall: [
            word(mem, addr, l.g_syscallsp),
            word(mem, addr, l.g_syscallpc),
        ],
        stack: [
            word(mem, addr, Some(l.g_stack_lo)),
            word(mem, addr, Some(l.g_stack_hi)),
        ],
        m: word(mem, addr, l.g_m),
        lockedm: word(mem, addr, l.g_lockedm),
        labels: word(mem, addr, l.g_labels),
    })
}

/// The goroutines of `runtime.allgs` (a `[]*g` at `allgs`), in its order;
/// the count of entries that could not be read.
pub fn all_gs(mem: &dyn Memory, l: &Layout, allgs: u64) -> Result<(Vec<G>, usize), String> {
    let (Some(ptr), Some(len)) = (mem.read_u64(allgs), mem.read_u64(allgs + 8)) else {
        return Err(format!(
            "runtime.allgs at {allgs:#x} is not in the core: the core does not hold the runtime's data"
        ));
    };
    if len > MAX_GOROUTINES {
        return Err(format!(
            "runtime.allgs holds {len} goroutines: damaged (or a binary that does not match the core)"
        ));
    }
    let mut out = Vec::with_capacity(len as usize);
    let mut lost = 0usize;
    for i in 0..len {
        let Some(g) = mem
            .read_u64(ptr.wrapping_add(i * 8))
            .filter(|&a| a != 0)
            .and_then(|a| read_g(mem, l, a))
        else {
            lost += 1;
            continue;
        };
        out.push(g);
    }
    Ok((out, lost))
}

/// The Ms of `runtime.allm` (the `*m` at `allm`, linked by `alllink`).
pub fn all_ms(mem: &dyn Memory, l: &Layout, allm: u64) -> Vec<M> {
    let mut out = Vec::new();
    let Some(link) = l.m_alllink else {
        return out;
    };
    let mut at = mem.read_u64(allm).unwrap_or(0);
    while at != 0 && out.len() < MAX_MS {
        out.push(M {
            addr: at,
            id: word(mem, at, l.m_id) as i64,
            procid: word(mem, at, l.m_procid),
            curg: word(mem, at, l.m_curg),
            g0: word(mem, at, l.m_g0),
            gsignal: word(mem, at, l.m_gsignal),
        });
        at = mem.read_u64(at.wrapping_add(link)).unwrap_or(0);
    }
    out
}

/// A `[N]string` array of `size` bytes at `addr` (Go strings: pointer and
/// length), each string at most 256 bytes.
pub fn strings(mem: &dyn Memory, addr: u64, size: u64) -> Vec<String> {
    let n = (size / 16).min(1024);
    (0..n)
        .map(|i| {
            let at = addr.wrapping_add(i * 16);
            match (mem.read_u64(at), mem.read_u64(at.wrapping_add(8))) {
                (Some(p), Some(len)) if len > 0 && len <= 256 => {
                    let mut buf = vec![0u8; len as usize];
                    if mem.read(p, &mut buf) {
                        String::from_utf8_lossy(&buf).into_owned()
                    } else {
                        String::new()
                    }
                }
                _ => String::new(),
            }
        })
        .collect()
}

/// The Go string (pointer, length) at `at`, when its bytes are in the core
/// and it is at most [`MAX_LABEL_BYTES`] long.
/// Read into `buf` (no allocation per goroutine).
fn go_string<'b>(
    mem: &dyn Memory,
    at: u64,
    buf: &'b mut [u8; MAX_LABEL_BYTES as usize],
) -> Option<&'b [u8]> {
    let (p, len) = (mem.read_u64(at)?, mem.read_u64(at.wrapping_add(8))?);
    let bytes = buf.get_mut(..usize::try_from(len).ok()?)?;
    (bytes.is_empty() || mem.read(p, bytes)).then_some(bytes)
}

/// Whether the runtime prints `s` quoted in a traceback header (anything
/// but letters, digits, `.`, `/` and `_`).
fn needs_quoting(s: &str) -> bool {
    !s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/' || c == '_')
}

/// `s` as the runtime prints a label key or value: bare, or quoted with
/// its escapes (`\n`, `\xNN`, `\uNNNN`, ...) when it needs quoting.
fn write_label_string(bytes: &[u8], out: &mut String) {
    let s = String::from_utf8_lossy(bytes);
    if !needs_quoting(&s) {
        out.push_str(&s);
        return;
    }
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let _ = match c {
                '\n' => write!(out, "\\n"),
                '\r' => write!(out, "\\r"),
                '\t' => write!(out, "\\t"),
                '\\' | '"' => write!(out, "\\{c}"),
                ' '..='~' => write!(out, "{c}"),
                c if (c as u32) < 127 => write!(out, "\\x{:02x}", c as u32),
                c if (c as u32) < 0x1_0000 => write!(out, "\\u{:04x}", c as u32),
                c => write!(out, "\\U{:08x}", c as u32),
            };
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
}

/// Writes the label set at `set` (a `g.labels`) as the runtime prints it
/// after a goroutine's state (` {key: value, ...}`, Go 1.27); nothing when
/// the set is empty or not in the core. At most [`MAX_LABELS`] pairs.
pub fn write_labels(mem: &dyn Memory, l: &LabelLayout, set: u64, out: &mut String) {
    let at = set.wrapping_add(l.list);
    let (Some(ptr), Some(len)) = (mem.read_u64(at), mem.read_u64(at.wrapping_add(8))) else {
        return;
    };
    let len = len.min(MAX_LABELS);
    let mut key_buf = [0u8; MAX_LABEL_BYTES as usize];
    let mut value_buf = [0u8; MAX_LABEL_BYTES as usize];
    let mut first = true;
    for i in 0..len {
        let pair = ptr.wrapping_add(i.wrapping_mul(l.size));
        let (Some(key), Some(value)) = (
            go_string(mem, pair.wrapping_add(l.key), &mut key_buf),
            go_string(mem, pair.wrapping_add(l.value), &mut value_buf),
        ) else {
            continue;
        };
        out.push_str(if first { " {" } else { ", " });
        first = false;
        write_label_string(key, out);
        out.push_str(": ");
        write_label_string(value, out);
    }
    if !first {
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_quoted_as_the_runtime_quotes_them_and_read_back() {
        let cases: [(&[u8], &str); 6] = [
            (b"checkout", "checkout"),
            (b"a/b_c.d", "a/b_c.d"),
            (b"acme-eu", "\"acme-eu\""),
            (b"say \"hi\"\n\t\\", "\"say \\\"hi\\\"\\n\\t\\\\\""),
            ("é\u{1}\u{10000}".as_bytes(), "\"\\u00e9\\x01\\U00010000\""),
            (b"", ""),
        ];
        for (raw, printed) in cases {
            let mut out = String::new();
            write_label_string(raw, &mut out);
            assert_eq!(out, printed);
            let body = format!("k: {out}");
            let read = crate::parse::go::line::parse_labels(body.as_bytes());
            let want = String::from_utf8_lossy(raw).into_owned();
            assert_eq!(read, vec![("k".to_string(), want)], "{printed}");
        }
    }

    /// Bytes from `base` on.
    struct Flat(u64, Vec<u8>);

    impl Memory for Flat {
        fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
            let Some(at) = addr
                .checked_sub(self.0)
                .and_then(|a| usize::try_from(a).ok())
            else {
                return false;
            };
            match self.1.get(at..at.saturating_add(buf.len())) {
                Some(b) => {
                    buf.copy_from_slice(b);
                    true
                }
                None => false,
            }
        }
        fn slice(&self, _: u64, _: u64) -> Option<&[u8]> {
            None
        }
    }

    fn put(m: &mut Flat, at: u64, v: u64) {
        let i = (at - m.0) as usize;
        m.1[i..i + 8].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn label_sets_are_read_within_bounds() {
        let base = 0x1000;
        let mut m = Flat(base, vec![0; 0x2000]);
        let l = LabelLayout {
            list: 8,
            size: 32,
            key: 0,
            value: 16,
        };
        // The set at base: its slice at +8 points to pairs at base+0x100.
        let pairs = base + 0x100;
        put(&mut m, base + 8, pairs);
        put(&mut m, base + 16, 3);
        let text = base + 0x40;
        m.1[0x40..0x4f].copy_from_slice(b"tenantt1handler");
        let pair = |m: &mut Flat, i: u64, k: (u64, u64), v: (u64, u64)| {
            let at = pairs + i * 32;
            put(m, at, k.0);
            put(m, at + 8, k.1);
            put(m, at + 16, v.0);
            put(m, at + 24, v.1);
        };
        pair(&mut m, 0, (text, 6), (text + 6, 2));
        // A value longer than 1 KiB: the pair is left out.
        pair(&mut m, 1, (text + 8, 7), (text, 5000));
        pair(&mut m, 2, (text + 8, 7), (text + 8, 0));
        let mut out = String::new();
        write_labels(&m, &l, base, &mut out);
        assert_eq!(out, " {tenant: t1, handler: }");
        // A damaged length reads at most MAX_LABELS pairs, and a set or
        // strings near the end of the address space do not overflow.
        put(&mut m, base + 16, u64::MAX);
        let mut out = String::new();
        write_labels(&m, &l, base, &mut out);
        // 64 pairs read (zeroed memory after the third: empty strings),
        // the long one left out.
        assert_eq!(out.matches(": ").count(), 63);
        put(&mut m, base + 8, u64::MAX - 8);
        let mut out = String::new();
        write_labels(&m, &l, base, &mut out);
        write_labels(&m, &l, u64::MAX - 4, &mut out);
        assert_eq!(out, "");
    }
}
