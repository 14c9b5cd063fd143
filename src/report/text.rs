//! The terminal rendering of a [`Report`]: the findings of every snapshot
//! ranked together, then a summary per snapshot with its groups in compact
//! stacks, the user's frames emphasised.

use super::crash::Crash;
use super::diff::{signed, signed_size, sparkline_of, DiffReport, HeapDiff};
use super::heap::HeapReport;
use super::textfind::{finding_head, findings, plural};
use super::textfmt::{clean, frames, location, one_line, BOLD, DIM, HEAD, RED, YELLOW};
use super::{Finding, GroupReport, Report, SnapshotReport};
use crate::model::CodeKind;
use std::io::{self, Write};

/// Groups shown per dump in text unless `--max-groups` says otherwise.
pub const DEFAULT_MAX_GROUPS: usize = 50;

/// Options of the text rendering.
#[derive(Debug, Clone)]
pub struct TextOptions {
    /// Groups shown per dump (`--max-groups`).
    pub max_groups: usize,
    /// Findings shown in full, of all the dumps together (benign ones are
    /// summarised).
    pub max_findings: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            max_groups: DEFAULT_MAX_GROUPS,
            max_findings: 20,
        }
    }
}

/// Writes the report as text. Styling is emitted as ANSI escapes; strip them
/// (`anstream::adapter::strip_bytes`) where colour is unwanted. Text that
/// comes from the dump has its control characters replaced, so a dump cannot
/// drive the terminal.
pub fn render(report: &Report, opts: &TextOptions, w: &mut dyn Write) -> io::Result<()> {
    if let Some(d) = &report.diff {
        return diff(report, d, opts, w);
    }
    // The findings of every dump and heap profile first, ranked together;
    // then what each dump holds.
    if !report.snapshots.is_empty() || !report.heap.is_empty() {
        findings(report, opts.max_findings, w)?;
    }
    for (i, s) in report.snapshots.iter().enumerate() {
        writeln!(w)?;
        // With a summary across the dumps of an input, the dumps before its
        // last are shown in brief: the summary says what persists.
        let summarised = !report.across.is_empty()
            && report
                .snapshots
                .get(i + 1)
                .is_some_and(|next| next.source == s.source);
        snapshot_header(report, s, w)?;
        if let Some(c) = &s.crash {
            crash(s, c, w)?;
        }
        snapshot_warnings(s, w)?;
        findings_of(report, Some(i), None, w)?;
        if summarised {
            writeln!(
                w,
                "  {DIM}groups: see the last dump and the summary across the dumps{DIM:#}"
            )?;
        } else {
            snapshot_groups(s, opts, w)?;
        }
    }
    for d in &report.across {
        writeln!(w)?;
        across(d, w)?;
    }
    for (i, h) in report.heap.iter().enumerate() {
        writeln!(w)?;
        heap_header(h, w)?;
        findings_of(report, None, Some(i), w)?;
        writeln!(w)?;
        heap_top_functions(h, w)?;
        heap_top_stacks(h, w)?;
    }
    Ok(())
}

/// The line of a dump's or heap profile's summary naming its findings,
/// ranked above: those about it and those that persist from it into a
/// later dump.
fn findings_of(
    report: &Report,
    snapshot: Option<usize>,
    heap: Option<usize>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let ranks: Vec<String> = report
        .findings
        .iter()
        .filter(|f| !f.is_quiet())
        .filter(|f| match (snapshot, heap) {
            (Some(si), _) => f.snapshot == Some(si) || f.also_in.contains(&si),
            (None, hi) => hi.is_some() && f.heap == hi && f.snapshot.is_none(),
        })
        .map(|f| format!("#{}", f.rank))
        .collect();
    if ranks.is_empty() {
        writeln!(w, "  findings   none above info")
    } else {
        writeln!(w, "  findings   {} (above)", ranks.join(", "))
    }
}

/// Rows of the heap tables.
const HEAP_ROWS: usize = 10;

/// `1 object`, `3 objects`.
fn objects(n: i64) -> String {
    crate::analyze::phrase::count(n.max(0) as usize, "object", "objects")
}

fn size(b: i64) -> String {
    crate::analyze::phrase::mib(b)
}

fn pct(part: i64, whole: i64) -> String {
    if whole <= 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// A heap profile's source, format, totals and reading warnings.
fn heap_header(h: &HeapReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{HEAD}{}{HEAD:#}  heap snapshot", clean(&h.source))?;
    let sampling = if h.sampling == "poisson" {
        format!(", sampled every {} bytes, scaled back", h.period)
    } else if h.period > 0 {
        format!(", sampling period {} bytes", h.period)
    } else {
        String::new()
    };
    writeln!(
        w,
        "  format     {} ({}){sampling}",
        h.format,
        h.runtime.as_str()
    )?;
    let totals = &h.totals;
    writeln!(
        w,
        "  in use     {} in {}",
        size(totals.inuse_bytes),
        objects(totals.inuse_objects)
    )?;
    if h.has_alloc {
        writeln!(
            w,
            "  allocated  {} in {} over the process's life",
            size(totals.alloc_bytes),
            objects(totals.alloc_objects)
        )?;
    }
    if let Some(account) = h.lines.as_ref().and_then(super::lines::summary) {
        writeln!(w, "  {YELLOW}lines      {account}{YELLOW:#}")?;
    }
    for wr in h.warnings.iter().take(5) {
        writeln!(
            w,
            "  {DIM}warning: line {}: {}{DIM:#}",
            wr.line,
            one_line(&wr.message, 200)
        )?;
    }
    Ok(())
}

/// The functions holding the most memory.
fn heap_top_functions(h: &HeapReport, w: &mut dyn Write) -> io::Result<()> {
    let totals = &h.totals;
    writeln!(
        w,
        "{HEAD}top functions by memory in use{HEAD:#}  ({} of {})",
        h.functions.len().min(HEAP_ROWS),
        h.functions_total
    )?;
    writeln!(
        w,
        "  {DIM}{:>10} {:>6} {:>10} {:>6}  function{DIM:#}",
        "flat", "flat%", "cum", "cum%"
    )?;
    for f in h.functions.iter().take(HEAP_ROWS) {
        writeln!(
            w,
            "  {:>10} {:>6} {:>10} {:>6}  {}",
            size(f.flat.inuse_bytes),
            pct(f.flat.inuse_bytes, totals.inuse_bytes),
            size(f.cum.inuse_bytes),
            pct(f.cum.inuse_bytes, totals.inuse_bytes),
            clean(&f.function)
        )?;
    }
    Ok(())
}

/// The stacks holding the most memory, their first frames.
fn heap_top_stacks(h: &HeapReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "{HEAD}top allocation stacks{HEAD:#}  ({} of {})",
        h.sites.len().min(5),
        h.sites_total
    )?;
    for s in h.sites.iter().take(5) {
        let alloc = if h.has_alloc {
            format!(", {} allocated", size(s.values.alloc_bytes))
        } else {
            String::new()
        };
        writeln!(
            w,
            "  {BOLD}{}{BOLD:#} in use ({}){alloc}  at {}",
            size(s.values.inuse_bytes),
            objects(s.values.inuse_objects),
            clean(s.user_frame.as_deref().unwrap_or(&s.function))
        )?;
        for fr in s.frames.iter().take(8) {
            let name = if fr.kind == CodeKind::User {
                format!("{BOLD}{}{BOLD:#}", clean(&fr.function))
            } else {
                clean(&fr.function).into_owned()
            };
            writeln!(
                w,
                "      {name}  {DIM}{}{DIM:#}",
                location(&fr.file, fr.line)
            )?;
        }
        if s.frames.len() > 8 {
            writeln!(
                w,
                "      {DIM}... {} more {}{DIM:#}",
                s.frames.len() - 8,
                plural((s.frames.len() - 8) as u64, "frame", "frames")
            )?;
        }
    }
    Ok(())
}

/// A dump's groups, at most `--max-groups`.
fn snapshot_groups(s: &SnapshotReport, opts: &TextOptions, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    for g in s.groups.iter().take(opts.max_groups) {
        group(g, w)?;
    }
    let shown = s.groups.len().min(opts.max_groups);
    if shown < s.groups_total {
        writeln!(
            w,
            "{DIM}({} of {} groups shown; see --max-groups, --filter){DIM:#}",
            shown, s.groups_total
        )?;
    }
    Ok(())
}

/// A dump's source, format, reading notes, task count and states.
fn snapshot_header(
    report: &Report,
    snapshot: &SnapshotReport,
    w: &mut dyn Write,
) -> io::Result<()> {
    // Dumps are numbered through the run, as findings name them (`also in
    // dump 1`).
    let of = report.snapshots.len();
    let which = match report
        .snapshots
        .iter()
        .position(|x| std::ptr::eq(x, snapshot))
    {
        Some(at) if of > 1 => format!(" (dump {} of {of})", at + 1),
        _ => String::new(),
    };
    writeln!(w, "{HEAD}{}{which}{HEAD:#}", clean(&snapshot.source))?;
    let version = snapshot
        .version_guess
        .as_deref()
        .map(|v| format!(", {v}"))
        .unwrap_or_default();
    let origin = snapshot
        .origin
        .as_deref()
        .map(|o| format!(", {o}"))
        .unwrap_or_default();
    writeln!(
        w,
        "  format     {} ({}{version}{origin})",
        snapshot.format,
        snapshot.runtime.as_str()
    )?;
    // What reading the input involved (symbolization, stripped prefixes),
    // once per input.
    if snapshot.index == 0 {
        if let Some(i) = report.inputs.iter().find(|i| i.source == snapshot.source) {
            for n in i.notes.iter().take(20) {
                writeln!(w, "  {DIM}note       {}{DIM:#}", clean(n))?;
            }
        }
    }
    let branches = super::branches_note(snapshot.branch_count);
    writeln!(
        w,
        "  tasks      {BOLD}{}{BOLD:#}{branches} in {} (similarity: {})",
        snapshot.task_count,
        crate::analyze::phrase::count(snapshot.groups_total, "group", "groups"),
        snapshot.similarity
    )?;
    let states: Vec<String> = snapshot
        .states
        .0
        .iter()
        .take(8)
        .map(|(k, v)| format!("{} {v}", clean(k)))
        .collect();
    let more = snapshot.states.0.len().saturating_sub(8);
    let more = if more > 0 {
        format!(", +{more} more")
    } else {
        String::new()
    };
    writeln!(w, "  states     {}{more}", states.join(", "))?;
    Ok(())
}

/// The crash: message, later panics, signal, data races and the stack
/// of the task that crashed.
fn crash(snapshot: &SnapshotReport, c: &Crash, w: &mut dyn Write) -> io::Result<()> {
    if !c.message.is_empty() {
        writeln!(w, "  crash      {RED}{}{RED:#}", one_line(&c.message, 160))?;
    }
    for p in c.panics.iter().skip(1) {
        let rec = if p.recovered { " [recovered]" } else { "" };
        writeln!(
            w,
            "             then panic: {}{rec}",
            one_line(&p.message, 140)
        )?;
    }
    if !c.runtime_stack.is_empty() {
        let shown: Vec<&str> = c.runtime_stack.iter().take(6).map(String::as_str).collect();
        let more = c.runtime_stack.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" < {more} more")
        } else {
            String::new()
        };
        writeln!(
            w,
            "  runtime    stack of the thread that threw: {}{more}",
            one_line(&shown.join(" < "), 160)
        )?;
    }
    if let Some(sig) = &c.signal {
        if !c.message.contains(&sig.raw) {
            writeln!(w, "  signal     {}", one_line(&sig.raw, 160))?;
        }
    }
    if !c.races.is_empty() {
        writeln!(
            w,
            "  races      {} data race {}",
            c.races.len(),
            super::textfind::plural(c.races.len() as u64, "report", "reports")
        )?;
        for race in c.races.iter().take(3) {
            for a in &race.accesses {
                let g = a
                    .goroutine
                    .map_or("main goroutine".to_string(), |g| format!("goroutine {g}"));
                let at = a.top_frame.as_deref().unwrap_or("?");
                writeln!(
                    w,
                    "             {} at {} by {g}: {}",
                    clean(&a.access),
                    clean(&a.addr),
                    clean(at)
                )?;
            }
        }
    }
    if let Some(task) = &snapshot.crash_task {
        let noun = if snapshot.runtime == crate::model::Runtime::Go {
            "goroutine"
        } else {
            "thread"
        };
        writeln!(
            w,
            "  crashed in {noun} {} [{}]:",
            task.id,
            clean(&task.state)
        )?;
        frames(&task.frames, None, w, "    ")?;
    }
    Ok(())
}

/// Whether the dump is cut off, and the lines that could not be read.
fn snapshot_warnings(snapshot: &SnapshotReport, w: &mut dyn Write) -> io::Result<()> {
    if snapshot.truncated {
        writeln!(
            w,
            "  {YELLOW}truncated: the dump is cut off; the last task is partial{YELLOW:#}"
        )?;
    }
    if let Some(account) = snapshot.lines.as_ref().and_then(super::lines::summary) {
        writeln!(w, "  {YELLOW}lines      {account}{YELLOW:#}")?;
    }
    if !snapshot.warnings.is_empty() {
        writeln!(
            w,
            "  {YELLOW}warnings   {}{YELLOW:#}",
            snapshot.warnings.len()
        )?;
        for x in snapshot.warnings.iter().take(5) {
            writeln!(w, "    line {}: {}", x.line, one_line(&x.message, 140))?;
        }
        if snapshot.warnings.len() > 5 {
            writeln!(
                w,
                "    ... {} more (see --json)",
                snapshot.warnings.len() - 5
            )?;
        }
    }
    Ok(())
}

fn group(g: &GroupReport, w: &mut dyn Write) -> io::Result<()> {
    let wait = match g.wait_minutes {
        Some(m) if m.min == m.max => format!(", {} min", m.max),
        Some(m) => format!(", {}..{} min (median {})", m.min, m.max, m.median),
        None => String::new(),
    };
    let flags: Vec<String> = g.flags.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!("  ({})", flags.join(", "))
    };
    let noun = if g.count == 1 { "task" } else { "tasks" };
    // A lone task's name labels its group (a thread's name, a sanitizer
    // report's `freed by thread T0 here`); larger groups list them below.
    let label = match (g.count, g.task_names.first()) {
        (1, Some(name)) if !name.is_empty() => format!("  \"{}\"", one_line(name, 120)),
        _ => String::new(),
    };
    writeln!(
        w,
        "{BOLD}{:>7} {noun}{BOLD:#}  [{}{wait}]{flags}  {DIM}{}{DIM:#}{label}",
        g.count,
        clean(&g.state),
        g.id
    )?;
    if g.states.0.len() > 1 {
        let st: Vec<String> = g
            .states
            .0
            .iter()
            .map(|(k, v)| format!("{} {v}", clean(k)))
            .collect();
        writeln!(w, "          states: {}", st.join(", "))?;
    }
    if !g.labels.is_empty() {
        let l: Vec<String> = g
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", clean(k), clean(&v.join("|"))))
            .collect();
        writeln!(w, "          labels: {}", one_line(&l.join(" "), 160))?;
    }
    frames(
        &g.frames,
        g.elided.map(|e| (e.at as usize, e.count)),
        w,
        "          ",
    )?;
    if let Some(c) = &g.created_by {
        let parents = match c.parent_ids.len() {
            0 => String::new(),
            1 => format!(" in goroutine {}", c.parent_ids[0]),
            n => format!(" in {n} goroutines"),
        };
        writeln!(
            w,
            "          {DIM}created by{DIM:#} {}{parents}  {DIM}{}{DIM:#}",
            clean(&c.function),
            location(&c.file, c.line)
        )?;
    }
    for a in &g.ancestors {
        let site = a
            .frames
            .first()
            .map(|f| {
                format!(
                    "{}  {DIM}{}{DIM:#}",
                    clean(&f.function),
                    location(&f.file, f.line)
                )
            })
            .unwrap_or_default();
        writeln!(
            w,
            "          {DIM}originating from goroutine {}:{DIM:#} {site}",
            a.id
        )?;
        if let Some(c) = &a.created_by {
            writeln!(
                w,
                "            {DIM}created by{DIM:#} {}  {DIM}{}{DIM:#}",
                clean(&c.function),
                location(&c.file, c.line)
            )?;
        }
    }
    if g.count > 1 && g.count <= 8 && !g.task_ids.is_empty() {
        let ids: Vec<String> = g
            .task_ids
            .iter()
            .enumerate()
            .map(
                |(k, i)| match g.task_names.get(k).filter(|n| !n.is_empty()) {
                    Some(n) => format!("{i} \"{}\"", clean(n)),
                    None => i.to_string(),
                },
            )
            .collect();
        writeln!(w, "          {DIM}ids: {}{DIM:#}", ids.join(" "))?;
    }
    writeln!(w)
}

/// Rows of the diff tables.
const DIFF_ROWS: usize = 20;

/// `  +2.0 min` after a point of a series, or nothing when its time is unknown.
fn when(s: Option<f64>) -> String {
    match s {
        Some(s) if s >= 90.0 => format!("  +{:.1} min", s / 60.0),
        Some(s) => format!("  +{s:.0} s"),
        None => String::new(),
    }
}

/// `dumpscope diff`: the series, the findings, then what changed.
fn diff(report: &Report, d: &DiffReport, opts: &TextOptions, w: &mut dyn Write) -> io::Result<()> {
    diff_series(d, w)?;
    diff_findings(report, opts, w)?;
    if !d.snapshots.is_empty() {
        changed_groups(d, w)?;
        lasting_goroutines(d, w)?;
    }
    if let Some(h) = &d.heap {
        heap_growth_by_function(h, w)?;
        heap_growth_by_stack(h, w)?;
    }
    Ok(())
}

/// The dumps and heap profiles compared, in order.
fn diff_series(d: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    if !d.snapshots.is_empty() {
        writeln!(
            w,
            "{HEAD}diff of {} goroutine dumps{HEAD:#}",
            d.snapshots.len()
        )?;
        for p in &d.snapshots {
            writeln!(
                w,
                "  {}. {}  {} goroutines ({}){}",
                p.index + 1,
                clean(&p.source),
                p.goroutines,
                p.format,
                when(p.seconds)
            )?;
        }
    }
    if let Some(h) = &d.heap {
        writeln!(
            w,
            "{HEAD}diff of {} heap snapshots{HEAD:#}",
            h.snapshots.len()
        )?;
        for (p, totals) in h.snapshots.iter().zip(&h.totals) {
            writeln!(
                w,
                "  {}. {}  {} in use{}",
                p.index + 1,
                clean(&p.source),
                size(totals.inuse_bytes),
                when(p.seconds)
            )?;
        }
    }
    Ok(())
}

/// The findings' titles, at most `--max-findings`.
fn diff_findings(report: &Report, opts: &TextOptions, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    let shown: Vec<&Finding> = report.findings.iter().take(opts.max_findings).collect();
    if shown.is_empty() {
        writeln!(w, "findings  none")?;
    } else {
        writeln!(
            w,
            "{BOLD}findings{BOLD:#}  {} in all",
            report.findings.len()
        )?;
        for f in shown {
            finding_head(f, None, w)?;
        }
    }
    Ok(())
}

/// The summary across the dumps of one input: goroutines per dump, the
/// groups that changed, how many persist unchanged.
fn across(d: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    let source = d
        .snapshots
        .first()
        .map(|p| clean(&p.source))
        .unwrap_or_default();
    let counts: Vec<String> = d
        .snapshots
        .iter()
        .map(|p| p.goroutines.to_string())
        .collect();
    writeln!(
        w,
        "{HEAD}across {} dumps of {source}{HEAD:#}  goroutines {}",
        d.snapshots.len(),
        counts.join(" → ")
    )?;
    let every = d
        .groups
        .iter()
        .filter(|g| g.counts.iter().all(|&c| c > 0))
        .count();
    let same = d
        .groups
        .iter()
        .filter(|g| g.change == 0 && g.counts.iter().all(|&c| c > 0))
        .count();
    writeln!(
        w,
        "  {every} of {} {} in every dump, {same} of them unchanged",
        crate::analyze::phrase::count(d.groups_total, "group", "groups"),
        plural(every as u64, "is", "are")
    )?;
    changed_groups(d, w)
}

/// Goroutine groups whose size changed, largest change first.
fn changed_groups(d: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    let changed: Vec<_> = d.groups.iter().filter(|g| g.change != 0).collect();
    writeln!(
        w,
        "{BOLD}goroutine groups that changed{BOLD:#}  ({} of {})",
        changed.len(),
        crate::analyze::phrase::count(d.groups_total, "group", "groups")
    )?;
    for g in changed.iter().take(DIFF_ROWS) {
        let counts: Vec<String> = g.counts.iter().map(|c| c.to_string()).collect();
        let rel = g
            .relative
            .map(|x| format!(" {:+.0}%", x * 100.0))
            .unwrap_or_default();
        let rate = g
            .per_minute
            .map(|x| format!(" {x:+.1}/min"))
            .unwrap_or_default();
        writeln!(
            w,
            "  {:>7}{rel}{rate}  {}  {:<6} {}  [{}]  {}",
            signed(g.change),
            sparkline_of(&g.counts, |c| c as f64),
            g.status,
            counts.join(" → "),
            clean(&g.state),
            clean(&g.site)
        )?;
    }
    if changed.len() > DIFF_ROWS {
        writeln!(
            w,
            "  {DIM}... {} more (see --json){DIM:#}",
            changed.len() - DIFF_ROWS
        )?;
    }
    Ok(())
}

/// Goroutines stuck or running in every dump, and who created new ones.
fn lasting_goroutines(d: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    if !d.stuck.is_empty() {
        writeln!(
            w,
            "{BOLD}stuck in every dump{BOLD:#}  {}",
            crate::analyze::phrase::count(d.stuck.len(), "goroutine", "goroutines")
        )?;
        for s in d.stuck.iter().take(DIFF_ROWS) {
            let waits: Vec<String> = s
                .wait_minutes
                .iter()
                .map(|m| m.map_or("?".into(), |m| m.to_string()))
                .collect();
            writeln!(
                w,
                "  goroutine {}  [{}, {} minutes]  {}",
                s.id,
                clean(&s.state),
                waits.join(" → "),
                clean(&s.site)
            )?;
        }
    }
    if !d.spinning.is_empty() {
        writeln!(
            w,
            "{BOLD}running in every dump{BOLD:#}  {}",
            crate::analyze::phrase::count(d.spinning.len(), "goroutine", "goroutines")
        )?;
        for s in d.spinning.iter().take(DIFF_ROWS) {
            writeln!(
                w,
                "  goroutine {}  [{}]  {}",
                s.id,
                clean(&s.states.join(" → ")),
                clean(&s.site)
            )?;
        }
    }
    if !d.spawners.is_empty() {
        writeln!(w, "{BOLD}new goroutines by creator{BOLD:#}")?;
        for s in d.spawners.iter().take(DIFF_ROWS) {
            writeln!(
                w,
                "  {:>7}  {}  now at {}",
                signed(s.new_goroutines as i64),
                clean(&s.creator),
                clean(&s.sites.join(", "))
            )?;
        }
    }
    Ok(())
}

/// Heap growth by function (flat and cumulative).
fn heap_growth_by_function(h: &HeapDiff, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "{BOLD}heap in use{BOLD:#}  {} ({} objects)",
        signed_size(h.delta.inuse_bytes),
        signed(h.delta.inuse_objects)
    )?;
    writeln!(
        w,
        "  {:>12} {:>12}  function (flat, like pprof -base)",
        "flat", "cum"
    )?;
    for f in h
        .functions
        .iter()
        .filter(|f| f.flat_delta != 0 || f.cum_delta != 0)
        .take(HEAP_ROWS)
    {
        writeln!(
            w,
            "  {:>12} {:>12}  {}  {}",
            signed_size(f.flat_delta),
            signed_size(f.cum_delta),
            sparkline_of(&f.flat, |b| b as f64),
            clean(&f.function)
        )?;
    }
    Ok(())
}

/// The stacks whose memory in use grew most.
fn heap_growth_by_stack(h: &HeapDiff, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "  {BOLD}stacks that grew{BOLD:#}  ({} stacks in all)",
        h.stacks_total
    )?;
    for s in h.stacks.iter().filter(|s| s.delta > 0).take(5) {
        writeln!(
            w,
            "  {:>12}  {}  at {}",
            signed_size(s.delta),
            sparkline_of(&s.inuse_bytes, |b| b as f64),
            clean(&s.user_frame)
        )?;
        for f in s.frames.iter().take(6) {
            writeln!(w, "      {DIM}{}{DIM:#}", clean(f))?;
        }
    }
    Ok(())
}
