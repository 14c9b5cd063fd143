//! Heap analysis: totals, allocation sites by function (flat and cumulative,
//! the way `go tool pprof -top` counts them) and by full stack, and the
//! heap rules: a dominant retainer, memory that is never freed (caches and
//! maps that only grow), timers from `time.After` in loops, buffers kept
//! per request, growth between snapshots, and leaked goroutines that hold
//! memory (when a goroutine snapshot of the same process is analysed too).

use super::finding::{score_by, Finding, Kind, RuleInfo, Severity};
use super::phrase::{count, frame_name, mib, percent, MIB};
use crate::model::heap::{HeapProfile, HeapValues};
use crate::model::Confidence;
use crate::model::{CodeKind, FrameId, FuncId, Snapshot, StackId, Tables};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// One function's share: `flat` where it is the innermost frame, `cum`
/// where it is anywhere on the stack (once per stack).
#[derive(Debug, Clone)]
pub struct FuncStat {
    /// The function.
    pub function: FuncId,
    /// Memory allocated with the function as the innermost frame.
    pub flat: HeapValues,
    /// Memory allocated with the function anywhere on the stack.
    pub cum: HeapValues,
}

/// One allocation stack (samples with equal stacks merged).
#[derive(Debug, Clone)]
pub struct SiteStat {
    /// The allocation stack.
    pub stack: StackId,
    /// The memory of every sample with this stack.
    pub values: HeapValues,
}

/// Memory attributed to the first frame of the user's own code on each
/// stack: the line that allocates, as the user would fix it.
#[derive(Debug, Clone)]
pub struct UserSite {
    /// The user frame (`None` for stacks with no user code).
    pub frame: Option<FrameId>,
    /// The memory of the sites attributed here.
    pub values: HeapValues,
    /// Sites (indices into [`HeapAnalysis::sites`]) attributed here.
    pub sites: Vec<usize>,
}

/// A heap finding, with the allocation sites it is about.
#[derive(Debug, Clone)]
pub struct HeapFinding {
    /// The finding itself.
    pub finding: Finding,
    /// Indices into [`HeapAnalysis::sites`].
    pub sites: Vec<usize>,
    /// In-use bytes concerned, for ranking.
    pub bytes: i64,
    /// The goroutine snapshot involved (correlation findings).
    pub snapshot: Option<usize>,
}

/// The analysis of one heap profile: totals, functions, sites and findings.
pub struct HeapAnalysis {
    /// The whole profile's memory.
    pub totals: HeapValues,
    /// Most in-use bytes (flat) first; ties by cumulative, then name.
    pub functions: Vec<FuncStat>,
    /// Most in-use bytes first.
    pub sites: Vec<SiteStat>,
    /// Memory by the first user frame of each stack, most in-use bytes first.
    pub user_sites: Vec<UserSite>,
    /// The heap findings, ranked.
    pub findings: Vec<HeapFinding>,
}

/// `heap.dominant-site`: one allocation site holds most of the heap in use.
pub static DOMINANT: RuleInfo = RuleInfo {
    id: "heap.dominant-site",
    title: "One allocation site holds most of the heap",
    kind: Kind::Memory,
    severity: Severity::Medium,
    explanation: "A single line of code accounts for most of the memory in use. Whatever it allocates is being kept: this is where the memory went.",
    cause: "Objects allocated here are referenced from something long-lived (a global, a cache, a slice that is appended to, a goroutine that never returns).",
    remedy: "Find who keeps the objects: follow the callers on the stack to the map, slice or goroutine that holds them; bound it, or drop the references when done.",
    sketch: "// keep what you need, not the whole object:\nsummary := clone(big.Field)\nbig = nil",
    references: &["https://go.dev/doc/diagnostics#profiling", "https://pkg.go.dev/runtime/pprof"],
};

/// `heap.never-freed`: nearly all that a site ever allocated is still in use.
pub static NEVER_FREED: RuleInfo = RuleInfo {
    id: "heap.never-freed",
    title: "Memory allocated here is never freed: a cache or map that only grows",
    kind: Kind::Memory,
    severity: Severity::High,
    explanation: "Nearly everything ever allocated at this site is still in use: nothing is evicted. Memory grows with the number of distinct keys or requests until the process is killed.",
    cause: "A map or cache keyed by something unbounded (request id, user, URL) with no eviction, size bound or TTL.",
    remedy: "Bound the cache: an LRU with a maximum size, a TTL with periodic cleanup, or a sharded cache with eviction; never key a cache by a unique-per-request value.",
    sketch: "cache, _ := lru.New[string, []byte](10_000) // bounded\ncache.Add(key, value)",
    references: &["https://pkg.go.dev/github.com/hashicorp/golang-lru/v2"],
};

/// `heap.time-after-loop`: timers from `time.After` kept in large numbers.
pub static TIME_AFTER: RuleInfo = RuleInfo {
    id: "heap.time-after-loop",
    title: "Timers from time.After in a loop",
    kind: Kind::Memory,
    severity: Severity::Medium,
    explanation: "time.After allocates a new timer and channel every time it is called. In a loop around select, every iteration leaves one behind; before Go 1.23 each stays in memory until it fires.",
    cause: "`select { case v := <-ch: ... case <-time.After(d): ... }` inside a for loop.",
    remedy: "Create one timer outside the loop and Reset it, or use a context with a deadline; upgrade to Go 1.23+ where unreferenced timers are collected.",
    sketch: "t := time.NewTimer(d)\ndefer t.Stop()\nfor {\n\tt.Reset(d)\n\tselect {\n\tcase v := <-ch:\n\t\thandle(v)\n\tcase <-t.C:\n\t\treturn\n\t}\n}",
    references: &["https://pkg.go.dev/time#After"],
};

/// `heap.request-buffers`: buffers allocated on request paths still in use.
pub static REQUEST_BUFFERS: RuleInfo = RuleInfo {
    id: "heap.request-buffers",
    title: "Buffers allocated per request are kept",
    kind: Kind::Memory,
    severity: Severity::Medium,
    explanation: "Buffers allocated while handling requests are still in use in large numbers: each request keeps its buffer after it should be done with it.",
    cause: "A handler stores its buffer (or a slice of it) somewhere long-lived, or the goroutine handling the request never finishes.",
    remedy: "Return buffers to a sync.Pool when the request is done, copy out only what must outlive the request, and make sure the handling goroutine can finish.",
    sketch: "var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}\nb := bufs.Get().(*bytes.Buffer)\ndefer func() { b.Reset(); bufs.Put(b) }()",
    references: &["https://pkg.go.dev/sync#Pool"],
};

/// `heap.growth`: a site holding more memory in each heap snapshot.
pub static GROWTH: RuleInfo = RuleInfo {
    id: "heap.growth",
    title: "Heap in use growing between snapshots",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "The same allocation site holds more memory in each heap snapshot of the process.",
    cause: "Something keeps the objects allocated here: a cache without eviction, an ever-growing slice or map, leaking goroutines.",
    remedy: "Fix the retainer named on the site's stack, then watch the site stay flat between snapshots.",
    sketch: "// compare two profiles: dumpscope analyze heap1.pb.gz heap2.pb.gz",
    references: &["https://go.dev/doc/diagnostics#profiling"],
};

/// `leak.holds-memory`: a leak cluster shares its code with a top allocation site.
pub static LEAK_HOLDS: RuleInfo = RuleInfo {
    id: "leak.holds-memory",
    title: "Leaked goroutines hold heap memory",
    kind: Kind::Leak,
    severity: Severity::High,
    explanation: "The goroutines of a leak cluster and a top allocation site of the heap share their code: the memory allocated there stays in use because the goroutines that hold it never finish.",
    cause: "Each leaked goroutine keeps what it allocated (buffers, request data) reachable from its stack.",
    remedy: "Fix the leak (see the goroutine finding for the blocking site); the memory goes with it.",
    sketch: "select {\ncase out <- result:\ncase <-ctx.Done(): // the goroutine can always leave\n}",
    references: &["https://go.dev/doc/diagnostics"],
};

/// The heap rules, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &DOMINANT,
    &NEVER_FREED,
    &TIME_AFTER,
    &REQUEST_BUFFERS,
    &GROWTH,
    &LEAK_HOLDS,
];

/// What the rules look for in a function's name, worked out once per
/// function rather than once per frame.
struct Classes {
    /// Per function: bits of `MAP`, `REQUEST`, `BUFFER`, `TIMER`, `USER`.
    bits: Vec<u8>,
    /// Per frame: its function.
    frame_func: Vec<u32>,
}

const MAP: u8 = 1;
const REQUEST: u8 = 1 << 1;
const BUFFER: u8 = 1 << 2;
const TIMER: u8 = 1 << 3;
const USER: u8 = 1 << 4;

impl Classes {
    fn new(t: &Tables) -> Self {
        let bits = (0..t.func_count())
            .map(|i| {
                let function = FuncId(i as u32);
                let name = t.func_name(function);
                let mut class_bits = 0;
                for (yes, bit) in [
                    (is_map_or_cache(name), MAP),
                    (is_request_path(name), REQUEST),
                    (is_buffer_alloc(name), BUFFER),
                    (name == "time.After" || name == "time.NewTimer", TIMER),
                    (t.function(function).kind == CodeKind::User, USER),
                ] {
                    if yes {
                        class_bits |= bit;
                    }
                }
                class_bits
            })
            .collect();
        let frame_func = (0..t.frame_count())
            .map(|i| t.frame(FrameId(i as u32)).function.0)
            .collect();
        Classes { bits, frame_func }
    }

    fn func(&self, f: FrameId) -> usize {
        self.frame_func.get(f.index()).map_or(0, |&x| x as usize)
    }

    /// What the rules need of one stack, read in one pass over its frames.
    fn site(&self, t: &Tables, stack: StackId) -> SiteClass {
        let frames = &t.stack(stack).frames;
        let bits = |f: FrameId| self.bits.get(self.func(f)).copied().unwrap_or(0);
        let mut class = SiteClass {
            user: None,
            first: frames.first().map_or(0, |&f| bits(f)),
            any: 0,
        };
        for &f in frames.iter() {
            let class_bits = bits(f);
            if class.user.is_none() && class_bits & USER != 0 {
                class.user = Some(f);
            }
            class.any |= class_bits;
        }
        if class.user.is_none() {
            class.user = frames.first().copied();
        }
        class
    }
}

/// One site as the rules see it.
#[derive(Clone, Copy)]
struct SiteClass {
    /// [`user_frame`].
    user: Option<FrameId>,
    /// Class bits of the innermost frame's function.
    first: u8,
    /// Class bits of any function on the stack.
    any: u8,
}

/// Per-function flat and cumulative sums over a run of sites.
struct FuncSums {
    flat: Vec<HeapValues>,
    cum: Vec<HeapValues>,
    present: Vec<bool>,
    /// The last site counted in `cum`, per function (once per stack).
    stamp: Vec<usize>,
}

impl FuncSums {
    fn new(n: usize) -> Self {
        FuncSums {
            flat: vec![HeapValues::default(); n],
            cum: vec![HeapValues::default(); n],
            present: vec![false; n],
            stamp: vec![usize::MAX; n],
        }
    }

    fn merge(mut self, o: FuncSums) -> FuncSums {
        for i in 0..self.flat.len() {
            self.flat[i].add(&o.flat[i]);
            self.cum[i].add(&o.cum[i]);
            self.present[i] |= o.present[i];
        }
        self
    }
}

/// Totals, tables and the single-snapshot rules.
pub fn analyze(h: &HeapProfile) -> HeapAnalysis {
    let tables = &h.tables;
    let classes = Classes::new(tables);
    let totals = h.totals();
    // Merge samples by stack (stack ids are dense).
    let mut slot = vec![u32::MAX; tables.stack_count()];
    let mut sites: Vec<SiteStat> = Vec::new();
    for s in &h.samples {
        let Some(k) = slot.get_mut(s.stack.index()) else {
            continue;
        };
        match sites.get_mut(*k as usize) {
            Some(site) => site.values.add(&s.values),
            None => {
                *k = sites.len() as u32;
                sites.push(SiteStat {
                    stack: s.stack,
                    values: s.values,
                });
            }
        }
    }
    drop(slot);
    // Each stack is read in the order they were stored (the sorted order
    // would jump around memory): classes for the rules, then sums by
    // function.
    let site_classes: Vec<SiteClass> = sites
        .par_iter()
        .map(|s| classes.site(tables, s.stack))
        .collect();
    let functions = function_stats(tables, &classes, &sites);
    // Stacks are unique: the order is total.
    let mut both: Vec<(SiteStat, SiteClass)> = sites.into_iter().zip(site_classes).collect();
    both.par_sort_unstable_by(|(a, _), (b, _)| {
        b.values
            .inuse_bytes
            .cmp(&a.values.inuse_bytes)
            .then(b.values.alloc_bytes.cmp(&a.values.alloc_bytes))
            .then(a.stack.cmp(&b.stack))
    });
    let (sites, site_classes): (Vec<SiteStat>, Vec<SiteClass>) = both.into_iter().unzip();
    // By the user's own allocating line.
    let mut users: FxHashMap<Option<FrameId>, UserSite> = FxHashMap::default();
    for (i, (s, c)) in sites.iter().zip(&site_classes).enumerate() {
        let frame = c.user;
        let user_site = users.entry(frame).or_insert_with(|| UserSite {
            frame,
            values: HeapValues::default(),
            sites: Vec::new(),
        });
        user_site.values.add(&s.values);
        user_site.sites.push(i);
    }
    let mut user_sites: Vec<UserSite> = users.into_values().collect();
    user_sites.sort_by(|a, b| {
        b.values
            .inuse_bytes
            .cmp(&a.values.inuse_bytes)
            .then(b.values.alloc_bytes.cmp(&a.values.alloc_bytes))
            .then(a.frame.cmp(&b.frame))
    });
    let mut analysis = HeapAnalysis {
        totals,
        functions,
        sites,
        user_sites,
        findings: Vec::new(),
    };
    rules(h, &site_classes, &mut analysis);
    analysis
}

/// Flat and cumulative values per function, most flat in-use bytes first.
fn function_stats(t: &Tables, classes: &Classes, sites: &[SiteStat]) -> Vec<FuncStat> {
    let nf = t.func_count();
    let sums = sites
        .par_iter()
        .enumerate()
        .fold(
            || FuncSums::new(nf),
            |mut acc, (i, s)| {
                let frames = &t.stack(s.stack).frames;
                if let Some(&f) = frames.first() {
                    let fu = classes.func(f);
                    if let Some(v) = acc.flat.get_mut(fu) {
                        v.add(&s.values);
                    }
                }
                for &f in frames.iter() {
                    let fu = classes.func(f);
                    if fu < nf && acc.stamp[fu] != i {
                        acc.stamp[fu] = i;
                        acc.present[fu] = true;
                        acc.cum[fu].add(&s.values);
                    }
                }
                acc
            },
        )
        .reduce(|| FuncSums::new(nf), FuncSums::merge);
    let mut functions: Vec<FuncStat> = (0..nf)
        .filter(|&i| sums.present[i])
        .map(|i| FuncStat {
            function: FuncId(i as u32),
            flat: sums.flat[i],
            cum: sums.cum[i],
        })
        .collect();
    functions.sort_by(|a, b| {
        b.flat
            .inuse_bytes
            .cmp(&a.flat.inuse_bytes)
            .then(b.cum.inuse_bytes.cmp(&a.cum.inuse_bytes))
            .then_with(|| t.func_name(a.function).cmp(t.func_name(b.function)))
            .then(a.function.cmp(&b.function))
    });
    functions
}

/// The first frame of the user's code on a stack (or the innermost frame).
pub fn user_frame(t: &Tables, stack: StackId) -> Option<FrameId> {
    let frames = &t.stack(stack).frames;
    frames
        .iter()
        .find(|f| t.function(t.frame(**f).function).kind == CodeKind::User)
        .or_else(|| frames.first())
        .copied()
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn is_map_or_cache(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with("runtime.mapassign")
        || name.starts_with("internal/runtime/maps.")
        || name.starts_with("runtime.hashGrow")
        || name.starts_with("hashbrown::")
        || lower.contains("cache")
        || lower.contains("memo")
        || lower.contains("registry")
}

fn is_request_path(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with("net/http.(*conn).serve")
        || name.starts_with("net/http.HandlerFunc.ServeHTTP")
        || name.starts_with("google.golang.org/grpc.")
        || lower.contains("handle")
        || lower.contains("request")
        || lower.contains("serve")
        || lower.contains("render")
}

fn is_buffer_alloc(name: &str) -> bool {
    name.starts_with("bytes.")
        || name.starts_with("bufio.New")
        || name.starts_with("strings.(*Builder)")
        || name == "io.ReadAll"
}

fn rules(heap: &HeapProfile, classes: &[SiteClass], analysis: &mut HeapAnalysis) {
    if analysis.totals.inuse_bytes <= 0 {
        return;
    }
    let found = site_rules(heap, classes, analysis);
    analysis.findings.extend(found);
    timer_rules(heap, classes, analysis);
}

/// The rules about what one user site holds: buffers kept per request,
/// memory never freed, a dominant site.
fn site_rules(
    heap: &HeapProfile,
    classes: &[SiteClass],
    analysis: &HeapAnalysis,
) -> Vec<HeapFinding> {
    let tables = &heap.tables;
    let total = analysis.totals.inuse_bytes;
    let mut out: Vec<HeapFinding> = Vec::new();
    for user_site in &analysis.user_sites {
        let values = &user_site.values;
        let share = pct(values.inuse_bytes, total);
        if values.inuse_bytes < MIB || share < 10.0 {
            continue;
        }
        let retained = if heap.has_alloc && values.alloc_bytes > 0 {
            values.inuse_bytes as f64 / values.alloc_bytes as f64
        } else {
            0.0
        };
        // Buffers kept per request.
        let buffers = user_site
            .sites
            .iter()
            .any(|&site| classes[site].first & BUFFER != 0 && classes[site].any & REQUEST != 0);
        let finding = if buffers && values.inuse_objects >= 100 {
            request_buffers(tables, user_site, share)
        } else if retained >= 0.9 && share >= 20.0 && values.inuse_bytes >= 8 * MIB {
            // Never freed: everything allocated is still there.
            never_freed(tables, classes, analysis, user_site, share, retained)
        } else if share >= 40.0 {
            dominant(tables, user_site, share, total)
        } else {
            continue;
        };
        out.push(hf(finding, &user_site.sites, values.inuse_bytes, None));
    }
    out
}

/// `heap.request-buffers`: buffers allocated at `user_site` while handling
/// requests, `share` percent of the heap in use.
fn request_buffers(tables: &Tables, user_site: &UserSite, share: f64) -> Finding {
    let shown = percent(share, 0);
    let site = frame_name(tables, user_site.frame);
    let values = &user_site.values;
    Finding::new(
        &REQUEST_BUFFERS,
        format!(
            "{} in {} buffers allocated per request at {site} are kept",
            mib(values.inuse_bytes),
            values.inuse_objects
        ),
        Vec::new(),
    )
    .confidence(Confidence::Possible)
    .explain(format!(
        "{} buffers ({}, {shown} of the heap in use) allocated at {site} while handling requests are still in use. {}",
        values.inuse_objects,
        mib(values.inuse_bytes),
        REQUEST_BUFFERS.explanation
    ))
}

/// `heap.dominant-site`: `user_site` holds `share` percent of the `total`
/// bytes in use.
fn dominant(tables: &Tables, user_site: &UserSite, share: f64, total: i64) -> Finding {
    let shown = percent(share, 0);
    let site = frame_name(tables, user_site.frame);
    let inuse = user_site.values.inuse_bytes;
    Finding::new(
        &DOMINANT,
        format!("{site} holds {shown} of the heap in use ({})", mib(inuse)),
        Vec::new(),
    )
    .severity(if share >= 60.0 && inuse >= 64 * MIB {
        Severity::High
    } else {
        Severity::Medium
    })
    .confidence(Confidence::Certain)
    .explain(format!(
        "{} of {} in use was allocated at {site}. {}",
        mib(inuse),
        mib(total),
        DOMINANT.explanation
    ))
}

/// time.After in loops: by allocations, not by what is in use.
fn timer_rules(heap: &HeapProfile, classes: &[SiteClass], analysis: &mut HeapAnalysis) {
    let tables = &heap.tables;
    let all_objects = analysis
        .totals
        .alloc_objects
        .max(analysis.totals.inuse_objects);
    let mut timer_sites: FxHashMap<Option<FrameId>, (HeapValues, Vec<usize>)> =
        FxHashMap::default();
    for (index, (site, class)) in analysis.sites.iter().zip(classes).enumerate() {
        if class.any & TIMER != 0 {
            let entry = timer_sites.entry(class.user).or_default();
            entry.0.add(&site.values);
            entry.1.push(index);
        }
    }
    let mut timers: Vec<_> = timer_sites.into_iter().collect();
    timers.sort_by_key(|(frame, (values, _))| (std::cmp::Reverse(values.alloc_objects), *frame));
    for (frame, (values, sites)) in timers {
        let objs = values.alloc_objects.max(values.inuse_objects);
        if objs < 1000 && pct(objs, all_objects) < 5.0 {
            continue;
        }
        let site = frame_name(tables, frame);
        let finding = Finding::new(
            &TIME_AFTER,
            format!("{objs} timer allocations from time.After at {site}"),
            Vec::new(),
        )
        .confidence(Confidence::Likely)
        .explain(format!(
            "{site} called time.After often enough to allocate {objs} timer objects ({} allocated, {} still in use). {}",
            mib(values.alloc_bytes),
            mib(values.inuse_bytes),
            TIME_AFTER.explanation
        ))
        .evidence(format!(
            "{} of all objects allocated",
            percent(pct(objs, all_objects), 1)
        ));
        push(analysis, finding, &sites, values.inuse_bytes, None);
    }
}

/// Everything allocated at `user_site` is still in use, with the map or cache that
/// keeps it when another site says so.
fn never_freed(
    tables: &Tables,
    classes: &[SiteClass],
    analysis: &HeapAnalysis,
    user_site: &UserSite,
    share: f64,
    retained: f64,
) -> Finding {
    let shown = percent(share, 0);
    let site = frame_name(tables, user_site.frame);
    let mut finding = Finding::new(
        &NEVER_FREED,
        format!(
            "{} allocated at {site} is never freed ({shown} of the heap in use)",
            mib(user_site.values.inuse_bytes)
        ),
        Vec::new(),
    )
    .confidence(Confidence::Likely)
    .explain(format!(
        "{} of {} allocated at {site} is still in use: {} was never freed. {}",
        mib(user_site.values.inuse_bytes),
        mib(user_site.values.alloc_bytes),
        percent(retained * 100.0, 0),
        NEVER_FREED.explanation
    ))
    .evidence(format!(
        "{} objects in use of {} allocated",
        user_site.values.inuse_objects, user_site.values.alloc_objects
    ));
    // The container: another never-freed site on a map or cache path.
    let container = analysis.user_sites.iter().find(|other| {
        other.frame != user_site.frame
            && other.values.alloc_bytes > 0
            && other.values.inuse_bytes as f64 >= 0.5 * other.values.alloc_bytes as f64
            && other.sites.iter().any(|&si| classes[si].any & MAP != 0)
    });
    if let Some(keeper) = container {
        finding = finding.evidence(format!(
            "the map or cache that keeps it: {} ({} in use)",
            frame_name(tables, keeper.frame),
            mib(keeper.values.inuse_bytes)
        ));
    } else if user_site.sites.iter().any(|&si| classes[si].any & MAP != 0) {
        finding = finding.evidence("the allocation is on a map or cache path");
    }
    if share >= 50.0 {
        finding = finding.severity(Severity::High);
    }
    finding
}

/// A heap finding about these sites.
fn hf(finding: Finding, sites: &[usize], bytes: i64, snapshot: Option<usize>) -> HeapFinding {
    HeapFinding {
        finding,
        sites: sites.to_vec(),
        bytes,
        snapshot,
    }
}

/// Adds a heap finding about these sites to the analysis.
fn push(
    analysis: &mut HeapAnalysis,
    finding: Finding,
    sites: &[usize],
    bytes: i64,
    snapshot: Option<usize>,
) {
    analysis.findings.push(hf(finding, sites, bytes, snapshot));
}

/// Growth between heap snapshots of one process, oldest first: sites whose
/// in-use bytes at least doubled by 8 MiB or more. Pushed on the newest.
pub fn growth(profiles: &[&HeapProfile], analyses: &mut [HeapAnalysis]) {
    if profiles.len() < 2 || analyses.len() != profiles.len() {
        return;
    }
    let key = |heap: &HeapProfile, frame: Option<FrameId>| -> String {
        let tables = &heap.tables;
        match frame {
            Some(frame) => {
                let frame_info = tables.frame(frame);
                format!(
                    "{}:{}",
                    tables.func_name(frame_info.function),
                    frame_info.line
                )
            }
            None => String::new(),
        }
    };
    let first: FxHashMap<String, i64> = analyses[0]
        .user_sites
        .iter()
        .map(|user_site| {
            (
                key(profiles[0], user_site.frame),
                user_site.values.inuse_bytes,
            )
        })
        .collect();
    let last_i = profiles.len() - 1;
    let last_h = profiles[last_i];
    let tables = &last_h.tables;
    let mut found = Vec::new();
    for user_site in &analyses[last_i].user_sites {
        let before = first
            .get(&key(last_h, user_site.frame))
            .copied()
            .unwrap_or(0);
        let now = user_site.values.inuse_bytes;
        if now - before >= 8 * MIB && now >= before * 2 {
            let site = frame_name(tables, user_site.frame);
            let finding = Finding::new(
                &GROWTH,
                format!(
                    "{site} grew from {} to {} in use over {} heap snapshots",
                    mib(before),
                    mib(now),
                    profiles.len()
                ),
                Vec::new(),
            )
            .confidence(Confidence::Certain)
            .explain(format!(
                "In use at {site}: {} in the first snapshot, {} in the last (+{}). {}",
                mib(before),
                mib(now),
                mib(now - before),
                GROWTH.explanation
            ));
            found.push((finding, user_site.sites.clone(), now - before));
        }
    }
    for (finding, sites, bytes) in found {
        push(&mut analyses[last_i], finding, &sites, bytes, None);
    }
}

/// The heap sites that share code with one leak: their memory and the
/// shared function names.
struct SharedSites {
    /// In-use bytes of the sites.
    bytes: i64,
    /// In-use objects of the sites.
    objects: i64,
    /// Indices into [`HeapAnalysis::sites`].
    sites: Vec<usize>,
    /// The first five functions shared, in the order met.
    shared: Vec<String>,
}

/// Leak clusters of a goroutine snapshot that share code with a top
/// allocation site of a heap of the same process. `leaks` are the
/// snapshot's leak findings' tasks.
pub fn correlate(
    heap: &HeapProfile,
    analysis: &mut HeapAnalysis,
    snap: &Snapshot,
    snap_index: usize,
    leaks: &[(String, Vec<u32>)],
) {
    let total = analysis.totals.inuse_bytes;
    if total <= 0 {
        return;
    }
    let mut found = Vec::new();
    for (title, tasks) in leaks {
        let Some(functions) = leak_functions(snap, tasks) else {
            continue;
        };
        let shared = sites_sharing(heap, analysis, &functions);
        let share = pct(shared.bytes, total);
        if shared.sites.is_empty() || (share < 10.0 && shared.bytes < 64 * MIB) {
            continue;
        }
        let finding = leak_holds_finding(heap, analysis, title, tasks, &shared, share);
        found.push((finding, shared.sites, shared.bytes));
    }
    for (finding, sites, bytes) in found {
        push(analysis, finding, &sites, bytes, Some(snap_index));
    }
}

/// The user functions on the stack of a leak's first task (not `main.main`
/// and the like); none when there are none.
fn leak_functions<'s>(snap: &'s Snapshot, tasks: &[u32]) -> Option<FxHashSet<&'s str>> {
    let task = snap.tasks.get(*tasks.first()? as usize)?;
    let tables = &snap.tables;
    let functions: FxHashSet<&str> = tables
        .stack(task.stack)
        .frames
        .iter()
        .map(|frame| tables.function(tables.frame(*frame).function))
        .filter(|function| function.kind == CodeKind::User)
        .map(|function| tables.str(function.full))
        .filter(|name| *name != "main.main")
        .collect();
    (!functions.is_empty()).then_some(functions)
}

/// The heap sites in use whose stacks call one of `functions`.
fn sites_sharing(
    heap: &HeapProfile,
    analysis: &HeapAnalysis,
    functions: &FxHashSet<&str>,
) -> SharedSites {
    let tables = &heap.tables;
    let mut out = SharedSites {
        bytes: 0,
        objects: 0,
        sites: Vec::new(),
        shared: Vec::new(),
    };
    for (index, site) in analysis.sites.iter().enumerate() {
        if site.values.inuse_bytes <= 0 {
            continue;
        }
        let hit = tables.stack(site.stack).frames.iter().find_map(|frame| {
            let name = tables.func_name(tables.frame(*frame).function);
            functions.contains(name).then_some(name)
        });
        if let Some(name) = hit {
            out.bytes += site.values.inuse_bytes;
            out.objects += site.values.inuse_objects;
            out.sites.push(index);
            if !out.shared.iter().any(|known| known == name) && out.shared.len() < 5 {
                out.shared.push(name.to_string());
            }
        }
    }
    out
}

/// `leak.holds-memory`: the leak titled `title` shares code with sites
/// holding `share` percent of the heap in use.
fn leak_holds_finding(
    heap: &HeapProfile,
    analysis: &HeapAnalysis,
    title: &str,
    tasks: &[u32],
    shared: &SharedSites,
    share: f64,
) -> Finding {
    let tables = &heap.tables;
    let bytes = shared.bytes;
    let shown = percent(share, 0);
    let site = frame_name(
        tables,
        analysis
            .sites
            .get(shared.sites[0])
            .and_then(|site| user_frame(tables, site.stack)),
    );
    Finding::new(
        &LEAK_HOLDS,
        format!(
            "{} hold {} ({shown} of the heap in use) allocated at {site}",
            count(tasks.len(), "leaked goroutine", "leaked goroutines"),
            mib(bytes)
        ),
        tasks.to_vec(),
    )
    .confidence(Confidence::Likely)
    .explain(format!(
        "The leak \"{title}\" and {} in use ({}) share the {} {}. {}",
        mib(bytes),
        count(shared.objects.max(0) as usize, "object", "objects"),
        if shared.shared.len() == 1 {
            "function"
        } else {
            "functions"
        },
        shared.shared.join(", "),
        LEAK_HOLDS.explanation
    ))
    .evidence(format!(
        "about {} per leaked goroutine",
        mib(bytes / (tasks.len() as i64).max(1))
    ))
}

/// Ranking score of a heap finding: severity × confidence × (1 + log10 of
/// the MiB concerned).
pub fn score(f: &mut HeapFinding) {
    let mb = (f.bytes as f64 / MIB as f64).max(1.0);
    score_by(&mut f.finding, 1.0 + mb.log10());
}
