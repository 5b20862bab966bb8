package corsmatch

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	jub0bs "github.com/jub0bs/cors"
	rscors "github.com/rs/cors"
)

// The middleware against github.com/rs/cors and github.com/jub0bs/cors on one equivalent
// rule: 1, 100 or 1,000 allowed origins (the request comes from the last one, the worst case
// for a list), GET and PUT, two allowed headers, one exposed header, a max age, credentials.
//
//	go test -run '^$' -bench Middleware -benchmem ./...

func benchOrigins(n int) []string {
	origins := make([]string, n)
	for i := range origins {
		origins[i] = fmt.Sprintf("https://site%d.example.com", i)
	}
	return origins
}

func corsmatchMiddleware(tb testing.TB, origins []string, next http.Handler) http.Handler {
	var b strings.Builder
	b.WriteString("<CORSConfiguration><CORSRule>")
	for _, o := range origins {
		fmt.Fprintf(&b, "<AllowedOrigin>%s</AllowedOrigin>", o)
	}
	b.WriteString("<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>" +
		"<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-date</AllowedHeader>" +
		"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>")
	rs, err := Compile([]byte(b.String()), OSS, &Options{MaxDocumentBytes: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	return Handler(next, func(*http.Request) *RuleSet { return rs })
}

func rsCorsMiddleware(_ testing.TB, origins []string, next http.Handler) http.Handler {
	return rscors.New(rscors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{"GET", "PUT"},
		AllowedHeaders:   []string{"content-type", "x-amz-date"},
		ExposedHeaders:   []string{"ETag"},
		MaxAge:           600,
		AllowCredentials: true,
	}).Handler(next)
}

func jub0bsMiddleware(tb testing.TB, origins []string, next http.Handler) http.Handler {
	m, err := jub0bs.NewMiddleware(jub0bs.Config{
		Origins:         origins,
		Methods:         []string{"GET", "PUT"},
		RequestHeaders:  []string{"content-type", "x-amz-date"},
		ResponseHeaders: []string{"ETag"},
		MaxAgeInSeconds: 600,
		Credentialed:    true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m.Wrap(next)
}

// sink is a ResponseWriter reused across iterations, so that the benchmark measures the
// middleware and not a recorder.
type sink struct {
	h    http.Header
	code int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) Write(p []byte) (int, error) { return len(p), nil }
func (s *sink) WriteHeader(code int)        { s.code = code }

var middlewares = []struct {
	name string
	make func(testing.TB, []string, http.Handler) http.Handler
}{
	{"corsmatch", corsmatchMiddleware},
	{"rs-cors", rsCorsMiddleware},
	{"jub0bs-cors", jub0bsMiddleware},
}

func benchRequests(origin string) map[string]*http.Request {
	preflight, _ := http.NewRequest("OPTIONS", "http://bucket.example/key", nil)
	preflight.Header.Set("Origin", origin)
	preflight.Header.Set("Access-Control-Request-Method", "PUT")
	preflight.Header.Set("Access-Control-Request-Headers", "content-type")
	actual, _ := http.NewRequest("GET", "http://bucket.example/key", nil)
	actual.Header.Set("Origin", origin)
	return map[string]*http.Request{"preflight": preflight, "actual": actual}
}

// TestBenchmarkWorkloadsAgree checks that the three middlewares allow the benchmark's
// requests, so that the benchmark compares equal work.
func TestBenchmarkWorkloadsAgree(t *testing.T) {
	origins := benchOrigins(100)
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })
	for _, m := range middlewares {
		h := m.make(t, origins, next)
		for kind, req := range benchRequests(origins[len(origins)-1]) {
			w := &sink{h: http.Header{}}
			h.ServeHTTP(w, req)
			if got := w.h.Get("Access-Control-Allow-Origin"); got != origins[len(origins)-1] {
				t.Errorf("%s %s: Allow-Origin %q", m.name, kind, got)
			}
			if kind == "preflight" && (w.code < 200 || w.code > 299 || w.h.Get("Access-Control-Allow-Methods") == "") {
				t.Errorf("%s preflight: status %d, headers %v", m.name, w.code, w.h)
			}
		}
	}
}

// benchRows runs bench for each middleware on each row: N allowed origins, preflight or
// actual request.
func benchRows(b *testing.B, ns []int, bench func(b *testing.B, h http.Handler, origins []string, kind string)) {
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })
	for _, n := range ns {
		origins := benchOrigins(n)
		for _, kind := range []string{"preflight", "actual"} {
			for _, m := range middlewares {
				h := m.make(b, origins, next)
				b.Run(fmt.Sprintf("%s/origins=%d/%s", kind, n, m.name), func(b *testing.B) {
					b.ReportAllocs()
					bench(b, h, origins, kind)
				})
			}
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	benchRows(b, []int{1, 100, 1000}, func(b *testing.B, h http.Handler, origins []string, kind string) {
		req := benchRequests(origins[len(origins)-1])[kind]
		w := &sink{h: make(http.Header, 8)}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}

// BenchmarkMiddlewareParallel is BenchmarkMiddleware from GOMAXPROCS goroutines at once, each
// with its own response writer: contention on shared state (the scratch pool, the rule cache)
// shows here.
func BenchmarkMiddlewareParallel(b *testing.B) {
	benchRows(b, []int{1, 100, 1000}, func(b *testing.B, h http.Handler, origins []string, kind string) {
		req := benchRequests(origins[len(origins)-1])[kind]
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := &sink{h: make(http.Header, 8)}
			for pb.Next() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	})
}

// BenchmarkMiddlewareVaried sends each request from the next of the rule's N origins in turn,
// so that corsmatch's memo (eight answers per rule set) misses and every request crosses into
// the engine: the cost of a request the middleware has not answered before.
func BenchmarkMiddlewareVaried(b *testing.B) {
	benchRows(b, []int{100, 1000}, func(b *testing.B, h http.Handler, origins []string, kind string) {
		reqs := make([]*http.Request, len(origins))
		for i, o := range origins {
			reqs[i] = benchRequests(o)[kind]
		}
		w := &sink{h: make(http.Header, 8)}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			clear(w.h)
			h.ServeHTTP(w, reqs[i%len(reqs)])
		}
	})
}

// TestAllocationsPerRequest counts the allocations of the benchmark's requests: an allowed
// preflight or actual request from one of the rule's origins allocates nothing.
func TestAllocationsPerRequest(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })
	for _, n := range []int{1, 100} {
		origins := benchOrigins(n)
		h := corsmatchMiddleware(t, origins, next)
		for kind, req := range benchRequests(origins[n-1]) {
			w := &sink{h: make(http.Header, 8)}
			h.ServeHTTP(w, req) // fills the rule's cache
			allocs := testing.AllocsPerRun(100, func() {
				clear(w.h)
				h.ServeHTTP(w, req)
			})
			if allocs != 0 {
				t.Errorf("origins=%d %s: %v allocations per request, want 0", n, kind, allocs)
			}
		}
	}
}

// BenchmarkPreflightAPI is the Go API without the middleware: one cgo call and the copies.
func BenchmarkPreflightAPI(b *testing.B) {
	origins := benchOrigins(100)
	var doc strings.Builder
	doc.WriteString("<CORSConfiguration><CORSRule>")
	for _, o := range origins {
		fmt.Fprintf(&doc, "<AllowedOrigin>%s</AllowedOrigin>", o)
	}
	doc.WriteString("<AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader></CORSRule></CORSConfiguration>")
	rs, err := Compile([]byte(doc.String()), S3, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	req := Request{Origin: String(origins[99]), ACRM: String("PUT"), ACRH: String("content-type")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := rs.Preflight(req); err != nil {
			b.Fatal(err)
		}
	}
}
