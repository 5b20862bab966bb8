//! The hot path: one request against a compiled rule set, without allocating.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, nfa, Anchored};

use crate::compile::{CompiledRule, Group, OriginIndex, RuleSet, Side, Trie};
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
    acrh: String,
    items: Vec<(u32, u32)>,
    message: String,
    body: String,
    prefix_ids: Vec<u32>,
    suffix_ids: Vec<u32>,
    prefix_stamps: Vec<u32>,
    suffix_stamps: Vec<u32>,
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
            self.prefix_stamps.iter_mut().for_each(|s| *s = 0);
            self.suffix_stamps.iter_mut().for_each(|s| *s = 0);
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
        let mut d = Decision { status: None, rule: None, values: [None; 7], refused: None };
        if has_config && c.vary_everywhere {
            d.values[VARY] = Some(render::OSS_VARY);
        }
        let preflight = req.is_preflight();
        let Some(origin) = req.origin else {
            return if preflight { refuse(d, Refusal::NoOrigin, profile, req, scratch) } else { d };
        };
        let method = if preflight {
            let parsed = req.acrm.map(Method::parse);
            if let Some(None) = parsed {
                return refuse(d, Refusal::InvalidAcrm, profile, req, scratch);
            }
            if req.target == Target::MissingBucket {
                return refuse(d, Refusal::NoBucket, profile, req, scratch);
            }
            if !has_config {
                return refuse(d, Refusal::NotEnabled, profile, req, scratch);
            }
            match parsed {
                Some(Some(m)) => Some(m),
                _ => return refuse(d, Refusal::NoAcrm, profile, req, scratch),
            }
        } else {
            if !has_config {
                return d;
            }
            Method::parse(req.acrm.unwrap_or(req.method))
        };
        let found = match method {
            Some(m) => first_match(self, origin, m, req.acrh, scratch),
            None => None,
        };
        let Some(index) = found else {
            return if preflight { refuse(d, Refusal::Denied, profile, req, scratch) } else { d };
        };
        let scratch: &'a Scratch = scratch;
        let rule: &'a CompiledRule = &c.rules[index];
        d.rule = Some(index);
        d.status = preflight.then_some(200);
        d.values[ACAO] = Some(if rule.wildcard_origin { "*" } else { origin });
        d.values[ACAM] = Some(&rule.allow_methods);
        d.values[ACAH] = (!scratch.acrh.is_empty()).then_some(scratch.acrh.as_str());
        d.values[ACEH] = rule.expose.as_deref();
        d.values[ACMA] = rule.max_age.as_deref();
        d.values[ACAC] = (!rule.wildcard_origin && c.options.allow_credentials).then_some("true");
        if profile == Profile::S3 {
            d.values[VARY] = Some(render::S3_VARY);
        }
        d
    }

    /// Convenience: [`RuleSet::evaluate`] with a fresh scratch space, as an owned response.
    pub fn respond(&self, req: &Request<'_>) -> Response {
        let mut scratch = Scratch::new();
        self.evaluate(req, &mut scratch).to_response()
    }
}

/// Writes the lowercased items of `Access-Control-Request-Headers`, joined by `", "`, and
/// where each item stands in that string: spaces and tabs trimmed around items, empty items
/// dropped.
fn lower_acrh(acrh: Option<&str>, out: &mut String, items: &mut Vec<(u32, u32)>) {
    out.clear();
    items.clear();
    let Some(list) = acrh else { return };
    out.reserve(list.len() + list.len() / 2);
    let bytes = list.as_bytes();
    let blank = |b: u8| b == b' ' || b == b'\t';
    let mut i = 0;
    while i <= bytes.len() {
        // One item: from `i` to the next comma (or the end), trimmed of spaces and tabs.
        let mut end = i;
        while end < bytes.len() && bytes[end] != b',' {
            end += 1;
        }
        let (mut s, mut e) = (i, end);
        while s < e && blank(bytes[s]) {
            s += 1;
        }
        while e > s && blank(bytes[e - 1]) {
            e -= 1;
        }
        if s < e {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let at = out.len() as u32;
            // Cut next to ASCII bytes (`,`, space, tab) or at the ends: UTF-8 boundaries.
            out.push_str(&list[s..e]);
            items.push((at, out.len() as u32));
        }
        i = end + 1;
    }
    out.make_ascii_lowercase();
}

fn refuse<'a>(
    mut d: Decision<'a>,
    reason: Refusal,
    profile: Profile,
    req: &Request<'a>,
    scratch: &'a mut Scratch,
) -> Decision<'a> {
    let code = reason.code(profile);
    scratch.message.clear();
    scratch.message.push_str(reason.static_message(profile));
    if reason == Refusal::InvalidAcrm {
        scratch.message.push_str(req.acrm.unwrap_or(""));
    }
    let resource_type = if reason == Refusal::Denied { req.target.resource_type() } else { "BUCKET" };
    let extras = reason.s3_extras(profile).then(|| (req.acrm.unwrap_or("OPTIONS"), resource_type));
    scratch.body.clear();
    render::error_body(&mut scratch.body, code, &scratch.message, extras, req.request_id, req.host_id);
    let scratch: &'a Scratch = scratch;
    d.status = Some(reason.status(profile));
    d.refused = Some(Refused { reason, code, message: &scratch.message, body: &scratch.body });
    d
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
    let idx = &c.origins;
    let epoch = scratch.next_epoch();
    let bytes = origin.as_bytes();
    // Strict origins: an Origin that is not a serialized origin matches only `*`.
    let strict_miss = c.options.strict_origins && !is_serialized_origin(origin);
    if strict_miss {
        scratch.prefix_ids.clear();
        scratch.suffix_ids.clear();
    } else {
        let mut pf = Found { ids: &mut scratch.prefix_ids, stamps: &mut scratch.prefix_stamps, epoch };
        let mut sf = Found { ids: &mut scratch.suffix_ids, stamps: &mut scratch.suffix_stamps, epoch };
        walk_both(idx, bytes, &mut pf, &mut sf);
    }
    let empty = idx.empty.filter(|_| origin.is_empty() && !strict_miss);
    if idx.any.is_none() && empty.is_none() && scratch.prefix_ids.is_empty() && scratch.suffix_ids.is_empty() {
        return None;
    }
    lower_acrh(acrh, &mut scratch.acrh, &mut scratch.items);
    let mut best = u32::MAX;
    let joined = scratch.acrh.as_str();
    let items = scratch.items.as_slice();
    // A rule can sit in several matching groups (one per origin pattern); once its headers
    // have failed, it is not checked again in this call.
    if scratch.rule_stamps.len() < c.rules.len() {
        scratch.rule_stamps.resize(c.rules.len(), 0);
    }
    let failed = &mut scratch.rule_stamps;
    let mut consider = |group: u32, best: &mut u32| {
        let Group { by_method } = &idx.groups[group as usize];
        for &r in by_method[method.index()].iter() {
            if r >= *best {
                break;
            }
            if failed[r as usize] == epoch {
                continue;
            }
            if headers_allowed(&c.rules[r as usize], joined, items) {
                *best = r;
                break;
            }
            failed[r as usize] = epoch;
        }
    };
    for group in [idx.any, empty].into_iter().flatten() {
        consider(group, &mut best);
    }
    // Literals the origin starts with (exact origins, `prefix*`) and ends with (`*suffix`).
    let mut prefix_count = 0;
    for &id in &scratch.prefix_ids {
        let lit = &idx.prefixes.literals[id as usize];
        if lit.len as usize == bytes.len() {
            if let Some(g) = lit.exact {
                consider(g, &mut best);
            }
        }
        if let Some(g) = lit.open {
            consider(g, &mut best);
        }
        prefix_count += lit.halves.len();
    }
    let mut suffix_count = 0;
    for &id in &scratch.suffix_ids {
        let lit = &idx.suffixes.literals[id as usize];
        if let Some(g) = lit.open {
            consider(g, &mut best);
        }
        suffix_count += lit.halves.len();
    }
    // Globs with both halves: enumerate the side with fewer, check the other by its stamp.
    let (ids, this, other_stamps) = if prefix_count <= suffix_count {
        (&scratch.prefix_ids, &idx.prefixes, &scratch.suffix_stamps)
    } else {
        (&scratch.suffix_ids, &idx.suffixes, &scratch.prefix_stamps)
    };
    for &id in ids {
        let lit = &this.literals[id as usize];
        for half in &this.halves[lit.halves.start as usize..lit.halves.end as usize] {
            if other_stamps[half.other as usize] == epoch && bytes.len() >= half.min_len as usize {
                consider(half.group, &mut best);
            }
        }
    }
    (best != u32::MAX).then_some(best as usize)
}

/// Finds the literals the origin starts and ends with, stamping and listing each: by length
/// table lookups on a side that has one, else with both sides' anchored automata in
/// lockstep, the prefix side from the start and the suffix side from the end (stepping both
/// in one loop overlaps their two chains of dependent table loads).
fn walk_both<'a>(idx: &OriginIndex, bytes: &[u8], p: &mut Found<'a>, q: &mut Found<'a>) {
    for (found, side) in [(&mut *p, &idx.prefixes), (&mut *q, &idx.suffixes)] {
        found.ids.clear();
        if found.stamps.len() < side.literals.len() {
            found.stamps.resize(side.literals.len(), 0);
        }
    }
    if let Some(t) = &idx.prefixes.table {
        for &len in t.lengths.iter().take_while(|&&len| len <= bytes.len()) {
            if let Some(&id) = t.ids.get(&bytes[..len]) {
                p.record(id);
            }
        }
    }
    if let Some(t) = &idx.suffixes.table {
        for &len in t.lengths.iter().take_while(|&&len| len <= bytes.len()) {
            if let Some(&id) = t.ids.get(&bytes[bytes.len() - len..]) {
                q.record(id);
            }
        }
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
    match &side.automaton {
        None => (None, None),
        Some(Trie::Dfa(d)) => (Some(d), None),
        Some(Trie::Nfa(n)) => (None, Some(n)),
    }
}

/// Where one side's walk records the literals it finds.
struct Found<'s> {
    ids: &'s mut Vec<u32>,
    stamps: &'s mut Vec<u32>,
    epoch: u32,
}

impl Found<'_> {
    #[inline(always)]
    fn record(&mut self, id: u32) {
        self.stamps[id as usize] = self.epoch;
        self.ids.push(id);
    }
}

#[inline(always)]
fn lockstep<P: Automaton, S: Automaton>(
    p: Option<&P>,
    s: Option<&S>,
    (pe, se): (&Ends, &Ends),
    bytes: &[u8],
    pf: &mut Found<'_>,
    sf: &mut Found<'_>,
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
fn step<A: Automaton>(a: &A, sid: StateID, ends: &Ends, found: &mut Found<'_>) -> Option<StateID> {
    if a.is_special(sid) {
        if a.is_dead(sid) {
            return None;
        }
        if a.is_match(sid) {
            if let Some(&id) = ends.get(&sid.as_u32()) {
                found.record(id);
            }
        }
    }
    Some(sid)
}

type Ends = std::collections::HashMap<u32, u32, foldhash::fast::RandomState>;

#[inline]
fn headers_allowed(rule: &CompiledRule, joined: &str, items: &[(u32, u32)]) -> bool {
    rule.headers.any || items.iter().all(|&(s, e)| rule.headers.allows(&joined[s as usize..e as usize]))
}
