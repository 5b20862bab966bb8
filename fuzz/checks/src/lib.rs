//! What the fuzz targets decode and check, in one place that has no dependency but
//! `corsmatch`: the fuzz targets call it, and `core/tests/fuzz_regressions.rs` includes this
//! file by path, so every input kept under `core/tests/data/fuzz-regressions/` replays under
//! plain `cargo test` through exactly the checks that found it (and runs this file's tests).
//!
//! `engine_vs_reference` reads its bytes as a structured case (profile, options, requests,
//! rules) with a small decoder of our own rather than the `arbitrary` crate: the decoding
//! must be the same in the core's tests, which do not depend on `arbitrary`. The decoder
//! aims arbitrary bytes at the engine's index rather than at `*`:
//!
//! - Origin patterns are mostly exact origins and globs (`prefix*`, `*suffix`,
//!   `prefix*suffix`) cut from sites built of a small vocabulary, narrowed per configuration
//!   (a palette), so that patterns share prefixes and suffixes. `*` and the empty origin are
//!   rare; some patterns come from a tiny alphabet, and the byte 0xff starts a literal string
//!   anywhere a string is read (which is how the seed corpus writes its cases). Zero bytes
//!   make the common choices (an exact origin, a request drawn from it, its rule's method,
//!   an object).
//! - Rule sets are small more often than large (up to [`MAX_RULES`]).
//! - Each request is drawn from one origin pattern of the configuration: that pattern's
//!   instance, a near miss one byte off, a prefix or suffix one byte short, or an unrelated
//!   origin; the ACRM is mostly one of that pattern's rule's methods; the ACRH items mostly
//!   instances of its AllowedHeaders in mixed case, with blanks, tabs and empty items, or
//!   lowercase and joined by bare commas as browsers send them. Targets: object most, bucket
//!   some, missing bucket rare.
//! - The requests are read before the rules. An input read through starts over from its
//!   beginning, so that a short input still makes varied requests; the rules end when the
//!   input has been read through once (after the first rule).
//!
//! `tests::decoded_cases_reach_every_path` fails when pseudo-random inputs stop reaching each
//! path of the engine (see `reach.rs`).

use corsmatch::{reference, CorsConfig, CorsRule, Limits, Options, Profile, Request, Scratch, Target};

pub mod reach;

/// Limits that never refuse: serialisation may legitimately grow a document past the
/// profile's size (escaping), and the decoder makes up to [`MAX_RULES`] rules.
const UNLIMITED: Limits = Limits { max_rules: usize::MAX, max_document_bytes: usize::MAX };

/// The most rules, origins and requests a decoded case holds.
pub const MAX_RULES: usize = 32;
const MAX_ITEMS: usize = 8;
pub const MAX_REQUESTS: usize = 8;

/// This byte starts a literal string wherever a string or a choice is read.
const LITERAL: u8 = 0xff;

const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];
/// Request methods: OPTIONS (a preflight) half the time.
const REQUEST_METHODS: [&str; 16] = [
    "OPTIONS", "OPTIONS", "OPTIONS", "OPTIONS", "OPTIONS", "OPTIONS", "OPTIONS", "OPTIONS", "GET", "PUT", "DELETE",
    "POST", "HEAD", "get", "PATCH", "",
];
/// ACRM values that are not methods a rule can allow.
const ODD_METHODS: [&str; 4] = ["get", "PATCH", "OPTIONS", ""];

/// The parts of a site: scheme, subdomain, name, top-level domain, port. Few values, several
/// of the same length, so that literals share prefixes and suffixes and collide in length.
const SCHEMES: [&str; 8] = ["https://", "http://", "https://", "http://", "https://", "https://", "HTTPS://", "ws://"];
const SUBS: [&str; 8] = ["", "www.", "app.", "api.", "cdn.", "a.", "app-1.", "x.y."];
const NAMES: [&str; 8] = ["example", "examp1e", "a", "t9.example", "b", "example", "exa-mple", "aa"];
const TLDS: [&str; 8] = [".com", ".org", ".co", ".com.cn", ".com", ".net", ".a", ""];
const PORTS: [&str; 8] = ["", "", "", ":8080", ":443", ":3000", ":80", ":"];

/// A tiny alphabet, for patterns that overlap around the star and origins that are not URLs.
const ORIGIN_TOKENS: [&str; 16] = [
    "https://", "http://", "a", "b", ".", "a.com", ".com", ":", ":443", "/", "null", "A", "\u{212a}", "-", "file://",
    "\u{131}",
];
/// What fills a glob's star in a request origin.
const FILL_TOKENS: [&str; 8] = ["a", "www.", "x.y.", "evil.com/", "-", "app", "1", "b.example"];
/// Near-miss bytes: separators, a capital, the letters the vocabulary uses.
const EDITS: [char; 8] = ['a', '.', '/', ':', '-', 'A', 'e', '1'];

const HEADER_PATTERNS: [&str; 16] = [
    "x-amz-*",
    "x-oss-*",
    "X-Amz-Meta-*",
    "content-*",
    "*-id",
    "x-*-id",
    "x-*a",
    "content-type",
    "Content-Type",
    "authorization",
    "x-amz-date",
    "X-Requested-With",
    "x-a",
    "cache-control",
    "x-\u{212a}*",
    "*-\u{df}",
];
const HEADER_TOKENS: [&str; 16] =
    ["x", "-", "a", "A", "x-amz-", "content-type", "\u{212a}", "k", "K", "\u{df}", "ss", "\u{131}", "i", "I", " ", "_"];
/// Requested headers that are not drawn from the rule.
const OTHER_HEADERS: [&str; 8] =
    ["x-other", "Content-Length", "x-amz-date", "X-AMZ-META-a", "x-\u{212a}", "content-type", "a-a", "x-ab"];
/// What fills a header glob's star in a requested header.
const HEADER_FILL_TOKENS: [&str; 8] = ["a", "meta-", "b", "-", "id", "K", "x", "\u{df}"];
const ACRH_TOKENS: [&str; 16] = [
    "x",
    "-",
    "a",
    "A",
    "x-amz-",
    "content-type",
    "\u{212a}",
    "k",
    ",",
    ", ",
    " ",
    "\t",
    ",,",
    "\u{df}",
    "\u{131}",
    "I",
];
/// Before the first ACRH item, and between items.
const ACRH_EDGES: [&str; 8] = ["", "", "", "", " ", "\t", ",", " ,"];
const ACRH_SEPARATORS: [&str; 8] = [",", ",", ",", ", ", " , ", ",\t", ",,", ", ,"];
const EXPOSE_TOKENS: [&str; 4] = ["ETag", "x-amz-id", "-", "Q"];
const ID_TOKENS: [&str; 4] = ["r", "1", "<&>", "]]>"];

/// Reads the fuzz input. Past its end it reads the input again from the start (an empty
/// input reads as zeros), so that a short input still makes varied requests and rules.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Whether the input has been read through once.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        if self.data.is_empty() {
            return 0;
        }
        self.pos += 1;
        self.data[(self.pos - 1) % self.data.len()]
    }

    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }

    /// A string: [`LITERAL`] starts a literal, otherwise up to seven tokens.
    fn string(&mut self, tokens: &[&str]) -> String {
        let b = self.byte();
        if b == LITERAL {
            return self.literal();
        }
        (0..b % 8).map(|_| tokens[self.below(tokens.len())]).collect()
    }

    /// A literal's length (a byte; 255: a 16-bit length follows), then its bytes.
    fn literal(&mut self) -> String {
        let mut len = self.byte() as usize;
        if len == 0xff {
            len = u16::from_le_bytes([self.byte(), self.byte()]) as usize;
        }
        // The literal's bytes are not read again: it ends at the end of the input.
        let start = self.pos.min(self.data.len());
        let taken = &self.data[start..(start + len).min(self.data.len())];
        self.pos += len;
        String::from_utf8_lossy(taken).into_owned()
    }

    /// What fills a star: mostly nothing or one token, at most three.
    fn fill(&mut self, tokens: &[&str]) -> String {
        let b = self.byte();
        if b == LITERAL {
            return self.literal();
        }
        (0..[0, 0, 1, 1, 1, 1, 2, 3][b as usize & 7]).map(|_| tokens[self.below(tokens.len())]).collect()
    }

    /// A rule's ID, a RequestId or a HostId: mostly none; one byte unless literal.
    fn id(&mut self) -> Option<String> {
        match self.byte() {
            LITERAL => Some(self.literal()),
            b if b % 8 < 5 => None,
            b => Some(ID_TOKENS[(b >> 3) as usize % 4].to_string()),
        }
    }

    /// One of `choices`, or a literal string.
    fn pick(&mut self, choices: &[&str]) -> String {
        let b = self.byte();
        if b == LITERAL {
            return self.literal();
        }
        choices[b as usize % choices.len()].to_string()
    }

    /// An alphabet pattern: without a star, or with one between a prefix and a suffix
    /// (either may be empty; `*` alone is chosen by the callers, at their own rate).
    fn pattern(&mut self, tokens: &[&str]) -> String {
        match self.below(2) {
            0 => self.string(tokens),
            _ => format!("{}*{}", self.string(tokens), self.string(tokens)),
        }
    }

    fn list(&mut self, min: usize, max: usize, mut item: impl FnMut(&mut Reader<'a>) -> String) -> Vec<String> {
        let n = count(self.byte(), min, max);
        (0..n).map(|_| item(self)).collect()
    }

    /// A site: three bytes pick the five parts (within `palette`) and where a glob cuts it.
    fn site(&mut self, palette: &Palette) -> Site {
        let (a, b, c) = (self.byte() as usize, self.byte() as usize, self.byte() as usize);
        let parts = [
            SCHEMES[a & 7],
            palette.pick(0, &SUBS, a >> 3),
            palette.pick(1, &NAMES, b & 7),
            palette.pick(2, &TLDS, b >> 3),
            palette.pick(3, &PORTS, c & 7),
        ];
        // Anywhere (one in eight): two more bytes say where.
        let anywhere = (c >> 7 == 1 && a >> 6 == 3).then(|| (self.byte() as usize, self.byte() as usize));
        Site { parts, boundary: 1 + ((c >> 3) & 3), extra: (c >> 5) & 3, anywhere }
    }

    /// An origin pattern: mostly exact or a glob cut from a site.
    fn origin_pattern(&mut self, palette: &Palette) -> String {
        let k = self.byte();
        if k == LITERAL {
            return self.literal();
        }
        match k % 64 {
            0..=17 => self.site(palette).parts.concat(),
            18..=26 => self.site(palette).glob(Glob::Prefix),
            27..=35 => self.site(palette).glob(Glob::Suffix),
            36..=54 => self.site(palette).glob(Glob::TwoSided),
            55..=58 => self.pattern(&ORIGIN_TOKENS),
            63 if k & 64 == 0 => String::new(),
            _ => "*".to_string(),
        }
    }

    /// An AllowedHeader pattern: mostly a common one (globs like `x-amz-*` among them).
    fn header_pattern(&mut self) -> String {
        let k = self.byte();
        if k == LITERAL {
            return self.literal();
        }
        match k % 16 {
            0..=9 => HEADER_PATTERNS[(k >> 4) as usize].to_string(),
            10..=13 => self.pattern(&HEADER_TOKENS),
            14 => String::new(),
            _ if k & 16 == 0 => "*".to_string(),
            _ => HEADER_PATTERNS[(k >> 4) as usize].to_string(),
        }
    }
}

/// A count in `min..=max` from one byte: three in four times among the first three values.
fn count(b: u8, min: usize, max: usize) -> usize {
    let span = if b < 0xc0 { 3.min(max - min + 1) } else { max - min + 1 };
    min + b as usize % span
}

/// The number of rules from one byte: three in four times 1 to 4, otherwise up to
/// [`MAX_RULES`].
fn rule_count(b: u8) -> usize {
    1 + if b < 0xc0 { b as usize % 4 } else { b as usize % MAX_RULES }
}

/// Which parts a configuration's sites use: per part, a mask of the eight values (0: all).
#[derive(Debug, Clone, Copy, Default)]
struct Palette([u8; 4]);

impl Palette {
    fn pick(&self, part: usize, values: &[&'static str; 8], b: usize) -> &'static str {
        let mask = self.0[part];
        let allowed: Vec<&'static str> =
            (0..8).filter(|i| mask == 0 || mask >> i & 1 == 1).map(|i| values[i]).collect();
        allowed[b % allowed.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glob {
    Prefix,
    Suffix,
    TwoSided,
}

/// A site's parts and where a glob cuts it: at a boundary between parts (1 to 4, the second
/// cut of a two-sided glob `extra` further), or anywhere.
struct Site {
    parts: [&'static str; 5],
    boundary: usize,
    extra: usize,
    anywhere: Option<(usize, usize)>,
}

impl Site {
    fn cut(&self, boundary: usize, anywhere: Option<usize>) -> usize {
        match anywhere {
            Some(at) => at % (self.parts.concat().len() + 1),
            None => self.parts[..boundary].iter().map(|p| p.len()).sum(),
        }
    }

    /// The glob, each side keeping at least one byte where its kind needs one. Sites are
    /// ASCII, so any cut is a character boundary.
    fn glob(&self, kind: Glob) -> String {
        let s = self.parts.concat();
        let last = s.len() - 1;
        match kind {
            Glob::Prefix => format!("{}*", &s[..self.cut(self.boundary, self.anywhere.map(|a| a.0)).clamp(1, last)]),
            Glob::Suffix => format!("*{}", &s[self.cut(self.boundary, self.anywhere.map(|a| a.0)).clamp(1, last)..]),
            Glob::TwoSided => {
                let a = 1 + (self.boundary - 1) % 3;
                let p = self.cut(a, self.anywhere.map(|a| a.0)).clamp(1, last);
                let q = self.cut((a + self.extra).min(4), self.anywhere.map(|a| a.1)).clamp(p, last);
                format!("{}*{}", &s[..p], &s[q..])
            }
        }
    }
}

/// The inverse of [`Reader`], for the seed corpus: every string is written literally.
#[derive(Default)]
pub struct Writer {
    pub out: Vec<u8>,
}

impl Writer {
    fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    /// A literal (after its [`LITERAL`] byte).
    fn literal(&mut self, s: &str) -> Option<()> {
        if s.len() < 0xff {
            self.byte(s.len() as u8);
        } else {
            let len = u16::try_from(s.len()).ok()?;
            self.byte(0xff);
            self.out.extend(len.to_le_bytes());
        }
        self.out.extend(s.as_bytes());
        Some(())
    }

    fn string(&mut self, s: &str) -> Option<()> {
        self.byte(LITERAL);
        self.literal(s)
    }

    fn id(&mut self, s: Option<&str>) -> Option<()> {
        match s {
            None => self.byte(0),
            Some(s) => self.string(s)?,
        }
        Some(())
    }

    fn pick(&mut self, choices: &[&str], s: &str) -> Option<()> {
        match choices.iter().position(|c| *c == s) {
            Some(i) => self.byte(i as u8),
            None => self.string(s)?,
        }
        Some(())
    }

    /// The byte `decode` reads as `n`.
    fn count(&mut self, n: usize, decode: impl Fn(u8) -> usize) -> Option<()> {
        self.byte((0..=255u8).find(|&b| decode(b) == n)?);
        Some(())
    }

    fn list(
        &mut self,
        min: usize,
        max: usize,
        items: &[String],
        mut each: impl FnMut(&mut Writer, &str) -> Option<()>,
    ) -> Option<()> {
        self.count(items.len(), |b| count(b, min, max))?;
        items.iter().try_for_each(|s| each(self, s))
    }
}

/// A request with owned strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedRequest {
    pub method: String,
    pub origin: Option<String>,
    pub acrm: Option<String>,
    pub acrh: Option<String>,
    pub target: Target,
    pub request_id: Option<String>,
    pub host_id: Option<String>,
}

impl OwnedRequest {
    pub fn borrow(&self) -> Request<'_> {
        Request {
            method: &self.method,
            origin: self.origin.as_deref(),
            acrm: self.acrm.as_deref(),
            acrh: self.acrh.as_deref(),
            target: self.target,
            request_id: self.request_id.as_deref(),
            host_id: self.host_id.as_deref(),
        }
    }
}

/// How a request's origin is drawn from its pattern.
enum Derive {
    Absent,
    Literal(String),
    Instance(String),
    /// 0: a byte changed, 1: inserted, 2: deleted; at; the byte.
    NearMiss(String, u8, usize, char),
    /// The fill; whether the prefix (else the suffix) is one byte short.
    Short(String, bool),
    Unrelated(String),
}

enum Acrm {
    Absent,
    Literal(String),
    /// One of the source rule's methods.
    Own(usize),
    Other(String),
}

enum Item {
    /// From the source rule's AllowedHeaders: which, the star's fill, which letters flip case.
    Own(usize, String, u8),
    Other(String),
}

enum Acrh {
    Absent,
    Literal(String),
    /// The items with what comes before each.
    Items(Vec<(&'static str, Item)>),
    /// The items lowercase, joined by bare commas (as browsers send them).
    Browser(Vec<Item>),
}

/// A request as read, before the configuration it is drawn from is known.
struct Recipe {
    method: String,
    /// Which of the configuration's origin patterns the request is drawn from.
    source: usize,
    origin: Derive,
    acrm: Acrm,
    acrh: Acrh,
    target: Target,
    request_id: Option<String>,
    host_id: Option<String>,
}

impl Reader<'_> {
    fn recipe(&mut self) -> Recipe {
        let method = self.pick(&REQUEST_METHODS);
        let source = self.byte() as usize;
        let h = self.byte();
        let origin = match h {
            LITERAL => Derive::Literal(self.literal()),
            _ => match h % 32 {
                0..=19 | 28 => Derive::Instance(self.fill(&FILL_TOKENS)),
                20..=24 => {
                    let fill = self.fill(&FILL_TOKENS);
                    Derive::NearMiss(fill, (h >> 5) % 3, self.byte() as usize, EDITS[self.below(8)])
                }
                25..=27 => Derive::Short(self.fill(&FILL_TOKENS), h & 1 == 0),
                29 | 30 if h >> 7 == 0 => Derive::Unrelated(self.site(&Palette::default()).parts.concat()),
                29 | 30 => Derive::Unrelated(self.string(&ORIGIN_TOKENS)),
                _ => Derive::Absent,
            },
        };
        let a = self.byte();
        let acrm = match a {
            LITERAL => Acrm::Literal(self.literal()),
            _ => match a % 32 {
                0..=22 => Acrm::Own((a >> 5) as usize),
                23..=29 => Acrm::Other(METHODS[(a >> 5) as usize % 5].to_string()),
                30 => Acrm::Other(ODD_METHODS[(a >> 5) as usize % 4].to_string()),
                _ => Acrm::Absent,
            },
        };
        let c = self.byte();
        let acrh = match c {
            LITERAL => Acrh::Literal(self.literal()),
            _ if c % 4 == 0 => Acrh::Absent,
            _ => {
                let items: Vec<(&'static str, Item)> = (0..(c >> 2) % 5)
                    .map(|k| {
                        let i = self.byte();
                        let sep = if k == 0 { ACRH_EDGES[(i & 7) as usize] } else { ACRH_SEPARATORS[(i & 7) as usize] };
                        let item = match (i >> 3) % 8 {
                            0..=5 => {
                                let which = self.byte() as usize;
                                Item::Own(which, self.fill(&HEADER_FILL_TOKENS), self.byte())
                            }
                            6 => Item::Other(OTHER_HEADERS[self.below(8)].to_string()),
                            _ => Item::Other(self.string(&ACRH_TOKENS)),
                        };
                        (sep, item)
                    })
                    .collect();
                match c % 4 {
                    1 => Acrh::Browser(items.into_iter().map(|(_, item)| item).collect()),
                    _ => Acrh::Items(items),
                }
            }
        };
        let target = match self.byte() % 32 {
            0..=23 => Target::Object,
            24..=30 => Target::Bucket,
            _ => Target::MissingBucket,
        };
        let request_id = self.id();
        let host_id = self.id();
        Recipe { method, source, origin, acrm, acrh, target, request_id, host_id }
    }
}

/// The origin `how` derives from `pattern` (`None`: the configuration has no pattern).
fn derive_origin(pattern: Option<&str>, how: Derive) -> Option<String> {
    let (prefix, suffix, fill) = match (&how, pattern) {
        (Derive::Absent, _) => return None,
        (Derive::Literal(s) | Derive::Unrelated(s), _) => return Some(s.clone()),
        // Nothing to derive from: the fill is the origin.
        (Derive::Instance(fill) | Derive::NearMiss(fill, ..) | Derive::Short(fill, _), None | Some("*")) => {
            return Some(fill.clone())
        }
        (Derive::Instance(fill) | Derive::NearMiss(fill, ..) | Derive::Short(fill, _), Some(p)) => {
            match p.split_once('*') {
                Some((prefix, suffix)) => (prefix, Some(suffix), fill.clone()),
                None => (p, None, fill.clone()),
            }
        }
    };
    // A star at the start stands for the scheme too.
    let fill = if prefix.is_empty() && suffix.is_some() { format!("https://{fill}") } else { fill };
    let instance = match suffix {
        Some(s) => format!("{prefix}{fill}{s}"),
        None => prefix.to_string(),
    };
    Some(match how {
        Derive::NearMiss(_, op, at, edit) => {
            let mut chars: Vec<char> = instance.chars().collect();
            let i = at % (chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = if chars[i] == edit { 'b' } else { edit },
                2 if i < chars.len() => {
                    chars.remove(i);
                }
                _ => chars.insert(i, edit),
            }
            chars.into_iter().collect()
        }
        Derive::Short(_, at_prefix) => {
            let drop_last = |s: &str| s.char_indices().last().map_or("", |(i, _)| &s[..i]).to_string();
            let drop_first = |s: &str| s.chars().skip(1).collect::<String>();
            match (suffix, at_prefix) {
                (None, true) => drop_last(prefix),
                (None, false) => drop_first(prefix),
                (Some(s), true) => format!("{}{fill}{s}", drop_last(prefix)),
                (Some(s), false) => format!("{prefix}{fill}{}", drop_first(s)),
            }
        }
        _ => instance,
    })
}

/// A requested header derived from an AllowedHeader pattern: the star filled, the case of
/// the letters flipped where `case` has a bit (the bits repeat every eight letters).
fn header_instance(pattern: &str, fill: &str, case: u8) -> String {
    pattern
        .replacen('*', fill, 1)
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            'a'..='z' if case >> (i % 8) & 1 == 1 => c.to_ascii_uppercase(),
            'A'..='Z' if case >> (i % 8) & 1 == 1 => c.to_ascii_lowercase(),
            _ => c,
        })
        .collect()
}

impl Recipe {
    fn resolve(self, config: Option<&CorsConfig>) -> OwnedRequest {
        let sources: Vec<(&str, &CorsRule)> = config
            .map(|c| c.rules.iter().flat_map(|r| r.allowed_origins.iter().map(move |o| (o.as_str(), r))).collect())
            .unwrap_or_default();
        let source = (!sources.is_empty()).then(|| sources[self.source % sources.len()]);
        let rule = source.map(|s| s.1);
        let acrm = match self.acrm {
            Acrm::Absent => None,
            Acrm::Literal(s) | Acrm::Other(s) => Some(s),
            Acrm::Own(i) => {
                Some(rule.map_or("GET", |r| r.allowed_methods[i % r.allowed_methods.len()].as_str()).to_string())
            }
        };
        let name = |item: Item| match item {
            Item::Other(s) => s,
            Item::Own(which, fill, case) => match rule.map(|r| &r.allowed_headers) {
                Some(h) if !h.is_empty() => header_instance(&h[which % h.len()], &fill, case),
                _ => "x-a".to_string(),
            },
        };
        let acrh = match self.acrh {
            Acrh::Absent => None,
            Acrh::Literal(s) => Some(s),
            Acrh::Items(items) => Some(items.into_iter().map(|(sep, item)| format!("{sep}{}", name(item))).collect()),
            Acrh::Browser(items) => {
                Some(items.into_iter().map(|item| name(item).to_ascii_lowercase()).collect::<Vec<_>>().join(","))
            }
        };
        OwnedRequest {
            method: self.method,
            origin: derive_origin(source.map(|s| s.0), self.origin),
            acrm,
            acrh,
            target: self.target,
            request_id: self.request_id,
            host_id: self.host_id,
        }
    }
}

/// What `engine_vs_reference` decodes: options, a configuration (or none), requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub profile: Profile,
    pub strict_origins: bool,
    pub allow_credentials: bool,
    pub config: Option<CorsConfig>,
    pub requests: Vec<OwnedRequest>,
}

impl Case {
    pub fn options(&self) -> Options {
        Options::new(self.profile)
            .max_rules(MAX_RULES)
            .strict_origins(self.strict_origins)
            .allow_credentials(self.allow_credentials)
    }

    /// The bytes: flags (bit 0 the profile, bits 1 and 6 strict origins, bit 2 no
    /// credentials, bits 3 and 4 ResponseVary, bits 4 to 7 all set no configuration), the requests (a count, then each),
    /// then the configuration (a rule count, a palette of four masks, the rules, as many as the
    /// input holds).
    pub fn decode(data: &[u8]) -> Case {
        let mut r = Reader::new(data);
        let flags = r.byte();
        let profile = if flags & 1 == 0 { Profile::Oss } else { Profile::S3 };
        let oss = profile == Profile::Oss;
        let recipes: Vec<Recipe> = (0..1 + r.below(MAX_REQUESTS)).map(|_| r.recipe()).collect();
        let config = (flags >> 4 != 15).then(|| {
            let n = rule_count(r.byte());
            let palette = Palette([r.byte(), r.byte(), r.byte(), r.byte()]);
            // A used-up input ends the rules, rather than adding rules made of zeros.
            let rules =
                (0..n).map_while(|i| (i == 0 || !r.is_empty()).then(|| decode_rule(&mut r, oss, &palette))).collect();
            let vary = [None, Some(true), Some(false), None][(flags >> 3) as usize & 3];
            CorsConfig { rules, response_vary: if oss { vary } else { None } }
        });
        let requests = recipes.into_iter().map(|recipe| recipe.resolve(config.as_ref())).collect();
        Case { profile, strict_origins: flags & 0x42 == 0x42, allow_credentials: flags & 4 == 0, config, requests }
    }

    /// The bytes that decode to this case; `None` when it is beyond what the decoder makes.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut w = Writer::default();
        let vary = match self.config.as_ref().and_then(|c| c.response_vary) {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        };
        w.byte(
            (self.profile == Profile::S3) as u8
                | if self.strict_origins { 0x42 } else { 0 }
                | (!self.allow_credentials as u8) << 2
                | vary << 3
                | if self.config.is_none() { 0xf0 } else { 0 },
        );
        if self.requests.is_empty() || self.requests.len() > MAX_REQUESTS {
            return None;
        }
        w.byte((self.requests.len() - 1) as u8);
        for r in &self.requests {
            w.pick(&REQUEST_METHODS, &r.method)?;
            w.byte(0); // source
            match &r.origin {
                None => w.byte(31),
                Some(o) => w.string(o)?,
            }
            match &r.acrm {
                None => w.byte(31),
                Some(m) => w.string(m)?,
            }
            match &r.acrh {
                None => w.byte(0),
                Some(h) => w.string(h)?,
            }
            w.byte(match r.target {
                Target::Object => 0,
                Target::Bucket => 24,
                Target::MissingBucket => 31,
            });
            w.id(r.request_id.as_deref())?;
            w.id(r.host_id.as_deref())?;
        }
        if let Some(config) = &self.config {
            if config.rules.is_empty() || config.rules.len() > MAX_RULES {
                return None;
            }
            w.count(config.rules.len(), rule_count)?;
            w.out.extend([0; 4]); // palette
            for rule in &config.rules {
                encode_rule(&mut w, rule)?;
            }
        }
        (Case::decode(&w.out) == *self).then_some(w.out)
    }
}

fn decode_rule(r: &mut Reader<'_>, oss: bool, palette: &Palette) -> CorsRule {
    let id = r.id().filter(|_| !oss);
    let allowed_origins = r.list(1, MAX_ITEMS, |r| r.origin_pattern(palette));
    let allowed_methods = r.list(1, MAX_ITEMS, |r| r.pick(&METHODS));
    let allowed_headers = r.list(0, MAX_ITEMS, |r| r.header_pattern());
    let expose_headers = r.list(0, 3, |r| r.string(&EXPOSE_TOKENS));
    // Any `u32` (past `i32::MAX` invalid) one time in 256.
    let max_age_seconds = match r.byte() {
        0xff => Some(u32::from_le_bytes([r.byte(), r.byte(), r.byte(), r.byte()])),
        b => match b % 16 {
            0..=5 => None,
            6..=11 => Some(r.byte() as u32),
            _ => Some(u32::from_le_bytes([r.byte(), r.byte(), r.byte(), r.byte() & 0x7f])),
        },
    };
    CorsRule { id, allowed_origins, allowed_methods, allowed_headers, expose_headers, max_age_seconds }
}

fn encode_rule(w: &mut Writer, rule: &CorsRule) -> Option<()> {
    w.id(rule.id.as_deref())?;
    // Patterns are written as literals, methods as picks or literals.
    w.list(1, MAX_ITEMS, &rule.allowed_origins, |w, s| w.string(s))?;
    w.list(1, MAX_ITEMS, &rule.allowed_methods, |w, s| w.pick(&METHODS, s))?;
    w.list(0, MAX_ITEMS, &rule.allowed_headers, |w, s| w.string(s))?;
    w.list(0, 3, &rule.expose_headers, |w, s| w.string(s))?;
    match rule.max_age_seconds {
        None => w.byte(0),
        Some(age) => {
            w.byte(0xff);
            w.out.extend(age.to_le_bytes());
        }
    }
    Some(())
}

/// `config_parse`: the first byte picks the profile, the rest is the document. Parsing never
/// panics; a refusal is a provider error; an accepted document validates, compiles (or is
/// refused cleanly as too large), and serialises to a document that parses to the same rules.
pub fn config_parse(data: &[u8]) {
    let Some((&first, document)) = data.split_first() else { return };
    let profile = if first & 1 == 0 { Profile::Oss } else { Profile::S3 };
    let options = Options::new(profile);
    let config = match CorsConfig::from_xml(document, profile) {
        Ok(config) => config,
        Err(e) => {
            assert_eq!(e.status(), 400, "{e}");
            assert!(e.to_xml(Some("id"), None).contains(e.code()));
            assert_eq!(options.compile_xml(document).unwrap_err(), e);
            return;
        }
    };
    config.validate(profile, Limits::of(profile)).expect("a parsed configuration validates");
    let xml = config.to_xml();
    let again = CorsConfig::from_xml_with_limits(xml.as_bytes(), profile, UNLIMITED)
        .unwrap_or_else(|e| panic!("the serialised configuration does not parse: {e}\n{xml}"));
    assert_eq!(again, config, "serialised as\n{xml}");
    match options.compile_xml(document) {
        Ok(set) => assert_eq!(set.config(), Some(&config)),
        Err(e) => assert!(matches!(e.kind(), corsmatch::ErrorKind::CompiledTooLarge { .. }), "{e}"),
    }
}

/// `engine_vs_reference`: the compiled engine, with one scratch space reused across the
/// requests and with a fresh one, answers exactly as the reference matcher; `explain`
/// agrees; the configuration survives serialisation.
pub fn engine_vs_reference(data: &[u8]) {
    let case = Case::decode(data);
    let options = case.options();
    let set = match &case.config {
        None => options.no_config(),
        Some(config) => match options.compile(config.clone()) {
            Ok(set) => set,
            // Only the decoder's literal strings can make an invalid rule (a second `*`).
            Err(e) => {
                assert!(config.validate(options.profile, options.limits).is_err(), "valid but not compiled: {e}");
                return;
            }
        },
    };
    if let Some(config) = set.config() {
        let xml = config.to_xml();
        let again = CorsConfig::from_xml_with_limits(xml.as_bytes(), case.profile, UNLIMITED)
            .unwrap_or_else(|e| panic!("the serialised configuration does not parse: {e}\n{xml}"));
        assert_eq!(&again, config, "serialised as\n{xml}");
    }
    let mut scratch = Scratch::new();
    for owned in &case.requests {
        let req = owned.borrow();
        let want = reference::respond(set.config(), set.options(), &req);
        let got = set.evaluate(&req, &mut scratch).to_response();
        assert_eq!(got, want, "engine (reused scratch) != reference for {req:?}");
        assert_eq!(set.respond(&req), want, "engine (fresh scratch) != reference for {req:?}");
        let explained = set.explain(&req);
        assert_eq!(explained.response, want, "explain's response for {req:?}");
        assert_eq!(explained.winner, want.rule, "explain's winner for {req:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::reach::{Layout, Reach, FLOORS};
    use super::*;

    /// splitmix64: a fixed sequence of pseudo-random bytes, without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    /// Arbitrary bytes decode to cases that reach every path of the engine: of the requests
    /// of 20,000 pseudo-random inputs (0 to 512 bytes), at least 5% each are matches won
    /// through an exact origin, a one-sided glob, a two-sided glob and `*`, and refusals by
    /// origin, by method and by header; and few inputs decode to an invalid configuration.
    #[test]
    fn decoded_cases_reach_every_path() {
        let mut rng = Rng(0x5eed);
        let mut reach = Reach::default();
        let (inputs, mut invalid) = (20_000, 0);
        for _ in 0..inputs {
            let len = (rng.next() % 513) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let case = Case::decode(&data);
            let options = case.options();
            let set = match &case.config {
                None => options.no_config(),
                Some(config) => match options.compile(config.clone()) {
                    Ok(set) => set,
                    Err(_) => {
                        invalid += 1;
                        continue;
                    }
                },
            };
            let layout = Layout::of(set.config());
            reach.case();
            for r in &case.requests {
                reach.record(&set, &layout, &r.borrow());
            }
        }
        let checked = reach.check(&FLOORS);
        let table = format!("{reach}\n{invalid} of {inputs} inputs decode to an invalid configuration");
        assert!(
            checked.is_ok(),
            "{}\n{invalid} of {inputs} inputs decode to an invalid configuration",
            checked.unwrap_err()
        );
        assert!(invalid * 10 < inputs, "too many invalid configurations:\n{table}");
        println!("{table}");
    }

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str], max_age: Option<u32>) -> CorsRule {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        CorsRule {
            allowed_origins: strings(origins),
            allowed_methods: strings(methods),
            allowed_headers: strings(headers),
            max_age_seconds: max_age,
            ..CorsRule::default()
        }
    }

    fn preflight(origin: Option<&str>, acrm: Option<&str>, acrh: Option<&str>, target: Target) -> OwnedRequest {
        OwnedRequest {
            method: "OPTIONS".to_string(),
            origin: origin.map(str::to_string),
            acrm: acrm.map(str::to_string),
            acrh: acrh.map(str::to_string),
            target,
            ..OwnedRequest::default()
        }
    }

    /// The seed corpus's encoding decodes back to the case, for every field the decoder makes.
    #[test]
    fn encode_inverts_decode() {
        let config = CorsConfig {
            rules: vec![
                CorsRule {
                    id: Some("r<&>".to_string()),
                    expose_headers: vec!["ETag".to_string()],
                    ..rule(&["https://*.example.com", "*", ""], &["GET", "PUT"], &["x-amz-*", "*"], Some(600))
                },
                rule(&["http://a*a.com"], &["DELETE"], &[], None),
            ],
            response_vary: None,
        };
        let requests = vec![
            preflight(Some("https://www.example.com"), Some("PUT"), Some(" X-Amz-Date,,content-type"), Target::Object),
            preflight(None, None, None, Target::MissingBucket),
            OwnedRequest {
                method: "PATCH".to_string(),
                origin: Some(String::new()),
                acrm: Some("get".to_string()),
                acrh: Some(String::new()),
                target: Target::Bucket,
                request_id: Some("req-1".to_string()),
                host_id: Some("h".repeat(300)),
            },
        ];
        for (profile, config) in [(Profile::S3, Some(config)), (Profile::Oss, None)] {
            let case =
                Case { profile, strict_origins: true, allow_credentials: false, config, requests: requests.clone() };
            let bytes = case.encode().unwrap_or_else(|| panic!("does not encode: {case:#?}"));
            assert_eq!(Case::decode(&bytes), case);
            engine_vs_reference(&bytes);
        }
    }

    /// The cases of the inputs kept under `core/tests/data/fuzz-regressions/engine_vs_reference/`
    /// (found with an earlier decoding, which read those bytes as these cases) still pass.
    #[test]
    fn kept_regression_cases() {
        let one = |config: CorsConfig, profile, allow_credentials| Case {
            profile,
            strict_origins: false,
            allow_credentials,
            config: Some(config),
            requests: vec![preflight(None, None, None, Target::Object)],
        };
        // max-age-over-i32-does-not-reparse
        let mut rules = vec![rule(&[""], &["GET"], &[], Some(2_151_956_805))];
        rules.extend((0..3).map(|_| rule(&[""], &["GET"], &[], None)));
        let max_age = one(CorsConfig { rules, response_vary: Some(true) }, Profile::Oss, false);
        // noncharacter-ffff-in-a-value-does-not-reparse
        let header = "_xIxcontent-type_*\u{fffd}\u{fffd}\u{ffff}\u{fffd}\u{ffff}";
        let ffff = one(
            CorsConfig {
                rules: vec![rule(&["*"], &["GET"], &["*", "*", header, "", "", "", "", ""], None)],
                response_vary: None,
            },
            Profile::S3,
            true,
        );
        for case in [max_age, ffff] {
            engine_vs_reference(&case.encode().unwrap_or_else(|| panic!("does not encode: {case:#?}")));
        }
    }
}
