//! A list of report items of which the first are built and the others are
//! made one at a time while the report is written: a dump of a million
//! groups is serialized without holding a million built groups.

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use std::sync::Arc;

/// Items made on demand, by position.
pub trait LazyItems<T>: Send + Sync {
    /// How many items there are.
    fn count(&self) -> usize;
    /// The item at `index` (below [`LazyItems::count`]).
    fn item(&self, index: usize) -> T;
}

/// A list whose first items are built (what the text, Markdown and HTML
/// reports read, through `Deref`) and, when the list is long, a source of
/// every item that serialization walks: the JSON holds the whole list.
pub struct LazyList<T> {
    built: Vec<T>,
    rest: Option<Arc<dyn LazyItems<T>>>,
}

impl<T> LazyList<T> {
    /// The first items built, every item (those too) made by `all` when
    /// serialized.
    pub fn deferred(built: Vec<T>, all: Arc<dyn LazyItems<T>>) -> Self {
        LazyList {
            built,
            rest: Some(all),
        }
    }

    /// How many items the list holds, built or not.
    pub fn total(&self) -> usize {
        self.rest
            .as_ref()
            .map_or(self.built.len(), |rest| rest.count().max(self.built.len()))
    }

    /// True when items beyond the built ones are made only when serialized.
    pub fn is_deferred(&self) -> bool {
        self.total() > self.built.len()
    }

    /// Every item, built or not (those not built are made one at a time).
    pub fn all(&self) -> impl Iterator<Item = std::borrow::Cow<'_, T>> + '_
    where
        T: Clone,
    {
        let built = self.built.iter().map(std::borrow::Cow::Borrowed);
        let made = (self.built.len()..self.total()).filter_map(move |index| {
            let rest = self.rest.as_ref()?;
            Some(std::borrow::Cow::Owned(rest.item(index)))
        });
        built.chain(made)
    }
}

impl<T> Default for LazyList<T> {
    fn default() -> Self {
        LazyList {
            built: Vec::new(),
            rest: None,
        }
    }
}

impl<T> From<Vec<T>> for LazyList<T> {
    fn from(built: Vec<T>) -> Self {
        LazyList { built, rest: None }
    }
}

impl<T> FromIterator<T> for LazyList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        LazyList::from(items.into_iter().collect::<Vec<T>>())
    }
}

impl<T: Clone> Clone for LazyList<T> {
    fn clone(&self) -> Self {
        LazyList {
            built: self.built.clone(),
            rest: self.rest.clone(),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for LazyList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let more = self.total() - self.built.len();
        if more == 0 {
            self.built.fmt(f)
        } else {
            write!(f, "{:?} and {more} more", self.built)
        }
    }
}

impl<T> std::ops::Deref for LazyList<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.built
    }
}

impl<T> std::ops::DerefMut for LazyList<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.built
    }
}

impl<'a, T> IntoIterator for &'a LazyList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.built.iter()
    }
}

impl<T: Serialize> Serialize for LazyList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(rest) = self.rest.as_ref().filter(|_| self.is_deferred()) else {
            return self.built.serialize(serializer);
        };
        let count = rest.count();
        let mut seq = serializer.serialize_seq(Some(count))?;
        for item in &self.built {
            seq.serialize_element(item)?;
        }
        for index in self.built.len()..count {
            seq.serialize_element(&rest.item(index))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Squares(usize);

    impl LazyItems<u64> for Squares {
        fn count(&self) -> usize {
            self.0
        }
        fn item(&self, index: usize) -> u64 {
            (index * index) as u64
        }
    }

    #[test]
    fn serializes_the_built_items_then_the_others() {
        let list = LazyList::deferred(vec![0, 1], Arc::new(Squares(5)));
        assert_eq!(list.len(), 2);
        assert_eq!(list.total(), 5);
        assert!(list.is_deferred());
        assert_eq!(serde_json::to_string(&list).unwrap(), "[0,1,4,9,16]");
        let all: Vec<u64> = list.all().map(|item| *item).collect();
        assert_eq!(all, [0, 1, 4, 9, 16]);
        let plain = LazyList::from(vec![3u64, 4]);
        assert!(!plain.is_deferred());
        assert_eq!(serde_json::to_string(&plain).unwrap(), "[3,4]");
    }
}
