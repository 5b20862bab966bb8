//! What the fuzz targets decode and check, in one place that has no dependency but
//! `corsmatch`: the fuzz targets call it, and `core/tests/fuzz_regressions.rs` includes this
//! file by path, so every input kept under `core/tests/data/fuzz-regressions/` replays under
//! plain `cargo test` through exactly the checks that found it.
//!
//! `engine_vs_reference` reads its bytes as a structured case (profile, options, rules,
//! requests) with a small decoder of our own rather than the `arbitrary` crate: the decoding
//! must be the same in the core's tests, which do not depend on `arbitrary`. Strings come
//! from small alphabets so that patterns and requests collide often; a string can also be
//! written literally, which is how the seed corpus encodes the shared cases.

use corsmatch::{reference, CorsConfig, CorsRule, Limits, Options, Profile, Request, Scratch, Target};

/// Limits that never refuse: serialisation may legitimately grow a document past the
/// profile's size (escaping), and the decoder makes up to [`MAX_RULES`] rules.
const UNLIMITED: Limits = Limits { max_rules: usize::MAX, max_document_bytes: usize::MAX };

/// The most rules, origins and requests a decoded case holds.
pub const MAX_RULES: usize = 32;
const MAX_ITEMS: usize = 8;
pub const MAX_REQUESTS: usize = 8;

const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "POST", "HEAD"];
const REQUEST_METHODS: [&str; 10] = ["OPTIONS", "GET", "PUT", "DELETE", "POST", "HEAD", "get", "options", "PATCH", ""];
const ORIGIN_TOKENS: [&str; 16] = [
    "https://", "http://", "a", "b", ".", "a.com", ".com", ":", ":443", "/", "null", "A", "\u{212a}", "-", "file://",
    "\u{131}",
];
const HEADER_TOKENS: [&str; 16] =
    ["x", "-", "a", "A", "x-amz-", "content-type", "\u{212a}", "k", "K", "\u{df}", "ss", "\u{131}", "i", "I", " ", "_"];
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
const EXPOSE_TOKENS: [&str; 4] = ["ETag", "x-amz-id", "-", "Q"];
const ID_TOKENS: [&str; 4] = ["r", "1", "<&>", "]]>"];

/// Reads the fuzz input; past its end every byte reads as zero.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }

    /// A string: a high bit starts a literal (7-bit length, 127 = a 16-bit length follows),
    /// otherwise up to seven tokens of the alphabet.
    fn string(&mut self, tokens: &[&str]) -> String {
        let b = self.byte();
        if b & 0x80 != 0 {
            return self.literal(b);
        }
        (0..b % 8).map(|_| tokens[self.below(tokens.len())]).collect()
    }

    fn literal(&mut self, head: u8) -> String {
        let mut len = (head & 0x7f) as usize;
        if len == 0x7f {
            len = u16::from_le_bytes([self.byte(), self.byte()]) as usize;
        }
        let (taken, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        String::from_utf8_lossy(taken).into_owned()
    }

    fn option(&mut self, tokens: &[&str]) -> Option<String> {
        (self.byte() % 4 != 0).then(|| self.string(tokens))
    }

    /// One of `choices`, or a literal string (high bit).
    fn pick(&mut self, choices: &[&str]) -> String {
        let b = self.byte();
        if b & 0x80 != 0 {
            return self.literal(b);
        }
        choices[b as usize % choices.len()].to_string()
    }

    /// `*` placement: none, alone, or between a prefix and a suffix.
    fn pattern(&mut self, tokens: &[&str]) -> String {
        match self.below(3) {
            0 => self.string(tokens),
            1 => "*".to_string(),
            _ => format!("{}*{}", self.string(tokens), self.string(tokens)),
        }
    }

    fn list(&mut self, min: usize, max: usize, mut item: impl FnMut(&mut Reader<'a>) -> String) -> Vec<String> {
        let n = min + self.below(max - min + 1);
        (0..n).map(|_| item(self)).collect()
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

    fn string(&mut self, s: &str) -> Option<()> {
        if s.len() < 0x7f {
            self.byte(0x80 | s.len() as u8);
        } else {
            let len = u16::try_from(s.len()).ok()?;
            self.byte(0xff);
            self.out.extend(len.to_le_bytes());
        }
        self.out.extend(s.as_bytes());
        Some(())
    }

    fn option(&mut self, s: Option<&str>) -> Option<()> {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.string(s)?;
            }
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

    fn list(
        &mut self,
        min: usize,
        max: usize,
        items: &[String],
        mut each: impl FnMut(&mut Writer, &str) -> Option<()>,
    ) -> Option<()> {
        if items.len() < min || items.len() > max {
            return None;
        }
        self.byte((items.len() - min) as u8);
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

const TARGETS: [Target; 3] = [Target::Object, Target::Bucket, Target::MissingBucket];

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

    pub fn decode(data: &[u8]) -> Case {
        let mut r = Reader::new(data);
        let flags = r.byte();
        let profile = if flags & 1 == 0 { Profile::Oss } else { Profile::S3 };
        let oss = profile == Profile::Oss;
        let config = (flags & 8 == 0).then(|| {
            let rules = (0..1 + r.below(MAX_RULES)).map(|_| decode_rule(&mut r, oss)).collect();
            let vary = [None, Some(true), Some(false), None][(flags >> 4) as usize & 3];
            CorsConfig { rules, response_vary: if oss { vary } else { None } }
        });
        let mut requests = Vec::new();
        loop {
            requests.push(OwnedRequest {
                method: r.pick(&REQUEST_METHODS),
                origin: r.option(&ORIGIN_TOKENS),
                acrm: (r.byte() % 4 != 0).then(|| r.pick(&REQUEST_METHODS)),
                acrh: r.option(&ACRH_TOKENS),
                target: TARGETS[r.below(3)],
                request_id: r.option(&ID_TOKENS),
                host_id: r.option(&ID_TOKENS),
            });
            if r.is_empty() || requests.len() == MAX_REQUESTS {
                break;
            }
        }
        Case { profile, strict_origins: flags & 2 != 0, allow_credentials: flags & 4 == 0, config, requests }
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
                | (self.strict_origins as u8) << 1
                | (!self.allow_credentials as u8) << 2
                | (self.config.is_none() as u8) << 3
                | vary << 4,
        );
        if let Some(config) = &self.config {
            if config.rules.is_empty() || config.rules.len() > MAX_RULES {
                return None;
            }
            w.byte((config.rules.len() - 1) as u8);
            for rule in &config.rules {
                encode_rule(&mut w, rule)?;
            }
        }
        if self.requests.is_empty() || self.requests.len() > MAX_REQUESTS {
            return None;
        }
        for r in &self.requests {
            w.pick(&REQUEST_METHODS, &r.method)?;
            w.option(r.origin.as_deref())?;
            match &r.acrm {
                None => w.byte(0),
                Some(m) => {
                    w.byte(1);
                    w.pick(&REQUEST_METHODS, m)?;
                }
            }
            w.option(r.acrh.as_deref())?;
            w.byte(TARGETS.iter().position(|t| *t == r.target)? as u8);
            w.option(r.request_id.as_deref())?;
            w.option(r.host_id.as_deref())?;
        }
        (Case::decode(&w.out) == *self).then_some(w.out)
    }
}

fn decode_rule(r: &mut Reader<'_>, oss: bool) -> CorsRule {
    let id = r.option(&ID_TOKENS).filter(|_| !oss);
    let allowed_origins = r.list(1, MAX_ITEMS, |r| r.pattern(&ORIGIN_TOKENS));
    let allowed_methods = r.list(1, MAX_ITEMS, |r| r.pick(&METHODS));
    let allowed_headers = r.list(0, MAX_ITEMS, |r| r.pattern(&HEADER_TOKENS));
    let expose_headers = r.list(0, 3, |r| r.string(&EXPOSE_TOKENS));
    let max_age_seconds = match r.below(3) {
        0 => None,
        1 => Some(r.byte() as u32),
        _ => Some(u32::from_le_bytes([r.byte(), r.byte(), r.byte(), r.byte()])),
    };
    CorsRule { id, allowed_origins, allowed_methods, allowed_headers, expose_headers, max_age_seconds }
}

fn encode_rule(w: &mut Writer, rule: &CorsRule) -> Option<()> {
    w.option(rule.id.as_deref())?;
    // Patterns are written as one literal (`*` placement 0), methods as picks or literals.
    w.list(1, MAX_ITEMS, &rule.allowed_origins, |w, s| {
        w.byte(0);
        w.string(s)
    })?;
    w.list(1, MAX_ITEMS, &rule.allowed_methods, |w, s| w.pick(&METHODS, s))?;
    w.list(0, MAX_ITEMS, &rule.allowed_headers, |w, s| {
        w.byte(0);
        w.string(s)
    })?;
    w.list(0, 3, &rule.expose_headers, |w, s| w.string(s))?;
    match rule.max_age_seconds {
        None => w.byte(0),
        Some(age) => {
            w.byte(2);
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
