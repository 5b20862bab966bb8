//! Which path of the engine each generated request goes through, so that a test can fail
//! when the generators stop reaching one. Shared by the fuzz decoder's reach test (in
//! `lib.rs`) and by `core/tests/equivalence.rs`, which includes this file by path.
//!
//! A request is classified from the outside, after the fact: `RuleSet::explain` says which
//! rule won or, for each rule, which item refused it, and the winning rule's patterns are
//! matched one by one with `reference::origin_matches`. Nothing is added to the engine.
//!
//! - A match is won through the kind of pattern of the winning rule that matches the origin:
//!   an exact literal, `prefix*`, `*suffix`, `prefix*suffix`, `*` or the empty origin, or
//!   `Several` when patterns of different kinds of that rule match.
//! - A request no rule matches is refused by the furthest item a rule got to: by header when
//!   some rule matched the origin and the method, by method when some rule matched the
//!   origin, by origin otherwise. Actual requests count the same way (they get no headers).
//! - A request the rules were not consulted for (no Origin, no configuration, a preflight
//!   refused before the rules) counts apart.
//!
//! Besides, for information only, a win through a literal notes the side of the origin index
//! the literal sits on and whether that side has few enough literal lengths for the length
//! tables (as `core/src/compile.rs` builds them today: at most 8 lengths, a two-sided glob
//! under the literal fewer two-sided globs share, the suffix on a tie).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};

use corsmatch::{reference, CorsConfig, CorsRule, Request, RuleSet, Skipped, Verdict};

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Path {
    /// Matched through an exact origin.
    Exact,
    /// Matched through `prefix*`.
    Prefix,
    /// Matched through `*suffix`.
    Suffix,
    /// Matched through `prefix*suffix`.
    TwoSided,
    /// Matched through `*`.
    Star,
    /// Matched through the empty origin pattern.
    Empty,
    /// Matched through patterns of more than one kind of the winning rule.
    Several,
    /// No rule matched the origin.
    RefusedOrigin,
    /// Some rule matched the origin, none the method too.
    RefusedMethod,
    /// Some rule matched the origin and the method, none every requested header too.
    RefusedHeader,
    /// An actual request without Origin.
    NoOrigin,
    /// An actual request to a bucket without configuration, or to a missing bucket.
    NoConfig,
    /// A preflight refused before the rules: no Origin, an invalid or a missing ACRM, a
    /// missing bucket, no configuration.
    RefusedBefore,
}

impl Path {
    /// Every path, in the order of the table.
    pub const ALL: [Path; 13] = [
        Path::Exact,
        Path::Prefix,
        Path::Suffix,
        Path::TwoSided,
        Path::Star,
        Path::Empty,
        Path::Several,
        Path::RefusedOrigin,
        Path::RefusedMethod,
        Path::RefusedHeader,
        Path::NoOrigin,
        Path::NoConfig,
        Path::RefusedBefore,
    ];

    /// Its name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Path::Exact => "match: exact",
            Path::Prefix => "match: prefix*",
            Path::Suffix => "match: *suffix",
            Path::TwoSided => "match: prefix*suffix",
            Path::Star => "match: *",
            Path::Empty => "match: empty origin",
            Path::Several => "match: several kinds",
            Path::RefusedOrigin => "refused: origin",
            Path::RefusedMethod => "refused: method",
            Path::RefusedHeader => "refused: header",
            Path::NoOrigin => "not consulted: no Origin",
            Path::NoConfig => "not consulted: no configuration",
            Path::RefusedBefore => "not consulted: refused before the rules",
        }
    }
}

/// What the generators must reach: each group of paths at least this share of the requests.
pub const FLOORS: [(&str, &[Path], f64); 7] = [
    ("match through an exact origin", &[Path::Exact], 0.05),
    ("match through a one-sided glob", &[Path::Prefix, Path::Suffix], 0.05),
    ("match through a two-sided glob", &[Path::TwoSided], 0.05),
    ("match through *", &[Path::Star], 0.05),
    ("refused by origin", &[Path::RefusedOrigin], 0.05),
    ("refused by method", &[Path::RefusedMethod], 0.05),
    ("refused by header", &[Path::RefusedHeader], 0.05),
];

/// The kind of an origin pattern, read from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    TwoSided,
    Star,
    Empty,
}

fn kind(pattern: &str) -> Kind {
    match pattern.split_once('*') {
        _ if pattern.is_empty() => Kind::Empty,
        None => Kind::Exact,
        Some(("", "")) => Kind::Star,
        Some((_, "")) => Kind::Prefix,
        Some(("", _)) => Kind::Suffix,
        Some(_) => Kind::TwoSided,
    }
}

/// Where a literal sits in the origin index, as `compile.rs` lays it out today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// Under the prefix side, a length table.
    PrefixTable,
    /// Under the prefix side, an automaton.
    PrefixAutomaton,
    /// Under the suffix side, a length table.
    SuffixTable,
    /// Under the suffix side, an automaton.
    SuffixAutomaton,
}

/// One configuration's origin index layout (informational; see the module's notes).
#[derive(Debug, Default)]
pub struct Layout {
    /// Two-sided globs whose half goes under the prefix.
    under_prefix: HashSet<String>,
    prefix_table: bool,
    suffix_table: bool,
}

/// The most distinct literal lengths a side keeps in length tables (`TABLE_MAX_LENGTHS`).
const TABLE_MAX_LENGTHS: usize = 8;

impl Layout {
    /// The layout of `config`'s origin patterns.
    pub fn of(config: Option<&CorsConfig>) -> Layout {
        let Some(config) = config else { return Layout::default() };
        let patterns: HashSet<&str> =
            config.rules.iter().flat_map(|r| r.allowed_origins.iter().map(String::as_str)).collect();
        let mut shared: HashMap<(bool, &str), usize> = HashMap::new();
        let mut two_sided = Vec::new();
        let (mut prefix_literals, mut suffix_literals) = (HashSet::new(), HashSet::new());
        for p in &patterns {
            match (kind(p), p.split_once('*')) {
                (Kind::Exact, _) => {
                    prefix_literals.insert(*p);
                }
                (Kind::Prefix, Some((prefix, _))) => {
                    prefix_literals.insert(prefix);
                }
                (Kind::Suffix, Some((_, suffix))) => {
                    suffix_literals.insert(suffix);
                }
                (Kind::TwoSided, Some((prefix, suffix))) => {
                    *shared.entry((true, prefix)).or_default() += 1;
                    *shared.entry((false, suffix)).or_default() += 1;
                    two_sided.push((*p, prefix, suffix));
                }
                _ => {}
            }
        }
        let mut under_prefix = HashSet::new();
        for (p, prefix, suffix) in two_sided {
            if shared[&(true, prefix)] < shared[&(false, suffix)] {
                under_prefix.insert(p.to_string());
                prefix_literals.insert(prefix);
            } else {
                suffix_literals.insert(suffix);
            }
        }
        let few =
            |lits: &HashSet<&str>| lits.iter().map(|l| l.len()).collect::<HashSet<_>>().len() <= TABLE_MAX_LENGTHS;
        Layout { under_prefix, prefix_table: few(&prefix_literals), suffix_table: few(&suffix_literals) }
    }

    fn side(&self, pattern: &str) -> Option<Side> {
        let prefix = match kind(pattern) {
            Kind::Exact | Kind::Prefix => true,
            Kind::Suffix => false,
            Kind::TwoSided => self.under_prefix.contains(pattern),
            Kind::Star | Kind::Empty => return None,
        };
        Some(match (prefix, if prefix { self.prefix_table } else { self.suffix_table }) {
            (true, true) => Side::PrefixTable,
            (true, false) => Side::PrefixAutomaton,
            (false, true) => Side::SuffixTable,
            (false, false) => Side::SuffixAutomaton,
        })
    }
}

/// Counts of the paths taken by a sample of requests.
#[derive(Debug, Default)]
pub struct Reach {
    /// Per path: (all requests, preflights).
    counts: BTreeMap<Path, (usize, usize)>,
    /// Matches won through one literal: the index side it sits on.
    sides: BTreeMap<Side, usize>,
    /// Matches won through a two-sided glob whose half sits under the prefix, the suffix.
    halves: (usize, usize),
    /// Matches with requested headers: how the winning rule allowed them; and how many of
    /// them had an ACRH in another form than the browsers' (capitals, blanks, empty items).
    headers: BTreeMap<&'static str, usize>,
    unusual_acrh: usize,
    total: usize,
    preflights: usize,
    cases: usize,
}

impl Reach {
    /// Notes one more generated case (a configuration with its requests).
    pub fn case(&mut self) {
        self.cases += 1;
    }

    /// Classifies `req` answered by `set` (whose layout is `layout`), and counts it.
    pub fn record(&mut self, set: &RuleSet, layout: &Layout, req: &Request<'_>) -> Path {
        let path = classify(set, layout, req, self);
        let entry = self.counts.entry(path).or_default();
        entry.0 += 1;
        self.total += 1;
        if req.is_preflight() {
            entry.1 += 1;
            self.preflights += 1;
        }
        path
    }

    /// How many requests took one of `paths`.
    pub fn count(&self, paths: &[Path]) -> usize {
        paths.iter().map(|p| self.counts.get(p).map_or(0, |c| c.0)).sum()
    }

    /// The share of all requests that took one of `paths`.
    pub fn share(&self, paths: &[Path]) -> f64 {
        self.count(paths) as f64 / self.total.max(1) as f64
    }

    /// Checks that each group of paths holds at least its share of the requests; the error
    /// names the groups below their floor and holds the whole table.
    pub fn check(&self, floors: &[(&str, &[Path], f64)]) -> Result<(), String> {
        let low: Vec<String> = floors
            .iter()
            .filter(|(_, paths, floor)| self.share(paths) < *floor)
            .map(|(name, paths, floor)| format!("{name}: {:.2}% < {:.2}%", 100.0 * self.share(paths), 100.0 * floor))
            .collect();
        if low.is_empty() {
            return Ok(());
        }
        Err(format!("the generated cases no longer reach every path: {}\n{self}", low.join("; ")))
    }
}

fn classify(set: &RuleSet, layout: &Layout, req: &Request<'_>, reach: &mut Reach) -> Path {
    let explained = set.explain(req);
    match explained.skipped {
        Some(Skipped::NoOrigin) => return Path::NoOrigin,
        Some(Skipped::NoConfig) => return Path::NoConfig,
        Some(Skipped::Refused(_)) => return Path::RefusedBefore,
        None => {}
    }
    let (Some(config), Some(origin)) = (set.config(), req.origin) else { return Path::NoConfig };
    let strict = set.options().strict_origins;
    let Some(winner) = explained.winner else {
        let furthest = |v: &Verdict| match v {
            Verdict::Origin => 0,
            Verdict::Method => 1,
            _ => 2,
        };
        return match explained.rules.iter().map(|r| furthest(&r.verdict)).max() {
            Some(2) => Path::RefusedHeader,
            Some(1) => Path::RefusedMethod,
            _ => Path::RefusedOrigin,
        };
    };
    if !explained.headers.is_empty() {
        let rule = &config.rules[winner];
        let how = if rule.allowed_headers.iter().any(|h| h == "*") {
            "AllowedHeader *"
        } else if explained
            .headers
            .iter()
            .all(|item| rule.allowed_headers.iter().any(|h| !h.contains('*') && h.eq_ignore_ascii_case(item)))
        {
            "exact names"
        } else {
            "a glob"
        };
        *reach.headers.entry(how).or_default() += 1;
        let acrh = req.acrh.unwrap_or("");
        if acrh.bytes().any(|b| b.is_ascii_uppercase() || b == b' ' || b == b'\t') || acrh.contains(",,") {
            reach.unusual_acrh += 1;
        }
    }
    let matching: Vec<&String> = config.rules[winner]
        .allowed_origins
        .iter()
        .filter(|p| {
            let one = CorsRule { allowed_origins: vec![p.to_string()], ..CorsRule::default() };
            reference::origin_matches(&one, origin, strict)
        })
        .collect();
    let kinds: HashSet<Kind> = matching.iter().map(|p| kind(p)).collect();
    if kinds.len() != 1 {
        return Path::Several;
    }
    let kind = *kinds.iter().next().expect("one kind");
    if matching.len() == 1 {
        if let Some(side) = layout.side(matching[0]) {
            *reach.sides.entry(side).or_default() += 1;
            if kind == Kind::TwoSided {
                match side {
                    Side::PrefixTable | Side::PrefixAutomaton => reach.halves.0 += 1,
                    _ => reach.halves.1 += 1,
                }
            }
        }
    }
    match kind {
        Kind::Exact => Path::Exact,
        Kind::Prefix => Path::Prefix,
        Kind::Suffix => Path::Suffix,
        Kind::TwoSided => Path::TwoSided,
        Kind::Star => Path::Star,
        Kind::Empty => Path::Empty,
    }
}

/// The table: each path's count and share, of all requests and of preflights.
impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} cases, {} requests ({} preflights)\n{:<40} {:>8} {:>7}   {:>8} {:>7}",
            self.cases, self.total, self.preflights, "path", "requests", "%", "prefl.", "%"
        );
        for path in Path::ALL {
            let (all, pre) = self.counts.get(&path).copied().unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<40} {:>8} {:>6.2}%   {:>8} {:>6.2}%",
                path.name(),
                all,
                pct(all, self.total),
                pre,
                pct(pre, self.preflights)
            );
        }
        let literal: usize = self.sides.values().sum();
        let _ = write!(out, "wins through one literal ({literal}), by index side:");
        for (side, n) in &self.sides {
            let _ = write!(out, " {side:?} {n} ({:.1}%)", pct(*n, literal));
        }
        let _ = write!(
            out,
            "\ntwo-sided wins with the half under the prefix {}, under the suffix {}",
            self.halves.0, self.halves.1
        );
        let _ = write!(out, "\nwins with requested headers, allowed through:");
        for (how, n) in &self.headers {
            let _ = write!(out, " {how} {n},");
        }
        let _ = write!(out, " {} of them with an ACRH not in the browsers' form", self.unusual_acrh);
        f.write_str(&out)
    }
}
