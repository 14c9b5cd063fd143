//! Small ids of interned strings, functions, frames, stacks and label sets
//! (see [`super::Tables`]).

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as an index into the table it was interned in.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An interned string; `Sym(0)` is the empty string.
    Sym
);
id_type!(
    /// An interned [`Function`](super::Function).
    FuncId
);
id_type!(
    /// An interned [`Frame`](super::Frame).
    FrameId
);
id_type!(
    /// An interned [`Stack`](super::Stack).
    StackId
);
id_type!(
    /// An interned label set; `LabelSetId(0)` is the empty set.
    LabelSetId
);
