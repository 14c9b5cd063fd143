//! The rule catalogue and the diagnosis that runs it.
//!
//! One module per family. A rule is a [`RuleInfo`] (data: id, title,
//! explanation, cause, remedy, code sketch, references) plus the code in its
//! family's `run` that recognises it in a [`Cx`] and pushes a [`Finding`].
//! Families run in a fixed order; a family claims the tasks it explains so
//! that a later, vaguer rule does not report them again. To add a rule: add
//! its `RuleInfo` to the family's `RULES`, recognise it in the family's
//! `run`, add a sample program and a test (see docs/rules.md).

pub mod benign;
pub mod chan;
pub mod crash;
pub mod deadlock;
pub mod leak;
pub mod native;
pub mod net;
pub mod sync;
pub mod threads;
pub mod user;

use super::cluster::Cluster;
use super::graph::WaitGraph;
use super::group::Group;
use crate::model::Confidence;
use crate::model::Snapshot;

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    fn weight(self) -> f64 {
        match self {
            Severity::Critical => 1000.0,
            Severity::High => 300.0,
            Severity::Medium => 100.0,
            Severity::Low => 10.0,
            Severity::Info => 1.0,
        }
    }
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Deadlock,
    Leak,
    BlockedForever,
    Contention,
    Crash,
    Starvation,
    Growth,
    Benign,
    /// Heap memory: a dominant retainer, a cache that only grows, ...
    Memory,
    /// The same goroutines blocked at the same place in every dump.
    Stuck,
    /// A goroutine running at the same place in every dump.
    Spin,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deadlock => "deadlock",
            Kind::Leak => "leak",
            Kind::BlockedForever => "blocked-forever",
            Kind::Contention => "contention",
            Kind::Crash => "crash",
            Kind::Starvation => "starvation",
            Kind::Growth => "growth",
            Kind::Benign => "benign",
            Kind::Memory => "memory",
            Kind::Stuck => "stuck",
            Kind::Spin => "spin",
        }
    }
}

/// A rule of the catalogue: what it recognises and what to tell the user.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    /// The severity the rule starts from; the evidence may raise or lower it.
    pub severity: Severity,
    /// What happened, in plain words.
    pub explanation: &'static str,
    /// The usual cause in the code.
    pub cause: &'static str,
    /// What to change.
    pub remedy: &'static str,
    /// A short Go sketch of the fix.
    pub sketch: &'static str,
    pub references: &'static [&'static str],
}

/// A diagnosis of one snapshot, before it becomes a report finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleInfo,
    pub kind: Kind,
    pub severity: Severity,
    pub confidence: Confidence,
    /// A title specific to this instance.
    pub title: String,
    /// What happened here, then the rule's general explanation.
    pub explanation: String,
    /// Indices into `snapshot.tasks`.
    pub tasks: Vec<u32>,
    /// Indices into the graph's resources.
    pub resources: Vec<u32>,
    pub evidence: Vec<String>,
    /// Set by ranking.
    pub score: f64,
    /// Marked benign by a user rule.
    pub user_rule: Option<String>,
}

impl Finding {
    pub fn new(rule: &'static RuleInfo, title: String, tasks: Vec<u32>) -> Finding {
        Finding {
            rule,
            kind: rule.kind,
            severity: rule.severity,
            confidence: Confidence::Likely,
            title,
            explanation: String::new(),
            tasks,
            resources: Vec::new(),
            evidence: Vec::new(),
            score: 0.0,
            user_rule: None,
        }
    }

    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = c;
        self
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    pub fn explain(mut self, s: String) -> Self {
        self.explanation = s;
        self
    }

    pub fn evidence(mut self, e: impl Into<String>) -> Self {
        self.evidence.push(e.into());
        self
    }

    pub fn resources(mut self, r: Vec<u32>) -> Self {
        self.resources = r;
        self
    }
}

/// Growth of clusters over earlier snapshots of the same process.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Cluster signature -> task counts in earlier snapshots, oldest first.
    pub counts: rustc_hash::FxHashMap<String, Vec<usize>>,
    /// How many earlier snapshots there are.
    pub snapshots: usize,
    /// Threads blocked on a lock in earlier snapshots, by (task id, where it
    /// waits): the first and last snapshot it was seen so, and the first
    /// snapshot's time.
    pub blocked: rustc_hash::FxHashMap<(u64, String), (usize, usize, Option<f64>)>,
}

impl History {
    /// Records the lock waits of one more snapshot (call before counting
    /// it in `snapshots`).
    pub fn note_blocked(&mut self, snap: &Snapshot, graph: &WaitGraph) {
        if snap.runtime == crate::model::Runtime::Go {
            return;
        }
        let now = self.snapshots;
        for (i, w) in graph.waits.iter().enumerate() {
            let Some(key) = blocked_key(snap, i, w.as_ref()) else {
                continue;
            };
            let e = self
                .blocked
                .entry(key)
                .or_insert((now, now, snap.time_unix));
            if e.1 + 1 < now {
                // Not blocked there in the snapshot before: a new wait.
                *e = (now, now, snap.time_unix);
            }
            e.1 = now;
        }
    }
}

/// What identifies a thread's wait on a lock across snapshots: its id and
/// the function and line it waits at (objects may move between dumps).
pub fn blocked_key(
    snap: &Snapshot,
    task: usize,
    w: Option<&crate::analyze::wait::Wait>,
) -> Option<(u64, String)> {
    let w = w?;
    if !crate::analyze::wait::is_lock(w.kind) {
        return None;
    }
    let t = snap.tasks.get(task)?;
    let site = w.site.map(|f| {
        let fr = snap.tables.frame(f);
        format!("{}:{}", snap.tables.func_name(fr.function), fr.line)
    })?;
    Some((t.id, format!("{}@{site}", w.kind.as_str())))
}

/// What the rules read and write.
pub struct Cx<'a> {
    pub snap: &'a Snapshot,
    pub graph: &'a WaitGraph,
    pub groups: &'a [Group],
    pub clusters: &'a [Cluster],
    /// Some task is marked `(leaked)`.
    pub any_leaked: bool,
    pub history: Option<&'a History>,
    /// Per task: already explained by a finding.
    pub claimed: Vec<bool>,
    pub findings: Vec<Finding>,
    /// Tasks that count (not system stacks).
    pub live_tasks: usize,
}

impl Cx<'_> {
    pub fn claim(&mut self, tasks: &[u32]) {
        for &t in tasks {
            if let Some(c) = self.claimed.get_mut(t as usize) {
                *c = true;
            }
        }
    }

    /// The tasks of `tasks` not yet explained.
    pub fn unclaimed(&self, tasks: &[u32]) -> Vec<u32> {
        tasks
            .iter()
            .copied()
            .filter(|&t| !self.claimed.get(t as usize).copied().unwrap_or(true))
            .collect()
    }

    pub fn push(&mut self, f: Finding) {
        let tasks = f.tasks.clone();
        self.claim(&tasks);
        self.findings.push(f);
    }

    /// How many of `tasks` Go's GC proved leaked.
    pub fn leaked(&self, tasks: &[u32]) -> usize {
        if !self.any_leaked {
            return 0;
        }
        tasks
            .iter()
            .filter(|&&t| {
                self.snap.tasks[t as usize]
                    .flags
                    .has(crate::model::TaskFlags::LEAKED)
            })
            .count()
    }

    /// Ids of tasks, for messages (at most `max`).
    /// Tasks as findings name them: ids for goroutines, names and ids for
    /// threads.
    pub fn labels(&self, tasks: &[u32], max: usize) -> String {
        if self.snap.runtime == crate::model::Runtime::Go {
            return self.ids(tasks, max);
        }
        let mut s: Vec<String> = tasks
            .iter()
            .take(max)
            .filter_map(|&t| self.snap.tasks.get(t as usize))
            .map(|t| match self.snap.task_name(t) {
                Some(n) => format!("\"{n}\" ({})", t.id),
                None => t.id.to_string(),
            })
            .collect();
        if tasks.len() > max {
            s.push(format!("… {} more", tasks.len() - max));
        }
        s.join(", ")
    }

    pub fn ids(&self, tasks: &[u32], max: usize) -> String {
        let mut s: Vec<String> = tasks
            .iter()
            .take(max)
            .map(|&t| self.snap.tasks[t as usize].id.to_string())
            .collect();
        if tasks.len() > max {
            s.push(format!("… {} more", tasks.len() - max));
        }
        s.join(", ")
    }
}

/// Every rule, by family.
pub fn catalogue() -> Vec<&'static RuleInfo> {
    [
        deadlock::RULES,
        chan::RULES,
        sync::RULES,
        leak::RULES,
        net::RULES,
        crash::RULES,
        native::RULES,
        threads::RULES,
        benign::RULES,
        crate::analyze::heap::RULES,
        crate::analyze::diff::RULES,
    ]
    .iter()
    .flat_map(|r| r.iter().copied())
    .collect()
}

/// The catalogue as Markdown (docs/rules.md carries this text).
pub fn catalogue_markdown() -> String {
    let mut out =
        String::from("<!-- generated by `dumpscope rules`; a test keeps it in sync -->\n");
    for r in catalogue() {
        out.push_str(&format!(
            "\n### `{}`: {}\n\n- kind: {}, starting severity: {}\n\n{}\n\n**Usual cause.** {}\n\n**Remedy.** {}\n",
            r.id,
            r.title,
            r.kind.as_str(),
            r.severity.as_str(),
            r.explanation,
            r.cause,
            r.remedy
        ));
        if !r.sketch.is_empty() {
            let lang = match r.id.split('.').next() {
                Some("java") => "java",
                Some("native") => "c",
                Some("python") => "python",
                Some("tokio") | Some("rust") => "rust",
                _ => "go",
            };
            out.push_str(&format!("\n```{lang}\n{}\n```\n", r.sketch));
        }
        if !r.references.is_empty() {
            out.push_str("\nReferences: ");
            out.push_str(
                &r.references
                    .iter()
                    .map(|u| format!("<{u}>"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            out.push('\n');
        }
    }
    out
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    catalogue().into_iter().find(|r| r.id == id)
}

/// Runs every family over one snapshot and ranks the findings.
pub fn diagnose(
    snap: &Snapshot,
    graph: &WaitGraph,
    groups: &[Group],
    clusters: &[Cluster],
    history: Option<&History>,
    user_rules: &user::UserRules,
) -> Vec<Finding> {
    let (live_tasks, any_leaked) = (graph.live_tasks, graph.any_leaked);
    let mut cx = Cx {
        snap,
        graph,
        groups,
        clusters,
        any_leaked,
        history,
        claimed: vec![false; snap.tasks.len()],
        findings: Vec::new(),
        live_tasks,
    };
    if snap.runtime == crate::model::Runtime::Go {
        crash::run(&mut cx);
        deadlock::run(&mut cx);
        chan::run_forever(&mut cx);
        sync::run(&mut cx);
        leak::run_explosion(&mut cx);
        net::run(&mut cx);
        benign::run(&mut cx);
        chan::run(&mut cx);
        leak::run(&mut cx);
    } else {
        native::run(&mut cx);
        deadlock::run_cycles(&mut cx);
        threads::run(&mut cx);
    }
    let mut findings = cx.findings;
    if let Some(h) = history {
        growth(clusters, h, &mut findings);
    }
    user_rules.apply(snap, &mut findings);
    rank(&mut findings);
    findings
}

/// Adds growth across earlier snapshots to the leak findings it concerns,
/// and raises them to high.
fn growth(clusters: &[Cluster], h: &History, findings: &mut [Finding]) {
    let mut of_task: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
    for (ci, c) in clusters.iter().enumerate() {
        if let Some(&t) = c.tasks.first() {
            of_task.insert(t, ci);
        }
    }
    for f in findings.iter_mut() {
        if !matches!(f.kind, Kind::Leak | Kind::BlockedForever | Kind::Contention) {
            continue;
        }
        let Some(c) = f
            .tasks
            .iter()
            .find_map(|t| of_task.get(t))
            .map(|&ci| &clusters[ci])
        else {
            continue;
        };
        let Some(first) = h.counts.get(&c.signature).and_then(|v| v.first().copied()) else {
            continue;
        };
        if c.count() >= first * 2 && c.count() >= first + 10 {
            f.evidence.push(format!(
                "grew from {first} to {} goroutines over {} earlier dump(s)",
                c.count(),
                h.snapshots
            ));
            if f.severity < Severity::High {
                f.severity = Severity::High;
            }
        }
    }
}

/// Sets a finding's ranking score: severity weight × confidence × (1 +
/// log10 of the tasks involved).
pub fn score(f: &mut Finding) {
    let n = f.tasks.len().max(1) as f64;
    score_by(f, 1.0 + n.log10());
}

/// Sets a finding's score from its severity, confidence and a size factor
/// (`1 + log10` of the tasks, or of the MiB for heap findings).
pub fn score_by(f: &mut Finding, size: f64) {
    let conf = match f.confidence {
        Confidence::Certain => 1.0,
        Confidence::Likely => 0.8,
        Confidence::Possible => 0.6,
    };
    f.score = (f.severity.weight() * conf * size * 10.0).round() / 10.0;
}

/// The ranking order: severity, then confidence, then score.
pub fn rank_cmp(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| b.confidence.cmp(&a.confidence))
        .then_with(|| b.score.total_cmp(&a.score))
        .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
}

/// Scores and orders findings, most urgent first.
pub fn rank(findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        score(f);
    }
    findings.sort_by(rank_cmp);
}
