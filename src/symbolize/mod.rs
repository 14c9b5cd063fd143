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
pub mod elfcore;
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

/// Where the requests fall before load bases are applied.
struct Placement {
    /// `(image, vaddr)` of each request whose address alone tells.
    placed: Vec<Option<(usize, u64)>>,
    /// Absolute addresses without a mapping, per image (sorted by image):
    /// they wait for `--base` or an inferred base.
    unplaced: Vec<(usize, Vec<usize>)>,
}

/// An inferred base is trusted when it explains at least three addresses
/// and at least twice as many as the next best candidate.
fn base_accepted(guess: &BaseInfo) -> bool {
    guess.explained >= 3 && guess.explained >= 2 * guess.runner_up.max(1)
}

/// Notes the modules no image matched (at most six named) and the bare
/// addresses no module or mapping covers.
fn note_unmatched(mut unmatched: Vec<&str>, nowhere: usize, notes: &mut Vec<String>) {
    unmatched.sort_unstable();
    unmatched.dedup();
    if !unmatched.is_empty() {
        let more = unmatched.len().saturating_sub(6);
        unmatched.truncate(6);
        notes.push(format!(
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
        notes.push(format!(
            "{nowhere} bare address(es) name no module and no mapping covers them: give the binary with --binary (one binary, for its base to be inferred) or its base with --base MODULE=ADDR"
        ));
    }
}

/// Notes how the load base of an image was inferred, or why not.
fn note_inferred_base(image: &Image, guess: Option<&BaseInfo>, notes: &mut Vec<String>) {
    match guess {
        Some(guess) if base_accepted(guess) => {
            notes.push(format!(
                "{}: load base inferred as {:#x}: {} of {} addresses fall in its code just after a call (next best candidate: {})",
                image.name(),
                guess.base,
                guess.explained,
                guess.tried,
                guess.runner_up
            ));
        }
        Some(guess) => {
            notes.push(format!(
                "{}: the load base is ambiguous ({} of {} addresses explained by the best candidate {:#x}, {} by the next): not symbolized; give it with --base {}=ADDR",
                image.name(),
                guess.explained,
                guess.tried,
                guess.base,
                guess.runner_up,
                image.name()
            ));
        }
        None => notes.push(format!(
            "{}: no load base puts these addresses in its code: not symbolized (is it the binary that wrote the dump?)",
            image.name()
        )),
    }
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
        let Placement {
            mut placed,
            unplaced,
        } = self.place(reqs, maps, &mut out.notes);
        let bases = self.apply_bases(reqs, unplaced, &mut placed, &mut out.notes);
        let (mut work, mut modules) = self.gather_work(reqs, &placed, &bases, &mut out.notes);
        self.drop_foreign_binaries(&mut work, &bases, &mut out.notes);
        self.look_up_work(&work, &mut modules, &mut out);
        out.modules = modules;
        out
    }

    /// Finds the image each request falls in and, where the address alone
    /// tells, its virtual address there; notes modules no image matches.
    fn place(&mut self, reqs: &[Request], maps: &[Mapping], notes: &mut Vec<String>) -> Placement {
        let mut maps: Vec<&Mapping> = maps.iter().collect();
        maps.sort_by_key(|mapping| mapping.start);
        // Which image each (module, build-id) names; images found in the
        // debug directories by build-id are added on the way.
        let mut chosen: FxHashMap<(&str, Option<Vec<u8>>), Option<usize>> = FxHashMap::default();
        let mut placed: Vec<Option<(usize, u64)>> = vec![None; reqs.len()];
        // Absolute addresses without a mapping, per image, for --base or
        // inference.
        let mut unplaced: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut nowhere = 0usize;
        for (req_index, req) in reqs.iter().enumerate() {
            let (module, build_id, space, addr) = match req.space {
                Space::Absolute => match find_map(&maps, req.addr) {
                    Some(mapping) => (
                        mapping.path.as_str(),
                        mapping.build_id.as_deref().and_then(image::unhex),
                        Space::FileOffset,
                        (req.addr - mapping.start).wrapping_add(mapping.file_offset),
                    ),
                    None => (
                        req.module,
                        req.build_id.map(<[u8]>::to_vec),
                        req.space,
                        req.addr,
                    ),
                },
                _ => (
                    req.module,
                    req.build_id.map(<[u8]>::to_vec),
                    req.space,
                    req.addr,
                ),
            };
            let key = (module, build_id);
            let img = match chosen.get(&key) {
                Some(&choice) => choice,
                None => {
                    let choice = self.choose(key.0, key.1.as_deref(), notes);
                    chosen.insert(key, choice);
                    choice
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
                Space::Vaddr => placed[req_index] = Some((img, addr)),
                Space::FileOffset => {
                    placed[req_index] = image.vaddr_of_offset(addr).map(|vaddr| (img, vaddr))
                }
                Space::Absolute => unplaced.entry(img).or_default().push(req_index),
            }
        }
        let unmatched: Vec<&str> = chosen
            .iter()
            .filter(|(key, choice)| choice.is_none() && !key.0.is_empty())
            .map(|(key, _)| key.0)
            .collect();
        note_unmatched(unmatched, nowhere, notes);
        let mut unplaced: Vec<(usize, Vec<usize>)> = unplaced.into_iter().collect();
        unplaced.sort_unstable_by_key(|(img, _)| *img);
        Placement { placed, unplaced }
    }

    /// Places the absolute addresses of each image with its load base
    /// (`--base`, or inferred), returning the bases used per image.
    fn apply_bases(
        &self,
        reqs: &[Request],
        unplaced: Vec<(usize, Vec<usize>)>,
        placed: &mut [Option<(usize, u64)>],
        notes: &mut Vec<String>,
    ) -> FxHashMap<usize, BaseInfo> {
        let mut bases: FxHashMap<usize, BaseInfo> = FxHashMap::default();
        for (img, req_indices) in unplaced {
            let image = &self.images[img];
            let given = self.opts.bases.iter().find(|(module, _)| {
                module_matches(module, image)
                    || req_indices
                        .iter()
                        .any(|&req_index| reqs[req_index].module == module)
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
                    let addrs: Vec<(u64, bool)> = req_indices
                        .iter()
                        .map(|&req_index| (reqs[req_index].addr, reqs[req_index].call))
                        .collect();
                    let guess = infer_base(image, &addrs);
                    note_inferred_base(image, guess.as_ref(), notes);
                    guess.filter(base_accepted)
                }
            };
            if let Some(info) = info {
                let bias = info.base.wrapping_sub(image.link_base());
                for &req_index in &req_indices {
                    placed[req_index] = Some((img, reqs[req_index].addr.wrapping_sub(bias)));
                }
                bases.insert(img, info);
            }
        }
        bases
    }

    /// The distinct addresses to look up per image (those in its code), and
    /// what happened to each module; notes images most addresses miss.
    fn gather_work(
        &self,
        reqs: &[Request],
        placed: &[Option<(usize, u64)>],
        bases: &FxHashMap<usize, BaseInfo>,
        notes: &mut Vec<String>,
    ) -> (Vec<Work>, Vec<ModuleInfo>) {
        let mut work: Vec<Work> = (0..self.images.len()).map(|_| Work::default()).collect();
        let mut modules: Vec<ModuleInfo> = self
            .images
            .iter()
            .enumerate()
            .map(|(img, image)| ModuleInfo {
                path: image.path.display().to_string(),
                build_id: image.build_id.as_deref().map(hex),
                base: bases.get(&img).cloned(),
                ..ModuleInfo::default()
            })
            .collect();
        for (req_index, place) in placed.iter().enumerate() {
            let Some((img, vaddr)) = *place else { continue };
            modules[img].requested += 1;
            if !self.images[img].is_code(vaddr) {
                modules[img].outside += 1;
                continue;
            }
            work[img]
                .addrs
                .entry((vaddr, reqs[req_index].call))
                .or_default()
                .push(req_index);
        }
        for (img, info) in modules.iter().enumerate() {
            if info.outside > 0 && info.outside * 2 >= info.requested {
                notes.push(format!(
                    "{}: {} of {} addresses fall outside its executable code: is it the binary that wrote the dump? Those addresses are left as they are",
                    self.images[img].name(),
                    info.outside,
                    info.requested
                ));
            }
        }
        (work, modules)
    }

    /// A return address follows a call instruction. When most do not (and
    /// the dump gave no build-id to check), the binary is not the one that
    /// wrote the dump: its functions would be nonsense, so its work is
    /// dropped.
    fn drop_foreign_binaries(
        &self,
        work: &mut [Work],
        bases: &FxHashMap<usize, BaseInfo>,
        notes: &mut Vec<String>,
    ) {
        for (img, image_work) in work.iter_mut().enumerate() {
            if bases.get(&img).is_some_and(|base| base.how == "inferred") {
                continue; // the inference already required calls
            }
            let image = &self.images[img];
            let calls: Vec<bool> = image_work
                .addrs
                .keys()
                .filter(|(_, call)| *call)
                .filter_map(|&(vaddr, _)| image.follows_call(vaddr))
                .collect();
            let hits = calls.iter().filter(|&&follows| follows).count();
            if calls.len() >= 3 && hits * 2 < calls.len() {
                notes.push(format!(
                    "{}: only {hits} of {} return addresses follow a call instruction in it: it is not the binary that wrote the dump (or the addresses are misplaced); not symbolized",
                    image.name(),
                    calls.len()
                ));
                image_work.addrs.clear();
            }
        }
    }

    /// Looks the work up, per image in parallel (and in chunks for big
    /// images), and fills in `out.results` and the modules' debug files
    /// and resolved counts.
    fn look_up_work(&self, work: &[Work], modules: &mut [ModuleInfo], out: &mut Outcome) {
        let jobs: Vec<(usize, Vec<(u64, bool)>)> = work
            .iter()
            .enumerate()
            .filter(|(_, image_work)| !image_work.addrs.is_empty())
            .map(|(img, image_work)| {
                let mut addrs: Vec<(u64, bool)> = image_work.addrs.keys().copied().collect();
                addrs.sort_unstable();
                (img, addrs)
            })
            .collect();
        let located: Vec<(usize, Option<locate::DebugFile>, Vec<String>)> = jobs
            .par_iter()
            .map(|(img, _)| {
                let mut notes = Vec::new();
                let debug = locate::locate(&self.images[*img], &self.dirs, &mut notes);
                (*img, debug, notes)
            })
            .collect();
        let looked = self.look_up_chunks(&jobs, &located);
        for (img, debug, notes) in &located {
            out.notes.extend(notes.iter().cloned());
            modules[*img].debug = debug
                .as_ref()
                .map(|debug| (debug.path.display().to_string(), debug.how));
            if debug.is_none() {
                out.notes.push(format!(
                    "{}: no DWARF found (none in the file, no matching build-id or .gnu_debuglink file): functions from its symbol table, no lines",
                    self.images[*img].name()
                ));
            }
        }
        let mut errs = Vec::new();
        let mut pos: Vec<usize> = vec![0; jobs.len()];
        for (job, frames_per_addr, err) in looked {
            let (img, addrs) = (&jobs[job].0, &jobs[job].1);
            if let Some(err) = err {
                errs.push(err);
            }
            for frames in frames_per_addr {
                let key = addrs[pos[job]];
                pos[job] += 1;
                let reqs_of = work[*img].addrs.get(&key).map_or(&[][..], Vec::as_slice);
                if !frames.is_empty() {
                    modules[*img].resolved += reqs_of.len();
                }
                let frames: Arc<[SymFrame]> = frames.into();
                for &req_index in reqs_of {
                    out.results[req_index] = Some(Resolution {
                        module: *img,
                        vaddr: key.0,
                        frames: Arc::clone(&frames),
                    });
                }
            }
        }
        errs.dedup();
        out.notes.extend(errs);
    }

    /// Looks up the sorted addresses of each job, splitting jobs of 20,000
    /// addresses or more into one chunk per thread: `(job, frames per
    /// address, error)` per chunk, in job and address order.
    fn look_up_chunks(
        &self,
        jobs: &[(usize, Vec<(u64, bool)>)],
        located: &[(usize, Option<locate::DebugFile>, Vec<String>)],
    ) -> Vec<(usize, Vec<Vec<SymFrame>>, Option<String>)> {
        let threads = rayon::current_num_threads().max(1);
        let mut chunks: Vec<Chunk> = Vec::new();
        for (job, (img, addrs)) in jobs.iter().enumerate() {
            let parts = if addrs.len() >= 20_000 { threads } else { 1 };
            let size = addrs.len().div_ceil(parts).max(1);
            chunks.extend(addrs.chunks(size).map(|chunk| (job, *img, chunk)));
        }
        let images = &self.images;
        chunks
            .par_iter()
            .map(|&(job, img, addrs)| {
                let (frames, err) = lookup(&images[img], located[job].1.as_ref(), addrs);
                (job, frames, err)
            })
            .collect()
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
    let index = maps.partition_point(|m| m.start <= addr).checked_sub(1)?;
    maps.get(index).copied().filter(|m| addr < m.end)
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
        if let Some(known) = self.functions.get(raw) {
            return Arc::clone(known);
        }
        let demangled: Arc<str> = strip_rust_hash(&demangle()).into();
        self.functions.insert(raw.into(), Arc::clone(&demangled));
        demangled
    }

    fn file(&mut self, f: &str) -> Arc<str> {
        if let Some(known) = self.files.get(f) {
            return Arc::clone(known);
        }
        let file: Arc<str> = f.into();
        self.files.insert(f.into(), Arc::clone(&file));
        file
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
    for &(addr, _) in distinct.iter().take(64) {
        for (lo, hi) in img.code_ranges() {
            let mut page = lo & !0xfff;
            while page < hi {
                let vaddr = page | (addr & 0xfff);
                if vaddr >= lo && vaddr < hi && addr >= vaddr {
                    let bias = addr - vaddr;
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
            .filter(|&&(addr, call)| {
                let vaddr = addr.wrapping_sub(bias);
                img.is_code(vaddr) && (!call || img.follows_call(vaddr).unwrap_or(true))
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
