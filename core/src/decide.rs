//! The hot path: one request against a compiled rule set, without allocating.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, nfa, Anchored};

use crate::acrh::Acrh;
use crate::ascii;
use crate::compile::{CompiledRule, Entry, EntryKind, Group, Indexed, OriginIndex, RuleSet, Side, StateMap, Trie};
use crate::pattern::{is_serialized_origin, Method};
use crate::render::slot::{
    ALLOW_CREDENTIALS as ACAC, ALLOW_HEADERS as ACAH, ALLOW_METHODS as ACAM, ALLOW_ORIGIN as ACAO,
    EXPOSE_HEADERS as ACEH, MAX_AGE as ACMA, VARY,
};
use crate::render::{self, Refusal};
use crate::request::{ErrorResponse, Request, Response, Target};
use crate::Profile;

/// Per-caller working memory for [`RuleSet::evaluate`]. Keep one per thread and reuse it:
/// after its buffers have grown to the largest request seen, evaluation allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    acrh: Acrh,
    message: String,
    body: String,
    prefix_ids: Vec<u32>,
    suffix_ids: Vec<u32>,
    rule_stamps: Vec<u32>,
    epoch: u32,
}

impl Scratch {
    /// An empty scratch space.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    fn next_epoch(&mut self) -> u32 {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.rule_stamps.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        self.epoch
    }
}

/// The refusal of a preflight: status, code, message and XML body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused<'a> {
    /// Why.
    pub reason: Refusal,
    /// The provider's code.
    pub code: &'static str,
    /// The provider's message.
    pub message: &'a str,
    /// The XML error body.
    pub body: &'a str,
}

/// The engine's answer, borrowed from the rule set, the request and the scratch space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The status of a preflight response; `None` for an actual request.
    pub status: Option<u16>,
    /// The matched rule (0-based).
    pub rule: Option<usize>,
    /// Header values in [`render::HEADER_ORDER`]; `None` means not sent.
    pub values: [Option<&'a str>; 7],
    /// For a refused preflight.
    pub refused: Option<Refused<'a>>,
}

impl<'a> Decision<'a> {
    /// The headers to send, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'a str)> + '_ {
        render::HEADER_ORDER.iter().zip(self.values.iter()).filter_map(|(n, v)| v.map(|v| (*n, v)))
    }

    /// An owned copy, as the reference matcher returns it.
    pub fn to_response(&self) -> Response {
        Response {
            status: self.status,
            headers: self.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            error: self.refused.map(|r| ErrorResponse {
                code: r.code.to_string(),
                message: r.message.to_string(),
                body: r.body.to_string(),
            }),
            rule: self.rule,
        }
    }
}

impl RuleSet {
    /// Decides a request: a preflight (`OPTIONS`) gets a full response, an actual request
    /// the headers to add. Allocates nothing once `scratch` has grown to the request's size.
    pub fn evaluate<'a>(&'a self, req: &Request<'a>, scratch: &'a mut Scratch) -> Decision<'a> {
        let c = &*self.inner;
        let profile = c.options.profile;
        let has_config = c.config.is_some() && req.target != Target::MissingBucket;
        // Each way out builds its decision in place: a decision moved from a local into the
        // return slot costs a `memcpy` call of its 200 bytes, measured at several ns.
        let vary = (has_config && c.vary_everywhere).then_some(render::OSS_VARY);
        let preflight = req.is_preflight();
        let Some(origin) = req.origin else {
            return if preflight { refuse(vary, Refusal::NoOrigin, profile, req, scratch) } else { nothing(vary) };
        };
        let method = if preflight {
            let parsed = req.acrm.map(Method::parse);
            if let Some(None) = parsed {
                return refuse(vary, Refusal::InvalidAcrm, profile, req, scratch);
            }
            if req.target == Target::MissingBucket {
                return refuse(vary, Refusal::NoBucket, profile, req, scratch);
            }
            if !has_config {
                return refuse(vary, Refusal::NotEnabled, profile, req, scratch);
            }
            match parsed {
                Some(Some(m)) => Some(m),
                _ => return refuse(vary, Refusal::NoAcrm, profile, req, scratch),
            }
        } else {
            if !has_config {
                return nothing(vary);
            }
            Method::parse(req.acrm.unwrap_or(req.method))
        };
        let found = match method {
            Some(m) => first_match(self, origin, m, req.acrh, scratch),
            None => None,
        };
        let Some(index) = found else {
            return if preflight { refuse(vary, Refusal::Denied, profile, req, scratch) } else { nothing(vary) };
        };
        let scratch: &'a Scratch = scratch;
        let rule: &'a CompiledRule = &c.rules[index];
        let mut values = [None; 7];
        values[ACAO] = Some(if rule.wildcard_origin { "*" } else { origin });
        values[ACAM] = Some(&*rule.allow_methods);
        values[ACAH] = scratch.acrh.value();
        values[ACEH] = rule.expose.as_deref();
        values[ACMA] = rule.max_age.as_deref();
        values[ACAC] = (!rule.wildcard_origin && c.options.allow_credentials).then_some("true");
        values[VARY] = if profile == Profile::S3 { Some(render::S3_VARY) } else { vary };
        Decision { status: preflight.then_some(200), rule: Some(index), values, refused: None }
    }

    /// Convenience: [`RuleSet::evaluate`] with a fresh scratch space, as an owned response.
    pub fn respond(&self, req: &Request<'_>) -> Response {
        let mut scratch = Scratch::new();
        self.evaluate(req, &mut scratch).to_response()
    }
}

/// No CORS headers, but `Vary` where the configuration asks for it everywhere.
fn nothing<'a>(vary: Option<&'static str>) -> Decision<'a> {
    let mut values = [None; 7];
    values[VARY] = vary;
    Decision { status: None, rule: None, values, refused: None }
}

fn refuse<'a>(
    vary: Option<&'static str>,
    reason: Refusal,
    profile: Profile,
    req: &Request<'a>,
    scratch: &'a mut Scratch,
) -> Decision<'a> {
    let code = reason.code(profile);
    let Scratch { message: buffer, body, .. } = scratch;
    // The provider's messages are static, except InvalidAcrm's, which ends with the ACRM.
    let plain = reason != Refusal::InvalidAcrm;
    let message: &'a str = if plain {
        reason.static_message(profile)
    } else {
        buffer.clear();
        buffer.push_str(reason.static_message(profile));
        buffer.push_str(req.acrm.unwrap_or(""));
        buffer
    };
    let resource_type = if reason == Refusal::Denied { req.target.resource_type() } else { "BUCKET" };
    let extras = [("Method", req.acrm.unwrap_or("OPTIONS")), ("ResourceType", resource_type)];
    let extras = if reason.s3_extras(profile) { &extras[..] } else { &[] };
    body.clear();
    render::error_body_with(body, code, message, plain, extras, req.request_id, req.host_id);
    let refused = Some(Refused { reason, code, message, body });
    Decision { status: Some(reason.status(profile)), refused, ..nothing(vary) }
}

/// The lowest rule whose origin, method and headers all match. The origin is looked up
/// first: the ACRH is lowered (into the scratch space, where a match's Allow-Headers value
/// is read from) only when some origin pattern matches.
fn first_match(
    set: &RuleSet,
    origin: &str,
    method: Method,
    acrh: Option<&str>,
    scratch: &mut Scratch,
) -> Option<usize> {
    let c = &*set.inner;
    // Strict origins: an Origin that is not a serialized origin matches only `*`.
    let strict_miss = c.options.strict_origins && !is_serialized_origin(origin);
    match &c.origins {
        OriginIndex::Linear(entries) => first_linear(set, entries, origin, method, acrh, strict_miss, scratch),
        OriginIndex::Indexed(idx) => first_indexed(set, idx, origin, method, acrh, strict_miss, scratch),
    }
}

/// [`first_match`] over a small set's patterns, one after the other in rule order: the
/// first entry whose method, origin and headers match is the answer.
fn first_linear(
    set: &RuleSet,
    entries: &[Entry],
    origin: &str,
    method: Method,
    acrh: Option<&str>,
    strict_miss: bool,
    scratch: &mut Scratch,
) -> Option<usize> {
    let c = &*set.inner;
    let rules = &c.config.as_ref()?.rules;
    let bytes = origin.as_bytes();
    let bit = method.bit();
    let mut lowered = false;
    // The rule whose headers failed last: a rule's entries are next to each other.
    let mut failed = u32::MAX;
    for e in entries {
        if e.methods & bit == 0 || e.rule == failed {
            continue;
        }
        let matches = match e.kind {
            EntryKind::Any => true,
            _ if strict_miss => false,
            kind => {
                let pattern = rules[e.rule as usize].allowed_origins[e.origin as usize].as_bytes();
                if kind == EntryKind::Exact {
                    ascii::eq(pattern, bytes)
                } else {
                    let star = e.star as usize;
                    ascii::glob_matches(&pattern[..star], &pattern[star + 1..], bytes)
                }
            }
        };
        if !matches {
            continue;
        }
        if !lowered {
            scratch.acrh.set(acrh);
            lowered = true;
        }
        if headers_allowed(&c.rules[e.rule as usize], &scratch.acrh) {
            return Some(e.rule as usize);
        }
        failed = e.rule;
    }
    None
}

/// [`first_match`] through the index.
fn first_indexed(
    set: &RuleSet,
    idx: &Indexed,
    origin: &str,
    method: Method,
    acrh: Option<&str>,
    strict_miss: bool,
    scratch: &mut Scratch,
) -> Option<usize> {
    let c = &*set.inner;
    let epoch = scratch.next_epoch();
    let bytes = origin.as_bytes();
    scratch.prefix_ids.clear();
    scratch.suffix_ids.clear();
    if !strict_miss {
        walk_both(idx, bytes, &mut scratch.prefix_ids, &mut scratch.suffix_ids);
    }
    let empty = idx.empty.filter(|_| origin.is_empty() && !strict_miss);
    if idx.any.is_none() && empty.is_none() && scratch.prefix_ids.is_empty() && scratch.suffix_ids.is_empty() {
        return None;
    }
    scratch.acrh.set(acrh);
    let acrh = &scratch.acrh;
    // A rule can sit in several matching groups (one per origin pattern); once its headers
    // have failed, it is not checked again in this call.
    if scratch.rule_stamps.len() < c.rules.len() {
        scratch.rule_stamps.resize(c.rules.len(), 0);
    }
    let failed = &mut scratch.rule_stamps[..];
    let m = method.index();
    let mut cx = Candidates { idx, rules: &c.rules, acrh, failed, epoch, m, best: u32::MAX };
    if let Some(g) = idx.any {
        cx.consider(g);
    }
    if let Some(g) = empty {
        cx.consider(g);
    }
    // Literals the origin starts with (exact origins, `prefix*`) and ends with (`*suffix`),
    // and the two-sided globs indexed by them.
    for &id in &scratch.prefix_ids {
        let lit = &idx.prefixes.literals[id as usize];
        if let Some(g) = lit.exact.filter(|_| lit.len as usize == bytes.len()) {
            cx.consider(g);
        }
        if let Some(g) = lit.open {
            cx.consider(g);
        }
        for half in idx.prefixes.halves(lit) {
            if idx.prefixes.other_half_matches::<false>(half, bytes) {
                cx.consider(half.group);
            }
        }
    }
    for &id in &scratch.suffix_ids {
        let lit = &idx.suffixes.literals[id as usize];
        if let Some(g) = lit.open {
            cx.consider(g);
        }
        for half in idx.suffixes.halves(lit) {
            if idx.suffixes.other_half_matches::<true>(half, bytes) {
                cx.consider(half.group);
            }
        }
    }
    let best = cx.best;
    (best != u32::MAX).then_some(best as usize)
}

/// What [`first_indexed`] checks each matching group's rules with, and the best rule so far.
/// (A function rather than a closure: the compiler stopped inlining the closure after an
/// unrelated change, a call and 36 more instructions per call of `evaluate`, callgrind.)
struct Candidates<'s> {
    idx: &'s Indexed,
    rules: &'s [CompiledRule],
    acrh: &'s Acrh,
    /// Stamped with `epoch` once a rule's headers have failed.
    failed: &'s mut [u32],
    epoch: u32,
    /// The method's index.
    m: usize,
    best: u32,
}

impl Candidates<'_> {
    #[inline(always)]
    fn consider(&mut self, group: u32) {
        // Borrowed, not copied out (the copy went through the stack).
        let Group { starts } = &self.idx.groups[group as usize];
        let (lo, hi) = (starts[self.m] as usize, starts[self.m + 1] as usize);
        for &r in &self.idx.members[lo..hi] {
            if r >= self.best {
                break;
            }
            if self.failed[r as usize] == self.epoch {
                continue;
            }
            if headers_allowed(&self.rules[r as usize], self.acrh) {
                self.best = r;
                break;
            }
            self.failed[r as usize] = self.epoch;
        }
    }
}

/// Finds the literals the origin starts and ends with, listing each: by length
/// table lookups on a side that has one, else with both sides' anchored automata in
/// lockstep, the prefix side from the start and the suffix side from the end (stepping both
/// in one loop overlaps their two chains of dependent table loads).
fn walk_both(idx: &Indexed, bytes: &[u8], p: &mut Vec<u32>, q: &mut Vec<u32>) {
    if let Some(t) = &idx.prefixes.table {
        t.find::<false>(bytes, p);
    }
    if let Some(t) = &idx.suffixes.table {
        t.find::<true>(bytes, q);
    }
    if idx.prefixes.automaton.is_none() && idx.suffixes.automaton.is_none() {
        return;
    }
    let (pd, pn) = kinds(&idx.prefixes);
    let (sd, sn) = kinds(&idx.suffixes);
    let ends = (&idx.prefixes.ends, &idx.suffixes.ends);
    match (pn, sn) {
        (None, None) => lockstep(pd, sd, ends, bytes, p, q),
        (None, Some(sn)) => lockstep(pd, Some(sn), ends, bytes, p, q),
        (Some(pn), None) => lockstep(Some(pn), sd, ends, bytes, p, q),
        (Some(pn), Some(sn)) => lockstep(Some(pn), Some(sn), ends, bytes, p, q),
    }
}

fn kinds(side: &Side) -> (Option<&dfa::DFA>, Option<&nfa::contiguous::NFA>) {
    match side.automaton.as_deref() {
        None => (None, None),
        Some(Trie::Dfa(d)) => (Some(d), None),
        Some(Trie::Nfa(n)) => (None, Some(n)),
    }
}

#[inline(always)]
fn lockstep<P: Automaton, S: Automaton>(
    p: Option<&P>,
    s: Option<&S>,
    (pe, se): (&StateMap, &StateMap),
    bytes: &[u8],
    pf: &mut Vec<u32>,
    sf: &mut Vec<u32>,
) {
    let n = bytes.len();
    let mut ps = p.and_then(|a| a.start_state(Anchored::Yes).ok());
    let mut ss = s.and_then(|a| a.start_state(Anchored::Yes).ok());
    let mut len = 0;
    while len < n && (ps.is_some() || ss.is_some()) {
        len += 1;
        if let (Some(a), Some(sid)) = (p, ps) {
            ps = step(a, a.next_state(Anchored::Yes, sid, bytes[len - 1]), pe, pf);
        }
        if let (Some(a), Some(sid)) = (s, ss) {
            ss = step(a, a.next_state(Anchored::Yes, sid, bytes[n - len]), se, sf);
        }
    }
}

/// After a step to `sid`: `None` once the automaton is dead. At a match state, the literal
/// read so far, if any, is the one whose end state this is (see `Side::ends`): the match
/// set also lists shorter literals that are suffixes of what was read, which do not start
/// at the beginning.
#[inline(always)]
fn step<A: Automaton>(a: &A, sid: StateID, ends: &StateMap, found: &mut Vec<u32>) -> Option<StateID> {
    if a.is_special(sid) {
        if a.is_dead(sid) {
            return None;
        }
        if a.is_match(sid) {
            if let Some(id) = ends.get(sid.as_u32()) {
                found.push(id);
            }
        }
    }
    Some(sid)
}

#[inline]
fn headers_allowed(rule: &CompiledRule, acrh: &Acrh) -> bool {
    rule.headers.any || acrh.items().all(|item| rule.headers.allows(item))
}
