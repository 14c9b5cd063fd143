//! The resources the wait facts name: one per distinct (kind, identity),
//! numbered by first appearance, with their waiters in dump order.

use crate::analyze::wait::{ResKey, ResKind, Wait};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// The resources waited on, and which one each task waits on.
#[derive(Debug, Default)]
pub struct Resources {
    /// Per resource: its kind and identity.
    pub keys: Vec<(ResKind, ResKey)>,
    /// Per resource: the waiting tasks, in dump order.
    pub waiters: Vec<Vec<u32>>,
    /// Per task: index of the resource it waits on.
    pub res_of: Vec<Option<u32>>,
}

/// Tasks per chunk of the parallel indexing.
const CHUNK: usize = 16384;

/// One chunk's resources: keys, waiter lists and each task's local index.
type Local = (Vec<(ResKind, ResKey)>, Vec<Vec<u32>>, Vec<u32>);

/// Indexes the resources of the tasks' waits: per chunk in parallel, then
/// merged in chunk order, so resources are numbered by first appearance and
/// list their waiters in dump order.
pub fn index(waits: &[Option<Wait>]) -> Resources {
    let parts: Vec<Local> = waits
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, ws)| index_chunk(chunk, ws))
        .collect();
    let mut out = Resources {
        res_of: vec![None; waits.len()],
        ..Resources::default()
    };
    let mut by_key: FxHashMap<(ResKind, ResKey), u32> = FxHashMap::default();
    for (chunk, (keys, lists, local)) in parts.into_iter().enumerate() {
        let global: Vec<u32> = keys
            .into_iter()
            .zip(lists)
            .map(|(key, list)| {
                let resource = *by_key.entry(key).or_insert_with(|| {
                    out.keys.push(key);
                    out.waiters.push(Vec::new());
                    (out.keys.len() - 1) as u32
                });
                out.waiters[resource as usize].extend(list);
                resource
            })
            .collect();
        for (offset, local_index) in local.into_iter().enumerate() {
            if let Some(&resource) = global.get(local_index as usize) {
                out.res_of[chunk * CHUNK + offset] = Some(resource);
            }
        }
    }
    out
}

/// The resources of one chunk of tasks, numbered locally.
fn index_chunk(chunk: usize, ws: &[Option<Wait>]) -> Local {
    let mut index: FxHashMap<(ResKind, ResKey), u32> =
        FxHashMap::with_capacity_and_hasher(ws.len().min(1024), Default::default());
    let mut keys = Vec::new();
    let mut lists: Vec<Vec<u32>> = Vec::new();
    let mut local = vec![u32::MAX; ws.len()];
    for (offset, wait) in ws.iter().enumerate() {
        let Some(wait) = wait else { continue };
        let resource = *index.entry((wait.kind, wait.key)).or_insert_with(|| {
            keys.push((wait.kind, wait.key));
            lists.push(Vec::new());
            (keys.len() - 1) as u32
        });
        lists[resource as usize].push((chunk * CHUNK + offset) as u32);
        local[offset] = resource;
    }
    (keys, lists, local)
}
