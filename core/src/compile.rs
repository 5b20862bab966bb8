//! Compiling a configuration into the decision structure (see `DESIGN.md`).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa, nfa, MatchKind, StartKind};

use crate::ascii;
use crate::config::{CorsConfig, CorsRule, Limits};
use crate::error::{ConfigError, ErrorKind};
use crate::pattern::{Method, Pattern};
use crate::Profile;

/// How to read and compile configurations: the profile, its limits, and our own options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Whose behaviour to reproduce.
    pub profile: Profile,
    /// Rule and document limits; the profile's by default.
    pub limits: Limits,
    /// Send `Access-Control-Allow-Credentials: true` when Allow-Origin is not `*`. S3 does;
    /// for OSS it is our choice, on by default (SEMANTICS §1).
    pub allow_credentials: bool,
    /// Strict origins (SEMANTICS §7): an `Origin` that is not a serialized origin matches
    /// only `*`. Off by default.
    pub strict_origins: bool,
    /// The largest compiled structure accepted, in bytes.
    pub max_compiled_bytes: usize,
}

/// The default limit on a compiled rule set: 64 MiB.
pub const DEFAULT_MAX_COMPILED_BYTES: usize = 64 << 20;

impl Options {
    /// The profile's defaults.
    pub const fn new(profile: Profile) -> Options {
        Options {
            profile,
            limits: Limits::of(profile),
            allow_credentials: true,
            strict_origins: false,
            max_compiled_bytes: DEFAULT_MAX_COMPILED_BYTES,
        }
    }

    /// Raises (or lowers) the rule limit.
    pub const fn max_rules(mut self, n: usize) -> Options {
        self.limits.max_rules = n;
        self
    }

    /// Raises (or lowers) the document size limit.
    pub const fn max_document_bytes(mut self, n: usize) -> Options {
        self.limits.max_document_bytes = n;
        self
    }

    /// Turns `Access-Control-Allow-Credentials` on or off.
    pub const fn allow_credentials(mut self, yes: bool) -> Options {
        self.allow_credentials = yes;
        self
    }

    /// Turns strict origins on or off.
    pub const fn strict_origins(mut self, yes: bool) -> Options {
        self.strict_origins = yes;
        self
    }

    /// Sets the limit on the compiled structure.
    pub const fn max_compiled_bytes(mut self, n: usize) -> Options {
        self.max_compiled_bytes = n;
        self
    }

    /// Parses, validates and compiles a `CORSConfiguration` document.
    pub fn compile_xml(&self, document: &[u8]) -> Result<RuleSet, ConfigError> {
        let config = CorsConfig::from_xml_with_limits(document, self.profile, self.limits)?;
        self.build(Some(config))
    }

    /// Validates and compiles a configuration built in code.
    pub fn compile(&self, config: CorsConfig) -> Result<RuleSet, ConfigError> {
        config.validate(self.profile, self.limits)?;
        self.build(Some(config))
    }

    /// The rule set of a bucket without CORS configuration.
    pub fn no_config(&self) -> RuleSet {
        RuleSet { inner: Arc::new(Compiled::empty(*self, None)) }
    }

    /// Compiles a configuration already validated (or none).
    pub(crate) fn build(&self, mut config: Option<CorsConfig>) -> Result<RuleSet, ConfigError> {
        let too_large = |size: usize| {
            ConfigError::new(
                ErrorKind::CompiledTooLarge { size, limit: self.max_compiled_bytes },
                self.profile == Profile::Oss,
            )
        };
        // The compiled structure holds the configuration itself: when that alone is far over
        // the limit, refuse before building anything (and allocating for it), with its size
        // as the size. Nearer the limit, build, so that the error gives the exact size.
        if let Some(c) = &mut config {
            shrink(c);
        }
        let own = config.as_ref().map_or(0, config_bytes);
        if own > self.max_compiled_bytes.saturating_mul(2) {
            return Err(too_large(own));
        }
        let compiled = Compiled::build(*self, config)?;
        let size = compiled.memory_usage();
        if size > self.max_compiled_bytes {
            return Err(too_large(size));
        }
        Ok(RuleSet { inner: Arc::new(compiled) })
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new(Profile::Oss)
    }
}

/// A compiled, immutable rule set: `Send + Sync`, cheap to clone, evaluated without
/// allocating (see [`RuleSet::evaluate`]).
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub(crate) inner: Arc<Compiled>,
}

impl RuleSet {
    /// Parses and compiles a document with the profile's defaults.
    pub fn from_xml(document: &[u8], profile: Profile) -> Result<RuleSet, ConfigError> {
        Options::new(profile).compile_xml(document)
    }

    /// The rule set of a bucket without CORS configuration, with the profile's defaults.
    pub fn no_config(profile: Profile) -> RuleSet {
        Options::new(profile).no_config()
    }

    /// The configuration it was compiled from; `None` for a bucket without one.
    pub fn config(&self) -> Option<&CorsConfig> {
        self.inner.config.as_ref()
    }

    /// The options it was compiled with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.inner.options.profile
    }

    /// Heap bytes held by the compiled structure (configuration included).
    pub fn memory_usage(&self) -> usize {
        self.inner.memory_usage()
    }
}

/// A rule with its response header values rendered once. (One string with the three values
/// in a row takes less memory, but slicing it checks char boundaries on the hot path.)
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) wildcard_origin: bool,
    pub(crate) allow_methods: Box<str>,
    pub(crate) expose: Option<Box<str>>,
    pub(crate) max_age: Option<Box<str>>,
    pub(crate) headers: HeaderMatcher,
}

/// A rule's allowed headers, lowercased.
#[derive(Debug)]
pub(crate) struct HeaderMatcher {
    pub(crate) any: bool,
    /// The shortest name a glob matches.
    glob_min: u32,
    /// Bit `l` set when some exact name is `l` bytes long (bit 63: 63 or more), so that most
    /// names that are not among them are told so without a compare.
    exact_lengths: u64,
    /// Sorted and deduplicated.
    pub(crate) exact: Box<[Box<str>]>,
    /// `prefix*` globs whose prefix is 8 to 16 bytes long (`x-oss-meta-*`, `x-amz-meta-*`):
    /// two word compares each, without the generic glob's loads and length dispatch
    /// (callgrind per call, allowed preflight at 100 rules: 1,336 -> 1,320).
    prefix_words: Box<[Words]>,
    /// The other globs, sorted and deduplicated.
    pub(crate) globs: Box<[(Box<str>, Box<str>)]>,
}

/// A string of 8 to 16 bytes as its first and its last eight bytes (overlapping when
/// shorter than 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Words {
    len: u32,
    first: u64,
    last: u64,
}

impl Words {
    fn new(s: &[u8]) -> Option<Words> {
        let n = s.len();
        let first = u64::from_le_bytes(*s.first_chunk::<8>()?);
        let last = u64::from_le_bytes(*s.last_chunk::<8>()?);
        (n <= 16).then_some(Words { len: n as u32, first, last })
    }

    /// Whether `name` starts with these bytes.
    #[inline(always)]
    fn starts(&self, name: &[u8]) -> bool {
        let Some(head) = name.get(..self.len as usize) else { return false };
        match (head.first_chunk::<8>(), head.last_chunk::<8>()) {
            (Some(f), Some(l)) => u64::from_le_bytes(*f) == self.first && u64::from_le_bytes(*l) == self.last,
            _ => false,
        }
    }
}

impl HeaderMatcher {
    fn new(patterns: &[String]) -> HeaderMatcher {
        let (mut any, mut exact_lengths, mut glob_min) = (false, 0u64, u32::MAX);
        let mut exact: Vec<Box<str>> = Vec::new();
        let mut globs: Vec<(Box<str>, Box<str>)> = Vec::new();
        for p in patterns {
            match Pattern::parse_header(p) {
                Pattern::Any => any = true,
                Pattern::Exact(e) => {
                    exact_lengths |= 1 << e.len().min(63);
                    exact.push(e.into());
                }
                Pattern::Glob { prefix, suffix } => {
                    glob_min = glob_min.min((prefix.len() + suffix.len()) as u32);
                    globs.push((prefix.into(), suffix.into()));
                }
            }
        }
        exact.sort();
        exact.dedup();
        globs.sort();
        globs.dedup();
        let mut prefix_words = Vec::new();
        globs.retain(|(p, s)| match Words::new(p.as_bytes()).filter(|_| s.is_empty()) {
            Some(w) => {
                prefix_words.push(w);
                false
            }
            None => true,
        });
        HeaderMatcher {
            any,
            glob_min,
            exact_lengths,
            exact: exact.into(),
            prefix_words: prefix_words.into(),
            globs: globs.into(),
        }
    }

    /// Whether the (lowercase) header name is allowed.
    #[inline]
    pub(crate) fn allows(&self, name: &[u8]) -> bool {
        let exact = self.exact_lengths >> name.len().min(63) & 1 != 0
            && if self.exact.len() <= 8 {
                self.exact.iter().any(|e| ascii::eq(e.as_bytes(), name))
            } else {
                self.exact.binary_search_by(|e| e.as_bytes().cmp(name)).is_ok()
            };
        exact
            || name.len() >= self.glob_min as usize
                && (self.prefix_words.iter().any(|w| w.starts(name))
                    || self.globs.iter().any(|(p, s)| ascii::glob_matches(p.as_bytes(), s.as_bytes(), name)))
    }

    fn memory_usage(&self) -> usize {
        self.exact.len() * std::mem::size_of::<Box<str>>()
            + self.exact.iter().map(|e| e.len()).sum::<usize>()
            + std::mem::size_of_val::<[Words]>(&self.prefix_words)
            + self.globs.len() * std::mem::size_of::<(Box<str>, Box<str>)>()
            + self.globs.iter().map(|(p, s)| p.len() + s.len()).sum::<usize>()
    }
}

/// The rules that share one distinct origin pattern, listed per method in rule order: those
/// allowing method `m` are `Indexed::members[starts[m]..starts[m + 1]]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group {
    pub(crate) starts: [u32; 6],
}

/// A glob with both a prefix and a suffix, indexed by one of its halves: where the other
/// half's bytes are (in the side's `others`), the group, and the shortest origin it can
/// match. The other half is compared in place: a glob is indexed by the half fewer
/// two-sided globs share (`https://` is shared by most), so a match lists few of these.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Half {
    pub(crate) other: (u32, u32),
    pub(crate) group: u32,
    pub(crate) min_len: u32,
}

/// What one distinct prefix (or reversed suffix) literal leads to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Literal {
    /// Its length in bytes.
    pub(crate) len: u32,
    /// A group whose pattern is exactly this literal (prefixes only: exact origins).
    pub(crate) exact: Option<u32>,
    /// A group whose pattern is this literal and a star (`prefix*` or `*suffix`).
    pub(crate) open: Option<u32>,
    /// Globs with both halves, whose this-side half is this literal.
    pub(crate) halves: std::ops::Range<u32>,
}

/// An anchored automaton over one side's literals: a DFA while small, a contiguous NFA past
/// that (a DFA's table grows with states times byte classes).
#[derive(Debug)]
pub(crate) enum Trie {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

/// The literals of one side by their bytes (in reading order: a suffix forwards), for
/// sides whose literals have at most [`TABLE_MAX_LENGTHS`] distinct lengths. Looking up the
/// origin's prefix (or suffix) of each length costs independent hashes, where an automaton
/// walks a chain of dependent table loads, one per byte.
#[derive(Debug)]
pub(crate) struct LengthTable {
    /// The distinct literal lengths, ascending, each with its filter.
    lengths: Box<[Length]>,
    /// Whether some length has `longest` set.
    some_whole: bool,
    /// The filters' bits, one range per length.
    bits: Box<[u64]>,
    /// The literals by the hash of their bytes (foldhash, a random seed per table): open
    /// addressing with linear probing, at most half full. A slot holds the literal's id plus
    /// one (0: empty) in its low half and the hash's high half above, so that most other
    /// literals are passed over without loading their bytes. (hashbrown's `find` calls its
    /// compare through a `dyn FnMut`, measured at about 4 ns per lookup here.)
    slots: Box<[u64]>,
    /// Where each literal's bytes are in `bytes`, by id.
    spans: Box<[(u32, u32)]>,
    /// The literals' bytes (in reading order), one after the other.
    bytes: Box<[u8]>,
    hasher: foldhash::fast::RandomState,
}

/// A literal length, with its filter: a one-hash Bloom filter over the inner eight bytes of
/// the literals of that length (see [`ascii::inner_word`]). An origin cut at most lengths
/// matches no literal, and the filter says so with a multiply and a load where the table
/// lookup hashes and compares every byte. A false positive costs only that lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Length {
    len: u32,
    /// The longest origin a literal of this length can lead to a match for: its own length
    /// when every such literal is an exact origin and nothing else (no `prefix*`, no
    /// two-sided glob), which matches only an origin of that length; else `u32::MAX`.
    /// Exact origins are often lengths of their own: skipping those lengths for longer
    /// origins spares their filter checks (allowed preflight at 100 rules, three lengths
    /// skipped: 1,369 -> 1,341 instructions per call, callgrind).
    longest: u32,
    /// Where its bits start in `LengthTable::bits`.
    offset: u32,
    /// 64 minus the log2 of its bit count.
    shift: u32,
}

/// The bytes' hash, without the length prefix `Hash for [u8]` adds (one multiply less; keys
/// of different lengths that collide are told apart by the compare).
#[inline(always)]
fn hash_bytes(hasher: &foldhash::fast::RandomState, bytes: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(bytes);
    h.finish()
}

/// The filter's hash: the top bits of a multiply by 2^64 / phi.
#[inline(always)]
fn filter_slot(w: u64, shift: u32) -> usize {
    (w.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
}

impl LengthTable {
    /// Sixteen filter bits per literal, so about one miss in sixteen gets through.
    /// `whole_only[id]`: literal `id` leads only to an exact origin.
    fn new(values: Vec<Vec<u8>>, whole_only: &[bool], reversed: bool) -> LengthTable {
        let mut by_length: std::collections::BTreeMap<usize, (Vec<u64>, bool)> = std::collections::BTreeMap::new();
        let hasher = foldhash::fast::RandomState::default();
        let mut slots = vec![0u64; (2 * values.len()).next_power_of_two().max(2)];
        let mask = slots.len() - 1;
        let mut spans = Vec::with_capacity(values.len());
        let mut bytes = Vec::with_capacity(values.iter().map(Vec::len).sum());
        for (id, mut v) in values.into_iter().enumerate() {
            if reversed {
                v.reverse();
            }
            let (words, whole) = by_length.entry(v.len()).or_insert((Vec::new(), true));
            words.push(ascii::inner_word(&v, !reversed));
            *whole &= whole_only[id];
            // Literals are distinct (interned), so each goes in once.
            let hash = hash_bytes(&hasher, &v);
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (hash >> 32) << 32 | (id as u64 + 1);
            spans.push((bytes.len() as u32, v.len() as u32));
            bytes.extend_from_slice(&v);
        }
        let mut lengths = Vec::with_capacity(by_length.len());
        let mut bits = Vec::new();
        for (len, (words, whole)) in by_length {
            let log = (words.len() * 16).next_power_of_two().clamp(64, 1 << 24).trailing_zeros();
            // A literal is part of a configured pattern, far shorter than 4 GiB (as `spans`
            // also assumes).
            let len = len as u32;
            let longest = if whole { len } else { u32::MAX };
            let l = Length { len, longest, offset: bits.len() as u32, shift: 64 - log };
            bits.resize(bits.len() + (1 << (log - 6)), 0u64);
            for w in words {
                let h = filter_slot(w, l.shift);
                bits[l.offset as usize + (h >> 6)] |= 1 << (h & 63);
            }
            lengths.push(l);
        }
        LengthTable {
            some_whole: lengths.iter().any(|l| l.longest != u32::MAX),
            lengths: lengths.into(),
            bits: bits.into(),
            slots: slots.into(),
            spans: spans.into(),
            bytes: bytes.into(),
            hasher,
        }
    }

    /// Pushes the id of each literal `origin` starts with (ends with, `AT_END`).
    #[inline(always)]
    pub(crate) fn find<const AT_END: bool>(&self, origin: &[u8], found: &mut Vec<u32>) {
        // The test of `longest` only where some length needs it: tested on every table, it
        // cost the denied preflight at 100 rules 15 instructions per call, 5 this way
        // (callgrind).
        if self.some_whole {
            self.find_in::<AT_END, true>(origin, found);
        } else {
            self.find_in::<AT_END, false>(origin, found);
        }
    }

    #[inline(always)]
    fn find_in<const AT_END: bool, const WHOLE: bool>(&self, origin: &[u8], found: &mut Vec<u32>) {
        let n = origin.len();
        for l in self.lengths.iter().take_while(|l| l.len as usize <= n) {
            if WHOLE && n > l.longest as usize {
                continue;
            }
            let len = l.len as usize;
            let key = if AT_END { &origin[n - len..] } else { &origin[..len] };
            if self.may_hold(l, ascii::inner_word(key, !AT_END)) {
                if let Some(id) = self.get(key) {
                    found.push(id);
                }
            }
        }
    }

    /// False when no literal of length `l` has `w` as its inner word.
    #[inline(always)]
    fn may_hold(&self, l: &Length, w: u64) -> bool {
        let h = filter_slot(w, l.shift);
        self.bits.get(l.offset as usize + (h >> 6)).is_some_and(|b| b >> (h & 63) & 1 != 0)
    }

    /// The id of the literal `key`, if it is one.
    #[inline(always)]
    fn get(&self, key: &[u8]) -> Option<u32> {
        let hash = hash_bytes(&self.hasher, key);
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        // Half the slots are empty, so this ends at one well before going round.
        for _ in 0..self.slots.len() {
            let slot = *self.slots.get(at)?;
            if slot == 0 {
                return None;
            }
            if slot >> 32 == hash >> 32 {
                let id = (slot as u32).wrapping_sub(1);
                let &(start, len) = self.spans.get(id as usize)?;
                if len as usize == key.len()
                    && self.bytes.get(start as usize..(start + len) as usize).is_some_and(|b| ascii::eq(b, key))
                {
                    return Some(id);
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    fn memory_usage(&self) -> usize {
        self.lengths.len() * std::mem::size_of::<Length>()
            + self.bits.len() * 8
            + self.slots.len() * 8
            + self.spans.len() * 8
            + self.bytes.len()
    }
}

/// Sides with more distinct literal lengths than this use an automaton.
const TABLE_MAX_LENGTHS: usize = 8;

/// A side whose literals total at most this many bytes gets a DFA. A DFA costs about 1 KB
/// per literal byte (states times byte classes) and a contiguous NFA about 12 bytes, so this
/// keeps a DFA under about 8 MB while compiling; past it the NFA's slower steps are worth the
/// bounded memory.
const DFA_LIMIT_BYTES: usize = 8 * 1024;

/// One side of the origin index: an anchored automaton over literals and what each leads to.
#[derive(Debug, Default)]
pub(crate) struct Side {
    pub(crate) automaton: Option<Box<Trie>>,
    /// The automaton's state at the end of each literal, read from the anchored start: on
    /// an anchored walk a state stands for one string, so reaching one of these states means
    /// the origin starts with (or ends with) that literal. Looking the state up costs the same
    /// however many shorter literals its match set also lists.
    pub(crate) ends: StateMap,
    /// Used instead of the automaton when the literals have few distinct lengths.
    pub(crate) table: Option<LengthTable>,
    pub(crate) literals: Box<[Literal]>,
    pub(crate) halves: Box<[Half]>,
    /// The other halves' bytes, in reading order.
    pub(crate) others: Box<[u8]>,
}

/// Automaton states to literal ids: open addressing with linear probing, at most half full,
/// a slot holding the state plus one above and the id below (0: empty). Its size is exactly
/// its slots, which a `HashMap`'s is not.
#[derive(Debug, Default)]
pub(crate) struct StateMap {
    slots: Box<[u64]>,
    /// 64 minus the log2 of the slot count.
    shift: u32,
}

impl StateMap {
    fn new(pairs: &[(u32, u32)]) -> StateMap {
        if pairs.is_empty() {
            return StateMap::default();
        }
        let log = (2 * pairs.len()).next_power_of_two().max(2).trailing_zeros();
        let mut m = StateMap { slots: vec![0; 1 << log].into(), shift: 64 - log };
        let mask = m.slots.len() - 1;
        for &(key, value) in pairs {
            let mut at = m.home(key);
            while m.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            m.slots[at] = (u64::from(key) + 1) << 32 | u64::from(value);
        }
        m
    }

    #[inline(always)]
    fn home(&self, key: u32) -> usize {
        (u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The id stored for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let want = u64::from(key) + 1;
        let mut at = self.home(key);
        for _ in 0..self.slots.len() {
            let slot = *self.slots.get(at)?;
            if slot == 0 {
                return None;
            }
            if slot >> 32 == want {
                return Some(slot as u32);
            }
            at = (at + 1) & mask;
        }
        None
    }
}

impl Side {
    /// Heap bytes, not counting the side itself.
    fn memory_usage(&self) -> usize {
        self.automaton.as_ref().map_or(0, |a| {
            std::mem::size_of::<Trie>()
                + match &**a {
                    Trie::Dfa(d) => d.memory_usage(),
                    Trie::Nfa(n) => n.memory_usage(),
                }
        }) + std::mem::size_of_val::<[u64]>(&self.ends.slots)
            + self.table.as_ref().map_or(0, LengthTable::memory_usage)
            + std::mem::size_of_val::<[Literal]>(&self.literals)
            + std::mem::size_of_val::<[Half]>(&self.halves)
            + self.others.len()
    }

    /// The two-sided globs under `lit`.
    #[inline(always)]
    pub(crate) fn halves(&self, lit: &Literal) -> &[Half] {
        &self.halves[lit.halves.start as usize..lit.halves.end as usize]
    }

    /// Whether `origin` has this glob's other half at its other end, and is long enough.
    /// `AT_END`: this is the suffix side, whose literals sit at the origin's end and whose
    /// globs' other halves at its start. (A test, not a `filter_map` closure over the
    /// halves: the compiler left that closure out of line, a call per glob.)
    #[inline(always)]
    pub(crate) fn other_half_matches<const AT_END: bool>(&self, half: &Half, origin: &[u8]) -> bool {
        let n = origin.len();
        let (at, len) = (half.other.0 as usize, half.other.1 as usize);
        // `min_len` counts both halves, so the cut below is within `origin`.
        n >= half.min_len as usize && {
            let there = if AT_END { &origin[..len] } else { &origin[n - len..] };
            ascii::eq(there, &self.others[at..at + len])
        }
    }
}

/// An origin pattern of a small rule set, where the patterns are tried one after the other
/// in rule order: its rule, the methods the rule allows, and where its bytes are in the
/// kept configuration (the rule's `origin`-th `AllowedOrigin`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) rule: u32,
    pub(crate) origin: u32,
    /// Where the `*` is, for a glob.
    pub(crate) star: u32,
    /// [`Method::bit`]s.
    pub(crate) methods: u8,
    pub(crate) kind: EntryKind,
}

/// The shape of an [`Entry`]'s pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Any,
    Exact,
    Glob,
}

/// Rule sets with at most this many origin patterns are searched linearly: on so few, a
/// compare per pattern costs less than the index's hashing, and the set keeps no index.
const LINEAR_MAX_ENTRIES: usize = 8;

/// How the rules whose origin patterns match are found.
#[derive(Debug)]
pub(crate) enum OriginIndex {
    /// Every origin pattern in rule order (small sets).
    Linear(Box<[Entry]>),
    /// The index (see [`Indexed`]).
    Indexed(Box<Indexed>),
}

/// The origin index: in one pass each way over the origin, the groups whose pattern matches.
#[derive(Debug, Default)]
pub(crate) struct Indexed {
    pub(crate) any: Option<u32>,
    /// The empty exact origin `""`, kept out of the automata: aho-corasick reports an empty
    /// pattern at every offset, anchored or not.
    pub(crate) empty: Option<u32>,
    pub(crate) groups: Box<[Group]>,
    /// The groups' rule lists, one after the other.
    pub(crate) members: Box<[u32]>,
    pub(crate) prefixes: Side,
    pub(crate) suffixes: Side,
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) options: Options,
    pub(crate) config: Option<CorsConfig>,
    pub(crate) vary_everywhere: bool,
    pub(crate) rules: Box<[CompiledRule]>,
    pub(crate) origins: OriginIndex,
}

impl Compiled {
    fn empty(options: Options, config: Option<CorsConfig>) -> Compiled {
        Compiled {
            options,
            config,
            vary_everywhere: false,
            rules: Box::default(),
            origins: OriginIndex::Linear(Box::default()),
        }
    }

    fn build(options: Options, config: Option<CorsConfig>) -> Result<Compiled, ConfigError> {
        let Some(cfg) = config.as_ref() else { return Ok(Compiled::empty(options, None)) };
        let rules = cfg.rules.iter().map(compile_rule).collect();
        let patterns = cfg.rules.iter().map(|r| r.allowed_origins.len()).sum::<usize>();
        let origins = if patterns <= LINEAR_MAX_ENTRIES {
            OriginIndex::Linear(linear_entries(&cfg.rules))
        } else {
            let oss = options.profile == Profile::Oss;
            OriginIndex::Indexed(Box::new(build_origin_index(&cfg.rules, oss, TABLE_MAX_LENGTHS)?))
        };
        let vary_everywhere = options.profile == Profile::Oss && cfg.response_vary == Some(true);
        Ok(Compiled { options, config, vary_everywhere, rules, origins })
    }

    /// Everything it holds on the heap, itself included (in its `Arc`, after the two
    /// counts): each allocation's requested size, as a counting allocator sees it.
    fn memory_usage(&self) -> usize {
        let config = self.config.as_ref().map_or(0, config_bytes);
        let rules = self
            .rules
            .iter()
            .map(|r| {
                std::mem::size_of::<CompiledRule>()
                    + r.allow_methods.len()
                    + r.expose.as_ref().map_or(0, |s| s.len())
                    + r.max_age.as_ref().map_or(0, |s| s.len())
                    + r.headers.memory_usage()
            })
            .sum::<usize>();
        let origins = match &self.origins {
            OriginIndex::Linear(entries) => std::mem::size_of_val::<[Entry]>(entries),
            OriginIndex::Indexed(o) => {
                std::mem::size_of::<Indexed>()
                    + std::mem::size_of_val::<[Group]>(&o.groups)
                    + std::mem::size_of_val::<[u32]>(&o.members)
                    + o.prefixes.memory_usage()
                    + o.suffixes.memory_usage()
            }
        };
        2 * std::mem::size_of::<usize>() + std::mem::size_of::<Compiled>() + config + rules + origins
    }
}

/// Heap bytes a configuration holds, by capacity (see [`shrink`]).
fn config_bytes(c: &CorsConfig) -> usize {
    let strings =
        |v: &Vec<String>| v.capacity() * std::mem::size_of::<String>() + v.iter().map(String::capacity).sum::<usize>();
    c.rules.capacity() * std::mem::size_of::<CorsRule>()
        + c.rules
            .iter()
            .map(|r| {
                strings(&r.allowed_origins)
                    + strings(&r.allowed_methods)
                    + strings(&r.allowed_headers)
                    + strings(&r.expose_headers)
                    + r.id.as_ref().map_or(0, String::capacity)
            })
            .sum::<usize>()
}

/// Gives a configuration's vectors and strings back their spare capacity: the compiled set
/// keeps it for as long as it lives.
fn shrink(c: &mut CorsConfig) {
    let strings = |v: &mut Vec<String>| {
        v.shrink_to_fit();
        v.iter_mut().for_each(String::shrink_to_fit);
    };
    c.rules.shrink_to_fit();
    for r in &mut c.rules {
        strings(&mut r.allowed_origins);
        strings(&mut r.allowed_methods);
        strings(&mut r.allowed_headers);
        strings(&mut r.expose_headers);
        if let Some(id) = &mut r.id {
            id.shrink_to_fit();
        }
    }
}

fn compile_rule(rule: &CorsRule) -> CompiledRule {
    let wildcard_origin = rule.allowed_origins.iter().any(|o| o == "*");
    CompiledRule {
        wildcard_origin,
        allow_methods: rule.allowed_methods.join(", ").into(),
        expose: (!rule.expose_headers.is_empty()).then(|| rule.expose_headers.join(", ").into()),
        max_age: rule.max_age_seconds.map(|a| a.to_string().into()),
        headers: HeaderMatcher::new(&rule.allowed_headers),
    }
}

/// Every origin pattern of every rule, in rule order, for [`OriginIndex::Linear`].
fn linear_entries(rules: &[CorsRule]) -> Box<[Entry]> {
    let mut entries = Vec::new();
    for (rule, r) in rules.iter().enumerate() {
        let methods = r.allowed_methods.iter().filter_map(|m| Method::parse(m)).fold(0, |b, m| b | m.bit());
        for (origin, pattern) in r.allowed_origins.iter().enumerate() {
            let (kind, star) = match Pattern::parse(pattern) {
                Pattern::Any => (EntryKind::Any, 0),
                Pattern::Exact(_) => (EntryKind::Exact, 0),
                Pattern::Glob { prefix, .. } => (EntryKind::Glob, prefix.len() as u32),
            };
            entries.push(Entry { rule: rule as u32, origin: origin as u32, star, methods, kind });
        }
    }
    entries.into()
}

/// Interns byte strings to dense ids, in first-seen order.
#[derive(Default)]
struct Interner {
    ids: std::collections::HashMap<Vec<u8>, u32>,
    values: Vec<Vec<u8>>,
}

impl Interner {
    fn id(&mut self, value: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.to_vec());
        self.ids.insert(value.to_vec(), id);
        id
    }
}

fn build_origin_index(rules: &[CorsRule], oss: bool, table_max_lengths: usize) -> Result<Indexed, ConfigError> {
    // Distinct patterns become groups; each group lists, per method, the rules using it.
    let mut group_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut group_patterns: Vec<&str> = Vec::new();
    let mut members: Vec<[Vec<u32>; 5]> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let methods: Vec<Method> = rule.allowed_methods.iter().filter_map(|m| Method::parse(m)).collect();
        for origin in &rule.allowed_origins {
            let gid = *group_ids.entry(origin.as_str()).or_insert_with(|| {
                group_patterns.push(origin.as_str());
                members.push(Default::default());
                (group_patterns.len() - 1) as u32
            });
            for m in &methods {
                let list = &mut members[gid as usize][m.index()];
                if list.last() != Some(&(index as u32)) {
                    list.push(index as u32);
                }
            }
        }
    }
    let mut flat = Vec::with_capacity(members.iter().flatten().map(Vec::len).sum());
    let mut groups = Vec::with_capacity(members.len());
    for lists in members {
        let mut starts = [0u32; 6];
        for (m, list) in lists.iter().enumerate() {
            starts[m] = flat.len() as u32;
            flat.extend_from_slice(list);
        }
        starts[5] = flat.len() as u32;
        groups.push(Group { starts });
    }
    let mut index = Indexed { groups: groups.into(), members: flat.into(), ..Indexed::default() };

    let mut prefixes = Interner::default();
    let mut suffixes = Interner::default();
    let mut prefix_lits: Vec<Literal> = Vec::new();
    let mut suffix_lits: Vec<Literal> = Vec::new();
    let mut prefix_halves: Vec<Vec<Half>> = Vec::new();
    let mut suffix_halves: Vec<Vec<Half>> = Vec::new();
    let (mut prefix_others, mut suffix_others) = (Vec::new(), Vec::new());
    let lit = |interner: &mut Interner, lits: &mut Vec<Literal>, halves: &mut Vec<Vec<Half>>, bytes: &[u8]| {
        let id = interner.id(bytes);
        if id as usize == lits.len() {
            lits.push(Literal { len: bytes.len() as u32, ..Literal::default() });
            halves.push(Vec::new());
        }
        id
    };
    let mut two_sided = Vec::new();
    for (gid, pattern) in group_patterns.iter().enumerate() {
        let gid = gid as u32;
        match Pattern::parse(pattern) {
            Pattern::Any => index.any = Some(gid),
            Pattern::Exact(e) if e.is_empty() => index.empty = Some(gid),
            Pattern::Exact(e) => {
                let id = lit(&mut prefixes, &mut prefix_lits, &mut prefix_halves, e.as_bytes());
                prefix_lits[id as usize].exact = Some(gid);
            }
            Pattern::Glob { prefix, suffix } if suffix.is_empty() => {
                let id = lit(&mut prefixes, &mut prefix_lits, &mut prefix_halves, prefix.as_bytes());
                prefix_lits[id as usize].open = Some(gid);
            }
            Pattern::Glob { prefix, suffix } if prefix.is_empty() => {
                let reversed: Vec<u8> = suffix.bytes().rev().collect();
                let id = lit(&mut suffixes, &mut suffix_lits, &mut suffix_halves, &reversed);
                suffix_lits[id as usize].open = Some(gid);
            }
            Pattern::Glob { prefix, suffix } => two_sided.push((gid, prefix, suffix)),
        }
    }
    // Each two-sided glob goes under the half fewer of them share (the suffix on a tie).
    let mut shared: HashMap<(bool, &str), u32> = HashMap::new();
    for (_, prefix, suffix) in &two_sided {
        *shared.entry((true, prefix.as_str())).or_default() += 1;
        *shared.entry((false, suffix.as_str())).or_default() += 1;
    }
    for (gid, prefix, suffix) in &two_sided {
        let (gid, prefix, suffix) = (*gid, prefix.as_str(), suffix.as_str());
        let min_len = (prefix.len() + suffix.len()) as u32;
        let other = |others: &mut Vec<u8>, bytes: &str| {
            let start = others.len() as u32;
            others.extend_from_slice(bytes.as_bytes());
            (start, bytes.len() as u32)
        };
        if shared[&(true, prefix)] < shared[&(false, suffix)] {
            let id = lit(&mut prefixes, &mut prefix_lits, &mut prefix_halves, prefix.as_bytes());
            let other = other(&mut prefix_others, suffix);
            prefix_halves[id as usize].push(Half { other, group: gid, min_len });
        } else {
            let reversed: Vec<u8> = suffix.bytes().rev().collect();
            let id = lit(&mut suffixes, &mut suffix_lits, &mut suffix_halves, &reversed);
            let other = other(&mut suffix_others, prefix);
            suffix_halves[id as usize].push(Half { other, group: gid, min_len });
        }
    }
    index.prefixes = side(prefixes.values, prefix_lits, prefix_halves, prefix_others, false, table_max_lengths, oss)?;
    index.suffixes = side(suffixes.values, suffix_lits, suffix_halves, suffix_others, true, table_max_lengths, oss)?;
    Ok(index)
}

fn side(
    values: Vec<Vec<u8>>,
    mut literals: Vec<Literal>,
    halves: Vec<Vec<Half>>,
    others: Vec<u8>,
    reversed: bool,
    table_max_lengths: usize,
    oss: bool,
) -> Result<Side, ConfigError> {
    let mut flat = Vec::with_capacity(halves.iter().map(Vec::len).sum());
    for (lit, hs) in literals.iter_mut().zip(halves) {
        let start = flat.len() as u32;
        flat.extend(hs);
        lit.halves = start..flat.len() as u32;
    }
    // No literal is empty: `*` alone and the empty origin are kept apart, a glob's empty
    // half makes it one-sided.
    debug_assert!(values.iter().all(|v| !v.is_empty()));
    let mut lengths: Vec<usize> = values.iter().map(Vec::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    if !values.is_empty() && lengths.len() <= table_max_lengths {
        let whole_only: Vec<bool> = literals.iter().map(|l| l.open.is_none() && l.halves.is_empty()).collect();
        let table = LengthTable::new(values, &whole_only, reversed);
        return Ok(Side {
            table: Some(table),
            literals: literals.into(),
            halves: flat.into(),
            others: others.into(),
            ..Side::default()
        });
    }
    let automaton = if values.is_empty() {
        None
    } else {
        let failed = |e: aho_corasick::BuildError| {
            ConfigError::malformed(format!("the origin patterns do not compile: {e}"), oss)
        };
        Some(Box::new(if values.iter().map(Vec::len).sum::<usize>() <= DFA_LIMIT_BYTES {
            let mut b = dfa::Builder::new();
            b.match_kind(MatchKind::Standard).start_kind(StartKind::Anchored);
            Trie::Dfa(b.build(&values).map_err(failed)?)
        } else {
            let mut b = nfa::contiguous::Builder::new();
            b.match_kind(MatchKind::Standard);
            Trie::Nfa(b.build(&values).map_err(failed)?)
        }))
    };
    let mut ends = Vec::with_capacity(values.len());
    if let Some(trie) = &automaton {
        for (id, v) in values.iter().enumerate() {
            let end = match &**trie {
                Trie::Dfa(a) => end_state(a, v),
                Trie::Nfa(a) => end_state(a, v),
            };
            if let Some(end) = end {
                ends.push((end, id as u32));
            }
        }
    }
    Ok(Side {
        automaton,
        ends: StateMap::new(&ends),
        literals: literals.into(),
        halves: flat.into(),
        others: others.into(),
        table: None,
    })
}

/// The state an anchored walk over `bytes` ends in (None if it dies, which a literal of the
/// automaton never does).
fn end_state<A: Automaton>(a: &A, bytes: &[u8]) -> Option<u32> {
    let mut sid = a.start_state(aho_corasick::Anchored::Yes).ok()?;
    for &b in bytes {
        sid = a.next_state(aho_corasick::Anchored::Yes, sid, b);
        if a.is_dead(sid) {
            return None;
        }
    }
    Some(sid.as_u32())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{reference, Request, Scratch};

    /// Header globs whose prefix is kept as two words, and the others, against the plain rule.
    #[test]
    fn header_globs_agree_with_the_plain_rule() {
        let patterns = ["abcdefg*", "abcdefgh*", "x-oss-meta-*", "abcdefghijklmnop*", "abcdefghijklmnopq*", "ab*cd"];
        let names = [
            "",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefgX",
            "x-oss-meta-",
            "x-oss-meta-a",
            "x-oss-metaa",
            "y-oss-meta-a",
            "abcdefghijklmnop",
            "abcdefghijklmnoX",
            "abcdefghijklmnopq",
            "abcdefghijklmnopqr",
            "abcd",
            "abXcd",
            "acd",
        ];
        for p in patterns {
            let m = HeaderMatcher::new(&[p.to_string()]);
            let (prefix, suffix) = p.split_once('*').unwrap_or((p, ""));
            for name in names {
                let want =
                    name.len() >= prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix);
                assert_eq!(m.allows(name.as_bytes()), want, "{p} {name}");
            }
        }
        let kept = HeaderMatcher::new(&["x-oss-meta-*".to_string(), "abcdefg*".to_string()]);
        assert_eq!((kept.prefix_words.len(), kept.globs.len()), (1, 1));
    }

    /// Every origin pattern shape over a small alphabet, alone and all together, compiled with
    /// length tables, with automata and as a linear list: each must answer as the reference
    /// does.
    #[test]
    fn length_tables_and_automata_agree() {
        let pieces = ["", "a", "b", "ab", "https://", ".a.com", "a.com", "ba"];
        let mut patterns = vec!["*".to_string(), String::new()];
        for p in pieces {
            for q in pieces {
                patterns.push(format!("{p}{q}"));
                patterns.push(format!("{p}*{q}"));
            }
        }
        let mut origins: Vec<String> = Vec::new();
        for p in pieces {
            for q in pieces {
                for mid in ["", "a", "x"] {
                    origins.push(format!("{p}{mid}{q}"));
                }
            }
        }
        let rule = |origins: &[String]| CorsRule {
            allowed_origins: origins.to_vec(),
            allowed_methods: vec!["GET".to_string()],
            ..CorsRule::default()
        };
        let mut configs: Vec<Vec<CorsRule>> = patterns.iter().map(|p| vec![rule(std::slice::from_ref(p))]).collect();
        configs.push(patterns.chunks(3).map(rule).collect());
        let options = Options::new(Profile::S3).max_rules(1000);
        let (mut s1, mut s2) = (Scratch::new(), Scratch::new());
        let mut matched = 0;
        for rules in configs {
            let config = CorsConfig { rules, response_vary: None };
            let forced = |table_max_lengths: Option<usize>| {
                let mut c = Compiled::build(options, Some(config.clone())).unwrap();
                c.origins = match table_max_lengths {
                    Some(t) => OriginIndex::Indexed(Box::new(build_origin_index(&config.rules, false, t).unwrap())),
                    None => OriginIndex::Linear(linear_entries(&config.rules)),
                };
                RuleSet { inner: Arc::new(c) }
            };
            let (tables, automata, linear) = (forced(Some(usize::MAX)), forced(Some(0)), forced(None));
            let index = |set: &RuleSet| match &set.inner.origins {
                OriginIndex::Indexed(i) => (
                    i.prefixes.automaton.is_none() && i.suffixes.automaton.is_none(),
                    i.prefixes.table.is_none() && i.suffixes.table.is_none(),
                ),
                OriginIndex::Linear(_) => unreachable!(),
            };
            assert!(index(&tables).0 && index(&automata).1);
            for origin in &origins {
                let req = Request::preflight(Some(origin), Some("GET"), None);
                let want = reference::respond(Some(&config), &options, &req);
                matched += usize::from(want.rule.is_some());
                assert_eq!(tables.evaluate(&req, &mut s1).to_response(), want, "tables: {origin:?} {:?}", config.rules);
                assert_eq!(automata.evaluate(&req, &mut s2).to_response(), want, "automata: {origin:?}");
                assert_eq!(linear.evaluate(&req, &mut s2).to_response(), want, "linear: {origin:?}");
            }
        }
        assert!(matched > 1000, "the origins must exercise the patterns: {matched} matches");
    }
}
