//! The features of a Go traceback that tell its Go version (`created by
//! ... in goroutine N`, `gp=` fields, label sets, ...), collected while
//! parsing and turned into a version guess.

/// Features seen while parsing, used to guess the Go version.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Features(pub(super) u32);

impl Features {
    pub(super) const IN_GOROUTINE: u32 = 1; // `created by F in goroutine N`: >= 1.21
    pub(super) const N_ELIDED: u32 = 1 << 1; // `...N frames elided...`: >= 1.21
    pub(super) const OLD_ELIDED: u32 = 1 << 2; // `...additional frames elided...`: < 1.21
    pub(super) const QUESTION_ARG: u32 = 1 << 3; // `0x1?`: >= 1.18
    pub(super) const GP_FIELDS: u32 = 1 << 4; // `gp=.. m=..`: >= 1.23
    pub(super) const LEAKED: u32 = 1 << 5; // `(leaked)`: >= 1.26
    pub(super) const LABELS: u32 = 1 << 6; // label sets in headers: >= 1.27
    pub(super) const INTERNAL_SYNC: u32 = 1 << 7; // `internal/sync.`: >= 1.24
    pub(super) const SYNC_REASON: u32 = 1 << 8; // `sync.Mutex.Lock` wait reasons: >= 1.20
    pub(super) const SEMACQUIRE_SYNC: u32 = 1 << 9; // `semacquire` with sync frames: < 1.20
    pub(super) const MIDDOT: u32 = 1 << 10; // `·` in names or `.goc` files: <= 1.4
    pub(super) const CREATED_NO_ID: u32 = 1 << 11; // `created by F` without id: < 1.21
    pub(super) const BRACE_ARG: u32 = 1 << 12; // `{...}` aggregates in args: >= 1.17

    /// Whether the feature bit `f` was seen.
    pub(super) fn has(self, f: u32) -> bool {
        self.0 & f != 0
    }

    /// The Go version range the features seen allow (`>=go1.21`,
    /// `go1.20..go1.21`), `None` when nothing tells.
    pub(super) fn guess(self) -> Option<String> {
        let lower: &[(u32, &str)] = &[
            (Self::LABELS, "1.27"),
            (Self::LEAKED, "1.26"),
            (Self::INTERNAL_SYNC, "1.24"),
            (Self::GP_FIELDS, "1.23"),
            (Self::IN_GOROUTINE, "1.21"),
            (Self::N_ELIDED, "1.21"),
            (Self::SYNC_REASON, "1.20"),
            (Self::QUESTION_ARG, "1.18"),
            (Self::BRACE_ARG, "1.17"),
        ];
        let upper: &[(u32, &str)] = &[
            (Self::MIDDOT, "1.4"),
            (Self::SEMACQUIRE_SYNC, "1.19"),
            (Self::CREATED_NO_ID, "1.20"),
            (Self::OLD_ELIDED, "1.20"),
        ];
        // Goroutines a timer or the runtime started print `created by F`
        // without an id in every version: with `in goroutine N` lines
        // beside them, the missing id tells nothing.
        let seen = if self.has(Self::IN_GOROUTINE) {
            Features(self.0 & !Self::CREATED_NO_ID)
        } else {
            self
        };
        let lo = lower.iter().find(|(f, _)| seen.has(*f)).map(|x| x.1);
        let hi = upper.iter().find(|(f, _)| seen.has(*f)).map(|x| x.1);
        match (lo, hi) {
            (Some(low), Some(high)) if low == high => Some(format!("go{low}")),
            (Some(low), Some(high)) => Some(format!("go{low}..go{high}")),
            (Some(low), None) => Some(format!(">=go{low}")),
            (None, Some(high)) => Some(format!("<=go{high}")),
            (None, None) => None,
        }
    }
}
