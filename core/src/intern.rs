//! Sharing one compiled rule set among the buckets whose configurations say the same thing.
//!
//! A storage node keeps the rule sets of many buckets, and many buckets carry the same
//! configuration (a public `*` GET, the one the console suggests, a tenant's template). An
//! [`Interner`] hands out one [`RuleSet`] (one allocation, one set of automata) for all the
//! documents that parse to the same [`CorsConfig`] under the same [`Options`].
//!
//! The key is the parsed, validated configuration, not the bytes: documents that differ only
//! in formatting (whitespace between elements, comments, the XML declaration, a namespace,
//! CDATA) share a set; values are compared as the parser keeps them, verbatim (an
//! `AllowedOrigin` with a space inside it is another origin), so two documents share only when
//! a plain compile of each would give rule sets with equal `config()` and `options()`.
//!
//! ```text
//!   document ──parse+validate──▶ (Options, CorsConfig) ──hash──▶ shard ──▶ Weak<Compiled>
//!                (every call:                                      │ live and equal: clone (hit)
//!                 errors are a plain compile's)                    └ else: compile, keep a Weak
//! ```
//!
//! The interner holds only weak references: a set that no bucket uses any more is freed as
//! usual, and its entry is dropped the next time its shard is pruned (amortised: when the shard
//! has grown to twice its size after the last pruning).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::compile::Compiled;
use crate::config::{CorsConfig, CorsRule};
use crate::formats::{Bucket, LoadError};
use crate::{ConfigError, Options, RuleSet};

/// Shards: a compile holds its shard's lock (so that a set is compiled once), and the other
/// shards go on meanwhile.
const SHARDS: usize = 16;

/// A shard is not pruned before it has this many entries.
const MIN_PRUNE: usize = 64;

/// Hands out one [`RuleSet`] for all the documents that parse to the same configuration under
/// the same options. `Send + Sync`: share one between threads.
///
/// ```
/// use corsmatch::{intern::Interner, Options, Profile};
///
/// let interner = Interner::new();
/// let options = Options::new(Profile::S3);
/// let a = interner.compile_xml(&options, b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
///     <AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")?;
/// let b = interner.compile_xml(&options, b"<?xml version=\"1.0\"?>\n<CORSConfiguration>\n  <CORSRule>\n\
///     <AllowedOrigin>*</AllowedOrigin><!-- public -->\n    <AllowedMethod>GET</AllowedMethod>\n\
///     </CORSRule>\n</CORSConfiguration>")?;
/// assert!(a.shares_with(&b));
/// assert_eq!(interner.len(), 1);
/// assert_eq!((interner.stats().hits, interner.stats().misses), (1, 1));
/// drop((a, b));
/// assert_eq!(interner.len(), 0);
/// # Ok::<(), corsmatch::ConfigError>(())
/// ```
pub struct Interner {
    shards: Box<[Mutex<Shard>]>,
    hasher: foldhash::quality::RandomState,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What [`Interner::stats`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct InternerStats {
    /// Calls answered with a set already compiled.
    pub hits: u64,
    /// Calls that compiled a set (errors are not counted).
    pub misses: u64,
    /// Distinct sets alive now (some bucket holds them).
    pub sets: usize,
    /// Entries kept, dead ones not yet pruned included.
    pub entries: usize,
}

#[derive(Default)]
struct Shard {
    /// By the hash of (options, configuration). A second live set with the same 64-bit hash
    /// (a collision) goes to `collided`.
    sets: HashMap<u64, Weak<Compiled>, foldhash::fast::RandomState>,
    collided: Vec<(u64, Weak<Compiled>)>,
    /// Prune when `sets` reaches this many entries.
    prune_at: usize,
}

impl Shard {
    fn find(&self, hash: u64, options: &Options, config: &CorsConfig) -> Option<Arc<Compiled>> {
        let same = |c: &Arc<Compiled>| c.options == *options && c.config.as_ref() == Some(config);
        if let Some(live) = self.sets.get(&hash).and_then(Weak::upgrade) {
            if same(&live) {
                return Some(live);
            }
        }
        self.collided.iter().filter(|(h, _)| *h == hash).filter_map(|(_, w)| w.upgrade()).find(same)
    }

    fn insert(&mut self, hash: u64, set: &Arc<Compiled>) {
        if self.sets.len() >= self.prune_at.max(MIN_PRUNE) {
            self.prune();
        }
        let weak = Arc::downgrade(set);
        match self.sets.get_mut(&hash) {
            // A live set with the same hash and another key: keep both.
            Some(old) if old.strong_count() > 0 => self.collided.push((hash, weak)),
            Some(old) => *old = weak,
            None => {
                self.sets.insert(hash, weak);
            }
        }
    }

    fn prune(&mut self) {
        self.sets.retain(|_, w| w.strong_count() > 0);
        self.collided.retain(|(_, w)| w.strong_count() > 0);
        self.prune_at = 2 * self.sets.len();
    }

    fn live(&self) -> usize {
        self.sets.values().chain(self.collided.iter().map(|(_, w)| w)).filter(|w| w.strong_count() > 0).count()
    }
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Interner {
        Interner {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: foldhash::quality::RandomState::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Parses and validates a `CORSConfiguration` document as [`Options::compile_xml`] does
    /// (with the same errors), and returns the set already compiled for the same
    /// configuration and options, or compiles one.
    pub fn compile_xml(&self, options: &Options, document: &[u8]) -> Result<RuleSet, ConfigError> {
        let config = CorsConfig::from_xml_with_limits(document, options.profile, options.limits)?;
        self.intern(options, config)
    }

    /// Validates a configuration built in code as [`Options::compile`] does, and returns the
    /// set already compiled for it, or compiles one.
    pub fn compile(&self, options: &Options, config: CorsConfig) -> Result<RuleSet, ConfigError> {
        config.validate(options.profile, options.limits)?;
        self.intern(options, config)
    }

    /// A bucket read by [`crate::formats`] (any form), validated as [`Bucket::compile`]
    /// does, with the same errors and their locations.
    pub fn compile_bucket(&self, options: &Options, bucket: &Bucket) -> Result<RuleSet, LoadError> {
        let document = bucket.document();
        match CorsConfig::from_xml_with_limits(&document, options.profile, options.limits) {
            Ok(config) => self.intern(options, config).map_err(LoadError::from),
            // The error path compiles again to get the error located in the user's file.
            Err(_) => bucket.compile(options),
        }
    }

    /// Distinct sets alive now. Walks every entry under its shard's lock.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).live()).sum()
    }

    /// Whether no set handed out is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hits, misses, live sets and entries. Walks every entry under its shard's lock.
    pub fn stats(&self) -> InternerStats {
        let (mut sets, mut entries) = (0, 0);
        for shard in self.shards.iter() {
            let shard = lock(shard);
            sets += shard.live();
            entries += shard.sets.len() + shard.collided.len();
        }
        InternerStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            sets,
            entries,
        }
    }

    /// Drops the entries of sets no longer alive now rather than when their shard grows.
    pub fn prune(&self) {
        for shard in self.shards.iter() {
            lock(shard).prune();
        }
    }

    /// The shared set for a validated configuration.
    fn intern(&self, options: &Options, config: CorsConfig) -> Result<RuleSet, ConfigError> {
        let hash = self.hash(options, &config);
        // The top bits pick the shard; the map in the shard hashes the whole value again.
        let mut shard = lock(&self.shards[(hash >> 60) as usize % SHARDS]);
        if let Some(inner) = shard.find(hash, options, &config) {
            drop(shard);
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(RuleSet { inner });
        }
        // Compiled under the lock: a set is compiled once however many threads ask for it.
        // Every caller has validated the configuration.
        let set = options.build(Some(config))?;
        shard.insert(hash, &set.inner);
        drop(shard);
        self.misses.fetch_add(1, Ordering::Relaxed);
        Ok(set)
    }

    fn hash(&self, options: &Options, config: &CorsConfig) -> u64 {
        let mut h = self.hasher.build_hasher();
        hash_options(options, &mut h);
        hash_config(config, &mut h);
        h.finish()
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::new()
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner").field("stats", &self.stats()).finish()
    }
}

impl RuleSet {
    /// Whether the two are one compiled set (as an [`Interner`] hands out), not two equal ones.
    pub fn shares_with(&self, other: &RuleSet) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while a shard was locked leaves it consistent (entries are only added or
    // removed whole), so a poisoned lock is used as it is.
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

/// Everything `Options`' equality compares, so that equal keys hash equally. Destructured so
/// that a new option fails to compile here until it is hashed.
fn hash_options<H: Hasher>(options: &Options, h: &mut H) {
    let Options { profile, limits, allow_credentials, strict_origins, max_compiled_bytes } = *options;
    profile.hash(h);
    limits.max_rules.hash(h);
    limits.max_document_bytes.hash(h);
    allow_credentials.hash(h);
    strict_origins.hash(h);
    max_compiled_bytes.hash(h);
}

fn hash_config<H: Hasher>(config: &CorsConfig, h: &mut H) {
    let CorsConfig { rules, response_vary } = config;
    response_vary.hash(h);
    rules.len().hash(h);
    for rule in rules {
        let CorsRule { id, allowed_origins, allowed_methods, allowed_headers, expose_headers, max_age_seconds } = rule;
        id.hash(h);
        allowed_origins.hash(h);
        allowed_methods.hash(h);
        allowed_headers.hash(h);
        expose_headers.hash(h);
        max_age_seconds.hash(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    const GET_ANY: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
        <AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";

    fn doc(origin: &str) -> String {
        format!(
            "<CORSConfiguration><CORSRule><AllowedOrigin>{origin}</AllowedOrigin>\
             <AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>\
             <AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>600</MaxAgeSeconds>\
             </CORSRule></CORSConfiguration>"
        )
    }

    #[test]
    fn the_interner_is_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Interner>();
    }

    #[test]
    fn formatting_does_not_matter() {
        let i = Interner::new();
        let o = Options::new(Profile::S3);
        let plain = i.compile_xml(&o, GET_ANY.as_bytes()).unwrap();
        let variants = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_string() + GET_ANY,
            "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  <CORSRule>\n    \
             <AllowedOrigin>*</AllowedOrigin>\n    <AllowedMethod>GET</AllowedMethod>\n  </CORSRule>\n\
             </CORSConfiguration>\n"
                .to_string(),
            "<CORSConfiguration><!-- public --><CORSRule><AllowedOrigin><![CDATA[*]]></AllowedOrigin>\
             <AllowedMethod>G<!-- x -->ET</AllowedMethod></CORSRule></CORSConfiguration>"
                .to_string(),
        ];
        for v in &variants {
            let set = i.compile_xml(&o, v.as_bytes()).unwrap();
            assert!(set.shares_with(&plain), "{v}");
        }
        assert_eq!(i.len(), 1);
        let s = i.stats();
        assert_eq!((s.hits, s.misses, s.sets, s.entries), (3, 1, 1, 1));
    }

    #[test]
    fn what_the_parser_keeps_is_never_shared() {
        let i = Interner::new();
        let o = Options::new(Profile::S3);
        let docs = [
            GET_ANY.to_string(),
            // Whitespace inside a value is kept: another origin.
            GET_ANY.replace(">*<", "> *<"),
            // Case is kept too (even where matching ignores it: the set's config() shows it).
            GET_ANY.replace("</CORSRule>", "<AllowedHeader>x-a</AllowedHeader></CORSRule>"),
            GET_ANY.replace("</CORSRule>", "<AllowedHeader>X-A</AllowedHeader></CORSRule>"),
            GET_ANY.replace(
                "<AllowedMethod>GET</AllowedMethod>",
                "<AllowedMethod>GET</AllowedMethod><AllowedMethod>GET</AllowedMethod>",
            ),
            GET_ANY.replace("<CORSRule>", "<CORSRule><ID>a</ID>"),
            GET_ANY.replace("</CORSRule>", "<MaxAgeSeconds>0</MaxAgeSeconds></CORSRule>"),
            GET_ANY.replace(
                "</CORSRule>",
                "</CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>",
            ),
            doc("https://a.example"),
            doc("https://b.example"),
        ];
        let sets: Vec<RuleSet> = docs.iter().map(|d| i.compile_xml(&o, d.as_bytes()).unwrap()).collect();
        for (a, x) in sets.iter().enumerate() {
            for (b, y) in sets.iter().enumerate() {
                assert_eq!(x.shares_with(y), a == b, "{} / {}", docs[a], docs[b]);
            }
        }
        assert_eq!(i.len(), docs.len());
    }

    #[test]
    fn profiles_and_options_are_part_of_the_key() {
        let i = Interner::new();
        let d = doc("https://a.example");
        let all = [
            Options::new(Profile::S3),
            Options::new(Profile::Oss),
            Options::new(Profile::S3).allow_credentials(false),
            Options::new(Profile::S3).strict_origins(true),
            Options::new(Profile::S3).max_rules(5),
            Options::new(Profile::S3).max_document_bytes(4096),
            Options::new(Profile::S3).max_compiled_bytes(1 << 20),
        ];
        let sets: Vec<RuleSet> = all.iter().map(|o| i.compile_xml(o, d.as_bytes()).unwrap()).collect();
        for (a, x) in sets.iter().enumerate() {
            assert_eq!(x.options(), &all[a]);
            for (b, y) in sets.iter().enumerate() {
                assert_eq!(x.shares_with(y), a == b);
            }
        }
        // The same options again: shared.
        assert!(i.compile_xml(&all[3], d.as_bytes()).unwrap().shares_with(&sets[3]));
    }

    #[test]
    fn errors_are_a_plain_compiles() {
        let i = Interner::new();
        let long = format!(
            "<CORSConfiguration>{}</CORSConfiguration>",
            "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(11)
        );
        let docs = [
            "".to_string(),
            "not xml".to_string(),
            "<CORSConfiguration/>".to_string(),
            GET_ANY.replace("GET", "FETCH"),
            GET_ANY.replace(">*<", ">*.*<"),
            GET_ANY.replace("</CORSRule>", "<ExposeHeader>x*</ExposeHeader></CORSRule>"),
            GET_ANY.replace("</CORSRule>", "<MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>"),
            GET_ANY.replace("<CORSRule>", "<CORSRule><ID>a</ID>"),
            GET_ANY.replace("</CORSConfiguration>", "<ResponseVary>maybe</ResponseVary></CORSConfiguration>"),
            long,
            GET_ANY.to_string(),
        ];
        let mut alive = Vec::new();
        for profile in [Profile::Oss, Profile::S3] {
            for o in [Options::new(profile), Options::new(profile).max_compiled_bytes(64)] {
                for d in &docs {
                    // Twice: after a success, the second call is a hit.
                    for _ in 0..2 {
                        let plain = o.compile_xml(d.as_bytes());
                        let interned = i.compile_xml(&o, d.as_bytes());
                        match (plain, interned) {
                            (Ok(p), Ok(s)) => {
                                assert_eq!((p.config(), p.options()), (s.config(), s.options()));
                                alive.push(s);
                            }
                            (Err(p), Err(s)) => assert_eq!(p.to_string(), s.to_string(), "{d}"),
                            (p, s) => panic!("{d}: {p:?} vs {s:?}"),
                        }
                    }
                }
            }
        }
        assert!(i.stats().hits > 0);
    }

    #[test]
    fn configurations_built_in_code_and_buckets_share_with_documents() {
        let i = Interner::new();
        let o = Options::new(Profile::S3);
        let from_xml = i.compile_xml(&o, GET_ANY.as_bytes()).unwrap();
        let config = from_xml.config().unwrap().clone();
        assert!(i.compile(&o, config).unwrap().shares_with(&from_xml));
        let json = br#"[{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]"#;
        let bucket = crate::formats::read(json, None).unwrap().select(None).unwrap();
        assert!(i.compile_bucket(&o, &bucket).unwrap().shares_with(&from_xml));
        let bad = br#"[{"AllowedOrigins": ["*"], "AllowedMethods": ["FETCH"]}]"#;
        let bucket = crate::formats::read(bad, None).unwrap().select(None).unwrap();
        let plain = bucket.compile(&o).unwrap_err();
        assert_eq!(i.compile_bucket(&o, &bucket).unwrap_err().to_string(), plain.to_string());
        assert!(plain.location().is_some());
    }

    #[test]
    fn sets_no_bucket_holds_are_freed() {
        let i = Interner::new();
        let o = Options::new(Profile::Oss);
        let a = i.compile_xml(&o, doc("https://a.example").as_bytes()).unwrap();
        let weak = Arc::downgrade(&a.inner);
        drop(a);
        assert!(weak.upgrade().is_none());
        assert_eq!(i.len(), 0);
        // Compiled again, not revived.
        let again = i.compile_xml(&o, doc("https://a.example").as_bytes()).unwrap();
        assert_eq!(i.stats().misses, 2);
        drop(again);
        // Many short-lived sets: pruning keeps the entries within a small factor of the live.
        let keep: Vec<RuleSet> =
            (0..10).map(|n| i.compile_xml(&o, doc(&format!("https://keep{n}.example")).as_bytes()).unwrap()).collect();
        for n in 0..5000 {
            drop(i.compile_xml(&o, doc(&format!("https://t{n}.example")).as_bytes()).unwrap());
        }
        let s = i.stats();
        assert_eq!(s.sets, 10);
        assert!(s.entries <= SHARDS * MIN_PRUNE * 2, "{s:?}");
        i.prune();
        assert_eq!(i.stats().entries, 10);
        drop(keep);
        assert!(i.is_empty());
    }

    #[test]
    fn threads_get_one_set_per_configuration() {
        let i = Interner::new();
        let o = Options::new(Profile::S3);
        let docs: Vec<String> = (0..50).map(|n| doc(&format!("https://{}.example", n % 10))).collect();
        let sets: Vec<Vec<RuleSet>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| docs.iter().map(|d| i.compile_xml(&o, d.as_bytes()).unwrap()).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for per_thread in &sets {
            for (n, set) in per_thread.iter().enumerate() {
                assert!(set.shares_with(&sets[0][n % 10]));
            }
        }
        let s = i.stats();
        assert_eq!((s.misses, s.hits, s.sets), (10, 190, 10));
    }
}
