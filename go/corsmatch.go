// Package corsmatch decides bucket CORS exactly as Alibaba Cloud OSS and AWS S3 decide it:
// a CORSConfiguration is validated with the providers' own error codes and compiled once, and
// each preflight or actual request gets the response the provider would send (status,
// headers in order, XML error body).
//
// It is a cgo binding of the corsmatch C ABI (ffi-c/ in the repository). Build the static
// library first, from the repository root:
//
//	cargo build --release -p corsmatch-ffi     # or ffi-c/build-c.sh, which also writes corsmatch.pc
//
// By default the package links ../target/release/libcorsmatch.a relative to this directory,
// so use it from a checkout (a `replace github.com/corsmatch/corsmatch/go => /path/to/corsmatch/go`
// directive in your go.mod). With `-tags corsmatch_pkgconfig` it takes the flags from
// pkg-config's corsmatch.pc instead.
//
// A RuleSet is immutable and safe for concurrent use. Evaluation borrows per-call working
// memory from a sync.Pool, so a steady stream of requests allocates only the strings of the
// response.
package corsmatch

/*
#include <stdint.h>
#include <stdlib.h>
#include "corsmatch.h"

// The hot calls take their handles (C memory) as integers: cgo checks every pointer argument
// whose target may hold pointers for Go pointers, and these never are. The strings are
// char pointers, which it does not check.
static inline corsmatch_result cm_preflight(uintptr_t rules, uintptr_t scratch,
		const char *origin, size_t origin_len, const char *acrm, size_t acrm_len,
		const char *acrh, size_t acrh_len, corsmatch_target target,
		const char *request_id, size_t request_id_len, const char *host_id, size_t host_id_len,
		uintptr_t out) {
	return corsmatch_preflight((const corsmatch_ruleset *)rules, (corsmatch_scratch *)scratch,
		origin, origin_len, acrm, acrm_len, acrh, acrh_len, target,
		request_id, request_id_len, host_id, host_id_len, (corsmatch_decision *)out);
}

static inline corsmatch_result cm_actual(uintptr_t rules, uintptr_t scratch,
		const char *method, size_t method_len, const char *origin, size_t origin_len,
		const char *acrm, size_t acrm_len, const char *acrh, size_t acrh_len,
		corsmatch_target target, uintptr_t out) {
	return corsmatch_actual((const corsmatch_ruleset *)rules, (corsmatch_scratch *)scratch,
		method, method_len, origin, origin_len, acrm, acrm_len, acrh, acrh_len, target,
		(corsmatch_decision *)out);
}
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Profile says whose behaviour to reproduce.
type Profile int

const (
	// OSS is Alibaba Cloud OSS (the default).
	OSS Profile = C.CORSMATCH_PROFILE_OSS
	// S3 is AWS S3 and S3-compatible servers.
	S3 Profile = C.CORSMATCH_PROFILE_S3
	// FromTool is for CompileJSON only: the provider the file's tool talks to (S3 for the AWS
	// tools, OSS for Alibaba Cloud's Terraform provider).
	FromTool Profile = C.CORSMATCH_PROFILE_AUTO
)

// String returns "oss" or "s3".
func (p Profile) String() string {
	switch p {
	case OSS:
		return "oss"
	case S3:
		return "s3"
	case FromTool:
		return "from-tool"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// Target says what a request addresses.
type Target int

const (
	// Object is an object key (S3 ResourceType OBJECT).
	Object Target = C.CORSMATCH_TARGET_OBJECT
	// Bucket is the bucket root (S3 ResourceType BUCKET).
	Bucket Target = C.CORSMATCH_TARGET_BUCKET
	// MissingBucket is a bucket that does not exist.
	MissingBucket Target = C.CORSMATCH_TARGET_MISSING_BUCKET
)

// Options tune compilation. The zero value (or a nil *Options) is the profile's defaults.
type Options struct {
	// MaxRules raises (or lowers) the rule limit; 0 keeps the profile's (oss 10, s3 100).
	MaxRules int
	// MaxDocumentBytes raises the document size limit; 0 keeps the profile's (16 KB, 64 KB).
	MaxDocumentBytes int
	// MaxCompiledBytes limits the compiled structure; 0 keeps the default (64 MiB).
	MaxCompiledBytes int
	// NoCredentials stops Access-Control-Allow-Credentials from being sent.
	NoCredentials bool
	// StrictOrigins makes an Origin that is not scheme://host[:port] match only "*".
	StrictOrigins bool
}

// Errors for input the library refuses before deciding anything.
var (
	// ErrInvalidUTF8 is returned when a request string is not UTF-8.
	ErrInvalidUTF8 = errors.New("corsmatch: a request string is not valid UTF-8")
	// ErrInvalidHeaderValue is returned when a request string (Method, Origin, ACRM, ACRH,
	// RequestID, HostID) holds a CR, LF or NUL byte. The library echoes those strings into
	// response headers and error bodies, where CR or LF would split the response; net/http
	// never delivers such header values, but a Request built by hand could carry them.
	ErrInvalidHeaderValue = errors.New("corsmatch: a request string holds CR, LF or NUL")
	// ErrInvalidArgument is returned for an unknown profile or target, or an OPTIONS
	// request given to Actual.
	ErrInvalidArgument = errors.New("corsmatch: invalid argument")
	// ErrInputTooLarge is returned for an input no memory can hold.
	ErrInputTooLarge = errors.New("corsmatch: input too large")
	// ErrInvalidDocument wraps what CompileJSON says of input that is not a configuration in
	// one of the JSON forms: a syntax error (with its line and column), XML, a tool's own
	// refusal, no bucket, or several and none named.
	ErrInvalidDocument = errors.New("corsmatch: not a configuration")
	// ErrClosed is returned by a RuleSet after Close.
	ErrClosed = errors.New("corsmatch: rule set is closed")
)

// Error is a failure of the C library that is not one of the errors above (a NULL pointer
// or a panic: a bug, please report it).
type Error struct {
	// Result is the corsmatch_result code.
	Result uint32
	// Name is its name, e.g. CORSMATCH_PANIC.
	Name string
}

func (e *Error) Error() string { return "corsmatch: " + e.Name }

func resultError(r C.corsmatch_result) error {
	switch r {
	case C.CORSMATCH_OK:
		return nil
	case C.CORSMATCH_INVALID_UTF8:
		return ErrInvalidUTF8
	case C.CORSMATCH_INVALID_HEADER_VALUE:
		return ErrInvalidHeaderValue
	case C.CORSMATCH_INVALID_ARGUMENT:
		return ErrInvalidArgument
	case C.CORSMATCH_INPUT_TOO_LARGE:
		return ErrInputTooLarge
	}
	return &Error{Result: uint32(r), Name: goString(C.corsmatch_result_name(C.uint32_t(r)))}
}

// ConfigError is a configuration the provider would refuse. Status, Code and Message are what
// the provider answers to PutBucketCors, to send back verbatim; Detail explains it for logs.
type ConfigError struct {
	// Status is the provider's HTTP status (400).
	Status int
	// Code is the provider's error code, e.g. MalformedXML, InvalidRequest, CORSRuleBeyondLimit.
	Code string
	// Message is the provider's message, verbatim.
	Message string
	// Detail is a lowercase explanation naming the value or limit.
	Detail string

	handle *C.corsmatch_error
}

// Error returns the lowercase explanation.
func (e *ConfigError) Error() string { return "corsmatch: " + e.Detail }

// XML returns the provider's XML error body, with <RequestId> and <HostId> when not empty;
// "" when either is not UTF-8 or holds CR, LF or NUL.
func (e *ConfigError) XML(requestID, hostID string) string {
	if e.handle == nil {
		return ""
	}
	defer runtime.KeepAlive(e)
	rp, rl := cString(requestID, requestID != "")
	hp, hl := cString(hostID, hostID != "")
	xml, err := fill(func(buf *C.char, size C.size_t, need *C.size_t) C.corsmatch_result {
		return C.corsmatch_error_xml(e.handle, rp, rl, hp, hl, buf, size, need)
	})
	if err != nil {
		return ""
	}
	return string(xml)
}

// fill calls a library function that writes into the caller's buffer, with a larger buffer
// while it answers BUFFER_TOO_SMALL, and returns what it wrote.
func fill(write func(buf *C.char, size C.size_t, need *C.size_t) C.corsmatch_result) ([]byte, error) {
	buf := make([]byte, 4096)
	for {
		var need C.size_t
		r := write((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &need)
		if r == C.CORSMATCH_BUFFER_TOO_SMALL {
			buf = make([]byte, int(need)+1)
			continue
		}
		if err := resultError(r); err != nil {
			return nil, err
		}
		return buf[:need], nil
	}
}

// Version is the C library's version.
func Version() string { return goString(C.corsmatch_version()) }

// goString copies a library string into Go memory.
func goString(s C.corsmatch_str) string {
	if s.len == 0 {
		return ""
	}
	return C.GoStringN(s.data, C.int(s.len))
}

// view is a library string seen without copying: only for memory that outlives its use
// (static strings, or the rule set while it is kept alive).
func view(s C.corsmatch_str) string {
	if s.len == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Pointer(s.data)), int(s.len))
}

// zero gives a present empty string a non-NULL pointer: (NULL, 0) means absent.
var zero C.char

// cString passes a Go string to C as pointer + length without copying; the memory holds no
// Go pointers, so cgo allows it for the duration of the call.
func cString(s string, present bool) (*C.char, C.size_t) {
	if !present {
		return nil, 0
	}
	if len(s) == 0 {
		return &zero, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// ruleHeaders caches, per rule, the header values that depend only on the rule.
type ruleHeaders struct {
	methods, expose, maxAge []string // one element each; nil when the rule has no such header
}

// RuleSet is a compiled CORS configuration (or the absence of one). It is immutable and safe
// for concurrent use. Close frees it; a finalizer does so too when it becomes unreachable.
type RuleSet struct {
	ptr     *C.corsmatch_ruleset
	profile Profile
	rules   []atomic.Pointer[ruleHeaders]
	memo    atomic.Pointer[memoTable] // the middleware's last answers (memo.go)
}

func newRuleSet(ptr *C.corsmatch_ruleset, profile Profile) *RuleSet {
	rs := &RuleSet{ptr: ptr, profile: profile}
	rs.rules = make([]atomic.Pointer[ruleHeaders], int(C.corsmatch_ruleset_rule_count(ptr)))
	runtime.SetFinalizer(rs, (*RuleSet).free)
	return rs
}

func (rs *RuleSet) free() {
	if rs.ptr != nil {
		C.corsmatch_ruleset_free(rs.ptr)
		rs.ptr = nil
	}
}

// Compile parses, validates and compiles a CORSConfiguration document. A document the
// provider would refuse gives a *ConfigError; opts may be nil.
func Compile(xml []byte, profile Profile, opts *Options) (*RuleSet, error) {
	return compileWith(xml, profile, opts, func(doc *C.char, n C.size_t, o *C.corsmatch_options,
		out **C.corsmatch_ruleset, cerr **C.corsmatch_error) C.corsmatch_result {
		return C.corsmatch_ruleset_new(doc, n, C.corsmatch_profile(profile), o, out, cerr)
	})
}

// compileWith is the body of Compile and Interner.Compile, given the C function to call.
func compileWith(xml []byte, profile Profile, opts *Options, call func(doc *C.char, n C.size_t,
	o *C.corsmatch_options, out **C.corsmatch_ruleset, cerr **C.corsmatch_error) C.corsmatch_result) (*RuleSet, error) {
	o, err := cOptions(profile, opts)
	if err != nil {
		return nil, err
	}
	var doc *C.char
	if len(xml) > 0 {
		doc = (*C.char)(unsafe.Pointer(&xml[0]))
	}
	var ptr *C.corsmatch_ruleset
	var cerr *C.corsmatch_error
	r := call(doc, C.size_t(len(xml)), &o, &ptr, &cerr)
	runtime.KeepAlive(xml)
	switch r {
	case C.CORSMATCH_OK:
		return newRuleSet(ptr, profile), nil
	case C.CORSMATCH_CONFIG_ERROR:
		return nil, configError(cerr)
	}
	return nil, resultError(r)
}

// cOptions is the profile's default options with opts (may be nil) applied.
func cOptions(profile Profile, opts *Options) (C.corsmatch_options, error) {
	var o C.corsmatch_options
	if r := C.corsmatch_options_default(C.corsmatch_profile(profile), &o); r != C.CORSMATCH_OK {
		return o, resultError(r)
	}
	if opts != nil {
		o.max_rules = C.size_t(max(opts.MaxRules, 0))
		o.max_document_bytes = C.size_t(max(opts.MaxDocumentBytes, 0))
		o.max_compiled_bytes = C.size_t(max(opts.MaxCompiledBytes, 0))
		o.allow_credentials = C.bool(!opts.NoCredentials)
		o.strict_origins = C.bool(opts.StrictOrigins)
	}
	return o, nil
}

// configError takes ownership of a provider's refusal.
func configError(cerr *C.corsmatch_error) *ConfigError {
	e := &ConfigError{
		Status:  int(C.corsmatch_error_status(cerr)),
		Code:    goString(C.corsmatch_error_code(cerr)),
		Message: goString(C.corsmatch_error_message(cerr)),
		Detail:  goString(C.corsmatch_error_detail(cerr)),
		handle:  cerr,
	}
	runtime.SetFinalizer(e, func(e *ConfigError) { C.corsmatch_error_free(e.handle) })
	return e
}

// CompileJSON reads, validates and compiles a configuration kept as JSON: the S3 console's
// array of rules, the AWS CLI's {"CORSRules": [...]}, a CloudFormation template, or
// Terraform's plan, state or .tf.json. resource names the bucket (a CloudFormation logical id,
// a Terraform address or its last part) when the file has several; "" for the only one.
// profile FromTool takes the provider the tool talks to; RuleSet.Profile says which was
// used. The provider's refusal is a *ConfigError; input that is not such a configuration an
// error wrapping ErrInvalidDocument that says where. opts may be nil.
func CompileJSON(data []byte, resource string, profile Profile, opts *Options) (*RuleSet, error) {
	base := profile
	if profile == FromTool {
		base = OSS
	}
	o, err := cOptions(base, opts)
	if err != nil {
		return nil, err
	}
	var doc *C.char
	if len(data) > 0 {
		doc = (*C.char)(unsafe.Pointer(&data[0]))
	}
	res, resLen := cString(resource, resource != "")
	var ptr *C.corsmatch_ruleset
	var used C.corsmatch_profile
	var cerr *C.corsmatch_error
	r := C.corsmatch_ruleset_from_json(doc, C.size_t(len(data)), res, resLen, C.corsmatch_profile(profile), &o, &ptr, &used, &cerr)
	runtime.KeepAlive(data)
	switch r {
	case C.CORSMATCH_OK:
		return newRuleSet(ptr, Profile(used)), nil
	case C.CORSMATCH_CONFIG_ERROR:
		return nil, configError(cerr)
	case C.CORSMATCH_INVALID_DOCUMENT:
		detail := goString(C.corsmatch_error_detail(cerr))
		C.corsmatch_error_free(cerr)
		return nil, fmt.Errorf("%w: %s", ErrInvalidDocument, detail)
	}
	return nil, resultError(r)
}

// NoConfig returns the rule set of a bucket without CORS configuration: preflights are
// refused with the provider's 403 and actual requests get no headers.
func NoConfig(profile Profile) (*RuleSet, error) {
	var ptr *C.corsmatch_ruleset
	if r := C.corsmatch_ruleset_no_config(C.corsmatch_profile(profile), &ptr); r != C.CORSMATCH_OK {
		return nil, resultError(r)
	}
	return newRuleSet(ptr, profile), nil
}

// Close frees the rule set. Call it only when no goroutine uses the rule set any more;
// afterwards its methods return ErrClosed. Closing twice is harmless.
func (rs *RuleSet) Close() error {
	runtime.SetFinalizer(rs, nil)
	rs.free()
	return nil
}

// Profile returns the profile the rule set was compiled for.
func (rs *RuleSet) Profile() Profile { return rs.profile }

// RuleCount returns the number of rules (0 for a bucket without configuration).
func (rs *RuleSet) RuleCount() int { return len(rs.rules) }

// String returns a pointer to s, for the optional fields of Request.
func String(s string) *string { return &s }

// Request is what a CORS decision needs of an HTTP request. A nil header is absent; a pointer
// to "" is present and empty. Its strings must be UTF-8 (else ErrInvalidUTF8) and must not
// hold CR, LF or NUL (else ErrInvalidHeaderValue).
type Request struct {
	// Method is the request's method; Preflight ignores it (it is OPTIONS).
	Method string
	// Origin is the Origin header.
	Origin *string
	// ACRM is Access-Control-Request-Method.
	ACRM *string
	// ACRH is Access-Control-Request-Headers.
	ACRH *string
	// Target is what the request addresses (Object by default).
	Target Target
	// RequestID and HostID go into a refusal's XML body when not empty.
	RequestID, HostID string
}

// HeaderField is one response header.
type HeaderField struct {
	Name, Value string
}

// Refusal is a refused preflight: the provider's code, message and XML body (send it with
// Content-Type: application/xml).
type Refusal struct {
	Code, Message, Body string
}

// Decision is the answer to one request.
type Decision struct {
	// Status is the preflight response's status (200, 400, 403, 404); 0 for an actual request.
	Status int
	// Rule is the 0-based index of the matched rule, -1 when none matched.
	Rule int
	// Headers are the headers to send (preflight) or add (actual request), in order.
	Headers []HeaderField
	// Refused is set when the preflight is refused.
	Refused *Refusal
}

// Header returns the value of a header of the decision (name compared case-insensitively).
func (d *Decision) Header(name string) (string, bool) {
	for _, h := range d.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// scratch is per-call working memory: the library's scratch and the decision it fills, both
// in C memory so that a call passes no Go memory that C writes pointers into.
type scratch struct {
	ptr      *C.corsmatch_scratch
	decision *C.corsmatch_decision
	// The same two as integers, for cm_preflight and cm_actual.
	ptrInt, decisionInt C.uintptr_t
}

func newScratch() *scratch {
	s := &scratch{decision: (*C.corsmatch_decision)(C.calloc(1, C.size_t(unsafe.Sizeof(C.corsmatch_decision{}))))}
	if s.decision == nil || C.corsmatch_scratch_new(&s.ptr) != C.CORSMATCH_OK {
		panic("corsmatch: out of memory")
	}
	s.ptrInt, s.decisionInt = C.uintptr_t(uintptr(unsafe.Pointer(s.ptr))), C.uintptr_t(uintptr(unsafe.Pointer(s.decision)))
	runtime.SetFinalizer(s, func(s *scratch) {
		C.corsmatch_scratch_free(s.ptr)
		C.free(unsafe.Pointer(s.decision))
	})
	return s
}

var scratchPool = sync.Pool{New: func() any { return newScratch() }}

// input is a request as the C functions take it.
type input struct {
	preflight          bool
	method             string
	origin, acrm, acrh string
	hasOrigin, hasACRM bool
	hasACRH            bool
	target             Target
	requestID, hostID  string
	// The request's own header lines holding origin and acrh (one element, len == cap), when
	// the caller has them: the response can share them.
	originLine, acrhLine []string
	memoHash             uint64 // the key's hash in the middleware's memo; 0: not kept
}

func (rs *RuleSet) evaluate(in *input, s *scratch) error {
	if rs.ptr == nil {
		return ErrClosed
	}
	op, ol := cString(in.origin, in.hasOrigin)
	mp, ml := cString(in.acrm, in.hasACRM)
	hp, hl := cString(in.acrh, in.hasACRH)
	var r C.corsmatch_result
	if in.preflight {
		rp, rl := cString(in.requestID, in.requestID != "")
		ip, il := cString(in.hostID, in.hostID != "")
		r = C.cm_preflight(C.uintptr_t(uintptr(unsafe.Pointer(rs.ptr))), s.ptrInt, op, ol, mp, ml, hp, hl,
			C.corsmatch_target(in.target), rp, rl, ip, il, s.decisionInt)
	} else {
		xp, xl := cString(in.method, true)
		r = C.cm_actual(C.uintptr_t(uintptr(unsafe.Pointer(rs.ptr))), s.ptrInt, xp, xl, op, ol, mp, ml, hp, hl,
			C.corsmatch_target(in.target), s.decisionInt)
	}
	return resultError(r)
}

// Names of the response headers, as Go constants so that no call allocates them.
const (
	hAllowOrigin      = "Access-Control-Allow-Origin"
	hAllowMethods     = "Access-Control-Allow-Methods"
	hAllowHeaders     = "Access-Control-Allow-Headers"
	hExposeHeaders    = "Access-Control-Expose-Headers"
	hMaxAge           = "Access-Control-Max-Age"
	hAllowCredentials = "Access-Control-Allow-Credentials"
	hVary             = "Vary"
	s3Vary            = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
)

// headerKind is one of the seven response header names.
type headerKind uint8

const (
	kOther headerKind = iota
	kAllowOrigin
	kAllowMethods
	kAllowHeaders
	kExposeHeaders
	kMaxAge
	kAllowCredentials
	kVary
)

// kindOf says which of the seven a header name from the library is, by its length and, for
// the two names of 28 bytes, the byte where they differ: no string compare on the hot path.
// The library's names are these constants (TestHeaderKinds checks every one).
func kindOf(name string) headerKind {
	switch len(name) {
	case len(hAllowOrigin):
		return kAllowOrigin
	case len(hAllowMethods): // and hAllowHeaders
		if name[len("Access-Control-Allow-")] == 'M' {
			return kAllowMethods
		}
		return kAllowHeaders
	case len(hExposeHeaders):
		return kExposeHeaders
	case len(hMaxAge):
		return kMaxAge
	case len(hAllowCredentials):
		return kAllowCredentials
	case len(hVary):
		return kVary
	}
	return kOther
}

// Header values as one-element slices shared by every response that carries them: a response's
// http.Header takes them without a copy. Their capacity is their length, so an append to one
// copies it.
var (
	starLine       = []string{"*"}
	trueLine       = []string{"true"}
	varyOriginLine = []string{"Origin"}
	varyS3Line     = []string{s3Vary}
)

// headerValue turns the value of header name of the decision into a Go string, copying only
// what must be copied, and gives it as a shareable one-element slice (len == cap) too when
// there is one, nil otherwise. Allow-Origin is "*" or the request's Origin verbatim: when the
// library's pointer is the one we passed, it is the Go string itself (never dereferenced from
// C memory, since Go may have moved it), and the request's own header line when the caller
// has it. Values fixed by the rule are cached per rule.
func (rs *RuleSet) headerValue(name string, v C.corsmatch_str, d *C.corsmatch_decision, in *input) (string, []string) {
	switch kind := kindOf(name); kind {
	case kAllowOrigin:
		if in.hasOrigin && v.len == C.size_t(len(in.origin)) && len(in.origin) > 0 &&
			unsafe.Pointer(v.data) == unsafe.Pointer(unsafe.StringData(in.origin)) {
			return in.origin, in.originLine
		}
		// Not the request's buffer: static or rule-set memory.
		if view(v) == "*" {
			return "*", starLine
		}
	case kAllowHeaders:
		// Scratch memory: reuse the request's own string when it is already in normal form.
		if in.hasACRH && view(v) == in.acrh {
			return in.acrh, in.acrhLine
		}
	case kAllowCredentials:
		if view(v) == "true" {
			return "true", trueLine
		}
	case kVary:
		switch view(v) {
		case "Origin":
			return "Origin", varyOriginLine
		case s3Vary:
			return s3Vary, varyS3Line
		}
	case kAllowMethods, kExposeHeaders, kMaxAge:
		rule := int(d.rule)
		if rule >= 0 && rule < len(rs.rules) {
			c := rs.rules[rule].Load()
			if c == nil {
				c = rs.fillRule(d)
			}
			var line []string
			switch kind {
			case kAllowMethods:
				line = c.methods
			case kExposeHeaders:
				line = c.expose
			default:
				line = c.maxAge
			}
			if line != nil {
				return line[0], line
			}
		}
	}
	return strings.Clone(view(v)), nil
}

// fillRule caches the rule-fixed values of the matched rule of d (a preflight or actual
// request that matched, so all three present ones are in d).
func (rs *RuleSet) fillRule(d *C.corsmatch_decision) *ruleHeaders {
	c := &ruleHeaders{}
	for i := 0; i < int(d.header_count); i++ {
		h := d.headers[i]
		line := []string{strings.Clone(view(h.value))}
		switch view(h.name) {
		case hAllowMethods:
			c.methods = line
		case hExposeHeaders:
			c.expose = line
		case hMaxAge:
			c.maxAge = line
		}
	}
	rs.rules[int(d.rule)].Store(c)
	return c
}

func (rs *RuleSet) decide(in *input) (*Decision, error) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	defer runtime.KeepAlive(rs)
	if err := rs.evaluate(in, s); err != nil {
		return nil, err
	}
	d := s.decision
	out := &Decision{Status: int(d.status), Rule: int(d.rule), Headers: make([]HeaderField, 0, int(d.header_count))}
	for i := 0; i < int(d.header_count); i++ {
		name := view(d.headers[i].name) // static memory
		value, _ := rs.headerValue(name, d.headers[i].value, d, in)
		out.Headers = append(out.Headers, HeaderField{name, value})
	}
	if d.refused {
		out.Refused = &Refusal{Code: goString(d.error_code), Message: goString(d.error_message), Body: goString(d.error_body)}
	}
	return out, nil
}

func (req *Request) input(preflight bool) *input {
	in := &input{preflight: preflight, method: req.Method, target: req.Target, requestID: req.RequestID, hostID: req.HostID}
	if req.Origin != nil {
		in.origin, in.hasOrigin = *req.Origin, true
	}
	if req.ACRM != nil {
		in.acrm, in.hasACRM = *req.ACRM, true
	}
	if req.ACRH != nil {
		in.acrh, in.hasACRH = *req.ACRH, true
	}
	return in
}

// Preflight answers a preflight (OPTIONS) request: the status, the headers in order, and for
// a refusal the provider's code, message and XML body. req.Method is ignored.
func (rs *RuleSet) Preflight(req Request) (*Decision, error) {
	return rs.decide(req.input(true))
}

// Actual says which headers to add to the response of an actual (non-OPTIONS) request; it is
// never refused. An OPTIONS method is ErrInvalidArgument (use Preflight).
func (rs *RuleSet) Actual(req Request) (*Decision, error) {
	return rs.decide(req.input(false))
}

// RuleVerdict is what one rule made of a request.
type RuleVerdict struct {
	// Rule is the rule's 0-based index.
	Rule int `json:"rule"`
	// Result is "match", "origin", "method" or "header".
	Result string `json:"result"`
	// Header is the requested header no AllowedHeader matches (Result "header").
	Header *string `json:"header"`
	// Detail says it in words.
	Detail string `json:"detail"`
}

// Explanation says why a request got its answer: each rule's verdict, the winner and the
// response (the JSON of `corsmatch explain --json`).
type Explanation struct {
	// Method is the method the rules were asked about (ACRM, or the request's own).
	Method *string `json:"method"`
	// Headers are the requested headers as the rules saw them.
	Headers []string `json:"headers"`
	// Skipped says why no rule was consulted, when none was.
	Skipped *string `json:"skipped"`
	// Rules has one verdict per rule, in order.
	Rules []RuleVerdict `json:"rules"`
	// Winner is the first matching rule.
	Winner *int `json:"winner"`
	// Response is the response itself.
	Response struct {
		Status  *int        `json:"status"`
		Headers [][2]string `json:"headers"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Body    string `json:"body"`
		} `json:"error"`
		Rule *int `json:"rule"`
	} `json:"response"`
}

// Explain explains a request (req.Method OPTIONS explains a preflight). It allocates; it is
// for troubleshooting, not for every request.
func (rs *RuleSet) Explain(req Request) (*Explanation, error) {
	if rs.ptr == nil {
		return nil, ErrClosed
	}
	defer runtime.KeepAlive(rs)
	in := req.input(req.Method == "OPTIONS")
	xp, xl := cString(in.method, true)
	op, ol := cString(in.origin, in.hasOrigin)
	mp, ml := cString(in.acrm, in.hasACRM)
	hp, hl := cString(in.acrh, in.hasACRH)
	text, err := fill(func(buf *C.char, size C.size_t, need *C.size_t) C.corsmatch_result {
		return C.corsmatch_explain(rs.ptr, xp, xl, op, ol, mp, ml, hp, hl, C.corsmatch_target(in.target), buf, size, need)
	})
	if err != nil {
		return nil, err
	}
	var e Explanation
	if err := json.Unmarshal(text, &e); err != nil {
		return nil, fmt.Errorf("corsmatch: explain: %w", err)
	}
	return &e, nil
}

// Severity levels of a lint Finding, in increasing order.
const (
	// SeverityInfo is worth knowing; nothing is wrong.
	SeverityInfo = "info"
	// SeverityWarning is probably not what was meant.
	SeverityWarning = "warning"
	// SeverityError lets in what should not get in.
	SeverityError = "error"
)

// LintExample is a request that shows a finding (an overlap): an actual request with this
// Origin and method, or a preflight with this Origin, Access-Control-Request-Method and
// Access-Control-Request-Headers.
type LintExample struct {
	// Origin is the request's Origin.
	Origin string `json:"origin"`
	// Method is the method, or the preflight's Access-Control-Request-Method.
	Method string `json:"method"`
	// Headers are the Access-Control-Request-Headers items; empty for none.
	Headers []string `json:"headers"`
}

// Finding is one thing the linter found in a configuration (one element of the JSON array
// `corsmatch lint --json` prints).
type Finding struct {
	// ID is the stable id, e.g. "shadowed-rule", "overlap", "origin-no-scheme",
	// "wildcard-all-with-credentials" (all of them are listed in the documentation of the
	// core crate's lint module).
	ID string `json:"id"`
	// Severity is SeverityInfo, SeverityWarning or SeverityError.
	Severity string `json:"severity"`
	// Rule is the 0-based index of the rule; nil for the configuration as a whole.
	Rule *int `json:"rule"`
	// Element is the element the finding is about: "AllowedOrigin", "AllowedMethod",
	// "AllowedHeader" or "ExposeHeader"; nil when it is about a whole rule or configuration.
	Element *string `json:"element"`
	// Item is the 0-based index of the item among the rule's values of Element; nil when the
	// finding is about no single item.
	Item *int `json:"item"`
	// Message says what is wrong, in one line.
	Message string `json:"message"`
	// Fix says what to do, in one line.
	Fix string `json:"fix"`
	// Related are the other rules involved: the earlier rules that shadow this one, the rule
	// it overlaps.
	Related []int `json:"related"`
	// Example is a request that shows the finding (overlap), or nil.
	Example *LintExample `json:"example"`
}

// IsProblem reports whether the finding is a warning or an error (the command line exits 1
// when one is).
func (f *Finding) IsProblem() bool {
	return f.Severity == SeverityWarning || f.Severity == SeverityError
}

// HasProblems reports whether any finding is a warning or an error.
func HasProblems(findings []Finding) bool {
	for i := range findings {
		if findings[i].IsProblem() {
			return true
		}
	}
	return false
}

// Lint checks the configuration the rule set was compiled from, with its options: rules that
// never apply (shadowed by earlier ones), rules that overlap and answer differently, origins
// no browser sends, wildcards that let other sites in, and more. The findings come in rule
// order; a bucket without configuration has none (an empty, non-nil slice). It allocates
// and takes time quadratic in the size of the document: call it when a configuration is
// stored, not per request.
func (rs *RuleSet) Lint() ([]Finding, error) {
	raw, err := rs.lintJSON()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	findings := []Finding{}
	if err := dec.Decode(&findings); err != nil {
		return nil, fmt.Errorf("corsmatch: lint: %w", err)
	}
	return findings, nil
}

// lintJSON is the library's JSON array of findings.
func (rs *RuleSet) lintJSON() ([]byte, error) {
	if rs.ptr == nil {
		return nil, ErrClosed
	}
	defer runtime.KeepAlive(rs)
	return fill(func(buf *C.char, size C.size_t, need *C.size_t) C.corsmatch_result {
		return C.corsmatch_ruleset_lint(rs.ptr, buf, size, need, nil)
	})
}
