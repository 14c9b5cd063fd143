//! `dumpscope symbolize`: the input written back with every resolvable
//! address annotated, everything else untouched, so that it can be pasted
//! back into the ticket.

use super::{Outcome, Request, Space, SymFrame, Symbolizer};
use crate::parse::native::{frames, parse_map_line, rust};
use std::io::{self, Write};

/// What was done, for stderr.
#[derive(Debug, Default)]
pub struct Stats {
    /// Addresses found in the text.
    pub addresses: usize,
    /// Addresses resolved to a function.
    pub resolved: usize,
    /// What the user should know (modules not found, bases inferred).
    pub notes: Vec<String>,
}

/// Writes `text` to `w` annotated: each line carrying a resolvable address
/// gets `  [= function file:line, inlined into ...]` appended.
pub fn annotate(text: &str, sym: &mut Symbolizer, w: &mut dyn Write) -> io::Result<Stats> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut maps = Vec::new();
    // (line index, module, build-id, addr, space, call)
    let mut found: Vec<(usize, frames::LineAddr)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let line = l.trim_end_matches(['\n', '\r']);
        if let Some(m) = parse_map_line(line) {
            maps.push(m);
            continue;
        }
        if let Some(a) = frames::line_addr(line) {
            found.push((i, a));
        } else if let Some(a) = rust::line_addr(line) {
            found.push((i, (String::new(), String::new(), a, Space::Absolute, true)));
        }
    }
    // eu-stack prints a frame, then its `[build-id]@base+off` line: only
    // the second is annotated.
    let eu = |a: &frames::LineAddr| a.0.is_empty() && a.3 == Space::FileOffset;
    let drop: Vec<bool> = (0..found.len())
        .map(|k| {
            found
                .get(k + 1)
                .is_some_and(|n| n.0 == found[k].0 + 1 && eu(&n.1))
        })
        .collect();
    let mut position = 0;
    found.retain(|_| {
        position += 1;
        !drop[position - 1]
    });
    let ids: Vec<Option<Vec<u8>>> = found
        .iter()
        .map(|(_, a)| super::image::unhex(&a.1))
        .collect();
    let reqs: Vec<Request> = found
        .iter()
        .zip(&ids)
        .map(|((_, (module, _, addr, space, call)), id)| Request {
            module,
            build_id: id.as_deref(),
            addr: *addr,
            space: *space,
            call: *call,
        })
        .collect();
    let out: Outcome = sym.resolve(&reqs, &maps);
    let mut stats = Stats {
        addresses: reqs.len(),
        notes: out.notes,
        ..Stats::default()
    };
    let mut at: Vec<Option<&[SymFrame]>> = vec![None; lines.len()];
    for ((i, _), res) in found.iter().zip(&out.results) {
        let Some(r) = res else { continue };
        if r.frames.is_empty() {
            continue;
        }
        stats.resolved += 1;
        at[*i] = Some(&r.frames);
    }
    for (i, l) in lines.iter().enumerate() {
        match at[i] {
            Some(frames) => {
                let body = l.trim_end_matches(['\n', '\r']);
                w.write_all(body.as_bytes())?;
                w.write_all(b"  [= ")?;
                describe(frames, w)?;
                w.write_all(b"]")?;
                w.write_all(&l.as_bytes()[body.len()..])?;
            }
            None => w.write_all(l.as_bytes())?,
        }
    }
    Ok(stats)
}

/// `read_value main.c:55, inlined into sum_record main.c:60`.
fn describe(frames: &[SymFrame], w: &mut dyn Write) -> io::Result<()> {
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            w.write_all(b", inlined into ")?;
        }
        w.write_all(if f.function.is_empty() {
            b"?"
        } else {
            f.function.as_bytes()
        })?;
        if let Some(o) = f.symbol_offset {
            write!(w, "+{o:#x}")?;
        }
        if !f.file.is_empty() {
            write!(w, " {}:{}", f.file, f.line)?;
        }
    }
    Ok(())
}
