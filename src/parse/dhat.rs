//! dhat-rs heap profiles (`dhat-heap.json`, DHAT's JSON format): per program
//! point (`pps`) the total bytes and blocks allocated (`tb`, `tbk`), at the
//! global peak (`gb`, `gbk`) and still live at exit (`eb`, `ebk`), with the
//! program point's frames (`fs`) indexing the frame table (`ftbl`, whose
//! entry 0 is `[root]`). Read as allocated = total, in use = at exit.

use crate::model::heap::{HeapProfile, HeapSample, HeapValues, Sampling};
use crate::model::Bytes;
use crate::model::{CodeKind, FrameId, LabelSetId, LineAccount, Runtime, Tables, Warning};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
use crate::parse::threads::source_frame;
use serde::Deserialize;
use std::sync::Arc;

/// Format id.
pub const FORMAT: &str = "dhat";
const MAX_FRAMES: usize = 1024;

#[derive(Deserialize)]
struct File {
    #[serde(rename = "dhatFileVersion")]
    version: u64,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    cmd: String,
    #[serde(default)]
    pps: Vec<Pp>,
    #[serde(default)]
    ftbl: Vec<String>,
}

#[derive(Deserialize)]
struct Pp {
    #[serde(default)]
    tb: i64,
    #[serde(default)]
    tbk: i64,
    #[serde(default)]
    eb: i64,
    #[serde(default)]
    ebk: i64,
    #[serde(default)]
    fs: Vec<u64>,
}

/// How sure we are that `text` is a dhat heap profile (a JSON object with `dhatFileVersion`).
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(4096)];
    let trimmed = head.trim_ascii_start();
    if trimmed.starts_with(b"{") && memchr::memmem::find(head, b"\"dhatFileVersion\"").is_some() {
        1.0
    } else {
        0.0
    }
}

/// Why a dhat file could not be read.
pub fn parse(text: &[u8], source: &str) -> Result<HeapProfile, String> {
    let file: File = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not a readable dhat file: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    if !file.mode.is_empty() && !file.mode.ends_with("heap") {
        return Err(format!(
            "a dhat profile in mode '{}': only heap profiles (mode rust-heap or heap) are read",
            file.mode
        ));
    }
    let mut tables = Tables::new();
    let frames: Vec<FrameId> = file.ftbl.iter().map(|s| frame(&mut tables, s)).collect();
    let mut warnings = Vec::new();
    let mut samples = Vec::with_capacity(file.pps.len());
    for (i, pp) in file.pps.iter().enumerate() {
        let mut fs: Vec<FrameId> = Vec::with_capacity(pp.fs.len().min(MAX_FRAMES));
        for &x in pp.fs.iter().take(MAX_FRAMES) {
            match usize::try_from(x).ok().and_then(|x| frames.get(x)) {
                // Entry 0 is the `[root]` pseudo-frame.
                Some(_) if x == 0 => {}
                Some(&fr) => fs.push(fr),
                None => {
                    if warnings.len() < 1000 {
                        warnings.push(Warning {
                            line: 0,
                            message: format!("program point {i} names frame {x}, not in ftbl"),
                        });
                    }
                }
            }
        }
        let stack = tables.intern_stack(&fs, None);
        samples.push(HeapSample {
            stack,
            values: HeapValues {
                alloc_objects: pp.tbk,
                alloc_bytes: pp.tb,
                inuse_objects: pp.ebk,
                inuse_bytes: pp.eb,
            },
            labels: LabelSetId(0),
        });
    }
    let mut stats = vec![("dhatFileVersion".to_string(), file.version.to_string())];
    if !file.mode.is_empty() {
        stats.push(("mode".into(), file.mode.clone()));
    }
    if !file.cmd.is_empty() {
        stats.push(("cmd".into(), file.cmd.chars().take(200).collect()));
    }
    Ok(HeapProfile {
        source: source.to_string(),
        index: 0,
        format: FORMAT,
        runtime: Runtime::Rust,
        sample_types: vec![
            "total_blocks/count".into(),
            "total_bytes/bytes".into(),
            "end_blocks/count".into(),
            "end_bytes/bytes".into(),
        ],
        has_alloc: true,
        period: 0,
        sampling: Sampling::Exact,
        samples,
        tables: Arc::new(tables),
        modules: Vec::new(),
        stats,
        // One record per program point.
        lines: Some(LineAccount::records_used(file.pps.len() as u64)),
        time_nanos: None,
        warnings,
        truncated: false,
    })
}

/// `0x55d3a1b2: dhat_cache::Cache::insert (src/main.rs:12:5)` -> a frame.
fn frame(t: &mut Tables, s: &str) -> FrameId {
    let body = match s.split_once(": ") {
        Some((addr, rest)) if addr.starts_with("0x") => rest,
        _ => s,
    };
    let (func, loc) = match body.strip_suffix(')').and_then(|b| b.rsplit_once(" (")) {
        Some((f, l)) => (f, l),
        None => (body, ""),
    };
    // file:line:col
    let mut parts = loc.rsplitn(3, ':');
    let (file, line) = match (parts.next(), parts.next(), parts.next()) {
        (Some(_col), Some(line), Some(file)) if line.parse::<u32>().is_ok() => {
            (file, line.parse().unwrap_or(0))
        }
        (Some(line), Some(file), None) if line.parse::<u32>().is_ok() => {
            (file, line.parse().unwrap_or(0))
        }
        _ => (loc, 0),
    };
    source_frame(t, func, split_rust_func, file, line, false)
}

/// Splits a Rust path into (crate, None, rest, kind).
pub fn split_rust_func(full: &str) -> (String, Option<String>, String, CodeKind) {
    let trimmed = full.trim_start_matches('<');
    let krate = trimmed.split("::").next().unwrap_or("").to_string();
    let kind = match krate.as_str() {
        "std" | "core" | "alloc" | "hashbrown" => CodeKind::Stdlib,
        "dhat" | "__rust_alloc" | "__rust_realloc" | "__rg_alloc" | "__rdl_alloc" => {
            CodeKind::Runtime
        }
        k if k.starts_with("__rust") || k.starts_with("__rg_") => CodeKind::Runtime,
        _ => CodeKind::User,
    };
    let name = full
        .get(krate.len() + (full.len() - trimmed.len())..)
        .unwrap_or(full);
    let name = name.trim_start_matches("::").to_string();
    (krate, None, name, kind)
}

/// dhat-rs heap profiles as an input format.
pub struct Dhat;

impl InputFormat for Dhat {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn help(&self) -> &'static str {
        "dhat-rs heap profiles (`dhat-heap.json`)"
    }

    fn expected(&self) -> Option<&'static str> {
        Some("a dhat-heap.json")
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn is_raw(&self) -> bool {
        true
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        Ok(Dumps::of_heaps(vec![parse(&text, source)?]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let mut tables = Tables::new();
        let main_frame = frame(
            &mut tables,
            "0x55d3a1b2: dhat_cache::Cache::insert (src/main.rs:12:5)",
        );
        let fr = *tables.frame(main_frame);
        assert_eq!(tables.func_name(fr.function), "dhat_cache::Cache::insert");
        assert_eq!(tables.str(fr.file), "src/main.rs");
        assert_eq!(fr.line, 12);
        assert_eq!(tables.function(fr.function).kind, CodeKind::User);
        let grow_frame = frame(
            &mut tables,
            "0x1: <alloc::vec::Vec<T> as core::clone::Clone>::clone (x.rs:3:1)",
        );
        assert_eq!(
            tables.function(tables.frame(grow_frame).function).kind,
            CodeKind::Stdlib
        );
        let root_frame = frame(&mut tables, "[root]");
        assert_eq!(
            tables.func_name(tables.frame(root_frame).function),
            "[root]"
        );
    }
}
