//! The diff's rules: goroutines piling up, stuck or spinning across dumps,
//! and memory growing at one allocation site across heap snapshots.

use crate::analyze::finding::{Kind, RuleInfo, Severity};

/// Goroutines piling up between dumps.
pub static GROWTH: RuleInfo = RuleInfo {
    id: "diff.growth",
    title: "Goroutines piling up between dumps",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "More goroutines wait at the same place in each dump: something starts them faster than they finish. Left alone the process runs out of memory.",
    cause: "A goroutine per request or per item that blocks forever (a send nobody receives, a receive nobody sends, a lock never released), or a retry loop that starts goroutines without bound.",
    remedy: "Look at the site and at who creates the goroutines (the `created by` frame): give every goroutine a way out (context, done channel, buffered result channel) and bound how many can run.",
    sketch: "select {\ncase out <- v:\ncase <-ctx.Done():\n\treturn\n}",
    references: &["https://go.dev/blog/pipelines"],
};

/// Goroutines stuck at one place in every dump.
pub static STUCK: RuleInfo = RuleInfo {
    id: "diff.stuck",
    title: "Goroutines stuck at the same place in every dump",
    kind: Kind::Stuck,
    severity: Severity::High,
    explanation: "The same goroutines are blocked at the same line in every dump, and the time they have been blocked keeps growing: they are not slow, they are stuck.",
    cause: "A lock that is never released, a channel nobody will use again, a call without a deadline.",
    remedy: "Follow what they wait for (the finding names the site; the wait-for graph names the holder) and give the wait an end: release the lock on every path, close the channel, add a deadline.",
    sketch: "ctx, cancel := context.WithTimeout(ctx, 5*time.Second)\ndefer cancel()",
    references: &["https://pkg.go.dev/context"],
};

/// A busy loop.
pub static SPIN: RuleInfo = RuleInfo {
    id: "diff.spin",
    title: "A goroutine running at the same place in every dump: a busy loop",
    kind: Kind::Spin,
    severity: Severity::Medium,
    explanation: "The same goroutine is running (or ready to run) at the same frames in every dump: it never blocks. That is a busy loop burning a CPU, typically `select` with a `default` branch in a `for` loop.",
    cause: "`for { select { case v := <-ch: ...; default: } }` or a loop polling a flag without sleeping.",
    remedy: "Block instead of polling: drop the `default` branch so the select waits, or wait on a ticker or a condition.",
    sketch: "for {\n\tselect {\n\tcase v := <-ch:\n\t\thandle(v)\n\tcase <-ctx.Done():\n\t\treturn\n\t}\n}",
    references: &["https://go.dev/ref/spec#Select_statements"],
};

/// Memory growing at one allocation site.
pub static HEAP_GROWTH: RuleInfo = RuleInfo {
    id: "diff.heap-growth",
    title: "Memory in use growing at one allocation site between heap snapshots",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "This allocation site holds more memory in each heap snapshot: whatever it allocates is kept.",
    cause: "A cache or map without eviction, a slice that is only appended to, goroutines that keep what they allocated.",
    remedy: "Bound or evict what the site's callers keep (a size-bounded LRU, a TTL), then check that the site stays flat between snapshots.",
    sketch: "cache, _ := lru.New[string, []byte](10_000)",
    references: &["https://pkg.go.dev/runtime/pprof"],
};

/// The diff's rules, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&GROWTH, &STUCK, &SPIN, &HEAP_GROWTH];
