//! Findings and how they rank: the one module for [`Finding`], [`Severity`],
//! [`Kind`], [`Confidence`] and the [`RuleInfo`] a finding comes from, with
//! the scoring and ranking shared by the rule families, the heap analysis and
//! the diff.

pub use crate::model::Confidence;

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Severity {
    /// Worth knowing, nothing to fix.
    Info,
    /// Probably harmless.
    Low,
    /// A problem to look at.
    Medium,
    /// A problem hurting the process.
    High,
    /// The process is stuck or crashed.
    Critical,
}

impl Severity {
    /// The name used in reports and rule files: `info` … `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
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

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a severity by name, in any case (`high`, `HIGH`).
impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(name: &str) -> Result<Severity, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(format!("unknown severity `{name}`")),
        })
    }
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Tasks waiting on each other in a cycle, or the whole process blocked.
    Deadlock,
    /// Tasks that will never finish.
    Leak,
    /// Tasks blocked on something that can never happen.
    BlockedForever,
    /// Tasks queued on a lock or a resource.
    Contention,
    /// The process crashed.
    Crash,
    /// Work that cannot get a thread or a slot.
    Starvation,
    /// More tasks or memory in each snapshot.
    Growth,
    /// A normal state that looks suspicious.
    Benign,
    /// Heap memory: a dominant retainer, a cache that only grows, ...
    Memory,
    /// The same goroutines blocked at the same place in every dump.
    Stuck,
    /// A goroutine running at the same place in every dump.
    Spin,
}

impl Kind {
    /// The name used in reports: `deadlock`, `blocked-forever`, ...
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
    /// `family.name`, stable: user rules and docs/rules.md refer to it.
    pub id: &'static str,
    /// What the rule recognises, in a few words.
    pub title: &'static str,
    /// What kind of problem it is.
    pub kind: Kind,
    /// The severity the rule starts from; the evidence may raise or lower it.
    pub severity: Severity,
    /// What happened, in plain words.
    pub explanation: &'static str,
    /// The usual cause in the code.
    pub cause: &'static str,
    /// What to change.
    pub remedy: &'static str,
    /// A short sketch of the fix, in the runtime's language (Go, Java, C,
    /// Python or Rust).
    pub sketch: &'static str,
    /// Where to read more.
    pub references: &'static [&'static str],
}

/// A diagnosis of one snapshot, before it becomes a report finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that recognised it.
    pub rule: &'static RuleInfo,
    /// What kind of problem it is (the rule's, unless changed).
    pub kind: Kind,
    /// How urgent.
    pub severity: Severity,
    /// How sure.
    pub confidence: Confidence,
    /// A title specific to this instance.
    pub title: String,
    /// What happened here, then the rule's general explanation.
    pub explanation: String,
    /// Indices into `snapshot.tasks`.
    pub tasks: Vec<u32>,
    /// Indices into the graph's resources.
    pub resources: Vec<u32>,
    /// What was seen, one fact a line.
    pub evidence: Vec<String>,
    /// Set by ranking.
    pub score: f64,
    /// Marked benign by a user rule.
    pub user_rule: Option<String>,
    /// The finding's number within its snapshot's diagnosis, set once every
    /// family has run; links between findings name it.
    pub key: u32,
    /// The findings of the same snapshot this one follows from (their
    /// `key`s): it is their symptom, and ranks right after them.
    pub caused_by: Vec<u32>,
    /// Tasks stranded behind this finding by the findings it causes, beside
    /// its own: they weigh in its score.
    pub stranded: usize,
    /// The rule whose cause, remedy and sketch fit what the tasks wait on,
    /// when the finding's own rule speaks of a general shape (a leak, an
    /// explosion) and the tasks show a precise one.
    pub advice: Option<&'static RuleInfo>,
    /// Earlier snapshots of the same input where the same finding was seen:
    /// it persists across them (reported once, on the newest).
    pub also_in: Vec<usize>,
}

impl Finding {
    /// A finding of `rule` with the rule's kind and severity, `Likely`.
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
            key: u32::MAX,
            caused_by: Vec::new(),
            stranded: 0,
            advice: None,
            also_in: Vec::new(),
        }
    }

    /// Sets the confidence.
    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = c;
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    /// Sets the explanation.
    pub fn explain(mut self, s: String) -> Self {
        self.explanation = s;
        self
    }

    /// Adds a line of evidence.
    pub fn evidence(mut self, e: impl Into<String>) -> Self {
        self.evidence.push(e.into());
        self
    }

    /// The rule whose cause, remedy, sketch and references the report
    /// gives: the advice when set, else the finding's rule.
    pub fn advice_rule(&self) -> &'static RuleInfo {
        self.advice.unwrap_or(self.rule)
    }

    /// Sets the resources involved (indices into the graph).
    pub fn resources(mut self, r: Vec<u32>) -> Self {
        self.resources = r;
        self
    }
}

/// Sets a finding's ranking score: severity weight × confidence × (1 +
/// log10 of the tasks involved, its own and those stranded behind it).
pub fn score(f: &mut Finding) {
    let tasks = (f.tasks.len() + f.stranded).max(1) as f64;
    score_by(f, 1.0 + tasks.log10());
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

/// The ranking order: severity, then score (confidence and how many tasks
/// the finding strands), then confidence.
pub fn rank_cmp(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| b.score.total_cmp(&a.score))
        .then_with(|| b.confidence.cmp(&a.confidence))
        .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
}

/// Scores and orders findings, most urgent first, each cause right before
/// the first of its symptoms.
pub fn rank(findings: &mut Vec<Finding>) {
    for f in findings.iter_mut() {
        score(f);
    }
    findings.sort_by(rank_cmp);
    causes_first(findings, |f| Some((0, f.key)), |f| &f.caused_by);
}

/// Reorders ranked `items` so that every cause comes before its symptoms:
/// an item whose causes are not out yet brings them forward, in their own
/// order, just before itself. `id` names an item (a group such as its
/// snapshot, and its key; `None` for items that take no part in links) and
/// `causes` the keys, in the same group, of the items it follows from.
pub fn causes_first<T>(
    items: &mut Vec<T>,
    id: impl Fn(&T) -> Option<(usize, u32)>,
    causes: impl Fn(&T) -> &[u32],
) {
    if items.iter().all(|item| causes(item).is_empty()) {
        return;
    }
    let position: rustc_hash::FxHashMap<(usize, u32), usize> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| Some((id(item)?, index)))
        .collect();
    let mut order: Vec<usize> = Vec::with_capacity(items.len());
    let mut placed = vec![false; items.len()];
    for index in 0..items.len() {
        place(
            index,
            items,
            &id,
            &causes,
            &position,
            &mut placed,
            &mut order,
        );
    }
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(order.into_iter().filter_map(|index| slots[index].take()));
}

/// Puts `index` into `order` after the causes not yet placed (an item is
/// marked before its causes are visited, so a circle of links ends).
fn place<T>(
    index: usize,
    items: &[T],
    id: &impl Fn(&T) -> Option<(usize, u32)>,
    causes: &impl Fn(&T) -> &[u32],
    position: &rustc_hash::FxHashMap<(usize, u32), usize>,
    placed: &mut [bool],
    order: &mut Vec<usize>,
) {
    if placed[index] {
        return;
    }
    placed[index] = true;
    if let Some((group, _)) = id(&items[index]) {
        let mut before: Vec<usize> = causes(&items[index])
            .iter()
            .filter_map(|key| position.get(&(group, *key)).copied())
            .filter(|&cause| !placed[cause])
            .collect();
        before.sort_unstable();
        for cause in before {
            place(cause, items, id, causes, position, placed, order);
        }
    }
    order.push(index);
}

#[cfg(test)]
mod tests {
    use super::*;

    static RULE: RuleInfo = RuleInfo {
        id: "test.rule",
        title: "test",
        kind: Kind::Leak,
        severity: Severity::Medium,
        explanation: "",
        cause: "",
        remedy: "",
        sketch: "",
        references: &[],
    };

    fn finding(key: u32, severity: Severity, tasks: usize, caused_by: &[u32]) -> Finding {
        let mut f =
            Finding::new(&RULE, format!("f{key}"), (0..tasks as u32).collect()).severity(severity);
        f.key = key;
        f.caused_by = caused_by.to_vec();
        f
    }

    #[test]
    fn more_goroutines_outrank_more_confidence_at_one_severity() {
        let mut few = finding(0, Severity::Medium, 1, &[]).confidence(Confidence::Certain);
        let mut many = finding(1, Severity::Medium, 21, &[]).confidence(Confidence::Possible);
        score(&mut few);
        score(&mut many);
        assert_eq!(rank_cmp(&many, &few), std::cmp::Ordering::Less);
        let mut stranding = finding(2, Severity::Medium, 1, &[]);
        stranding.stranded = 20;
        score(&mut stranding);
        assert!(stranding.score > few.score);
    }

    #[test]
    fn causes_rank_right_before_their_first_symptom() {
        let mut findings = vec![
            finding(0, Severity::Low, 1, &[]),
            finding(1, Severity::Critical, 1, &[2]),
            finding(2, Severity::High, 1, &[]),
            finding(3, Severity::Medium, 1, &[0]),
        ];
        rank(&mut findings);
        let keys: Vec<u32> = findings.iter().map(|f| f.key).collect();
        assert_eq!(keys, vec![2, 1, 0, 3]);
    }

    #[test]
    fn a_circle_of_links_keeps_every_finding_once() {
        let mut findings = vec![
            finding(0, Severity::High, 1, &[1]),
            finding(1, Severity::Medium, 1, &[0]),
        ];
        rank(&mut findings);
        assert_eq!(findings.len(), 2);
        let keys: Vec<u32> = findings.iter().map(|f| f.key).collect();
        assert_eq!(keys, vec![1, 0]);
    }
}
