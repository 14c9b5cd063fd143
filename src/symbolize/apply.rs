//! Puts symbolized frames into the model: every frame recorded with an
//! address ([`crate::model::Tables::raw_addrs`]) that resolves is replaced,
//! in every stack, by its inlined frames and function; tasks and heap
//! samples follow their stacks.

use super::{image, Outcome, Request, Symbolizer};
use crate::model::heap::{HeapProfile, Module};
use crate::model::{FrameId, Snapshot, StackId, Tables, TaskDetail};
use crate::parse::native::split_function;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// What symbolizing one input did, for the report's notes.
#[derive(Debug, Default)]
pub struct Summary {
    /// What the user should know (modules not found, bases inferred).
    pub notes: Vec<String>,
    /// Addresses recorded in the snapshots' frames.
    pub addresses: usize,
    /// Addresses resolved to a function.
    pub resolved: usize,
}

/// Symbolizes the snapshots of one input (which share their tables).
pub fn snapshots(sym: &mut Symbolizer, snaps: &mut [Snapshot]) -> Summary {
    let mut sum = Summary::default();
    let mut done: Vec<*const Tables> = Vec::new();
    for i in 0..snaps.len() {
        // The snapshots sharing this one's tables, once per table.
        let arc = snaps[i].tables.clone();
        if done.contains(&Arc::as_ptr(&arc)) {
            continue;
        }
        let idx: Vec<usize> = (i..snaps.len())
            .filter(|&j| Arc::ptr_eq(&snaps[j].tables, &arc))
            .collect();
        if arc.raw_addrs().is_empty() {
            done.push(Arc::as_ptr(&arc));
            continue;
        }
        let maps: Vec<Module> = idx
            .iter()
            .flat_map(|&j| snaps[j].maps.iter().cloned())
            .collect();
        let placeholder = Arc::new(Tables::new());
        for &j in &idx {
            snaps[j].tables = placeholder.clone();
        }
        let mut tables = match Arc::try_unwrap(arc) {
            Ok(t) => t,
            Err(a) => {
                // Held elsewhere: left as it is.
                done.push(Arc::as_ptr(&a));
                for &j in &idx {
                    snaps[j].tables = a.clone();
                }
                continue;
            }
        };
        let old_len: Vec<Vec<usize>> = idx
            .iter()
            .map(|&j| {
                snaps[j]
                    .tasks
                    .iter()
                    .map(|t| tables.stack(t.stack).frames.len())
                    .collect()
            })
            .collect();
        let (remap, repl) = rewrite(sym, &mut tables, &maps, &mut sum);
        for (k, &j) in idx.iter().enumerate() {
            for (n, t) in snaps[j].tasks.iter_mut().enumerate() {
                t.stack = remap.get(t.stack.index()).copied().unwrap_or(t.stack);
                if tables.stack(t.stack).frames.len() != old_len[k][n] {
                    // Argument spans were per printed frame.
                    t.args = u32::MAX;
                }
                if let Some(c) = t.creator {
                    if let Some(v) = repl.get(&c) {
                        t.creator = v.last().copied().or(Some(c));
                    }
                }
                if let Some(TaskDetail::Go(go)) = t.detail.as_deref_mut() {
                    for a in &mut go.ancestors {
                        a.stack = remap.get(a.stack.index()).copied().unwrap_or(a.stack);
                        if let Some(v) = a.creator.and_then(|c| repl.get(&c)) {
                            a.creator = v.last().copied().or(a.creator);
                        }
                    }
                }
            }
        }
        let tables = Arc::new(tables);
        done.push(Arc::as_ptr(&tables));
        for &j in &idx {
            snaps[j].tables = tables.clone();
        }
    }
    sum
}

/// Symbolizes heap profiles (each has its own tables).
pub fn heaps(sym: &mut Symbolizer, heaps: &mut [HeapProfile]) -> Summary {
    let mut sum = Summary::default();
    for h in heaps {
        if h.tables.raw_addrs().is_empty() {
            continue;
        }
        let arc = std::mem::replace(&mut h.tables, Arc::new(Tables::new()));
        let mut tables = match Arc::try_unwrap(arc) {
            Ok(t) => t,
            Err(a) => {
                h.tables = a;
                continue;
            }
        };
        let (remap, _) = rewrite(sym, &mut tables, &h.modules, &mut sum);
        for s in &mut h.samples {
            s.stack = remap.get(s.stack.index()).copied().unwrap_or(s.stack);
        }
        h.tables = Arc::new(tables);
    }
    sum
}

type Replacements = FxHashMap<FrameId, Vec<FrameId>>;

/// Resolves the tables' addresses and replaces the frames that resolved.
fn rewrite(
    sym: &mut Symbolizer,
    t: &mut Tables,
    maps: &[Module],
    sum: &mut Summary,
) -> (Vec<StackId>, Replacements) {
    let raws = t.raw_addrs();
    let ids: Vec<Option<Vec<u8>>> = raws
        .iter()
        .map(|(_, r)| image::unhex(t.str(r.build_id)))
        .collect();
    let reqs: Vec<Request> = raws
        .iter()
        .zip(&ids)
        .map(|((_, r), id)| Request {
            module: t.str(r.module),
            build_id: id.as_deref(),
            addr: r.addr,
            space: r.space,
            call: r.call,
        })
        .collect();
    let out: Outcome = sym.resolve(&reqs, maps);
    sum.addresses += reqs.len();
    for n in out.notes {
        if !sum.notes.contains(&n) {
            sum.notes.push(n);
        }
    }
    let module_names: Vec<String> = out
        .modules
        .iter()
        .map(|m| m.path.rsplit('/').next().unwrap_or("").to_string())
        .collect();
    let mut repl: Replacements = FxHashMap::default();
    for ((f, _), res) in raws.iter().zip(out.results) {
        let Some(res) = res else { continue };
        if res.frames.is_empty() {
            continue;
        }
        sum.resolved += 1;
        let module = module_names.get(res.module).map_or("", String::as_str);
        let frames: Vec<FrameId> = res
            .frames
            .iter()
            .map(|sf| {
                let function = t.intern_function(sf.function.as_bytes(), |n| {
                    split_function(n, &sf.file, module)
                });
                let file = t.intern(&sf.file);
                t.intern_frame(crate::model::Frame {
                    function,
                    file,
                    line: sf.line,
                    pc_offset: sf.symbol_offset.and_then(|o| u32::try_from(o).ok()),
                    inlined: sf.inlined,
                })
            })
            .collect();
        repl.insert(*f, frames);
    }
    let remap = t.replace_frames(&repl);
    (remap, repl)
}
