//! Symbolization: raw addresses to functions, source lines and inlined
//! frames, offline, from the binaries and debug files the user names.
//!
//! One small API: give [`Symbolizer::resolve`] `(module, address)` requests
//! and the mappings the dump carried, get frames back. Everything about
//! locating debug files ([`locate`]), load-bias arithmetic, base inference
//! and caching lives here. DWARF is read by `addr2line` (which follows
//! split DWARF `.dwo`/`.dwp` files and decompresses `.zdebug`/`SHF_COMPRESSED`
//! sections); `object` reads the ELF facts.

pub mod apply;
pub mod image;
pub mod locate;
pub mod text;

use crate::model::heap::Module as Mapping;
use image::{hex, Image};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What the user gave to symbolize with.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--binary`: executables and shared objects (or their debug files).
    pub binaries: Vec<PathBuf>,
    /// `--debug-dir`: directories holding `.build-id/xx/rest.debug` trees or
    /// debuglink targets.
    pub debug_dirs: Vec<PathBuf>,
    /// `--base MODULE=ADDR`: where a module was loaded (the start of its
    /// first mapping).
    pub bases: Vec<(String, u64)>,
    /// Also search `/usr/lib/debug`.
    pub system_dirs: bool,
}

impl Options {
    /// Whether there is anything to symbolize with.
    pub fn is_active(&self) -> bool {
        !self.binaries.is_empty() || !self.debug_dirs.is_empty()
    }
}

pub use crate::model::AddrSpace as Space;
pub use crate::parse::native::rust::strip_rust_hash;

/// One address to resolve.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The module as the dump names it (path or file name); empty when the
    /// dump does not say.
    pub module: &'a str,
    /// The module's build-id as raw bytes, when the dump gives it.
    pub build_id: Option<&'a [u8]>,
    /// The address as printed, in the space given by `space`.
    pub addr: u64,
    /// What `addr` is relative to.
    pub space: Space,
    /// A return address: looked up at `addr - 1` so that the line is the
    /// call's, not the next statement's. False for a faulting pc and for
    /// addresses already adjusted (pprof locations).
    pub call: bool,
}

/// One resolved frame, innermost (inlined) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymFrame {
    /// Demangled, without Rust's `::h0123...` hash.
    pub function: Arc<str>,
    /// Empty when unknown.
    pub file: Arc<str>,
    /// The source line, 0 when unknown.
    pub line: u32,
    /// The source column, 0 when unknown.
    pub column: u32,
    /// Inlined into the next frame.
    pub inlined: bool,
    /// Named from the symbol table (no DWARF for this address): `offset`
    /// is the distance from the symbol.
    pub symbol_offset: Option<u64>,
}

/// A resolved request.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Index into [`Outcome::modules`].
    pub module: usize,
    /// The ELF virtual address looked up (before the `- 1` of return
    /// addresses).
    pub vaddr: u64,
    /// Empty when the address is in the module's code but nothing names it.
    /// Shared by every request of the same address.
    pub frames: Arc<[SymFrame]>,
}

/// How a module's load bias was found.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseInfo {
    /// The runtime address of the module's first mapping.
    pub base: u64,
    /// `mappings` (the dump's), `given` (`--base`), `inferred`.
    pub how: &'static str,
    /// For inferred bases: addresses explained by the chosen base (inside
    /// code, just after a call), of those tried.
    pub explained: usize,
    /// For inferred bases: how many addresses were tried.
    pub tried: usize,
    /// The next best candidate's count, for inferred bases.
    pub runner_up: usize,
}

/// What happened to one module.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    /// The module's file as it was opened.
    pub path: String,
    /// The module's build-id (hex), when the file has one.
    pub build_id: Option<String>,
    /// Where its DWARF came from and how (`binary`, `build-id`,
    /// `debuglink`), or `None` (symbol tables only).
    pub debug: Option<(String, &'static str)>,
    /// The module's load bias and how it was found, when it was needed and found.
    pub base: Option<BaseInfo>,
    /// How many requests fell in this module.
    pub requested: usize,
    /// How many of them were resolved to at least one frame.
    pub resolved: usize,
    /// Addresses that fell outside the module's executable code.
    pub outside: usize,
}

/// The result of [`Symbolizer::resolve`]: one entry per request.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The resolution of each request, by request index (`None`: not resolved).
    pub results: Vec<Option<Resolution>>,
    /// Every module the symbolizer opened, indexed by [`Resolution::module`].
    pub modules: Vec<ModuleInfo>,
    /// What the user should know: modules not found, wrong binaries, base
    /// inference, debug files ignored.
    pub notes: Vec<String>,
}

/// The binaries and debug directories to symbolize with, each opened once.
pub struct Symbolizer {
    opts: Options,
    dirs: Vec<PathBuf>,
    /// The `--binary` files, then debug files found by a dump's build-id
    /// in the debug directories (no binary given).
    images: Vec<Image>,
    /// Problems opening the binaries, reported with the first outcome.
    notes: Vec<String>,
}

/// A run of sorted addresses of one image: `(job, image, addresses)`.
type Chunk<'a> = (usize, usize, &'a [(u64, bool)]);

/// Addresses of one image to look up.
#[derive(Default)]
struct Work {
    /// `(vaddr, call)` per distinct request, and the requests it answers.
    addrs: FxHashMap<(u64, bool), Vec<usize>>,
}

impl Symbolizer {
    /// Opens every `--binary`. Files that cannot be read are noted, not
    /// fatal: the rest still symbolizes.
    pub fn new(opts: &Options) -> Symbolizer {
        let mut notes = Vec::new();
        let mut images = Vec::new();
        for p in &opts.binaries {
            match Image::open(p) {
                Ok(i) => images.push(i),
                Err(e) => notes.push(format!("--binary {}: {e}", p.display())),
            }
        }
        Symbolizer {
            dirs: locate::search_dirs(&opts.debug_dirs, opts.system_dirs),
            opts: opts.clone(),
            images,
            notes,
        }
    }

    /// Resolves `reqs`. `maps` are the mappings the dump carried (a
    /// `/proc/PID/maps` block, pprof mappings, jemalloc's
    /// `MAPPED_LIBRARIES`), used for absolute addresses.
    pub fn resolve(&mut self, reqs: &[Request], maps: &[Mapping]) -> Outcome {
        let mut out = Outcome {
            results: vec![None; reqs.len()],
            notes: std::mem::take(&mut self.notes),
            ..Outcome::default()
        };
        let mut maps: Vec<&Mapping> = maps.iter().collect();
        maps.sort_by_key(|m| m.start);
        // Which image each (module, build-id) names; images found in the
        // debug directories by build-id are added on the way.
        let mut chosen: FxHashMap<(&str, Option<Vec<u8>>), Option<usize>> = FxHashMap::default();
        let mut placed: Vec<Option<(usize, u64)>> = vec![None; reqs.len()];
        // Absolute addresses without a mapping, per image, for --base or
        // inference.
        let mut unplaced: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut nowhere = 0usize;
        for (i, r) in reqs.iter().enumerate() {
            let (module, build_id, space, addr) = match r.space {
                Space::Absolute => match find_map(&maps, r.addr) {
                    Some(m) => (
                        m.path.as_str(),
                        m.build_id.as_deref().and_then(image::unhex),
                        Space::FileOffset,
                        (r.addr - m.start).wrapping_add(m.file_offset),
                    ),
                    None => (r.module, r.build_id.map(<[u8]>::to_vec), r.space, r.addr),
                },
                _ => (r.module, r.build_id.map(<[u8]>::to_vec), r.space, r.addr),
            };
            let key = (module, build_id);
            let img = match chosen.get(&key) {
                Some(&c) => c,
                None => {
                    let c = self.choose(key.0, key.1.as_deref(), &mut out.notes);
                    chosen.insert(key, c);
                    c
                }
            };
            let Some(img) = img else {
                if module.is_empty() && space == Space::Absolute {
                    nowhere += 1;
                }
                continue;
            };
            let image = &self.images[img];
            match space {
                Space::Vaddr => placed[i] = Some((img, addr)),
                Space::FileOffset => placed[i] = image.vaddr_of_offset(addr).map(|v| (img, v)),
                Space::Absolute => unplaced.entry(img).or_default().push(i),
            }
        }
        let mut unmatched: Vec<&str> = chosen
            .iter()
            .filter(|(k, v)| v.is_none() && !k.0.is_empty())
            .map(|(k, _)| k.0)
            .collect();
        unmatched.sort_unstable();
        unmatched.dedup();
        if !unmatched.is_empty() {
            let more = unmatched.len().saturating_sub(6);
            unmatched.truncate(6);
            out.notes.push(format!(
                "not symbolized, no --binary of that build-id or file name: {}{}",
                unmatched.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if nowhere > 0 {
            out.notes.push(format!(
                "{nowhere} bare address(es) name no module and no mapping covers them: give the binary with --binary (one binary, for its base to be inferred) or its base with --base MODULE=ADDR"
            ));
        }
        let mut bases: FxHashMap<usize, BaseInfo> = FxHashMap::default();
        let mut unplaced: Vec<(usize, Vec<usize>)> = unplaced.into_iter().collect();
        unplaced.sort_unstable_by_key(|(img, _)| *img);
        for (img, idx) in unplaced {
            let image = &self.images[img];
            let given = self.opts.bases.iter().find(|(m, _)| {
                module_matches(m, image) || idx.iter().any(|&i| reqs[i].module == m)
            });
            let info = match given {
                Some(&(_, base)) => Some(BaseInfo {
                    base,
                    how: "given",
                    explained: 0,
                    tried: 0,
                    runner_up: 0,
                }),
                None => {
                    let addrs: Vec<(u64, bool)> =
                        idx.iter().map(|&i| (reqs[i].addr, reqs[i].call)).collect();
                    let guess = infer_base(image, &addrs);
                    match &guess {
                        Some(g) if g.explained >= 3 && g.explained >= 2 * g.runner_up.max(1) => {
                            out.notes.push(format!(
                                "{}: load base inferred as {:#x}: {} of {} addresses fall in its code just after a call (next best candidate: {})",
                                image.name(),
                                g.base,
                                g.explained,
                                g.tried,
                                g.runner_up
                            ));
                        }
                        Some(g) => {
                            out.notes.push(format!(
                                "{}: the load base is ambiguous ({} of {} addresses explained by the best candidate {:#x}, {} by the next): not symbolized; give it with --base {}=ADDR",
                                image.name(),
                                g.explained,
                                g.tried,
                                g.base,
                                g.runner_up,
                                image.name()
                            ));
                        }
                        None => out.notes.push(format!(
                            "{}: no load base puts these addresses in its code: not symbolized (is it the binary that wrote the dump?)",
                            image.name()
                        )),
                    }
                    guess.filter(|g| g.explained >= 3 && g.explained >= 2 * g.runner_up.max(1))
                }
            };
            if let Some(info) = info {
                let bias = info.base.wrapping_sub(image.link_base());
                for &i in &idx {
                    placed[i] = Some((img, reqs[i].addr.wrapping_sub(bias)));
                }
                bases.insert(img, info);
            }
        }
        // Distinct addresses per image.
        let mut work: Vec<Work> = (0..self.images.len()).map(|_| Work::default()).collect();
        let mut infos: Vec<ModuleInfo> = self
            .images
            .iter()
            .enumerate()
            .map(|(i, im)| ModuleInfo {
                path: im.path.display().to_string(),
                build_id: im.build_id.as_deref().map(hex),
                base: bases.get(&i).cloned(),
                ..ModuleInfo::default()
            })
            .collect();
        for (i, p) in placed.iter().enumerate() {
            let Some((img, vaddr)) = *p else { continue };
            infos[img].requested += 1;
            if !self.images[img].is_code(vaddr) {
                infos[img].outside += 1;
                continue;
            }
            work[img]
                .addrs
                .entry((vaddr, reqs[i].call))
                .or_default()
                .push(i);
        }
        for (img, info) in infos.iter().enumerate() {
            if info.outside > 0 && info.outside * 2 >= info.requested {
                out.notes.push(format!(
                    "{}: {} of {} addresses fall outside its executable code: is it the binary that wrote the dump? Those addresses are left as they are",
                    self.images[img].name(),
                    info.outside,
                    info.requested
                ));
            }
        }
        // A return address follows a call instruction. When most do not
        // (and the dump gave no build-id to check), the binary is not the
        // one that wrote the dump: its functions would be nonsense.
        for (img, w) in work.iter_mut().enumerate() {
            if bases.get(&img).is_some_and(|b| b.how == "inferred") {
                continue; // the inference already required calls
            }
            let image = &self.images[img];
            let calls: Vec<bool> = w
                .addrs
                .keys()
                .filter(|(_, call)| *call)
                .filter_map(|&(v, _)| image.follows_call(v))
                .collect();
            let hits = calls.iter().filter(|&&c| c).count();
            if calls.len() >= 3 && hits * 2 < calls.len() {
                out.notes.push(format!(
                    "{}: only {hits} of {} return addresses follow a call instruction in it: it is not the binary that wrote the dump (or the addresses are misplaced); not symbolized",
                    image.name(),
                    calls.len()
                ));
                w.addrs.clear();
            }
        }
        // Look up, per image in parallel (and in chunks for big images).
        let dirs = &self.dirs;
        let jobs: Vec<(usize, Vec<(u64, bool)>)> = work
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.addrs.is_empty())
            .map(|(i, w)| {
                let mut a: Vec<(u64, bool)> = w.addrs.keys().copied().collect();
                a.sort_unstable();
                (i, a)
            })
            .collect();
        let located: Vec<(usize, Option<locate::DebugFile>, Vec<String>)> = jobs
            .par_iter()
            .map(|(img, _)| {
                let mut notes = Vec::new();
                let d = locate::locate(&self.images[*img], dirs, &mut notes);
                (*img, d, notes)
            })
            .collect();
        let threads = rayon::current_num_threads().max(1);
        let mut chunks: Vec<Chunk> = Vec::new();
        for (j, (_, a)) in jobs.iter().enumerate() {
            let n = if a.len() >= 20_000 { threads } else { 1 };
            let size = a.len().div_ceil(n).max(1);
            chunks.extend(a.chunks(size).map(|c| (j, jobs[j].0, c)));
        }
        let images = &self.images;
        let looked: Vec<(usize, Vec<Vec<SymFrame>>, Option<String>)> = chunks
            .par_iter()
            .map(|&(j, img, addrs)| {
                let (frames, err) = lookup(&images[img], located[j].1.as_ref(), addrs);
                (j, frames, err)
            })
            .collect();
        for (img, d, notes) in &located {
            out.notes.extend(notes.iter().cloned());
            infos[*img].debug = d.as_ref().map(|d| (d.path.display().to_string(), d.how));
            if d.is_none() {
                out.notes.push(format!(
                    "{}: no DWARF found (none in the file, no matching build-id or .gnu_debuglink file): functions from its symbol table, no lines",
                    self.images[*img].name()
                ));
            }
        }
        let mut errs = Vec::new();
        let mut pos: Vec<usize> = vec![0; jobs.len()];
        for (j, frames, err) in looked {
            let (img, addrs) = (&jobs[j].0, &jobs[j].1);
            if let Some(e) = err {
                errs.push(e);
            }
            for f in frames {
                let key = addrs[pos[j]];
                pos[j] += 1;
                let reqs_of = work[*img].addrs.get(&key).map_or(&[][..], Vec::as_slice);
                if !f.is_empty() {
                    infos[*img].resolved += reqs_of.len();
                }
                let f: Arc<[SymFrame]> = f.into();
                for &i in reqs_of {
                    out.results[i] = Some(Resolution {
                        module: *img,
                        vaddr: key.0,
                        frames: Arc::clone(&f),
                    });
                }
            }
        }
        errs.dedup();
        out.notes.extend(errs);
        out.modules = infos;
        out
    }

    /// The image a dump's module names: by build-id first (a `--binary`, or
    /// a debug file in the debug directories), then by file name. A
    /// `--binary` of the same name but another build-id is refused.
    fn choose(
        &mut self,
        module: &str,
        build_id: Option<&[u8]>,
        notes: &mut Vec<String>,
    ) -> Option<usize> {
        if let Some(id) = build_id {
            if let Some(i) = self
                .images
                .iter()
                .position(|im| im.build_id.as_deref() == Some(id))
            {
                return Some(i);
            }
            if let Some(p) = locate::by_build_id(Some(id), &self.dirs) {
                if let Ok(im) = Image::open(&p) {
                    self.images.push(im);
                    return Some(self.images.len() - 1);
                }
            }
            if let Some(im) = self.images.iter().find(|im| module_matches(module, im)) {
                notes.push(format!(
                    "{}: build-id mismatch: the dump's {} has build-id {}, the binary has {}; its addresses are not symbolized",
                    im.path.display(),
                    module,
                    hex(id),
                    im.build_id.as_deref().map_or_else(|| "none".to_string(), hex)
                ));
            }
            return None;
        }
        if module.is_empty() {
            // Bare addresses: the one binary given, if only one was.
            let exes: Vec<usize> = (0..self.images.len()).collect();
            return (exes.len() == 1).then(|| exes[0]);
        }
        self.images.iter().position(|im| module_matches(module, im))
    }
}

/// Whether a module named in a dump (a path, `./app`, a file name) is the
/// image: same file name.
fn module_matches(module: &str, im: &Image) -> bool {
    let name = module.rsplit('/').next().unwrap_or(module);
    !name.is_empty() && name == im.name()
}

fn find_map<'a>(maps: &[&'a Mapping], addr: u64) -> Option<&'a Mapping> {
    let i = maps.partition_point(|m| m.start <= addr).checked_sub(1)?;
    maps.get(i).copied().filter(|m| addr < m.end)
}

/// Resolves sorted distinct `(vaddr, call)` pairs of one image; one frame
/// list per pair, in order. The error, if the debug information could not
/// be loaded.
fn lookup(
    img: &Image,
    debug: Option<&locate::DebugFile>,
    addrs: &[(u64, bool)],
) -> (Vec<Vec<SymFrame>>, Option<String>) {
    let mut err = None;
    let loader = match debug {
        Some(d) => match addr2line::Loader::new_with_sup(&d.path, d.sup.as_deref()) {
            Ok(l) => Some(l),
            Err(e) => {
                err = Some(format!(
                    "{}: its DWARF could not be read ({e}); symbol table only",
                    d.path.display()
                ));
                addr2line::Loader::new(&img.path).ok()
            }
        },
        None => addr2line::Loader::new(&img.path).ok(),
    };
    let Some(loader) = loader else {
        return (vec![Vec::new(); addrs.len()], err);
    };
    let mut names = Names::default();
    let frames = addrs
        .iter()
        .map(|&(vaddr, call)| {
            let probe = if call { vaddr.saturating_sub(1) } else { vaddr };
            frames_at(&loader, probe, &mut names)
        })
        .collect();
    (frames, err)
}

/// Function and file names seen so far, demangled once and shared.
#[derive(Default)]
struct Names {
    functions: FxHashMap<Box<str>, Arc<str>>,
    files: FxHashMap<Box<str>, Arc<str>>,
    empty: Option<Arc<str>>,
}

impl Names {
    fn function(&mut self, raw: &str, demangle: impl FnOnce() -> String) -> Arc<str> {
        if let Some(a) = self.functions.get(raw) {
            return Arc::clone(a);
        }
        let d: Arc<str> = strip_rust_hash(&demangle()).into();
        self.functions.insert(raw.into(), Arc::clone(&d));
        d
    }

    fn file(&mut self, f: &str) -> Arc<str> {
        if let Some(a) = self.files.get(f) {
            return Arc::clone(a);
        }
        let a: Arc<str> = f.into();
        self.files.insert(f.into(), Arc::clone(&a));
        a
    }

    fn empty(&mut self) -> Arc<str> {
        Arc::clone(self.empty.get_or_insert_with(|| "".into()))
    }
}

fn frames_at(loader: &addr2line::Loader, probe: u64, names: &mut Names) -> Vec<SymFrame> {
    let mut out: Vec<SymFrame> = Vec::new();
    if let Ok(mut it) = loader.find_frames(probe) {
        while let Ok(Some(f)) = it.next() {
            let function = match f.function.as_ref() {
                Some(n) => match n.raw_name() {
                    Ok(raw) => names.function(&raw, || {
                        n.demangle().map(|d| d.into_owned()).unwrap_or_default()
                    }),
                    Err(_) => names.empty(),
                },
                None => names.empty(),
            };
            let (file, line, column) = match f.location {
                Some(l) => (
                    names.file(l.file.unwrap_or_default()),
                    l.line.unwrap_or(0),
                    l.column.unwrap_or(0),
                ),
                None => (names.empty(), 0, 0),
            };
            out.push(SymFrame {
                function,
                file,
                line,
                column,
                inlined: true,
                symbol_offset: None,
            });
            if out.len() >= 256 {
                break;
            }
        }
    }
    if let Some(last) = out.last_mut() {
        last.inlined = false;
    }
    // No DWARF function for the outermost frame: name it from the symbol
    // table.
    if out.last().is_none_or(|f| f.function.is_empty()) {
        if let Some(sym) = loader.find_symbol_info(probe) {
            let raw = sym.name();
            let function = names.function(raw, || {
                addr2line::demangle_auto(raw.into(), None).into_owned()
            });
            let off = probe - sym.address();
            match out.last_mut() {
                Some(f) => {
                    f.function = function;
                    f.symbol_offset = Some(off);
                }
                None => out.push(SymFrame {
                    function,
                    file: names.empty(),
                    line: 0,
                    column: 0,
                    inlined: false,
                    symbol_offset: Some(off),
                }),
            }
        }
    }
    out.retain(|f| !f.function.is_empty() || f.line != 0);
    out
}

/// The base (the runtime address of the module's first mapping) that puts
/// the most of `addrs` inside the image's code, just after a call
/// instruction for return addresses. A module is mapped page-aligned, so
/// an address and its ELF virtual address agree in their low 12 bits: each
/// executable page gives one candidate per address.
pub fn infer_base(img: &Image, addrs: &[(u64, bool)]) -> Option<BaseInfo> {
    let mut distinct: Vec<(u64, bool)> = addrs.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    // Candidates are scored on at most 256 addresses spread over the
    // range (a heap profile may hold a hundred thousand).
    if distinct.len() > 256 {
        let step = distinct.len() as f64 / 256.0;
        distinct = (0..256)
            .filter_map(|i| distinct.get((i as f64 * step) as usize).copied())
            .collect();
    }
    let link = img.link_base();
    // Candidates from the first addresses (bounded), page by page.
    let mut cands: FxHashMap<u64, ()> = FxHashMap::default();
    for &(a, _) in distinct.iter().take(64) {
        for (lo, hi) in img.code_ranges() {
            let mut page = lo & !0xfff;
            while page < hi {
                let v = page | (a & 0xfff);
                if v >= lo && v < hi && a >= v {
                    let bias = a - v;
                    if bias & 0xfff == 0 {
                        cands.insert(bias.wrapping_add(link), ());
                    }
                }
                match page.checked_add(0x1000) {
                    Some(p) if cands.len() <= 2_000_000 => page = p,
                    _ => break,
                }
            }
        }
    }
    let score = |base: u64| -> usize {
        let bias = base.wrapping_sub(link);
        distinct
            .iter()
            .filter(|&&(a, call)| {
                let v = a.wrapping_sub(bias);
                img.is_code(v) && (!call || img.follows_call(v).unwrap_or(true))
            })
            .count()
    };
    let mut scored: Vec<(usize, u64)> = cands.keys().map(|&b| (score(b), b)).collect();
    scored.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let &(best, base) = scored.first()?;
    if best == 0 {
        return None;
    }
    let runner_up = scored.get(1).map_or(0, |s| s.0);
    Some(BaseInfo {
        base,
        how: "inferred",
        explained: best,
        tried: distinct.len(),
        runner_up,
    })
}
