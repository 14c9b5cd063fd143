//! What each blocked task waits on. The structural part (which primitive,
//! which frame carries its address, the blocking site) depends only on the
//! stack and the state, so it is computed once per (stack, state) pair; the
//! address is then read from one argument word of each task. Which frames
//! and states name a wait is data, in [`crate::model::vocab`].

use crate::model::vocab;
use crate::model::{
    CodeKind, Confidence, Evidence, FrameId, Snapshot, StackId, StateClass, Sym, Task, TaskFlags,
};
pub use crate::model::{ResKey, ResKind, WaitFact as Wait, WaitOp};

/// The shape of a wait, shared by every task with the same stack and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitShape {
    /// The kind of resource waited on.
    pub kind: ResKind,
    /// What the task does on it.
    pub op: WaitOp,
    /// Frames whose first argument is the primitive's address, innermost
    /// first (at most two are kept).
    pub addr_frames: [Option<u16>; 2],
    /// Index of the outermost frame of the primitive (sync, runtime or
    /// library frames); frames beyond it are the caller's.
    pub prim_end: u16,
    /// Index of the blocking site: the first user frame outside the primitive.
    pub site: Option<u16>,
    /// How sure the wait is.
    pub confidence: Confidence,
    /// What the wait was read from.
    pub evidence: Evidence,
}

/// Frames that belong to a primitive's implementation (so the scan for the
/// caller goes on past them).
pub fn is_impl_frame(name: &str, kind: CodeKind) -> bool {
    kind == CodeKind::Runtime || vocab::is_impl_name(name)
}

/// What a stack's innermost frames say: the primitive it blocks in.
struct FrameScan {
    kind: Option<ResKind>,
    op: WaitOp,
    addr_frames: [Option<u16>; 2],
    prim_end: u16,
    /// Some frame belonged to a primitive or its implementation.
    saw_impl: bool,
}

/// Scans a stack from its innermost frame through the primitive and its
/// implementation frames (at most 64).
fn scan_frames(snap: &Snapshot, frames: &[FrameId]) -> FrameScan {
    let tables = &snap.tables;
    let mut scan = FrameScan {
        kind: None,
        op: WaitOp::Unknown,
        addr_frames: [None, None],
        prim_end: 0,
        saw_impl: false,
    };
    for (index, frame) in frames.iter().enumerate().take(64) {
        let func = tables.function(tables.frame(*frame).function);
        let name = tables.str(func.full);
        if let Some((kind, op, has_addr)) = vocab::primitive(name) {
            // The outermost recognised primitive names the kind, except that
            // the network and timer wrappers never override a sync primitive.
            let keep = match scan.kind {
                None => true,
                Some(prev) => prev == kind || !prev.is_sync() || kind.is_sync(),
            };
            if keep {
                if scan.kind != Some(kind) {
                    scan.addr_frames = [None, None];
                }
                scan.kind = Some(kind);
                if op != WaitOp::Unknown || scan.op == WaitOp::Unknown {
                    scan.op = op;
                }
                if has_addr {
                    if scan.addr_frames[0].is_none() {
                        scan.addr_frames[0] = Some(index as u16);
                    } else if scan.addr_frames[1].is_none() {
                        scan.addr_frames[1] = Some(index as u16);
                    }
                }
            }
            scan.prim_end = index as u16;
            scan.saw_impl = true;
            continue;
        }
        if is_impl_frame(name, func.kind) {
            if scan.saw_impl || index == 0 {
                scan.prim_end = index as u16;
                scan.saw_impl = true;
            }
            continue;
        }
        break;
    }
    scan
}

/// The kind and operation of a wait, what they were read from and how sure
/// that is; `None` when neither frames, state nor class name a wait.
fn kind_and_op(
    scan: &FrameScan,
    from_state: Option<(ResKind, WaitOp)>,
    class: StateClass,
) -> Option<(ResKind, WaitOp, Evidence, Confidence)> {
    let read = match (scan.kind, from_state) {
        // A nil-channel or no-case state is more precise than the frames.
        (Some(kind), Some((state_kind, state_op)))
            if state_op.is_forever() && (kind == state_kind || kind == ResKind::Select) =>
        {
            (state_kind, state_op, Evidence::State, Confidence::Likely)
        }
        (Some(kind), _) => (kind, scan.op, Evidence::Frames, Confidence::Likely),
        (None, Some((kind, op))) => (kind, op, Evidence::State, Confidence::Likely),
        // The state class alone is a guess.
        (None, None) => {
            let (kind, op) = match class {
                StateClass::Io => (ResKind::Net, WaitOp::Unknown),
                StateClass::Syscall => (ResKind::Syscall, WaitOp::Call),
                StateClass::Lock => (ResKind::Mutex, WaitOp::Lock),
                StateClass::Sync => (ResKind::Other, WaitOp::Wait),
                StateClass::Chan => (ResKind::Chan, WaitOp::Unknown),
                StateClass::Select => (ResKind::Select, WaitOp::Select),
                _ => return None,
            };
            (kind, op, Evidence::State, Confidence::Possible)
        }
    };
    Some(read)
}

/// The wait shape of a stack in a given state, or `None` when the task is
/// not waiting on anything (running, runnable, runtime-internal).
pub fn shape(snap: &Snapshot, stack: StackId, state: Sym, class: StateClass) -> Option<WaitShape> {
    let tables = &snap.tables;
    let frames = &tables.stack(stack).frames;
    let scan = scan_frames(snap, frames);
    // The state decides where frames did not (runtime frames are hidden
    // below GOTRACEBACK=system).
    let from_state = vocab::state_wait(tables.str(state));
    let (kind, op, evidence, confidence) = kind_and_op(&scan, from_state, class)?;
    if matches!(class, StateClass::Running | StateClass::Runnable) {
        return None;
    }
    let start = if scan.saw_impl {
        scan.prim_end as usize + 1
    } else {
        0
    };
    let site = frames
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, f)| tables.function(tables.frame(**f).function).kind == CodeKind::User)
        .or_else(|| frames.iter().enumerate().nth(start))
        .map(|(i, _)| i as u16);
    Some(WaitShape {
        kind,
        op,
        addr_frames: scan.addr_frames,
        prim_end: if scan.saw_impl { scan.prim_end } else { 0 },
        site,
        confidence,
        evidence,
    })
}

/// Parses one argument word as an address: `0x...` without the `?` that
/// marks an unreliable value, and not a small integer.
pub fn parse_ptr(word: &str) -> Option<u64> {
    parse_ptr_bytes(word.trim().as_bytes())
}

/// [`parse_ptr`] on bytes (the dump text is not re-validated as UTF-8).
pub fn parse_ptr_bytes(w: &[u8]) -> Option<u64> {
    crate::model::parse_hex(w).filter(|v| *v >= 0x1000)
}

/// The argument text of frame `i` of a task, without allocating or
/// validating.
pub fn frame_args<'a>(snap: &'a Snapshot, task: &Task, i: usize) -> &'a [u8] {
    let Some(span) = snap.args.get(task.args as usize + i) else {
        return b"";
    };
    if span.len == 0 {
        return b"";
    }
    let start = task.offset as usize + span.start as usize;
    let end = start + span.len as usize;
    snap.text.get(start..end).unwrap_or(b"")
}

/// Every reliable pointer word of a frame's arguments with the index of the
/// top-level argument it belongs to (words inside braces belong to the
/// enclosing argument), in one pass and without allocating.
pub fn ptr_args(args: &[u8]) -> impl Iterator<Item = (u16, u64)> + '_ {
    // Jumps from separator to separator; only word starts are looked at.
    let mut pos = 0usize;
    let mut depth = 0i32;
    let mut arg: u16 = 0;
    let mut done = args.is_empty();
    std::iter::from_fn(move || {
        while !done {
            let rest = args.get(pos..).unwrap_or(b"");
            let end = memchr::memchr3(b',', b'{', b'}', rest).map_or(args.len(), |e| pos + e);
            let word = native_word(args.get(pos..end).unwrap_or(b"").trim_ascii());
            let found = if word.starts_with(b"0x") {
                parse_ptr_bytes(word).map(|p| (arg, p))
            } else {
                None
            };
            match args.get(end) {
                None => done = true,
                Some(b'{') => depth += 1,
                Some(b'}') => depth -= 1,
                Some(_) if depth <= 0 => arg = arg.saturating_add(1),
                Some(_) => {}
            }
            pos = end + 1;
            if found.is_some() {
                return found;
            }
        }
        None
    })
}

/// A native debugger's argument word as a bare value: gdb prints
/// `mutex=0x5650 <account_a>` and `futex=futex@entry=0x5650`; the value is
/// after the last `=` and before any ` <symbol>`. Go's words have neither.
fn native_word(word: &[u8]) -> &[u8] {
    let word = match memchr::memrchr(b'=', word) {
        Some(i) => word[i + 1..].trim_ascii_start(),
        None => word,
    };
    match memchr::memchr(b' ', word) {
        Some(i) if word.starts_with(b"0x") => &word[..i],
        _ => word,
    }
}

/// The first argument word of frame `i` as an address; with `lenient`, a
/// value printed with `?` (possibly stale) is accepted too.
pub fn first_ptr(snap: &Snapshot, task: &Task, i: usize, lenient: bool) -> Option<u64> {
    let args = frame_args(snap, task, i);
    let end = memchr::memchr(b',', args).unwrap_or(args.len());
    let mut word = native_word(args[..end].trim_ascii());
    while let Some(rest) = word.strip_prefix(b"{") {
        word = rest;
    }
    if lenient {
        word = word.strip_suffix(b"?").unwrap_or(word);
    }
    parse_ptr_bytes(word)
}

/// The wait of one task, given its shape.
pub fn wait_of(snap: &Snapshot, task: &Task, shape: &WaitShape) -> Wait {
    let frames = &snap.tables.stack(task.stack).frames;
    let site = shape.site.and_then(|i| frames.get(i as usize).copied());
    let mut key = None;
    if !task.flags.has(TaskFlags::PARTIAL) || shape.addr_frames[0].is_some() {
        for fi in shape.addr_frames.iter().flatten() {
            if let Some(ptr) = first_ptr(snap, task, *fi as usize, false) {
                key = Some(ResKey::Addr(ptr));
                break;
            }
        }
    }
    if key.is_none()
        && matches!(
            shape.kind,
            ResKind::Mutex | ResKind::RwMutex | ResKind::WaitGroup | ResKind::Cond
        )
    {
        if let Some(si) = shape.site {
            // A receiver printed with `?` (possibly stale) still names the
            // object in practice; it is only used to identify, never to
            // infer a holder.
            if let Some(ptr) = first_ptr(snap, task, si as usize, true) {
                key = Some(ResKey::Object(ptr));
            }
        }
    }
    let key = key.unwrap_or(match site {
        Some(f) => ResKey::Site(f),
        None => ResKey::Site(FrameId(u32::MAX)),
    });
    Wait {
        kind: shape.kind,
        op: shape.op,
        key,
        site,
        site_index: shape.site.unwrap_or(0),
        prim_end: shape.prim_end,
        confidence: shape.confidence,
        evidence: shape.evidence,
    }
}

/// The resource kind of a lock relation the dump states.
pub fn kind_of(kind: crate::model::SyncKind) -> ResKind {
    kind.resource_kind()
}

/// Is this kind a lock (exclusive or shared), whose holder blocks its
/// waiters?
pub fn is_lock(kind: ResKind) -> bool {
    kind.is_lock()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_need_a_reliable_large_value() {
        assert_eq!(parse_ptr("0xc000123408"), Some(0xc000123408));
        assert_eq!(parse_ptr("0xc000123408?"), None);
        assert_eq!(parse_ptr("0x1"), None);
        assert_eq!(parse_ptr("..."), None);
        assert_eq!(parse_ptr("0x"), None);
        assert_eq!(parse_ptr("0x11112222333344445"), None);
    }

    #[test]
    fn ptr_args_index_top_level_arguments() {
        let words: Vec<(u16, u64)> = ptr_args(
            b"0xc000010000, {0xc000020000, 0x1, 0xc000040000}, 0xc000030000?, 0xc000050000, ...",
        )
        .collect();
        assert_eq!(
            words,
            vec![
                (0, 0xc000010000),
                (1, 0xc000020000),
                (1, 0xc000040000),
                (3, 0xc000050000)
            ]
        );
        assert_eq!(ptr_args(b"").count(), 0);
        assert_eq!(ptr_args(b"0x").count(), 0);
        assert_eq!(
            ptr_args(b"{{0xc000010000").collect::<Vec<_>>(),
            vec![(0, 0xc000010000)]
        );
        assert_eq!(parse_ptr_bytes(b"0xC0000100AB"), Some(0xc0000100ab));
    }

    #[test]
    fn primitives_name_their_kind() {
        use vocab::primitive;
        assert_eq!(
            primitive("internal/sync.(*Mutex).lockSlow"),
            Some((ResKind::Mutex, WaitOp::Lock, true))
        );
        assert_eq!(
            primitive("sync.(*RWMutex).RLock").map(|p| p.1),
            Some(WaitOp::RLock)
        );
        assert_eq!(primitive("main.main"), None);
        assert_eq!(
            primitive("syscall.Syscall6").map(|p| p.0),
            Some(ResKind::Syscall)
        );
    }
}
