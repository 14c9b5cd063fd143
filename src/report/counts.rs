//! An ordered name → count map: serialised as a JSON object whose keys keep
//! their order (most common first).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Cow;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// Sorts by count descending, then name ascending.
    pub fn from_iter_sorted(it: impl IntoIterator<Item = (String, u64)>) -> Self {
        let mut v: Vec<(String, u64)> = it.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Counts(v)
    }

    pub fn get(&self, k: &str) -> Option<u64> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, c)| *c)
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
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
