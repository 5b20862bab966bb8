package corsmatch

import (
	"encoding/binary"
	"net/http"
	"strings"
	"sync/atomic"
	"unsafe"
)

// The middleware's memo: a rule set remembers its last answers to allowed requests, so that a
// request it has answered before (browsers repeat the same Origin, method and
// Access-Control-Request-Headers) is answered without crossing into C. A decision depends on
// the rule set, which is immutable, and the request's fields, which are the key, so an answer
// from the memo is the library's answer.
//
// Bounds: memoSlots entries per rule set, direct-mapped, in a table of 128 bytes allocated on
// the rule set's first allowed request; keys up to memoMaxKey bytes; refusals are not kept
// (their body carries the request's IDs). An entry is made only for a key seen twice in a row
// in its slot, so a stream of requests that never repeat allocates nothing but the table.
const (
	memoSlots  = 8
	memoMaxKey = 512
)

type memoTable [memoSlots]struct {
	entry atomic.Pointer[memoEntry]
	seen  atomic.Uint64 // the hash of the last key that missed in this slot
}

// memoEntry is one answer: its key (copies of the request's fields) and the response
// headers. The order headers are set in does not matter (http.Header is a map; Vary, the one
// header added to, is set last, as the engine orders it).
type memoEntry struct {
	hash                        uint64
	preflight                   bool
	target                      Target
	hasOrigin, hasACRM, hasACRH bool
	method, origin, acrm, acrh  string
	status                      int
	// Allow-Origin and Allow-Headers are the request's own Origin and
	// Access-Control-Request-Headers lines.
	echoOrigin, echoACRH bool
	fixed                []memoHeader // headers whose value is fixed, shared slices
	vary                 []string     // Vary's value, nil when not sent
}

type memoHeader struct {
	name string
	line []string // len == cap == 1
}

// keyHash is the memo key's hash. It only spreads keys over the slots, and a colliding key is
// a miss, never a wrong answer, so it needs no seed and reads only a few words of each
// string: the lengths, and of the Origin the bytes after the scheme, the middle and the end.
func (in *input) keyHash() uint64 {
	const k = 0x9E3779B97F4A7C15
	o := in.origin
	h := uint64(len(o)) | uint64(len(in.acrh))<<16 | uint64(len(in.acrm))<<32 | uint64(in.target)<<48
	if !in.preflight {
		h ^= uint64(len(in.method))<<40 | 1<<63
		if len(in.method) > 0 {
			h ^= uint64(in.method[0]) << 56
		}
	}
	h = (h ^ word(o, 8)) * k
	h = (h ^ word(o, len(o)/2)) * k
	h = (h ^ word(o, len(o)-8)) * k
	h = (h ^ word(in.acrh, len(in.acrh)-8)) * k
	return h ^ h>>31
}

// word is the 8 bytes of s from i on, as far as s has them (0 past its ends).
func word(s string, i int) uint64 {
	if i < 0 {
		i = 0
	}
	if i+8 <= len(s) {
		return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
	}
	var w uint64
	for j := i; j < len(s); j++ {
		w |= uint64(s[j]) << (8 * (j - i))
	}
	return w
}

func (in *input) memoKeyLen() int {
	return len(in.method) + len(in.origin) + len(in.acrm) + len(in.acrh)
}

func (e *memoEntry) matches(in *input, hash uint64) bool {
	return e.hash == hash && e.preflight == in.preflight && e.target == in.target &&
		e.hasOrigin == in.hasOrigin && e.hasACRM == in.hasACRM && e.hasACRH == in.hasACRH &&
		e.origin == in.origin && e.acrm == in.acrm && e.acrh == in.acrh &&
		(in.preflight || e.method == in.method)
}

// memoLookup returns the memo's answer to in, or nil, and the key's hash (0: not memoisable).
func (rs *RuleSet) memoLookup(in *input) (*memoEntry, uint64) {
	if in.memoKeyLen() > memoMaxKey {
		return nil, 0
	}
	hash := in.keyHash()
	if hash == 0 {
		hash = 1
	}
	if t := rs.memo.Load(); t != nil {
		if e := t[hash%memoSlots].entry.Load(); e != nil && e.matches(in, hash) {
			return e, hash
		}
	}
	return nil, hash
}

// memoAdmit says whether a missed key should get an entry: the second miss in a row of the
// same key in its slot. The first miss only records the key's hash.
func (rs *RuleSet) memoAdmit(hash uint64) bool {
	if hash == 0 {
		return false
	}
	t := rs.memo.Load()
	if t == nil {
		t = new(memoTable)
		if !rs.memo.CompareAndSwap(nil, t) {
			t = rs.memo.Load()
		}
	}
	slot := &t[hash%memoSlots]
	if slot.seen.Load() == hash {
		return true
	}
	slot.seen.Store(hash)
	return false
}

// memoStore keeps an answer in its slot.
func (rs *RuleSet) memoStore(e *memoEntry) {
	if t := rs.memo.Load(); t != nil {
		t[e.hash%memoSlots].entry.Store(e)
	}
}

// newMemoEntry makes the memo's entry for in; add gives it its headers.
func newMemoEntry(in *input, hash uint64, status int, n int) *memoEntry {
	return &memoEntry{
		hash: hash, preflight: in.preflight, target: in.target,
		hasOrigin: in.hasOrigin, hasACRM: in.hasACRM, hasACRH: in.hasACRH,
		method: strings.Clone(in.method), origin: strings.Clone(in.origin),
		acrm: strings.Clone(in.acrm), acrh: strings.Clone(in.acrh),
		status: status, fixed: make([]memoHeader, 0, n),
	}
}

// add records one header of the answer; value and line are headerValue's.
func (e *memoEntry) add(in *input, name, value string, line []string) {
	if line == nil {
		line = []string{value}
	}
	switch {
	case name == hAllowOrigin && in.hasOrigin && len(value) > 0 && sameString(value, in.origin):
		e.echoOrigin = true
	case name == hAllowHeaders && in.hasACRH && sameString(value, in.acrh):
		e.echoACRH = true
	case name == hVary:
		e.vary = line
	default:
		e.fixed = append(e.fixed, memoHeader{name, line})
	}
}

// setHeader sets one response header: Vary is added to, the others set.
func setHeader(out http.Header, name, value string, line []string) {
	if name == hVary {
		if cur := out[hVary]; len(cur) > 0 {
			out[hVary] = append(cur, value)
			return
		}
	}
	if line == nil {
		line = []string{value}
	}
	out[name] = line
}

// write sets the entry's headers on out, with the echoed values taken from in.
func (e *memoEntry) write(out http.Header, in *input) {
	if e.echoOrigin {
		setHeader(out, hAllowOrigin, in.origin, in.originLine)
	}
	if e.echoACRH {
		setHeader(out, hAllowHeaders, in.acrh, in.acrhLine)
	}
	for i := range e.fixed {
		out[e.fixed[i].name] = e.fixed[i].line
	}
	if e.vary != nil {
		setHeader(out, hVary, e.vary[0], e.vary)
	}
}

// sameString says whether a and b are the same string in memory, not only equal.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}
