//! Line accounting: where every line of a dump's text went. A parser that
//! keeps the account counts each line it reads either as used (read into a
//! task, a frame, the crash record) or as skipped with a [`SkipReason`], so
//! that nothing a dump carries is lost without a word: a line neither used
//! nor skipped is *unexplained*, which the tests require to be zero.

/// Why a line of the text was not read into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// An empty line (a separator between tasks or sections).
    Blank,
    /// Text outside the dump: log lines or program output around it.
    NotDump,
    /// A line inside a task that could not be read (a warning names it).
    Unreadable,
    /// A line cut off by the end of the input, not kept.
    Cut,
    /// Beyond a limit (frames per stack): dropped, a warning says so.
    OverLimit,
    /// Text of a dump that holds no task (a crash message without any
    /// goroutine after it): no snapshot to keep it in.
    NoTasks,
    /// A line of the dump the model keeps nothing of (a JVM's heap
    /// summary, a debugger's messages between threads).
    NotModelled,
    /// A repetition of lines read elsewhere (the stacks a JVM's deadlock
    /// report prints again).
    Repeated,
}

impl SkipReason {
    /// Every reason, in the order reports list them.
    pub const ALL: [SkipReason; 8] = [
        SkipReason::Blank,
        SkipReason::NotDump,
        SkipReason::Unreadable,
        SkipReason::Cut,
        SkipReason::OverLimit,
        SkipReason::NoTasks,
        SkipReason::NotModelled,
        SkipReason::Repeated,
    ];

    /// The reason's name in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::NotDump => "not_dump",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Cut => "cut",
            SkipReason::OverLimit => "over_limit",
            SkipReason::NoTasks => "no_tasks",
            SkipReason::NotModelled => "not_modelled",
            SkipReason::Repeated => "repeated",
        }
    }

    /// How the text report words the reason.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::NotDump => "not part of the dump",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Cut => "cut off",
            SkipReason::OverLimit => "over a limit",
            SkipReason::NoTasks => "in a dump without tasks",
            SkipReason::NotModelled => "not modelled",
            SkipReason::Repeated => "repeated",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What an account counts: lines of text, or the records of an input that
/// is not read line by line (JSON, protobuf).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineUnit {
    /// Lines of the (unwrapped) text.
    #[default]
    Line,
    /// Records: in JSON thread dumps each thread and each frame, in heap
    /// profiles each sample or stack record; numbered from 1 in input
    /// order.
    Record,
}

/// Where the lines of one dump went: its line range in the text, the lines
/// used and the lines skipped by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineAccount {
    /// What the account counts (lines unless the input is not text).
    pub unit: LineUnit,
    /// The first line (1-based) of the text this dump accounts for; 0 when
    /// it accounts for none.
    pub first: u64,
    /// The last line (inclusive).
    pub last: u64,
    /// Lines read into the model.
    pub used: u64,
    /// Lines skipped, by [`SkipReason`] (indexed in the order of
    /// [`SkipReason::ALL`]).
    skipped: [u64; SkipReason::ALL.len()],
}

impl LineAccount {
    /// An empty account of records rather than lines.
    pub fn of_records() -> LineAccount {
        LineAccount {
            unit: LineUnit::Record,
            ..LineAccount::default()
        }
    }

    /// An account of `n` records, every one read into the model.
    pub fn records_used(n: u64) -> LineAccount {
        let mut account = LineAccount::of_records();
        if n > 0 {
            account.cover(1);
            account.cover(n);
            account.use_lines(n);
        }
        account
    }

    /// Extends the range to cover line `line` (1-based).
    #[inline]
    pub fn cover(&mut self, line: u64) {
        if self.first == 0 || line < self.first {
            self.first = line;
        }
        self.last = self.last.max(line);
    }

    /// Counts `n` lines as used.
    #[inline]
    pub fn use_lines(&mut self, n: u64) {
        self.used += n;
    }

    /// Counts `n` lines as skipped for `reason`.
    #[inline]
    pub fn skip(&mut self, reason: SkipReason, n: u64) {
        self.skipped[reason.index()] += n;
    }

    /// Lines skipped for `reason`.
    pub fn skipped(&self, reason: SkipReason) -> u64 {
        self.skipped[reason.index()]
    }

    /// Lines skipped for any reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Lines skipped for a reason other than being blank: what a report
    /// mentions.
    pub fn skipped_notable(&self) -> u64 {
        self.skipped_total() - self.skipped(SkipReason::Blank)
    }

    /// Lines in the range.
    pub fn total(&self) -> u64 {
        if self.first == 0 || self.last < self.first {
            0
        } else {
            self.last - self.first + 1
        }
    }

    /// Lines of the range neither used nor skipped (negative when lines
    /// were counted twice): zero when the account is right.
    pub fn unexplained(&self) -> i64 {
        self.total() as i64 - self.used as i64 - self.skipped_total() as i64
    }

    /// Adds another account's counts and range to this one.
    pub fn absorb(&mut self, other: &LineAccount) {
        if other.first != 0 {
            self.cover(other.first);
            self.cover(other.last);
        }
        self.used += other.used;
        for (mine, theirs) in self.skipped.iter_mut().zip(other.skipped.iter()) {
            *mine += theirs;
        }
    }

    /// The same account with every used line counted as skipped for
    /// `reason` (text kept nowhere).
    pub fn all_skipped(mut self, reason: SkipReason) -> LineAccount {
        let used = std::mem::take(&mut self.used);
        self.skip(reason, used);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_balances() {
        let mut account = LineAccount::default();
        for line in 3..=10 {
            account.cover(line);
        }
        account.use_lines(5);
        account.skip(SkipReason::Blank, 2);
        assert_eq!(account.total(), 8);
        assert_eq!(account.unexplained(), 1);
        account.skip(SkipReason::NotDump, 1);
        assert_eq!(account.unexplained(), 0);
        assert_eq!(account.skipped_notable(), 1);
        let moved = account.clone().all_skipped(SkipReason::NoTasks);
        assert_eq!(moved.used, 0);
        assert_eq!(moved.unexplained(), 0);
        let mut other = LineAccount::default();
        other.cover(11);
        other.use_lines(1);
        account.absorb(&other);
        assert_eq!(
            (account.first, account.last, account.unexplained()),
            (3, 11, 0)
        );
    }
}
