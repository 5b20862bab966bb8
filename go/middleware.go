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
	return Middleware{Lookup: func(r *http.Request) (*RuleSet, Target) { return lookup(r), Object }}.Wrap(next)
}

// Middleware answers CORS as the provider does, in front of a storage handler:
//
//   - An OPTIONS request is a preflight, answered here and never passed on: the status, the
//     headers, and for a refusal the provider's XML error body with Content-Type
//     application/xml.
//   - Any other request is passed to the next handler, with the CORS headers the provider
//     adds set on the response beforehand (Vary is added to, the others set).
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
	m    Middleware
	next http.Handler
}

// requestHeader returns a header of the request and whether it is present. Repeated
// Access-Control-Request-Headers lines are one list; for the others the first line counts.
func requestHeader(h http.Header, key string, join bool) (string, bool) {
	v, ok := h[key]
	if !ok || len(v) == 0 {
		return "", false
	}
	if join && len(v) > 1 {
		return strings.Join(v, ","), true
	}
	return v[0], true
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs, target := h.m.Lookup(r)
	if rs == nil {
		h.next.ServeHTTP(w, r)
		return
	}
	in := input{preflight: r.Method == http.MethodOptions, method: r.Method, target: target}
	in.origin, in.hasOrigin = requestHeader(r.Header, "Origin", false)
	in.acrm, in.hasACRM = requestHeader(r.Header, "Access-Control-Request-Method", false)
	in.acrh, in.hasACRH = requestHeader(r.Header, "Access-Control-Request-Headers", true)
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
	out := w.Header()
	if n := int(d.header_count); n > 0 {
		// One backing array for all the values of this response.
		values := make([]string, n)
		for i := 0; i < n; i++ {
			name := view(d.headers[i].name) // static memory
			values[i] = rs.headerValue(name, d.headers[i].value, d, &in)
			if name == hVary {
				out[name] = append(out[name], values[i])
			} else {
				out[name] = values[i : i+1 : i+1]
			}
		}
	}
	status := int(d.status)
	var body string
	if in.preflight && bool(d.refused) {
		body = goString(d.error_body)
	}
	scratchPool.Put(s)
	runtime.KeepAlive(rs)
	if !in.preflight {
		h.next.ServeHTTP(w, r)
		return
	}
	if body != "" {
		out["Content-Type"] = []string{"application/xml"}
		out["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}

// sanitize replaces invalid UTF-8 in the request's strings with U+FFFD.
func (in *input) sanitize() {
	for _, s := range []*string{&in.method, &in.origin, &in.acrm, &in.acrh, &in.requestID, &in.hostID} {
		if !utf8.ValidString(*s) {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
	}
}
