//! The layouts of the Go runtime's structures, read from the binary's DWARF
//! (`.debug_info`: `runtime.g`, `runtime.gobuf`, `runtime.m`, ...), so that
//! one reader serves every Go release that writes DWARF: fields are found
//! by name, never by a release's hard-coded offset.

use gimli::{AttributeValue, EndianSlice, LittleEndian};
use object::{Object, ObjectSection};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// The byte offsets of the fields the core reader needs. A field the
/// binary's runtime does not have is `None`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// `g.goid`.
    pub g_goid: u64,
    /// `g.atomicstatus` (a `uint32`, or an atomic wrapper whose value is
    /// its first word).
    pub g_status: u64,
    /// `g.waitreason` (one byte).
    pub g_waitreason: Option<u64>,
    /// `g.waitsince` (nanotime, `int64`).
    pub g_waitsince: Option<u64>,
    /// `g.gopc`: the pc of the `go` statement.
    pub g_gopc: Option<u64>,
    /// `g.parentGoid`.
    pub g_parent: Option<u64>,
    /// `g.sched.pc`.
    pub g_sched_pc: u64,
    /// `g.sched.sp`.
    pub g_sched_sp: u64,
    /// `g.sched.bp`, where the architecture has one.
    pub g_sched_bp: Option<u64>,
    /// `g.sched.lr`, where the architecture has one.
    pub g_sched_lr: Option<u64>,
    /// `g.syscallsp`.
    pub g_syscallsp: Option<u64>,
    /// `g.syscallpc`.
    pub g_syscallpc: Option<u64>,
    /// `g.stack.lo`.
    pub g_stack_lo: u64,
    /// `g.stack.hi`.
    pub g_stack_hi: u64,
    /// `g.m`.
    pub g_m: Option<u64>,
    /// `g.lockedm`.
    pub g_lockedm: Option<u64>,
    /// `m.id`.
    pub m_id: Option<u64>,
    /// `m.procid`: the thread's LWP.
    pub m_procid: Option<u64>,
    /// `m.curg`.
    pub m_curg: Option<u64>,
    /// `m.g0`.
    pub m_g0: Option<u64>,
    /// `m.gsignal`.
    pub m_gsignal: Option<u64>,
    /// `m.alllink`.
    pub m_alllink: Option<u64>,
    /// `mstats.last_gc_nanotime`.
    pub mstats_last_gc: Option<u64>,
    /// `pcHeader.minLC`.
    pub pcheader_minlc: Option<u64>,
    /// `moduledata.pcHeader`, `.pctab`, `.ftab`, `.text`.
    pub moduledata: Option<[u64; 4]>,
    /// `_func.npcdata`, `_func.nfuncdata` (the variable arrays follow the
    /// latter).
    pub func: Option<[u64; 2]>,
    /// `schedt.lastpoll`: when the network poller last returned.
    pub sched_lastpoll: Option<u64>,
    /// `moduledata.gofunc`.
    pub moduledata_gofunc: Option<u64>,
    /// The runtime's wait queues, when the binary has every field of them.
    pub waits: Option<WaitLayout>,
    /// `g.labels`: the goroutine's pprof label set.
    pub g_labels: Option<u64>,
    /// The shape of the label set `g.labels` points to, when the binary's
    /// DWARF has it as a slice of key/value string pairs.
    pub labels: Option<LabelLayout>,
}

/// The label set `g.labels` points to, where it is a slice of pairs
/// (`internal/runtime/pprof/label.Set` of Go 1.27, `runtime/pprof.labelMap`
/// holding a `LabelSet{list []label}` before it); a `map[string]string`
/// (older releases) has no such layout and is not read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LabelLayout {
    /// The offset of the slice (pointer, length) inside the pointed-to set.
    pub list: u64,
    /// The size of one pair.
    pub size: u64,
    /// The offsets of the key and value strings inside a pair.
    pub key: u64,
    /// See `key`.
    pub value: u64,
}

/// The fields of the runtime's wait queues: the `sudog`s of goroutines
/// parked on a channel (`g.waiting`, `hchan.recvq` and `sendq`) or a
/// semaphore (`runtime.semtable`'s treaps of `sudog`s, by address).
#[derive(Debug, Clone, Default)]
pub struct WaitLayout {
    /// `g.waiting`: the goroutine's `sudog` list.
    pub g_waiting: u64,
    /// `sudog.g`.
    pub sudog_g: u64,
    /// `sudog.next` (a channel's queue; a treap's right child is `next`
    /// too).
    pub sudog_next: u64,
    /// `sudog.prev` (a treap's left child).
    pub sudog_prev: u64,
    /// The pointer `sudog.elem` holds: the semaphore word of a semaphore
    /// waiter.
    pub sudog_elem: u64,
    /// `sudog.waitlink`: the next case of a `select`, or the next waiter on
    /// the same semaphore.
    pub sudog_waitlink: u64,
    /// The pointer `sudog.c` holds: the channel.
    pub sudog_c: u64,
    /// `hchan.qcount`, `dataqsiz`, `closed` (a `uint32`).
    pub hchan: [u64; 3],
    /// `hchan.recvq.first`, `hchan.sendq.first`.
    pub hchan_queues: [u64; 2],
    /// `semaRoot.treap`.
    pub sema_treap: u64,
    /// Per wait reason of [`crate::model::vocab::go::SEMA_WAITS`], the
    /// offset of the semaphore word inside the primitive (`sync.Mutex`'s
    /// `sema`), when the binary's DWARF has the type.
    pub sema_fields: Vec<(&'static str, u64)>,
    /// `sync.Mutex`'s state word (`mu.state` since Go 1.24), when found.
    pub mutex_state: Option<u64>,
    /// `sync.RWMutex.readerCount`, when found.
    pub rw_readers: Option<u64>,
    /// `sync.RWMutex.readerWait`, when found.
    pub rw_reader_wait: Option<u64>,
    /// `sync.WaitGroup.state` (the counter in its high 32 bits), when
    /// found.
    pub wg_state: Option<u64>,
}

type Slice<'a> = EndianSlice<'a, LittleEndian>;

/// What [`structs`] reads: per structure, its members' offsets; per
/// member, the `.debug_info` offset of its type; the names of the wanted
/// structures and typedefs by their `.debug_info` offsets.
#[derive(Default)]
struct Structs {
    members: FxHashMap<String, FxHashMap<String, u64>>,
    types: FxHashMap<(String, String), u64>,
    names: FxHashMap<u64, String>,
    sizes: FxHashMap<String, u64>,
}

impl Structs {
    /// The offset of the first field named `field` inside `ty`, directly or
    /// inside one of its members of a wanted structure type (depth first,
    /// three levels at most): `sync.Mutex`'s `sema` is `mu.sema` since Go
    /// 1.24.
    fn path(&self, ty: &str, field: &str, depth: u32) -> Option<u64> {
        let members = self.members.get(ty)?;
        if let Some(o) = members.get(field) {
            return Some(*o);
        }
        if depth == 0 {
            return None;
        }
        let mut inner: Vec<(&String, &u64)> = members.iter().collect();
        inner.sort_unstable_by_key(|(name, o)| (**o, *name));
        inner.into_iter().find_map(|(name, o)| {
            let t = self.types.get(&(ty.to_string(), name.clone()))?;
            let tname = self.names.get(t)?;
            o.checked_add(self.path(tname, field, depth - 1)?)
        })
    }

    /// The offset of the pointer `ty.field` holds: the field itself, or
    /// the word of a wrapper structure that keeps the pointer as an
    /// integer (`runtime.maybeTraceablePtr`'s `vu`, since Go 1.26).
    fn pointer(&self, ty: &str, field: &str) -> Option<u64> {
        let at = *self.members.get(ty)?.get(field)?;
        let wrapper = self
            .types
            .get(&(ty.to_string(), field.to_string()))
            .and_then(|t| self.names.get(t));
        match wrapper {
            Some(w) if self.members.contains_key(w) => at.checked_add(self.path(w, "vu", 2)?),
            _ => Some(at),
        }
    }
}

/// The `.debug_info` offset a type attribute refers to.
fn type_offset(
    value: AttributeValue<Slice<'_>>,
    header: &gimli::UnitHeader<Slice<'_>>,
) -> Option<u64> {
    match value {
        AttributeValue::UnitRef(o) => o.to_debug_info_offset(header).map(|d| d.0 as u64),
        AttributeValue::DebugInfoRef(d) => Some(d.0 as u64),
        _ => None,
    }
}

/// The members (name → offset, type offset) of the structures named in
/// `want`, from every unit of the DWARF.
fn structs(dwarf: &gimli::Dwarf<Slice<'_>>, want: &[&str]) -> Result<Structs, gimli::Error> {
    let mut out = Structs::default();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let mut entries = unit.entries();
        // The depth of the structure being read, while inside one.
        let mut inside: Option<(isize, String)> = None;
        let mut depth: isize = 0;
        while let Some((delta, entry)) = entries.next_dfs()? {
            depth += delta;
            if let Some((d, _)) = &inside {
                if depth <= *d {
                    inside = None;
                }
            }
            match entry.tag() {
                gimli::DW_TAG_structure_type | gimli::DW_TAG_typedef => {
                    let Some(name) = entry.attr_value(gimli::DW_AT_name)? else {
                        continue;
                    };
                    let name = dwarf.attr_string(&unit, name)?;
                    let name = String::from_utf8_lossy(name.slice());
                    if !want.contains(&name.as_ref()) {
                        continue;
                    }
                    if let Some(at) = entry.offset().to_debug_info_offset(&unit.header) {
                        out.names.insert(at.0 as u64, name.to_string());
                    }
                    if entry.tag() == gimli::DW_TAG_structure_type
                        && !out.members.contains_key(name.as_ref())
                    {
                        if let Some(size) = entry
                            .attr_value(gimli::DW_AT_byte_size)?
                            .and_then(|v| v.udata_value())
                        {
                            out.sizes.insert(name.to_string(), size);
                        }
                        inside = Some((depth, name.into_owned()));
                    }
                }
                gimli::DW_TAG_member => {
                    let Some((_, owner)) = &inside else {
                        continue;
                    };
                    let (Some(name), Some(loc)) = (
                        entry.attr_value(gimli::DW_AT_name)?,
                        entry.attr_value(gimli::DW_AT_data_member_location)?,
                    ) else {
                        continue;
                    };
                    let name = dwarf.attr_string(&unit, name)?;
                    let offset = match loc {
                        AttributeValue::Udata(v) => v,
                        AttributeValue::Data1(v) => u64::from(v),
                        AttributeValue::Data2(v) => u64::from(v),
                        AttributeValue::Data4(v) => u64::from(v),
                        AttributeValue::Data8(v) => v,
                        AttributeValue::Sdata(v) => v as u64,
                        _ => continue,
                    };
                    let field = String::from_utf8_lossy(name.slice()).into_owned();
                    if let Some(t) = entry
                        .attr_value(gimli::DW_AT_type)?
                        .and_then(|v| type_offset(v, &unit.header))
                    {
                        out.types.insert((owner.clone(), field.clone()), t);
                    }
                    out.members
                        .entry(owner.clone())
                        .or_default()
                        .insert(field, offset);
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Reads the layouts from the Go binary `file`.
pub fn read(file: &object::File<'_>) -> Result<Layout, String> {
    let mut sections: FxHashMap<&'static str, Cow<'_, [u8]>> = FxHashMap::default();
    for id in [
        gimli::SectionId::DebugAbbrev,
        gimli::SectionId::DebugInfo,
        gimli::SectionId::DebugLine,
        gimli::SectionId::DebugStr,
        gimli::SectionId::DebugLineStr,
        gimli::SectionId::DebugStrOffsets,
        gimli::SectionId::DebugAddr,
        gimli::SectionId::DebugRngLists,
        gimli::SectionId::DebugLocLists,
    ] {
        if let Some(s) = file.section_by_name(id.name()) {
            if let Ok(data) = s.uncompressed_data() {
                sections.insert(id.name(), data);
            }
        }
    }
    if !sections.contains_key(".debug_info") {
        return Err(
            "the binary has no DWARF (.debug_info; built with -ldflags=-w?): the Go runtime's structures cannot be laid out; rebuild without -w".into(),
        );
    }
    let dwarf = gimli::Dwarf::load(|id| -> Result<Slice<'_>, gimli::Error> {
        Ok(EndianSlice::new(
            sections.get(id.name()).map_or(&[][..], |c| c.as_ref()),
            LittleEndian,
        ))
    })
    .map_err(|e| format!("the binary's DWARF cannot be read: {e}"))?;
    let want = [
        "runtime.g",
        "runtime.gobuf",
        "runtime.stack",
        "runtime.m",
        "runtime.mstats",
        "runtime.pcHeader",
        "runtime._func",
        "runtime.moduledata",
        "runtime.schedt",
        "runtime.sudog",
        "runtime.hchan",
        "runtime.waitq",
        "runtime.semaRoot",
        "runtime.maybeTraceablePtr",
        "runtime.maybeTraceableChan",
        "sync.Mutex",
        "internal/sync.Mutex",
        "sync.RWMutex",
        "sync.WaitGroup",
        "internal/runtime/pprof/label.Set",
        "internal/runtime/pprof/label.Label",
        "runtime/pprof.labelMap",
        "runtime/pprof.LabelSet",
        "runtime/pprof.label",
    ];
    let all = structs(&dwarf, &want).map_err(|e| format!("the binary's DWARF is damaged: {e}"))?;
    let s = &all.members;
    let empty = FxHashMap::default();
    let get = |ty: &str| s.get(ty).unwrap_or(&empty);
    let (pch, func, md) = (
        get("runtime.pcHeader"),
        get("runtime._func"),
        get("runtime.moduledata"),
    );
    let (g, gobuf, stack, m, mstats) = (
        get("runtime.g"),
        get("runtime.gobuf"),
        get("runtime.stack"),
        get("runtime.m"),
        get("runtime.mstats"),
    );
    let need = |map: &FxHashMap<String, u64>, ty: &str, field: &str| {
        map.get(field).copied().ok_or_else(|| {
            format!("the binary's DWARF has no {ty}.{field}: not a Go runtime this reader knows")
        })
    };
    let sched = need(g, "runtime.g", "sched")?;
    let stk = need(g, "runtime.g", "stack")?;
    let in_sched = |f: &str| gobuf.get(f).map(|o| sched + o);
    Ok(Layout {
        g_goid: need(g, "runtime.g", "goid")?,
        g_status: need(g, "runtime.g", "atomicstatus")?,
        g_waitreason: g.get("waitreason").copied(),
        g_waitsince: g.get("waitsince").copied(),
        g_gopc: g.get("gopc").copied(),
        g_parent: g.get("parentGoid").copied(),
        g_sched_pc: sched + need(gobuf, "runtime.gobuf", "pc")?,
        g_sched_sp: sched + need(gobuf, "runtime.gobuf", "sp")?,
        g_sched_bp: in_sched("bp"),
        g_sched_lr: in_sched("lr"),
        g_syscallsp: g.get("syscallsp").copied(),
        g_syscallpc: g.get("syscallpc").copied(),
        g_stack_lo: stk + need(stack, "runtime.stack", "lo")?,
        g_stack_hi: stk + need(stack, "runtime.stack", "hi")?,
        g_m: g.get("m").copied(),
        g_lockedm: g.get("lockedm").copied(),
        m_id: m.get("id").copied(),
        m_procid: m.get("procid").copied(),
        m_curg: m.get("curg").copied(),
        m_g0: m.get("g0").copied(),
        m_gsignal: m.get("gsignal").copied(),
        m_alllink: m.get("alllink").copied(),
        mstats_last_gc: mstats.get("last_gc_nanotime").copied(),
        pcheader_minlc: pch.get("minLC").copied(),
        moduledata: (|| {
            Some([
                *md.get("pcHeader")?,
                *md.get("pctab")?,
                *md.get("ftab")?,
                *md.get("text")?,
            ])
        })(),
        func: (|| Some([*func.get("npcdata")?, *func.get("nfuncdata")?]))(),
        moduledata_gofunc: md.get("gofunc").copied(),
        sched_lastpoll: get("runtime.schedt").get("lastpoll").copied(),
        waits: wait_layout(&all, g),
        g_labels: g.get("labels").copied(),
        labels: label_layout(&all),
    })
}

/// The label set's layout (see [`LabelLayout`]): `runtime/pprof.labelMap`
/// (what `pprof.Do` and `SetGoroutineLabels` store) holding the slice
/// directly or in an embedded set, else the runtime's own
/// `internal/runtime/pprof/label.Set`; `None` when neither is a slice of
/// two-string pairs (a map-shaped label set).
fn label_layout(all: &Structs) -> Option<LabelLayout> {
    let shapes = [
        (
            "runtime/pprof.labelMap",
            "List",
            "internal/runtime/pprof/label.Label",
            ["Key", "Value"],
        ),
        (
            "runtime/pprof.labelMap",
            "list",
            "runtime/pprof.label",
            ["key", "value"],
        ),
        (
            "internal/runtime/pprof/label.Set",
            "List",
            "internal/runtime/pprof/label.Label",
            ["Key", "Value"],
        ),
    ];
    shapes.iter().find_map(|(set, field, pair, [k, v])| {
        let list = all.path(set, field, 2)?;
        let members = all.members.get(*pair)?;
        let (key, value) = (*members.get(*k)?, *members.get(*v)?);
        let size = *all.sizes.get(*pair)?;
        // Two Go strings (pointer, length) inside the pair.
        (key.checked_add(16)? <= size && value.checked_add(16)? <= size && key != value).then_some(
            LabelLayout {
                list,
                size,
                key,
                value,
            },
        )
    })
}

/// The wait queues' layout (see [`WaitLayout`]); `None` when a field is
/// missing (a runtime this reader does not know: the waits stay those the
/// frames show).
fn wait_layout(all: &Structs, g: &FxHashMap<String, u64>) -> Option<WaitLayout> {
    let sudog = all.members.get("runtime.sudog")?;
    let hchan = all.members.get("runtime.hchan")?;
    let waitq_first = *all.members.get("runtime.waitq")?.get("first")?;
    let queue = |name: &str| hchan.get(name)?.checked_add(waitq_first);
    let sema_fields = crate::model::vocab::go::SEMA_WAITS
        .iter()
        .filter_map(|(reason, ty, field)| Some((*reason, all.path(ty, field, 3)?)))
        .collect();
    Some(WaitLayout {
        g_waiting: *g.get("waiting")?,
        sudog_g: *sudog.get("g")?,
        sudog_next: *sudog.get("next")?,
        sudog_prev: *sudog.get("prev")?,
        sudog_elem: all.pointer("runtime.sudog", "elem")?,
        sudog_waitlink: *sudog.get("waitlink")?,
        sudog_c: all.pointer("runtime.sudog", "c")?,
        hchan: [
            *hchan.get("qcount")?,
            *hchan.get("dataqsiz")?,
            *hchan.get("closed")?,
        ],
        hchan_queues: [queue("recvq")?, queue("sendq")?],
        sema_treap: *all.members.get("runtime.semaRoot")?.get("treap")?,
        sema_fields,
        mutex_state: all.path("sync.Mutex", "state", 3),
        rw_readers: all.path("sync.RWMutex", "readerCount", 0),
        rw_reader_wait: all.path("sync.RWMutex", "readerWait", 0),
        wg_state: all.path("sync.WaitGroup", "state", 0),
    })
}
