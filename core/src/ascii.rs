//! Byte helpers for the hot path, in safe code: commas, blanks and capitals of a header list
//! found sixteen bytes at a time, and equality of short strings eight bytes at a time,
//! without a call into `memcmp` (whose call costs more than the compare for header names and
//! origin literals).

#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    b[at..].first_chunk().map_or(0, |w| u64::from_le_bytes(*w))
}

/// Commas, blanks and capitals in up to 32 bytes of a header list: bit `i` of `commas` set
/// where byte `i` is a comma. `blank` counts every byte up to the space (tabs and the other
/// control bytes too): they all send a list to the item-by-item path, which reads any form,
/// and one unsigned compare finds them where a space-or-tab test took four more instructions
/// per 16 bytes (see the disassembly of `block16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) commas: u32,
    pub(crate) blank: bool,
    pub(crate) upper: bool,
}

/// One 16-byte block of a header list, read where it lies. Out of line, the compiler makes
/// it a few SSE2 compares and mask moves with no branch (see the disassembly); inlined, it
/// did not. Its input must not be a fresh copy: a 16-byte load of bytes just stored one by
/// one waits for the stores (measured at several ns).
#[inline(never)]
pub(crate) fn block16(c: &[u8; 16]) -> Block {
    block_short(c)
}

/// Bytes `at..at + 64` of a header list (fewer at its end): bit `i` set where byte
/// `at + i` is a comma, and whether they have blanks and capitals. A list shorter than 16
/// bytes is read byte by byte. Otherwise a block that would run past the end is read as the
/// list's last 16 bytes, and the commas of the bytes before `from` are shifted out.
#[inline(always)]
pub(crate) fn block64(list: &[u8], at: usize) -> (u64, Block) {
    let n = list.len();
    let Some(last) = list.last_chunk::<16>() else {
        let b = block_short(list);
        return (u64::from(b.commas), b);
    };
    let mut commas = 0;
    let mut odd = Block { commas: 0, blank: false, upper: false };
    for k in 0..4 {
        let from = at + 16 * k;
        if from >= n {
            break;
        }
        let b = match list[from..].first_chunk::<16>() {
            Some(block) => block16(block),
            None => {
                let b = block16(last);
                Block { commas: b.commas >> (from + 16 - n), ..b }
            }
        };
        commas |= u64::from(b.commas) << (16 * k);
        odd.blank |= b.blank;
        odd.upper |= b.upper;
    }
    (commas, odd)
}

/// What `block16` finds, for up to 32 bytes, byte by byte.
#[inline(always)]
pub(crate) fn block_short(c: &[u8]) -> Block {
    let mut commas = 0;
    let mut blank = false;
    let mut upper = false;
    for (i, &b) in c.iter().enumerate().take(32) {
        commas |= u32::from(b == b',') << i;
        blank |= b <= b' ';
        upper |= b.is_ascii_uppercase();
    }
    Block { commas, blank, upper }
}

/// The eight bytes of `key` next to its inner end (its last eight for a prefix of the
/// origin, `prefix == true`; its first eight for a suffix), or all of a shorter key, as a
/// number. Literals of one length differ there most: their outer ends are mostly
/// `https://` and top-level domains.
#[inline(always)]
pub(crate) fn inner_word(key: &[u8], prefix: bool) -> u64 {
    match key.len() {
        n @ 8.. => word(key, if prefix { n - 8 } else { 0 }),
        _ => key.iter().fold(0, |w, &b| w << 8 | u64::from(b)),
    }
}

/// `a == b`, inlined: a call into `memcmp` costs more than the compare at these lengths.
#[inline(always)]
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => {
            let (a0, a1) = (&a[..4], &a[n - 4..]);
            let (b0, b1) = (&b[..4], &b[n - 4..]);
            a0 == b0 && a1 == b1
        }
        // Two words, overlapping, without the loop's compares and branches: header names such
        // as `content-type` are this long (callgrind, allowed preflight at 1 rule: 1,098 ->
        // 1,064 instructions per call).
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => {
            // Eight bytes at a time, the last word overlapping the one before.
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// Whether `value` starts with `prefix` and ends with `suffix`, without overlap.
#[inline(always)]
pub(crate) fn glob_matches(prefix: &[u8], suffix: &[u8], value: &[u8]) -> bool {
    value.len() >= prefix.len() + suffix.len()
        && eq(&value[..prefix.len()], prefix)
        && eq(&value[value.len() - suffix.len()..], suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `Block` should say, written plainly.
    fn plain(bytes: &[u8]) -> Block {
        Block {
            commas: bytes.iter().enumerate().filter(|(_, &b)| b == b',').map(|(i, _)| 1 << i).sum(),
            blank: bytes.iter().any(|&b| b <= b' '),
            upper: bytes.iter().any(u8::is_ascii_uppercase),
        }
    }

    #[test]
    fn blocks_see_every_byte_value_at_every_place() {
        for b in 0..=255u8 {
            for at in 0..16 {
                let mut block = *b"abcdefghijklmnop";
                block[at] = b;
                assert_eq!(block16(&block), plain(&block), "{b:#x} at {at}");
                assert_eq!(block_short(&block[..at + 1]), plain(&block[..at + 1]), "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn inner_words_differ_where_literals_do() {
        assert_eq!(inner_word(b"https://a.example.org", true), inner_word(b"xample.org", true));
        assert_eq!(inner_word(b".example.org", false), inner_word(b".exampleXXXX", false));
        assert_ne!(inner_word(b"abc", true), inner_word(b"abd", true));
    }

    proptest! {
        #[test]
        fn eq_agrees_with_std(a in proptest::collection::vec(0..4u8, 0..40), flip in any::<prop::sample::Index>()) {
            let mut b = a.clone();
            prop_assert!(eq(&a, &b));
            if !b.is_empty() {
                let i = flip.index(b.len());
                b[i] ^= 1;
                prop_assert_eq!(eq(&a, &b), a == b);
                b.pop();
                prop_assert!(!eq(&a, &b));
            }
        }

        #[test]
        fn glob_agrees_with_std(p in "[ab]{0,10}", s in "[ab]{0,10}", v in "[ab]{0,24}") {
            let want = v.len() >= p.len() + s.len() && v.starts_with(&p) && v.ends_with(&s);
            prop_assert_eq!(glob_matches(p.as_bytes(), s.as_bytes(), v.as_bytes()), want);
        }
    }
}
