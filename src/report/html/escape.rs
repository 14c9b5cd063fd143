//! Escaping: every string that comes from a dump passes through here on
//! its way into the page, as markup text ([`esc`], [`text`]) or as data for
//! the script ([`script_json`]).

use crate::report::clip;
use std::borrow::Cow;

/// Characters of one dump string shown in markup.
pub(super) const MAX_TEXT: usize = 400;

/// Escapes text for HTML text and quoted attribute values.
pub fn esc(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&`
/// (the only characters that can end the block or open a comment) are
/// written as `\u` escapes, which JSON reads back unchanged; so are the
/// line separators JavaScript once treated as newlines.
pub fn script_json<T: serde::Serialize>(v: &T) -> String {
    let json = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(json.len() + 64);
    let mut last = 0;
    for (i, c) in json.char_indices() {
        let rep = match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        out.push_str(&json[last..i]);
        out.push_str(rep);
        last = i + c.len_utf8();
    }
    out.push_str(&json[last..]);
    out
}

/// Escaped and clipped: the form every dump string takes in markup.
pub(super) fn text(s: &str) -> String {
    esc(&clip(s, MAX_TEXT)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert!(matches!(esc("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn script_json_cannot_close_the_block() {
        let v = json!({"f": "</script><!-- & \u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }
}
