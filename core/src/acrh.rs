//! `Access-Control-Request-Headers` as the engine reads it: its items trimmed of spaces and
//! tabs, empty items dropped, lowercased, and joined by `", "` (the `Allow-Headers` value of
//! a match).
//!
//! Browsers send the header lowercased, without blanks or empty items (Fetch: a sorted,
//! comma-separated list of byte-lowercased names). That form is read sixteen bytes at a
//! time (commas, blanks and capitals found together, see `ascii::block16`) and copied piece
//! by piece between its commas; anything else is split and trimmed item by item.

use crate::ascii;

/// The joined items and where each stands in them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Acrh {
    joined: String,
    items: Vec<(u32, u32)>,
}

impl Acrh {
    /// Reads `list` (`None`: no header, which joins to nothing, as an empty one does).
    pub(crate) fn set(&mut self, list: Option<&str>) {
        self.joined.clear();
        self.items.clear();
        let Some(list) = list else { return };
        match self.join_plain(list) {
            Some(true) => self.joined.make_ascii_lowercase(),
            Some(false) => {}
            None => {
                self.joined.clear();
                self.items.clear();
                self.join_items(list);
            }
        }
    }

    /// Each lowercased item.
    pub(crate) fn items(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let joined = self.joined.as_bytes();
        self.items.iter().map(move |&(s, e)| &joined[s as usize..e as usize])
    }

    /// The joined value, `None` when there are no items.
    pub(crate) fn value(&self) -> Option<&str> {
        (!self.joined.is_empty()).then_some(self.joined.as_str())
    }

    /// The browsers' form, in one pass: whether it had capitals (still to be lowercased), or
    /// `None` (and the output unfinished) at a space, a tab, another control byte or an
    /// empty item.
    fn join_plain(&mut self, list: &str) -> Option<bool> {
        let bytes = list.as_bytes();
        let n = bytes.len();
        self.joined.reserve(2 * n);
        let mut start = 0; // where the current item starts
        let mut upper = false;
        let mut at = 0;
        while at < n {
            // Up to 64 bytes at a time: find every comma first, then copy the items.
            let (mut commas, odd) = ascii::block64(bytes, at);
            if odd.blank {
                return None;
            }
            while commas != 0 {
                let end = at + commas.trailing_zeros() as usize;
                if end == start {
                    return None; // an empty item
                }
                // Between commas: UTF-8 boundaries. Each item but the last is followed by
                // a comma, so the separator goes after it, without asking whether it is
                // the first.
                self.push_item(&list[start..end]);
                self.joined.push_str(", ");
                start = end + 1;
                commas &= commas - 1;
            }
            upper |= odd.upper;
            at += 64;
        }
        if start == n {
            return None; // an empty last item (or no input)
        }
        self.push_item(&list[start..]);
        Some(upper)
    }

    /// Appends an item and notes where it stands.
    #[inline(always)]
    fn push_item(&mut self, item: &str) {
        let at = self.joined.len() as u32;
        self.joined.push_str(item);
        self.items.push((at, self.joined.len() as u32));
    }

    /// [`Acrh::push_item`], after the separator unless it is the first item.
    #[inline(always)]
    fn push(&mut self, item: &str) {
        if !self.joined.is_empty() {
            self.joined.push_str(", ");
        }
        self.push_item(item);
    }

    /// Any form, item by item. Commas and blanks are ASCII, so every index below is a UTF-8
    /// boundary; a byte loop, rather than `split(',')` and `trim_matches`, because the lists
    /// are short (`memchr` and the char pattern cost more than they save: callgrind counts 539
    /// instructions per `set` of `content-type, x-amz-date` with this loop, 646 with those).
    fn join_items(&mut self, list: &str) {
        let bytes = list.as_bytes();
        let blank = |b: u8| b == b' ' || b == b'\t';
        let mut start = 0;
        while start <= bytes.len() {
            let end = bytes[start..].iter().position(|&b| b == b',').map_or(bytes.len(), |i| start + i);
            let (mut s, mut e) = (start, end);
            while s < e && blank(bytes[s]) {
                s += 1;
            }
            while e > s && blank(bytes[e - 1]) {
                e -= 1;
            }
            if s < e {
                self.push(&list[s..e]);
            }
            start = end + 1;
        }
        self.joined.make_ascii_lowercase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule, written plainly.
    fn naive(list: &str) -> (String, Vec<String>) {
        let items: Vec<String> = list
            .split(',')
            .map(|i| i.trim_matches([' ', '\t']).to_ascii_lowercase())
            .filter(|i| !i.is_empty())
            .collect();
        (items.join(", "), items)
    }

    fn check(acrh: &mut Acrh, list: &str) {
        acrh.set(Some(list));
        let (joined, items) = naive(list);
        assert_eq!(acrh.value().unwrap_or(""), joined, "{list:?}");
        let got: Vec<&[u8]> = acrh.items().collect();
        let want: Vec<&[u8]> = items.iter().map(|i| i.as_bytes()).collect();
        assert_eq!(got, want, "{list:?}");
    }

    #[test]
    fn browser_and_other_forms() {
        let mut a = Acrh::default();
        for list in [
            "",
            ",",
            ",,",
            "a",
            "A",
            "content-type",
            "content-type,x-oss-meta-author,x-oss-meta-tag",
            "Content-Type, X-Oss-Meta-Author",
            "a,b,c,d,e,f,g,h,i,j,k",
            ",,,,,,,,a,,,,,,,,",
            "abcdefg,",
            "abcdefgh,",
            "abcdefg,h",
            "abcdefgh,i",
            ",abcdefgh",
            "\ta\t, b ,c",
            "x-é-Ü,ÿ,Ä",
            "12345678,12345678,12345678",
            "a\u{1}b,C\u{1f},\u{7f}x-0123456789abcdef",
        ] {
            check(&mut a, list);
        }
        a.set(None);
        assert_eq!((a.value(), a.items().count()), (None, 0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn equals_the_plain_rule(list in prop_oneof!["[aZ,\t é-]{0,40}", "[aZ,é-]{0,90}", "([a-z-]{1,12},){0,12}[a-z-]{1,12}"]) {
            let mut a = Acrh::default();
            // Reused, as a scratch space is: a longer value first leaves bytes behind.
            a.set(Some("LONG-LEFTOVER-VALUE,LONG-LEFTOVER-VALUE,LONG-LEFTOVER-VALUE,X"));
            check(&mut a, &list);
        }
    }
}
