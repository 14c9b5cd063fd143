//! Interning tables: strings, functions, frames, stacks and label sets are
//! stored once per snapshot and referred to by small ids.

use super::frame::{CodeKind, Frame, Function, RawAddr, Stack};
use super::ids::{FrameId, FuncId, LabelSetId, StackId, Sym};
use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// The hash of a stack in [`Tables`]' stack index.
fn stack_hash(frames: &[FrameId], elided: Option<(u32, u32)>) -> u64 {
    let mut hasher = FxHasher::default();
    frames.hash(&mut hasher);
    elided.hash(&mut hasher);
    hasher.finish()
}

/// The hash of a string in [`Tables`]' string index.
fn bytes_hash(b: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    b.hash(&mut hasher);
    hasher.finish()
}

/// The interning tables of one snapshot (or of one parser chunk before the
/// chunks are merged).
#[derive(Debug, Clone)]
pub struct Tables {
    strings: Vec<Box<str>>,
    /// Ids of `strings`, hashed by their bytes (each string is stored once,
    /// in `strings`).
    string_index: HashTable<Sym>,
    /// Ids of strings interned from bytes that are not UTF-8, by those
    /// bytes (stored lossily in `strings`).
    lossy: FxHashMap<Box<[u8]>, Sym>,
    funcs: Vec<Function>,
    func_map: FxHashMap<Sym, FuncId>,
    frames: Vec<Frame>,
    frame_map: FxHashMap<Frame, FrameId>,
    stacks: Vec<Stack>,
    /// Ids of `stacks`, hashed by their content (stored once, in `stacks`).
    stack_index: HashTable<StackId>,
    /// How many of `stacks` are in `stack_index` (see [`Tables::push_stack`]).
    indexed: usize,
    labels: Vec<Box<[(Sym, Sym)]>>,
    label_map: FxHashMap<Box<[(Sym, Sym)]>, LabelSetId>,
    /// Frames the dump gave as addresses, for the symbolizer.
    raw: FxHashMap<FrameId, RawAddr>,
}

impl Default for Tables {
    fn default() -> Self {
        Self::new()
    }
}

impl Tables {
    /// An empty set of tables; id 0 of strings and label sets is the empty one.
    pub fn new() -> Self {
        let mut tables = Tables {
            strings: Vec::new(),
            string_index: HashTable::new(),
            lossy: FxHashMap::default(),
            funcs: Vec::new(),
            func_map: FxHashMap::default(),
            frames: Vec::new(),
            frame_map: FxHashMap::default(),
            stacks: Vec::new(),
            stack_index: HashTable::new(),
            indexed: 0,
            labels: vec![Box::new([])],
            label_map: FxHashMap::default(),
            raw: FxHashMap::default(),
        };
        tables.intern_bytes(b"");
        tables.label_map.insert(Box::new([]), LabelSetId(0));
        tables
    }

    /// Interns raw bytes; invalid UTF-8 is stored lossily.
    pub fn intern_bytes(&mut self, b: &[u8]) -> Sym {
        let hash = bytes_hash(b);
        let strings = &self.strings;
        let found = self
            .string_index
            .find(hash, |id| strings[id.index()].as_bytes() == b);
        if let Some(&id) = found {
            return id;
        }
        let Ok(text) = std::str::from_utf8(b) else {
            return self.intern_lossy(b);
        };
        let id = Sym(self.strings.len() as u32);
        self.strings.push(text.into());
        let strings = &self.strings;
        self.string_index
            .insert_unique(hash, id, |id| bytes_hash(strings[id.index()].as_bytes()));
        id
    }

    /// Interns bytes that are not UTF-8: a string of their own, looked up by
    /// the bytes (a valid string equal to the lossy text stays distinct).
    fn intern_lossy(&mut self, b: &[u8]) -> Sym {
        if let Some(&id) = self.lossy.get(b) {
            return id;
        }
        let id = Sym(self.strings.len() as u32);
        self.strings
            .push(String::from_utf8_lossy(b).into_owned().into_boxed_str());
        self.lossy.insert(b.into(), id);
        id
    }

    /// Interns a string, returning the id of its one copy.
    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_bytes(s.as_bytes())
    }

    /// The string an id stands for.
    pub fn str(&self, s: Sym) -> &str {
        self.strings.get(s.index()).map_or("", |b| b)
    }

    /// Interns a function by its full name; `split` is called only for a new
    /// name and returns `(package, receiver, name, kind)`.
    pub fn intern_function(
        &mut self,
        full: &[u8],
        split: impl FnOnce(&str) -> (String, Option<String>, String, CodeKind),
    ) -> FuncId {
        let full = self.intern_bytes(full);
        if let Some(&f) = self.func_map.get(&full) {
            return f;
        }
        let full_name = self.strings[full.index()].to_string();
        let (pkg, recv, name, kind) = split(&full_name);
        let package = self.intern(&pkg);
        let receiver = recv.map(|r| self.intern(&r));
        let name = self.intern(&name);
        let id = FuncId(self.funcs.len() as u32);
        self.funcs.push(Function {
            full,
            package,
            receiver,
            name,
            kind,
        });
        self.func_map.insert(full, id);
        id
    }

    /// The function an id stands for.
    pub fn function(&self, f: FuncId) -> &Function {
        &self.funcs[f.index()]
    }

    /// The full name of the function an id stands for.
    pub fn func_name(&self, f: FuncId) -> &str {
        self.str(self.function(f).full)
    }

    /// Interns a frame, returning the id of its one copy.
    pub fn intern_frame(&mut self, f: Frame) -> FrameId {
        if let Some(&id) = self.frame_map.get(&f) {
            return id;
        }
        let id = FrameId(self.frames.len() as u32);
        self.frames.push(f);
        self.frame_map.insert(f, id);
        id
    }

    /// The frame an id stands for.
    pub fn frame(&self, f: FrameId) -> &Frame {
        &self.frames[f.index()]
    }

    /// Interns a stack from its frames (innermost first) and elision marker.
    /// `scratch` is a reusable buffer.
    pub fn intern_stack(&mut self, frames: &[FrameId], elided: Option<(u32, u32)>) -> StackId {
        self.index_pushed();
        let hash = stack_hash(frames, elided);
        let stacks = &self.stacks;
        let found = self.stack_index.find(hash, |id| {
            let stack = &stacks[id.index()];
            stack.elided == elided && *stack.frames == *frames
        });
        if let Some(&id) = found {
            return id;
        }
        let id = self.push_stack(frames, elided);
        self.index_pushed();
        id
    }

    /// Adds a stack the caller knows is not in the tables yet, without
    /// looking it up: for parsers that have already merged their stacks
    /// (millions of them in a large heap profile). The stack is indexed
    /// when [`Tables::intern_stack`] is next called.
    pub fn push_stack(&mut self, frames: &[FrameId], elided: Option<(u32, u32)>) -> StackId {
        let id = StackId(self.stacks.len() as u32);
        self.stacks.push(Stack {
            frames: frames.into(),
            elided,
        });
        id
    }

    /// Indexes the stacks added by [`Tables::push_stack`].
    fn index_pushed(&mut self) {
        let stacks = &self.stacks;
        let hasher = |id: &StackId| {
            let stack = &stacks[id.index()];
            stack_hash(&stack.frames, stack.elided)
        };
        if self.indexed < stacks.len() {
            self.stack_index
                .reserve(stacks.len() - self.indexed, hasher);
        }
        while self.indexed < stacks.len() {
            let stack = &stacks[self.indexed];
            let hash = stack_hash(&stack.frames, stack.elided);
            self.stack_index
                .insert_unique(hash, StackId(self.indexed as u32), hasher);
            self.indexed += 1;
        }
    }

    /// Makes room for `n` more stacks.
    pub fn reserve_stacks(&mut self, n: usize) {
        self.stacks.reserve(n);
    }

    /// The stack an id stands for.
    pub fn stack(&self, s: StackId) -> &Stack {
        &self.stacks[s.index()]
    }

    /// How many distinct stacks are interned.
    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }

    /// How many distinct functions are interned.
    pub fn func_count(&self) -> usize {
        self.funcs.len()
    }

    /// How many distinct frames are interned.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Records that frame `f` was printed at `raw` (the first address
    /// recorded for a frame is kept).
    pub fn note_addr(&mut self, f: FrameId, raw: RawAddr) {
        self.raw.entry(f).or_insert(raw);
    }

    /// Records (or replaces) the address of frame `f`.
    pub fn set_addr(&mut self, f: FrameId, raw: RawAddr) {
        self.raw.insert(f, raw);
    }

    /// A frame the dump gave only as an address: a function named `name`
    /// (`app+0x1234`, `0x55d5c1b2c3a1`) with no source position, recorded
    /// for the symbolizer.
    pub fn raw_frame(&mut self, name: &str, kind: CodeKind, raw: RawAddr) -> FrameId {
        let function = self.intern_function(name.as_bytes(), |n| {
            let module = n.split_once('+').map_or("", |(m, _)| m);
            (module.to_string(), None, n.to_string(), kind)
        });
        let frame = self.intern_frame(Frame {
            function,
            file: Sym(0),
            line: 0,
            pc_offset: None,
            inlined: false,
        });
        self.note_addr(frame, raw);
        frame
    }

    /// The frames recorded with an address, in frame order.
    pub fn raw_addrs(&self) -> Vec<(FrameId, RawAddr)> {
        let mut raws: Vec<(FrameId, RawAddr)> = self.raw.iter().map(|(f, r)| (*f, *r)).collect();
        raws.sort_unstable_by_key(|(f, _)| *f);
        raws
    }

    /// Replaces frames by sequences of frames (a symbolized address by its
    /// inlined frames and function) in every stack, and forgets their
    /// addresses. Returns, per stack, the stack to use from now on: stacks
    /// that became equal to an earlier one map to it.
    pub fn replace_frames(&mut self, repl: &FxHashMap<FrameId, Vec<FrameId>>) -> Vec<StackId> {
        let mut buf = Vec::new();
        for s in &mut self.stacks {
            if !s.frames.iter().any(|f| repl.contains_key(f)) {
                continue;
            }
            buf.clear();
            let mut elided = s.elided;
            for (i, f) in s.frames.iter().enumerate() {
                if let Some((at, _)) = &mut elided {
                    if *at as usize == i {
                        *at = buf.len() as u32;
                    }
                }
                match repl.get(f) {
                    Some(v) if !v.is_empty() => buf.extend_from_slice(v),
                    _ => buf.push(*f),
                }
            }
            if let Some((at, _)) = &mut elided {
                if *at as usize >= s.frames.len() {
                    *at = buf.len() as u32;
                }
            }
            s.frames = buf.as_slice().into();
            s.elided = elided;
        }
        for f in repl.keys() {
            self.raw.remove(f);
        }
        // Re-index from scratch; a stack equal to an earlier one maps to it.
        self.stack_index = HashTable::new();
        self.indexed = 0;
        let mut remap = Vec::with_capacity(self.stacks.len());
        for i in 0..self.stacks.len() {
            let stack = &self.stacks[i];
            let hash = stack_hash(&stack.frames, stack.elided);
            let stacks = &self.stacks;
            let found = self.stack_index.find(hash, |id| {
                let other = &stacks[id.index()];
                other.elided == stack.elided && other.frames == stack.frames
            });
            let id = match found {
                Some(&id) => id,
                None => {
                    let id = StackId(i as u32);
                    let hasher = |id: &StackId| {
                        let stack = &stacks[id.index()];
                        stack_hash(&stack.frames, stack.elided)
                    };
                    self.stack_index.insert_unique(hash, id, hasher);
                    id
                }
            };
            remap.push(id);
        }
        self.indexed = self.stacks.len();
        remap
    }

    /// Interns a set of label pairs (sorted first, so order does not matter); the empty set is `LabelSetId(0)`.
    pub fn intern_labels(&mut self, mut pairs: Vec<(Sym, Sym)>) -> LabelSetId {
        if pairs.is_empty() {
            return LabelSetId(0);
        }
        pairs.sort();
        if let Some(&id) = self.label_map.get(pairs.as_slice()) {
            return id;
        }
        let id = LabelSetId(self.labels.len() as u32);
        let boxed: Box<[(Sym, Sym)]> = pairs.into();
        self.labels.push(boxed.clone());
        self.label_map.insert(boxed, id);
        id
    }

    /// The sorted label pairs of a set (empty for an unknown id).
    pub fn labels(&self, l: LabelSetId) -> &[(Sym, Sym)] {
        self.labels.get(l.index()).map_or(&[], |b| b)
    }

    /// Copies everything of `other` into `self`, returning the id maps used to
    /// translate `other`'s ids.
    pub fn absorb(&mut self, other: &Tables) -> IdMap {
        let syms: Vec<Sym> = other.strings.iter().map(|s| self.intern(s)).collect();
        let funcs: Vec<FuncId> = other
            .funcs
            .iter()
            .map(|f| {
                let full = syms[f.full.index()];
                if let Some(&id) = self.func_map.get(&full) {
                    return id;
                }
                let id = FuncId(self.funcs.len() as u32);
                self.funcs.push(Function {
                    full,
                    package: syms[f.package.index()],
                    receiver: f.receiver.map(|r| syms[r.index()]),
                    name: syms[f.name.index()],
                    kind: f.kind,
                });
                self.func_map.insert(full, id);
                id
            })
            .collect();
        let frames: Vec<FrameId> = other
            .frames
            .iter()
            .map(|f| {
                self.intern_frame(Frame {
                    function: funcs[f.function.index()],
                    file: syms[f.file.index()],
                    ..*f
                })
            })
            .collect();
        let mut buf = Vec::new();
        let stacks: Vec<StackId> = other
            .stacks
            .iter()
            .map(|s| {
                buf.clear();
                buf.extend(s.frames.iter().map(|f| frames[f.index()]));
                self.intern_stack(&buf, s.elided)
            })
            .collect();
        let labels: Vec<LabelSetId> = other
            .labels
            .iter()
            .map(|l| {
                self.intern_labels(
                    l.iter()
                        .map(|(k, v)| (syms[k.index()], syms[v.index()]))
                        .collect(),
                )
            })
            .collect();
        IdMap {
            syms,
            frames,
            stacks,
            labels,
        }
    }
}

/// Translation of ids from one [`Tables`] into another.
#[derive(Debug, Default)]
pub struct IdMap {
    /// New string id of each old string id, by old index.
    pub syms: Vec<Sym>,
    /// New frame id of each old frame id, by old index.
    pub frames: Vec<FrameId>,
    /// New stack id of each old stack id, by old index.
    pub stacks: Vec<StackId>,
    /// New label set id of each old label set id, by old index.
    pub labels: Vec<LabelSetId>,
}

impl IdMap {
    /// The new id of an old string (the empty string when unknown).
    pub fn sym(&self, s: Sym) -> Sym {
        self.syms.get(s.index()).copied().unwrap_or_default()
    }
    /// The new id of an old frame (frame 0 when unknown).
    pub fn frame(&self, f: FrameId) -> FrameId {
        self.frames.get(f.index()).copied().unwrap_or_default()
    }
    /// The new id of an old stack (stack 0 when unknown).
    pub fn stack(&self, s: StackId) -> StackId {
        self.stacks.get(s.index()).copied().unwrap_or_default()
    }
    /// The new id of an old label set (the empty set when unknown).
    pub fn labels(&self, l: LabelSetId) -> LabelSetId {
        self.labels.get(l.index()).copied().unwrap_or_default()
    }
}
