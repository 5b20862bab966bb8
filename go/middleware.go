package corsmatch

import (
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Handler wraps next with bucket CORS: lookup returns the rule set of the bucket a request
// addresses (nil: not a bucket, pass the request through untouched), and every request is
// treated as addressing an object. See Middleware for the rest.
func Handler(next http.Handler, lookup func(*http.Request) *RuleSet) http.Handler {
	return &handler{objects: lookup, next: next}
}

// Middleware answers CORS as the provider does, in front of a storage handler:
//
//   - An OPTIONS request is a preflight, answered here and never passed on: the status, the
//     headers, and for a refusal the provider's XML error body with Content-Type
//     application/xml.
//   - Any other request is passed to the next handler, with the CORS headers the provider
//     adds set on the response beforehand (Vary is added to, the others set).
//
// The values it sets are shared, as github.com/jub0bs/cors shares them: slices fixed by the
// rule set, and the request's own Origin and Access-Control-Request-Headers lines. Replace a
// response header's slice or append to it (Set, Add and Del do), but do not write into it.
//
// A request header that is not valid UTF-8 (browsers never send one) is decided with the
// invalid bytes replaced by U+FFFD, which can only fail closed.
type Middleware struct {
	// Lookup returns the rule set and target of a request; a nil rule set passes the
	// request through untouched.
	Lookup func(*http.Request) (*RuleSet, Target)
	// IDs, when set, gives the RequestId and HostId put into error bodies.
	IDs func(*http.Request) (requestID, hostID string)
}

// Wrap returns next behind the middleware.
func (m Middleware) Wrap(next http.Handler) http.Handler {
	return &handler{m: m, next: next}
}

type handler struct {
	m       Middleware
	objects func(*http.Request) *RuleSet // Handler's lookup, instead of m.Lookup: one call less
	next    http.Handler
}

// requestHeader returns a header of the request, whether it is present, and the request's
// own line holding it as a one-element slice (nil when lines were joined). Repeated
// Access-Control-Request-Headers lines are one list; for the others the first line counts.
func requestHeader(h http.Header, key string, join bool) (string, bool, []string) {
	v := h[key]
	if len(v) == 1 || len(v) > 1 && !join {
		return v[0], true, v[:1:1]
	}
	if len(v) == 0 {
		return "", false, nil
	}
	return strings.Join(v, ","), true, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rs *RuleSet
	target := Object
	if h.objects != nil {
		rs = h.objects(r)
	} else {
		rs, target = h.m.Lookup(r)
	}
	if rs == nil {
		h.next.ServeHTTP(w, r)
		return
	}
	in := input{preflight: r.Method == http.MethodOptions, method: r.Method, target: target}
	in.origin, in.hasOrigin, in.originLine = requestHeader(r.Header, "Origin", false)
	in.acrm, in.hasACRM, _ = requestHeader(r.Header, "Access-Control-Request-Method", false)
	in.acrh, in.hasACRH, in.acrhLine = requestHeader(r.Header, "Access-Control-Request-Headers", true)
	if rs.ptr != nil {
		var e *memoEntry
		if e, in.memoHash = rs.memoLookup(&in); e != nil {
			e.write(w.Header(), &in)
			h.finish(w, r, &in, e.status, "")
			return
		}
	}
	// Only a refusal's body uses the IDs, and the memo keeps no refusal.
	if in.preflight && h.m.IDs != nil {
		in.requestID, in.hostID = h.m.IDs(r)
	}
	s := scratchPool.Get().(*scratch)
	err := rs.evaluate(&in, s)
	if err == ErrInvalidUTF8 {
		in.sanitize()
		err = rs.evaluate(&in, s)
	}
	if err != nil {
		scratchPool.Put(s)
		runtime.KeepAlive(rs)
		// Only a closed rule set, IDs holding CR, LF or NUL (ErrInvalidHeaderValue: net/http
		// refuses such header values, so the request's own cannot), or a bug gets here: fail
		// closed.
		if in.preflight {
			http.Error(w, "CORS evaluation failed", http.StatusInternalServerError)
			return
		}
		h.next.ServeHTTP(w, r)
		return
	}
	d := s.decision
	status, n := int(d.status), int(d.header_count)
	var e *memoEntry
	if !bool(d.refused) && rs.memoAdmit(in.memoHash) {
		e = newMemoEntry(&in, in.memoHash, status, n)
	}
	out := w.Header()
	for i := 0; i < n; i++ {
		name := view(d.headers[i].name) // static memory
		value, line := rs.headerValue(name, d.headers[i].value, d, &in)
		setHeader(out, name, value, line)
		if e != nil {
			e.add(&in, name, value, line)
		}
	}
	var body string
	if in.preflight && bool(d.refused) {
		body = goString(d.error_body)
	}
	scratchPool.Put(s)
	runtime.KeepAlive(rs)
	if e != nil {
		rs.memoStore(e)
	}
	h.finish(w, r, &in, status, body)
}

// finish passes an actual request on, or ends a preflight with its status and error body.
func (h *handler) finish(w http.ResponseWriter, r *http.Request, in *input, status int, body string) {
	if !in.preflight {
		h.next.ServeHTTP(w, r)
		return
	}
	if body != "" {
		out := w.Header()
		out["Content-Type"] = []string{"application/xml"}
		out["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}

// sanitize replaces invalid UTF-8 in the request's strings with U+FFFD. The request's lines
// then no longer hold them, and the answer is not kept in the memo.
func (in *input) sanitize() {
	in.originLine, in.acrhLine, in.memoHash = nil, nil, 0
	for _, s := range []*string{&in.method, &in.origin, &in.acrm, &in.acrh, &in.requestID, &in.hostID} {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
	}
}
