//! Hexadecimal words as dumps print addresses and ids (`0xc000123408`,
//! `gp=0x…`, a pprof `@ 0x…` list): one reader for the parsers and for the
//! analysis, which reads pointer words out of frame arguments.

/// The value of `0x…` (1 to 16 hex digits, either case), or `None`.
#[inline]
pub fn parse_hex(word: &[u8]) -> Option<u64> {
    let digits = word
        .strip_prefix(b"0x")
        .or_else(|| word.strip_prefix(b"0X"))?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut value: u64 = 0;
    for &c in digits {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        value = (value << 4) | u64::from(digit);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    #[test]
    fn reads_prefixed_words_only() {
        assert_eq!(parse_hex(b"0xc000123408"), Some(0xc000123408));
        assert_eq!(parse_hex(b"0XFF"), Some(255));
        assert_eq!(parse_hex(b"ff"), None);
        assert_eq!(parse_hex(b"0x"), None);
        assert_eq!(parse_hex(b"0x11112222333344445"), None);
    }
}
