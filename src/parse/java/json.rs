//! JDK 21+ JSON thread dumps (`jcmd PID Thread.dump_to_file -format=json`).

use super::reader::{
    confidence_of, java_frame, new_reader, object_key, state_of, Relation, MAX_FACTS,
};
use crate::model::{Bytes, LockFact, LockRel, SkipReason, Snapshot, SyncKind, TaskKind};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{snapshots, Block, Ledger, LineUse, MAX_FRAMES, MAX_TASKS};

/// Detects `jcmd PID Thread.dump_to_file -format=json` (JDK 21+).
pub fn detect_json(text: &[u8]) -> f32 {
    let start = text.iter().position(|c| !c.is_ascii_whitespace());
    if start.and_then(|i| text.get(i)) != Some(&b'{') {
        return 0.0;
    }
    let head = &text[..text.len().min(4096)];
    if memchr::memmem::find(head, b"\"threadDump\"").is_some() {
        0.97
    } else {
        0.0
    }
}

/// The format id of JSON thread dumps.
pub const JSON_FORMAT: &str = "java-json";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
/// The document: `{"threadDump": {...}}`.
struct Root {
    thread_dump: Dump_,
}
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
/// `threadDump`: its thread containers.
struct Dump_ {
    #[serde(default)]
    thread_containers: Vec<Container>,
}
/// A thread container (the root, an executor, a structured task scope).
#[derive(serde::Deserialize)]
struct Container {
    #[serde(default)]
    threads: Vec<Thread>,
}
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
/// One thread as the dump lists it.
struct Thread {
    tid: serde_json::Value,
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default, rename = "virtual")]
    virtual_: Option<bool>,
    #[serde(default)]
    stack: Vec<String>,
    #[serde(default)]
    blocked_on: Option<String>,
    #[serde(default)]
    waiting_on: Option<String>,
    #[serde(default)]
    park_blocker: Option<Blocker>,
    #[serde(default)]
    monitors_owned: Vec<Owned>,
}
/// A `parkBlocker`: the synchronizer a parked thread waits on.
#[derive(serde::Deserialize)]
struct Blocker {
    object: String,
}
/// Monitors a thread holds at one stack depth.
#[derive(serde::Deserialize)]
struct Owned {
    depth: usize,
    #[serde(default)]
    locks: Vec<Option<String>>,
}

/// Reads a JDK 21+ JSON thread dump: every thread of every container
/// (platform and virtual), with `blockedOn`, `waitingOn`, `parkBlocker` and
/// `monitorsOwned` as stated lock relations. Objects are `Class@hash`.
pub fn parse_json(text: &[u8], source: &str) -> Result<Vec<Snapshot>, String> {
    let root: Root = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not a JSON thread dump: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut reader = new_reader(JSON_FORMAT);
    // The account counts records: each thread and each frame.
    reader.lines = Ledger::of_records();
    let mut record = 0u32;
    let mut note = |reader: &mut super::reader::Reader, what: LineUse| {
        record = record.saturating_add(1);
        reader.lines.note(record, what);
    };
    let threads = || {
        root.thread_dump
            .thread_containers
            .iter()
            .flat_map(|c| c.threads.iter())
    };
    for th in threads().take(MAX_TASKS) {
        let id = match &th.tid {
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            v => v.as_u64().unwrap_or(0),
        };
        reader.end_block();
        let mut block = Block::new(id, 0, 0);
        block.name = Some(th.name.clone());
        let (state, class) = state_of(th.state.as_deref().unwrap_or(""));
        block.state = state;
        block.class = Some(class);
        if th.virtual_ == Some(true) {
            block.kind = Some(TaskKind::VirtualThread);
        }
        reader.cur = Some(block);
        note(&mut reader, LineUse::Used);
        for f in th.stack.iter().take(MAX_FRAMES) {
            let fr = java_frame(&mut reader.t, f);
            if let Some(block) = reader.cur.as_mut() {
                block.push(fr);
            }
            note(&mut reader, LineUse::Used);
        }
        for _ in th.stack.iter().skip(MAX_FRAMES) {
            note(&mut reader, LineUse::Skip(SkipReason::OverLimit));
        }
        let facts = thread_facts(th);
        for (relation, addr, class, frame) in facts {
            if reader.facts.len() >= MAX_FACTS {
                break;
            }
            let class = reader.t.intern(&class);
            reader.facts.push(LockFact {
                task: reader.blocks.len() as u32,
                rel: relation.rel,
                kind: relation.kind,
                addr,
                class,
                frame,
                line: 0,
                basis: relation.basis,
                confidence: confidence_of(relation.basis),
            });
        }
    }
    for th in threads().skip(MAX_TASKS) {
        for _ in 0..=th.stack.len() {
            note(&mut reader, LineUse::Skip(SkipReason::OverLimit));
        }
    }
    reader.end_dump(text.len() as u64);
    let mut dumps = std::mem::take(&mut reader.dumps);
    std::mem::take(&mut reader.lines).finish(&mut dumps);
    Ok(snapshots(
        &Bytes::owned(text.to_vec()),
        source,
        reader.t,
        dumps,
    ))
}

/// JDK 21+ JSON thread dumps as an input format.
pub const JAVA_JSON: SnapshotFormat = SnapshotFormat {
    id: JSON_FORMAT,
    aliases: &[],
    help: "JDK 21+ JSON thread dumps (`jcmd PID Thread.dump_to_file -format=json`)",
    expected: None,
    detect: detect_json,
    reader: SnapshotReader::Json(parse_json),
};

/// The lock relations a thread's entry states: `(relation, object, class,
/// frame)`.
fn thread_facts(th: &Thread) -> Vec<(Relation, u64, String, u16)> {
    let class_of = |object: &str| {
        object
            .rsplit_once('@')
            .map_or(object, |(class, _)| class)
            .to_string()
    };
    let mut facts: Vec<(Relation, u64, String, u16)> = Vec::new();
    if let Some(object) = &th.blocked_on {
        if let Some(key) = object_key(object) {
            let relation = Relation::stated(LockRel::Acquires, SyncKind::Monitor);
            facts.push((relation, key, class_of(object), 0));
        }
    }
    if let Some(object) = &th.waiting_on {
        if let Some(key) = object_key(object) {
            let relation = Relation::stated(LockRel::Awaits, SyncKind::Cond);
            facts.push((relation, key, class_of(object), 0));
        }
    }
    if let Some(blocker) = &th.park_blocker {
        if let Some(key) = object_key(&blocker.object) {
            let class = class_of(&blocker.object);
            facts.push((Relation::parked(&class), key, class, 0));
        }
    }
    for owned in &th.monitors_owned {
        for object in owned.locks.iter().flatten() {
            if let Some(key) = object_key(object) {
                let depth = u16::try_from(owned.depth).unwrap_or(u16::MAX);
                let relation = Relation::stated(LockRel::Holds, SyncKind::Monitor);
                facts.push((relation, key, class_of(object), depth));
            }
        }
    }
    facts
}
