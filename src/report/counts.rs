//! An ordered name → count map: serialised as a JSON object whose keys keep
//! their order (most common first).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Cow;

/// Names with their counts, most common first; serialised as a JSON
/// object in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// Sorts by count descending, then name ascending.
    pub fn from_iter_sorted(it: impl IntoIterator<Item = (String, u64)>) -> Self {
        let mut v: Vec<(String, u64)> = it.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Counts(v)
    }

    /// The count of `name`, if it is listed.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0
            .iter()
            .find(|(listed, _)| listed == name)
            .map(|(_, count)| *count)
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, count) in &self.0 {
            map.serialize_entry(name, count)?;
        }
        map.end()
    }
}

impl JsonSchema for Counts {
    fn schema_name() -> Cow<'static, str> {
        "Counts".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Name to count, most common first.",
            "additionalProperties": { "type": "integer", "minimum": 0 }
        })
    }
}
