//! What each blocked goroutine waits on, read from the runtime's wait
//! queues rather than guessed from its frames: the channel of a goroutine
//! parked in a send or receive (its `sudog`'s `c`, from `g.waiting`), the
//! semaphore word of one parked in `runtime.semacquire1` (the `sudog`s of
//! `runtime.semtable`'s treaps, each with the word's address in `elem`),
//! and the state of every channel waited on: its buffer and how many
//! goroutines queue to send and to receive.
//!
//! Everything read here comes from a core and is untrusted: every list is
//! walked at most a bounded number of steps, the treaps with a set of the
//! nodes seen, and an address is only ever offset with wrapping adds.

use super::layout::WaitLayout;
use super::render::Symbols;
use super::runtime::{self, G};
use crate::input::elfcore::Memory;
use crate::model::vocab::go::{
    MUTEX_LOCKED, MUTEX_WAITER_SHIFT, RWMUTEX_MAX_READERS, SEMA_WAITS, STATES,
};
use crate::model::{
    Confidence, LockBasis, LockFact, LockRel, ObjectNote, ResKind, Snapshot, SyncKind, WaitOp,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// `runtime.semTabSize`: the roots of `runtime.semtable`.
pub const SEM_TAB_SIZE: u64 = 251;
/// `sudog`s visited at most, all lists and treaps together (a corrupt
/// core's lists cannot run away).
const MAX_STEPS: usize = 1 << 23;
/// `sudog`s counted on one list at most (a `select`'s cases, a channel's
/// queue).
const MAX_LIST: usize = 1 << 20;

/// What one goroutine waits on, as the runtime's queues say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// A semaphore: the address of its word.
    Sema(u64),
    /// A channel (an `hchan`'s address).
    Chan(u64),
    /// A `select` over this many channel cases.
    Select(u32),
}

/// A channel's state: its buffer and its queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChanState {
    /// Values in the buffer (`qcount`).
    pub queued: u64,
    /// The buffer's size (`dataqsiz`; 0: unbuffered).
    pub capacity: u64,
    /// Closed.
    pub closed: bool,
    /// Goroutines queued to send (`sendq`); `None` when the queue could
    /// not be followed to its end (damaged).
    pub senders: Option<usize>,
    /// Goroutines queued to receive (`recvq`), likewise.
    pub receivers: Option<usize>,
}

impl ChanState {
    /// `unbuffered, 3 senders waiting, no receiver`, `buffer 2/2 (full),
    /// 2 senders waiting, no receiver`, `closed, ...`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(4);
        if self.closed {
            parts.push("closed".into());
        }
        if self.capacity == 0 {
            parts.push("unbuffered".into());
        } else {
            let full = if self.queued >= self.capacity {
                " (full)"
            } else if self.queued == 0 {
                " (empty)"
            } else {
                ""
            };
            parts.push(format!("buffer {}/{}{full}", self.queued, self.capacity));
        }
        let waiting = |n: Option<usize>, one: &str, many: &str| match n {
            None => format!("{one} queue unreadable"),
            Some(0) => format!("no {one}"),
            Some(1) => format!("1 {one} waiting"),
            Some(n) => format!("{n} {many} waiting"),
        };
        parts.push(waiting(self.senders, "sender", "senders"));
        parts.push(waiting(self.receivers, "receiver", "receivers"));
        parts.join(", ")
    }
}

/// The waits read from memory.
#[derive(Debug, Default)]
pub struct MemWaits {
    /// By the `g`'s address.
    pub by_g: FxHashMap<u64, Waited>,
    /// Every channel some goroutine waits on, by its address.
    pub chans: FxHashMap<u64, ChanState>,
    /// A list was longer than the bound, or looped: some waits may be
    /// missing.
    pub cut: bool,
}

/// Counts the `sudog`s of a list linked at `link`, from `first`; `None`
/// when the list is longer than [`MAX_LIST`] (or loops) or the steps
/// `left` run out.
fn list_len(mem: &dyn Memory, first: u64, link: u64, left: &mut usize) -> Option<usize> {
    let mut at = first;
    let mut n = 0usize;
    while at != 0 {
        n += 1;
        if n > MAX_LIST || *left == 0 {
            return None;
        }
        *left -= 1;
        // A link that cannot be read is damage, not the list's end.
        at = mem.read_u64(at.wrapping_add(link))?;
    }
    Some(n)
}

/// A semaphore word: 4-byte aligned and in the core.
fn is_word(mem: &dyn Memory, addr: u64) -> bool {
    addr != 0 && addr % 4 == 0 && mem.read_u32(addr).is_some()
}

/// An `hchan`: 8-byte aligned and in the core.
fn is_chan(mem: &dyn Memory, addr: u64) -> bool {
    addr != 0 && addr % 8 == 0 && mem.read_u64(addr).is_some()
}

/// Reads the waits of the goroutines `gs`: the semaphore treaps of
/// `runtime.semtable` (`semtable`: its address and size), then each
/// waiting goroutine's `g.waiting`, then the channels waited on.
pub fn read(mem: &dyn Memory, l: &WaitLayout, semtable: Option<(u64, u64)>, gs: &[G]) -> MemWaits {
    let mut out = MemWaits::default();
    let mut left = MAX_STEPS;
    if let Some((addr, size)) = semtable {
        sema_waits(mem, l, addr, size, &mut left, &mut out);
    }
    for g in gs {
        if g.status & !runtime::SCAN != runtime::WAITING || out.by_g.contains_key(&g.addr) {
            continue;
        }
        let Some(first) = mem
            .read_u64(g.addr.wrapping_add(l.g_waiting))
            .filter(|&s| s != 0)
        else {
            continue;
        };
        // The list is the goroutine's own: every sudog names it.
        if mem.read_u64(first.wrapping_add(l.sudog_g)) != Some(g.addr) {
            continue;
        }
        let c = mem.read_u64(first.wrapping_add(l.sudog_c)).unwrap_or(0);
        if c == 0 {
            // A semaphore waiter (Go 1.26 and later set g.waiting too).
            if let Some(word) = mem
                .read_u64(first.wrapping_add(l.sudog_elem))
                .filter(|&w| is_word(mem, w))
            {
                out.by_g.insert(g.addr, Waited::Sema(word));
            }
            continue;
        }
        match list_len(mem, first, l.sudog_waitlink, &mut left) {
            Some(1) if !is_chan(mem, c) => out.cut = true,
            Some(1) => {
                out.by_g.insert(g.addr, Waited::Chan(c));
                out.chans.entry(c).or_default();
            }
            Some(n) => {
                out.by_g
                    .insert(g.addr, Waited::Select(u32::try_from(n).unwrap_or(u32::MAX)));
            }
            None => out.cut = true,
        }
    }
    for (&c, state) in out.chans.iter_mut() {
        let word = |off: u64| mem.read_u64(c.wrapping_add(off)).unwrap_or(0);
        let senders = list_len(mem, word(l.hchan_queues[1]), l.sudog_next, &mut left);
        let receivers = list_len(mem, word(l.hchan_queues[0]), l.sudog_next, &mut left);
        out.cut |= senders.is_none() || receivers.is_none();
        *state = ChanState {
            queued: word(l.hchan[0]),
            capacity: word(l.hchan[1]),
            closed: mem.read_u32(c.wrapping_add(l.hchan[2])).unwrap_or(0) != 0,
            senders,
            receivers,
        };
    }
    out
}

/// The waiters of every semaphore: each root's treap (`prev` and `next`
/// children, one node per address), and each node's list of waiters on
/// the same address (`waitlink`).
fn sema_waits(
    mem: &dyn Memory,
    l: &WaitLayout,
    table: u64,
    size: u64,
    left: &mut usize,
    out: &mut MemWaits,
) {
    let stride = size / SEM_TAB_SIZE;
    if stride < 8 || size % SEM_TAB_SIZE != 0 {
        return;
    }
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    let mut todo: Vec<u64> = Vec::new();
    for i in 0..SEM_TAB_SIZE {
        let root = table.wrapping_add(i.wrapping_mul(stride));
        if let Some(t) = mem
            .read_u64(root.wrapping_add(l.sema_treap))
            .filter(|&t| t != 0)
        {
            todo.push(t);
        }
        while let Some(node) = todo.pop() {
            if !seen.insert(node) {
                continue;
            }
            let Some(word) = mem
                .read_u64(node.wrapping_add(l.sudog_elem))
                .filter(|&w| is_word(mem, w))
            else {
                out.cut = true;
                continue;
            };
            // The node and the waiters queued behind it on the same word.
            let mut at = node;
            let mut steps = 0usize;
            while at != 0 {
                if *left == 0 {
                    out.cut = true;
                    return;
                }
                if steps == MAX_LIST {
                    out.cut = true;
                    break;
                }
                *left -= 1;
                steps += 1;
                if let Some(g) = mem.read_u64(at.wrapping_add(l.sudog_g)).filter(|&g| g != 0) {
                    out.by_g.insert(g, Waited::Sema(word));
                }
                at = mem
                    .read_u64(at.wrapping_add(l.sudog_waitlink))
                    .unwrap_or_else(|| {
                        out.cut = true;
                        0
                    });
                if at == node {
                    break;
                }
            }
            for child in [l.sudog_prev, l.sudog_next] {
                if let Some(c) = mem.read_u64(node.wrapping_add(child)).filter(|&c| c != 0) {
                    todo.push(c);
                }
            }
        }
    }
}

/// Records the waits `mw` read from memory in the snapshot `snap` (the
/// goroutines `gs` rendered and parsed): one certain [`LockFact`] per
/// goroutine parked on a channel or on the semaphore of a `sync` primitive
/// whose wait reason (`reasons`, the runtime's names) the vocabulary knows
/// ([`SEMA_WAITS`], [`STATES`]), with the primitive's own address (the
/// semaphore word's less the word's offset in the primitive); and one
/// [`ObjectNote`] per object waited on that lies in a data symbol of the
/// binary or is a channel, with its state.
pub fn record(
    snap: &mut Snapshot,
    mem: &dyn Memory,
    mw: &MemWaits,
    gs: &[G],
    l: &WaitLayout,
    reasons: &[String],
    syms: &Symbols,
) {
    if mw.by_g.is_empty() {
        return;
    }
    // What a wait under each reason is (the vocabulary read once per
    // reason, not per goroutine): its kind, operation, and for a
    // semaphore the primitive's type and the word's offset in it.
    type Plan = (ResKind, WaitOp, Option<(&'static str, u64)>);
    let plans: Vec<Option<Plan>> = reasons
        .iter()
        .map(|reason| {
            let &(_, kind, op) = STATES.iter().find(|s| s.0 == reason)?;
            let sema = SEMA_WAITS
                .iter()
                .find(|s| s.0 == reason)
                .zip(l.sema_fields.iter().find(|f| f.0 == reason))
                .map(|((_, ty, _), (_, off))| (*ty, *off));
            Some((kind, op, sema))
        })
        .collect();
    let by_goid: FxHashMap<u64, (Waited, Plan)> = gs
        .iter()
        .filter_map(|g| {
            let w = *mw.by_g.get(&g.addr)?;
            let plan = (*plans.get(usize::from(g.waitreason))?)?;
            Some((g.goid, (w, plan)))
        })
        .collect();
    // (task, relation, kind, address, type)
    let mut found: Vec<(u32, LockRel, SyncKind, u64, &str)> = Vec::new();
    for (i, task) in snap.tasks.iter().enumerate() {
        let Some(&(w, (kind, op, sema))) = by_goid.get(&task.id).filter(|_| task.id != 0) else {
            continue;
        };
        let rel = if op == WaitOp::Wait {
            LockRel::Awaits
        } else {
            LockRel::Acquires
        };
        match w {
            Waited::Sema(word) => {
                let Some((ty, off)) = sema else {
                    continue;
                };
                let sync_kind = match kind {
                    ResKind::Mutex => SyncKind::Mutex,
                    ResKind::RwMutex => SyncKind::RwLock,
                    ResKind::WaitGroup => SyncKind::Latch,
                    _ => continue,
                };
                found.push((i as u32, rel, sync_kind, word.wrapping_sub(off), ty));
            }
            Waited::Chan(c) if kind == ResKind::Chan => {
                found.push((i as u32, LockRel::Awaits, SyncKind::Chan, c, "chan"));
            }
            _ => {}
        }
    }
    if found.is_empty() {
        return;
    }
    let mut notes: FxHashMap<u64, Option<ObjectNote>> = FxHashMap::default();
    let mut classes: Vec<(&str, crate::model::Sym)> = Vec::with_capacity(4);
    let tables = std::sync::Arc::make_mut(&mut snap.tables);
    for (task, rel, kind, addr, ty) in found {
        let class = match classes.iter().find(|c| c.0 == ty) {
            Some(c) => c.1,
            None => {
                let sym = tables.intern(ty);
                classes.push((ty, sym));
                sym
            }
        };
        let line = snap.tasks.get(task as usize).map_or(0, |t| t.line);
        snap.sync.locks.push(LockFact {
            task,
            rel,
            kind,
            addr,
            class,
            frame: 0,
            line,
            basis: LockBasis::Memory,
            confidence: Confidence::Certain,
        });
        notes.entry(addr).or_insert_with(|| {
            let note = ObjectNote {
                addr,
                symbol: syms.data_at(addr),
                state: match mw.chans.get(&addr) {
                    Some(c) => Some(c.describe()),
                    None => sync_state(mem, l, ty, addr),
                },
            };
            (note.symbol.is_some() || note.state.is_some()).then_some(note)
        });
    }
    let mut notes: Vec<ObjectNote> = notes.into_values().flatten().collect();
    notes.sort_unstable_by_key(|n| n.addr);
    snap.sync.notes = notes;
}

/// The state of the `sync` primitive of type `ty` at `addr`: `locked, 2
/// waiters` (a `Mutex`), `held by 1 reader, a writer waiting` (an
/// `RWMutex`), `counter 1` (a `WaitGroup`: the `Done` calls still
/// awaited).
fn sync_state(mem: &dyn Memory, l: &WaitLayout, ty: &str, addr: u64) -> Option<String> {
    let word = |off: Option<u64>| mem.read_u32(addr.wrapping_add(off?)).map(|w| w as i32);
    match ty {
        "sync.Mutex" => {
            let state = word(l.mutex_state)?;
            let waiters = (state as u32) >> MUTEX_WAITER_SHIFT;
            let locked = if state & MUTEX_LOCKED != 0 {
                "locked"
            } else {
                "unlocked"
            };
            Some(match waiters {
                0 => locked.to_string(),
                1 => format!("{locked}, 1 waiter"),
                n => format!("{locked}, {n} waiters"),
            })
        }
        "sync.RWMutex" => {
            // Without a writer waiting, readerCount counts the readers that
            // hold the lock; with one, it is less RWMUTEX_MAX_READERS, and
            // counts those and the readers queued behind the writer, while
            // readerWait counts the readers the writer waits for.
            let count = word(l.rw_readers)?;
            let plural = |n: i32, what: &str| {
                if n == 1 {
                    format!("1 {what}")
                } else {
                    format!("{n} {what}s")
                }
            };
            if count >= 0 {
                return Some(match count {
                    0 => "no reader".to_string(),
                    n => format!("held by {}", plural(n, "reader")),
                });
            }
            let pending = count.wrapping_add(RWMUTEX_MAX_READERS);
            let holding = word(l.rw_reader_wait)?;
            let queued = pending.wrapping_sub(holding);
            let mut out = format!("held by {}, a writer waiting", plural(holding, "reader"));
            if queued > 0 {
                out.push_str(&format!(", {} queued behind it", plural(queued, "reader")));
            }
            Some(out)
        }
        "sync.WaitGroup" => {
            let state = mem.read_u64(addr.wrapping_add(l.wg_state?))?;
            Some(format!("counter {}", (state >> 32) as i32))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory of 8-byte words.
    #[derive(Default)]
    struct Words(FxHashMap<u64, u64>);

    impl Words {
        /// `sudog`s (and a channel) at these addresses, every word 0.
        fn zeroed(addrs: &[u64]) -> Words {
            let mut m = Words::default();
            for a in addrs {
                for off in (0..104).step_by(8) {
                    m.0.insert(a + off, 0);
                }
            }
            m
        }
    }

    impl Memory for Words {
        fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
            match (self.0.get(&addr), buf.len()) {
                (Some(w), 8) => buf.copy_from_slice(&w.to_le_bytes()),
                (Some(w), 4) => buf.copy_from_slice(&(*w as u32).to_le_bytes()),
                _ => return false,
            }
            true
        }
        fn slice(&self, _: u64, _: u64) -> Option<&[u8]> {
            None
        }
    }

    fn layout() -> WaitLayout {
        WaitLayout {
            g_waiting: 0x100,
            sudog_g: 0,
            sudog_next: 8,
            sudog_prev: 16,
            sudog_elem: 24,
            sudog_waitlink: 72,
            sudog_c: 88,
            hchan: [0, 8, 16],
            hchan_queues: [48, 64],
            sema_treap: 8,
            sema_fields: Vec::new(),
            mutex_state: None,
            rw_readers: None,
            rw_reader_wait: None,
            wg_state: None,
        }
    }

    fn waiting(addr: u64) -> G {
        G {
            addr,
            status: runtime::WAITING,
            ..G::default()
        }
    }

    #[test]
    fn semaphore_waiters_are_found_in_the_treaps() {
        // Root 3 holds a treap of two words; the first has a second waiter
        // queued behind it. No goroutine's g.waiting is set (Go before
        // 1.26).
        let l = layout();
        let table = 0x10_000;
        let (a, b, c) = (0x20_000, 0x20_100, 0x20_200);
        let mut m = Words::zeroed(&[a, b, c]);
        m.0.insert(table + 3 * 64 + 8, a);
        for (s, g, word) in [(a, 0xa0, 0x5000), (b, 0xb0, 0x6000), (c, 0xc0, 0x5000)] {
            m.0.insert(s, g);
            m.0.insert(s + 24, word);
        }
        m.0.insert(a + 8, b); // next: the treap's right child
        for word in [0x5000, 0x6000] {
            m.0.insert(word, 0);
        }
        m.0.insert(a + 72, c); // waitlink: same word
        let gs = [waiting(0xa0), waiting(0xb0), waiting(0xc0)];
        let w = read(&m, &l, Some((table, 251 * 64)), &gs);
        assert_eq!(w.by_g.get(&0xa0), Some(&Waited::Sema(0x5000)));
        assert_eq!(w.by_g.get(&0xb0), Some(&Waited::Sema(0x6000)));
        assert_eq!(w.by_g.get(&0xc0), Some(&Waited::Sema(0x5000)));
        assert!(!w.cut);
    }

    #[test]
    fn corrupt_queues_end() {
        // A treap whose child is its parent, a waitlink list that loops, a
        // select whose cases loop, a channel queue that loops: every walk
        // ends, and says it was cut where a list ran on.
        let l = layout();
        let table = 0x10_000;
        let (a, b) = (0x20_000, 0x20_100);
        let (s1, s2, s3, ch) = (0x30_000, 0x30_100, 0x30_200, 0x40_000);
        let mut m = Words::zeroed(&[a, b, s1, s2, s3, ch]);
        m.0.insert(table + 8, a);
        m.0.insert(a + 24, 0x5000);
        m.0.insert(a + 8, b);
        m.0.insert(b + 16, a);
        m.0.insert(b + 24, 0x6000);
        m.0.insert(b + 72, b + 0x1000);
        m.0.insert(b + 0x1000 + 72, b + 0x2000);
        m.0.insert(b + 0x2000 + 72, b + 0x1000);
        // A goroutine on a select whose two cases point at each other.
        let g = 0xd0;
        m.0.insert(g + 0x100, s1);
        for s in [s1, s2] {
            m.0.insert(s, g);
            m.0.insert(s + 88, ch);
        }
        m.0.insert(s1 + 72, s2);
        for word in [0x5000, 0x6000, ch] {
            m.0.insert(word, 0);
        }
        m.0.insert(s2 + 72, s1);
        // A goroutine on one channel whose send queue loops.
        let g2 = 0xe0;
        m.0.insert(g2 + 0x100, s3);
        m.0.insert(s3, g2);
        m.0.insert(s3 + 88, ch);
        m.0.insert(ch + 64, s3);
        m.0.insert(s3 + 8, s3);
        let w = read(&m, &l, Some((table, 251 * 64)), &[waiting(g), waiting(g2)]);
        assert!(w.cut);
        assert_eq!(w.by_g.get(&g2), Some(&Waited::Chan(ch)));
        assert_eq!(w.by_g.get(&g), None);
        let state = w.chans.get(&ch).copied().unwrap_or_default();
        assert_eq!((state.senders, state.receivers), (None, Some(0)));
        // A sudog whose semaphore word is not in memory names none.
        m.0.remove(&0x6000);
        let w = read(&m, &l, Some((table, 251 * 64)), &[]);
        assert!(w.by_g.values().all(|v| *v != Waited::Sema(0x6000)));
        // A table whose size is not 251 roots is not walked.
        let w = read(&m, &l, Some((table, 1000)), &[]);
        assert!(w.by_g.is_empty());
    }

    #[test]
    fn channel_states_read_as_sentences() {
        let s = ChanState {
            senders: Some(3),
            receivers: Some(0),
            ..ChanState::default()
        };
        assert_eq!(s.describe(), "unbuffered, 3 senders waiting, no receiver");
        let s = ChanState {
            queued: 2,
            capacity: 2,
            senders: Some(1),
            receivers: Some(0),
            ..ChanState::default()
        };
        assert_eq!(
            s.describe(),
            "buffer 2/2 (full), 1 sender waiting, no receiver"
        );
        let s = ChanState {
            capacity: 4,
            closed: true,
            senders: Some(0),
            receivers: Some(2),
            ..ChanState::default()
        };
        assert_eq!(
            s.describe(),
            "closed, buffer 0/4 (empty), no sender, 2 receivers waiting"
        );
        let s = ChanState {
            senders: None,
            receivers: Some(0),
            ..ChanState::default()
        };
        assert_eq!(
            s.describe(),
            "unbuffered, sender queue unreadable, no receiver"
        );
    }
}
