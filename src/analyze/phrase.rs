//! How findings name things and phrase what they saw: frames, sites,
//! resources, sizes, the first line of a message, a cluster's creator and
//! wait. Shared by the rule families, the clusters, the heap analysis and the
//! diff, so that no family borrows from another.

use super::cluster::Cluster;
use super::finding::{Finding, Severity};
use super::graph::WaitGraph;
use super::wait::ResKey;
use crate::model::{CodeKind, FrameId, Snapshot, Tables};

/// `n` and the noun agreeing with it: `1 goroutine`, `3 goroutines`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `n` goroutines and what they do, the verb agreeing: `rest` starts with
/// the verb as after "they" (`wait to receive at ...`), given as `1
/// goroutine waits to receive at ...` or `3 goroutines wait ...`.
pub fn goroutines_do(n: usize, rest: &str) -> String {
    format!("{} {}", count(n, "goroutine", "goroutines"), agree(n, rest))
}

/// `rest`, starting with a verb as after "they", with the verb in the
/// singular when `n` is 1: `are blocked` becomes `is blocked`, `wait`
/// becomes `waits`.
pub fn agree(n: usize, rest: &str) -> String {
    if n == 1 {
        let (verb, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let verb = match verb {
            "are" => "is".to_string(),
            "have" => "has".to_string(),
            v => format!("{v}s"),
        };
        if tail.is_empty() {
            verb
        } else {
            format!("{verb} {tail}")
        }
    } else {
        rest.to_string()
    }
}

/// A share `p` in percent, with `decimals` decimals and as many more (up
/// to two) as it takes not to round a part up to all or down to nothing:
/// 2,000 of 2,001 is `99.95%`, never `100%`; beyond two more, `>99.99%`
/// or `<0.01%`.
pub fn percent(p: f64, decimals: usize) -> String {
    if !p.is_finite() {
        return "-".into();
    }
    for d in decimals..=decimals + 2 {
        let shown = format!("{p:.d$}");
        let value: f64 = shown.parse().unwrap_or(p);
        let full = value >= 100.0 && p < 100.0;
        let none = value <= 0.0 && p > 0.0;
        if !full && !none {
            return format!("{shown}%");
        }
    }
    let d = decimals + 2;
    let step = 10f64.powi(-(d as i32));
    if p > 50.0 {
        format!(">{:.d$}%", 100.0 - step)
    } else {
        format!("<{step:.d$}%")
    }
}

/// One mebibyte.
pub const MIB: i64 = 1 << 20;

/// `function (file.go:12)`.
pub fn frame_name(t: &Tables, f: Option<FrameId>) -> String {
    match f {
        Some(f) if f.0 != u32::MAX => {
            let fr = t.frame(f);
            let file = t.str(fr.file);
            let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
            if fr.line > 0 {
                format!("{} ({}:{})", t.func_name(fr.function), base, fr.line)
            } else {
                t.func_name(fr.function).to_string()
            }
        }
        _ => "an unknown site".to_string(),
    }
}

/// `12.3 MiB`.
pub fn mib(b: i64) -> String {
    if b == 0 {
        "0 B".to_string()
    } else if b.abs() >= MIB {
        format!("{:.1} MiB", b as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}

/// `function (file:line)` with the file's base name, for titles.
pub fn short_site(snap: &Snapshot, f: Option<FrameId>) -> String {
    frame_name(&snap.tables, f)
}

/// The stable id of a resource: `mutex@0xc000123408`, or
/// `chan@site:/src/app/main.go:24` when no address is known,
/// `mutex@name:orders` for a global lock known by its name only.
pub fn resource_id(snap: &Snapshot, graph: &WaitGraph, resource: u32) -> String {
    let Some(res) = graph.resources.get(resource as usize) else {
        return format!("resource#{resource}");
    };
    let kind = res.kind.as_str();
    match res.key {
        ResKey::Named(_) => {
            let name = res.name.as_deref().unwrap_or("?");
            format!("{kind}@name:{name}")
        }
        ResKey::Addr(addr) => format!("{kind}@{addr:#x}"),
        ResKey::Object(addr) => format!("{kind}@{addr:#x}+"),
        ResKey::Site(site) if site.0 == u32::MAX => format!("{kind}@site:unknown"),
        ResKey::Site(site) => {
            let tables = &snap.tables;
            let frame = tables.frame(site);
            let file = tables.str(frame.file);
            if file.is_empty() {
                format!("{kind}@site:{}", tables.func_name(frame.function))
            } else {
                format!("{kind}@site:{}:{}", file, frame.line)
            }
        }
    }
}

/// A resource as findings name it: its name first when known
/// (``mutex `orders` (mutex@0x5581...)``, a global lock named by the
/// sources: ``mutex `orders` ``), else its [`resource_id`].
pub fn resource_label(snap: &Snapshot, graph: &WaitGraph, resource: u32) -> String {
    let id = resource_id(snap, graph, resource);
    let Some(res) = graph.resources.get(resource as usize) else {
        return id;
    };
    match (&res.name, res.key) {
        (Some(name), ResKey::Named(_)) => format!("{} `{name}`", res.kind.as_str()),
        (Some(name), _) => format!("{} `{name}` ({id})", res.kind.as_str()),
        (None, _) => id,
    }
}

/// The first line of a message, cut at 200 characters (`…` when cut).
pub fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let mut out: String = first.chars().take(200).collect();
    if first.chars().count() > 200 || s.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

/// The innermost user frame of a task, as [`short_site`] names it.
pub fn user_site(snap: &Snapshot, task: u32) -> Option<String> {
    let tables = &snap.tables;
    let frame = tables
        .stack(snap.tasks.get(task as usize)?.stack)
        .frames
        .iter()
        .find(|f| tables.function(tables.frame(**f).function).kind == CodeKind::User)?;
    Some(short_site(snap, Some(*frame)))
}

/// `, started by function (file.go:12)` when the cluster's creator is known.
pub fn creator_phrase(snap: &Snapshot, c: &Cluster) -> String {
    match c.creator {
        Some(_) => format!(", started by {}", short_site(snap, c.creator)),
        None => String::new(),
    }
}

/// Raises a severity for big or old clusters.
pub fn scale(s: Severity, c: &Cluster) -> Severity {
    if s >= Severity::Medium && (c.count() >= 100 || c.wait_max >= 60 || c.leaked >= 100) {
        Severity::High
    } else {
        s
    }
}

/// Adds how long the cluster's tasks have been blocked, when the dump says.
pub fn with_wait(c: &Cluster, f: Finding) -> Finding {
    if c.wait_max > 0 {
        f.evidence(format!(
            "blocked for up to {} (median {})",
            count(c.wait_max as usize, "minute", "minutes"),
            c.wait_median
        ))
    } else {
        f
    }
}

/// A thread's name, when the dump gives one.
pub fn task_name(snap: &Snapshot, task: u32) -> Option<&str> {
    snap.tasks
        .get(task as usize)
        .and_then(|t| snap.task_name(t))
}

/// Checks a cycle against the deadlocks the process reported itself, and
/// says so in the finding's evidence.
pub fn check_reported(snap: &Snapshot, tasks: &[u32], f: &mut Finding) {
    for reported in &snap.sync.deadlocks {
        let ours: Vec<&str> = tasks.iter().filter_map(|&t| task_name(snap, t)).collect();
        let same = reported.names.len() == ours.len()
            && reported.names.iter().all(|n| ours.contains(&n.as_str()));
        if same {
            f.evidence.push(format!(
                "the JVM's own deadlock detector reports the same threads (line {})",
                reported.line
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{agree, count, percent};

    #[test]
    fn percents_never_round_a_part_to_all_or_nothing() {
        assert_eq!(percent(2000.0 * 100.0 / 2001.0, 0), "99.95%");
        assert_eq!(percent(630.0 * 100.0 / 638.0, 0), "99%");
        assert_eq!(percent(100.0, 0), "100%");
        assert_eq!(percent(0.0, 1), "0.0%");
        assert_eq!(percent(0.04, 0), "0.04%");
        assert_eq!(percent(99.9999, 1), ">99.999%");
        assert_eq!(percent(0.00001, 0), "<0.01%");
        assert_eq!(percent(99.96, 1), "99.96%");
    }

    #[test]
    fn nouns_and_verbs_agree_with_their_count() {
        assert_eq!(count(1, "minute", "minutes"), "1 minute");
        assert_eq!(count(0, "minute", "minutes"), "0 minutes");
        assert_eq!(count(3, "goroutine", "goroutines"), "3 goroutines");
        assert_eq!(agree(1, "wait to receive"), "waits to receive");
        assert_eq!(agree(1, "are blocked"), "is blocked");
        assert_eq!(agree(2, "are blocked"), "are blocked");
    }
}
