package corsmatch

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// server runs the middleware in front of a storage handler that says "stored" (and adds its
// own Vary) on a real listener. Requests under /nobucket/ get no rule set; /missing/ is a
// bucket that does not exist.
func server(t *testing.T, rs *RuleSet) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var reached atomic.Int64
	storage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Header().Add("Vary", "Accept-Encoding")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "stored")
	})
	m := Middleware{
		Lookup: func(r *http.Request) (*RuleSet, Target) {
			switch {
			case strings.HasPrefix(r.URL.Path, "/nobucket/"):
				return nil, Object
			case strings.HasPrefix(r.URL.Path, "/missing/"):
				return rs, MissingBucket
			case r.URL.Path == "/":
				return rs, Bucket
			}
			return rs, Object
		},
		IDs: func(r *http.Request) (string, string) { return "req-" + r.URL.Query().Get("id"), "host-1" },
	}
	srv := httptest.NewServer(m.Wrap(storage))
	t.Cleanup(srv.Close)
	return srv, &reached
}

func do(t *testing.T, srv *httptest.Server, method, path string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestMiddlewarePreflight(t *testing.T) {
	srv, reached := server(t, example(t))
	resp, body := do(t, srv, "OPTIONS", "/photos/cat.jpg", map[string]string{
		"Origin":                         "https://www.example.com",
		"Access-Control-Request-Method":  "PUT",
		"Access-Control-Request-Headers": "Content-Type,X-OSS-Meta-Author",
	})
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://www.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT, POST, HEAD",
		"Access-Control-Allow-Headers":     "content-type, x-oss-meta-author",
		"Access-Control-Expose-Headers":    "ETag, x-oss-request-id",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin",
	}
	for k, v := range want {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s: want %q, got %q", k, v, got)
		}
	}
	if reached.Load() != 0 {
		t.Fatal("a preflight reached the storage handler")
	}

	// Refused: 403 with the provider's XML body, ids from the IDs hook.
	resp, body = do(t, srv, "OPTIONS", "/photos/cat.jpg?id=7", map[string]string{
		"Origin":                        "https://evil.example.net",
		"Access-Control-Request-Method": "PUT",
	})
	if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "application/xml" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Vary") != "Origin" {
		t.Fatalf("refused: %d %v", resp.StatusCode, resp.Header)
	}
	if code, _ := xmlElement(body, "Code"); code != "AccessForbidden" ||
		!strings.HasSuffix(body, "<RequestId>req-7</RequestId><HostId>host-1</HostId></Error>") ||
		resp.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Fatalf("refused body %q", body)
	}
	// No Origin: 400; a missing bucket: oss's 404.
	if resp, _ := do(t, srv, "OPTIONS", "/a", map[string]string{"Access-Control-Request-Method": "GET"}); resp.StatusCode != 400 {
		t.Fatalf("no origin: %d", resp.StatusCode)
	}
	resp, body = do(t, srv, "OPTIONS", "/missing/a", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "GET"})
	if code, _ := xmlElement(body, "Code"); resp.StatusCode != 404 || code != "NoSuchBucket" {
		t.Fatalf("missing bucket: %d %s", resp.StatusCode, body)
	}
	// Not a bucket: passed through.
	resp, body = do(t, srv, "OPTIONS", "/nobucket/x", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "GET"})
	if resp.StatusCode != 200 || body != "stored" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("pass-through: %d %q", resp.StatusCode, body)
	}
}

func TestMiddlewareActual(t *testing.T) {
	srv, reached := server(t, example(t))
	resp, body := do(t, srv, "GET", "/photos/cat.jpg", map[string]string{"Origin": "https://app.example.com"})
	if resp.StatusCode != 200 || body != "stored" || reached.Load() != 1 {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT, POST, HEAD" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("headers %v", resp.Header)
	}
	// The storage handler's Vary is kept after ours.
	if v := resp.Header.Values("Vary"); fmt.Sprint(v) != "[Origin Accept-Encoding]" {
		t.Fatalf("Vary %v", v)
	}
	// Not allowed: the request still reaches storage, with only Vary added (ResponseVary).
	resp, body = do(t, srv, "DELETE", "/photos/cat.jpg", map[string]string{"Origin": "https://www.example.com"})
	if resp.StatusCode != 200 || body != "stored" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unmatched: %d %v", resp.StatusCode, resp.Header)
	}
	// Without Origin: not CORS.
	resp, _ = do(t, srv, "GET", "/photos/cat.jpg", nil)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("no origin: %v", resp.Header)
	}
	if reached.Load() != 3 {
		t.Fatalf("storage reached %d times", reached.Load())
	}
}

func TestMiddlewareInvalidUTF8FailsClosed(t *testing.T) {
	rs := mustCompile(t, `<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`, OSS, nil)
	h := Handler(http.NotFoundHandler(), func(*http.Request) *RuleSet { return rs })
	req := httptest.NewRequest("OPTIONS", "/x", nil)
	req.Header.Set("Origin", "https://\xff.example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	// The origin is decided as "https://\uFFFD.example.com": allowed by the glob, but echoed
	// as that, which no browser would accept for the origin it sent.
	if got := w.Header().Get("Access-Control-Allow-Origin"); w.Code != 200 || got != "https://\uFFFD.example.com" {
		t.Fatalf("status %d, allow-origin %q", w.Code, got)
	}
	req.Header.Set("Origin", "https://\xff.other.org")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Fatalf("status %d", w.Code)
	}
}

// IDs holding CR, LF or NUL make the preflight fail closed (the request's own headers cannot:
// net/http refuses them); actual requests take no IDs.
func TestMiddlewareIDsWithCRLFFailClosed(t *testing.T) {
	rs := mustCompile(t, `<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`, OSS, nil)
	m := Middleware{
		Lookup: func(*http.Request) (*RuleSet, Target) { return rs, Object },
		IDs:    func(r *http.Request) (string, string) { return "req-1" + r.URL.Query().Get("x"), "host-1" },
	}
	h := m.Wrap(http.NotFoundHandler())
	for _, c := range []struct {
		method, x string
		code      int
		origin    string
	}{
		{"OPTIONS", "", 200, "https://a.example.com"},
		{"OPTIONS", "%0D%0ASet-Cookie:%20x=1", 500, ""},
		{"GET", "%0D%0ASet-Cookie:%20x=1", 404, "https://a.example.com"},
	} {
		req := httptest.NewRequest(c.method, "/o?x="+c.x, nil)
		req.Header.Set("Origin", "https://a.example.com")
		req.Header.Set("Access-Control-Request-Method", "GET")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if got := w.Header().Get("Access-Control-Allow-Origin"); w.Code != c.code || got != c.origin {
			t.Errorf("%s ?x=%s: status %d, allow-origin %q", c.method, c.x, w.Code, got)
		}
	}
}

func TestMiddlewareConcurrent(t *testing.T) {
	srv, _ := server(t, example(t))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				origin := fmt.Sprintf("https://g%d-%d.example.com", g, i)
				req, _ := http.NewRequest("OPTIONS", srv.URL+"/o", nil)
				req.Header.Set("Origin", origin)
				req.Header.Set("Access-Control-Request-Method", "PUT")
				req.Header.Set("Access-Control-Request-Headers", fmt.Sprintf("x-oss-g%d-%d", g, i))
				resp, err := srv.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
					resp.Header.Get("Access-Control-Allow-Headers") != fmt.Sprintf("x-oss-g%d-%d", g, i) {
					errs <- fmt.Sprintf("%d %v", resp.StatusCode, resp.Header)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMiddlewareMemoAgreesWithEngine sends every corpus request three times through the
// middleware (the third is answered from the memo when allowed) and checks each response
// against the API's decision, which never uses the memo.
func TestMiddlewareMemoAgreesWithEngine(t *testing.T) {
	corpus := loadCorpus(t)
	checked, fromMemo := 0, 0
	for _, f := range corpusFiles {
		for i := range corpus[f.name] {
			c := &corpus[f.name][i]
			rs := c.ruleSet(t, f.profile)
			want, err := c.evaluate(rs)
			if err != nil {
				rs.Close()
				continue // invalid requests: TestMiddlewareInvalidUTF8FailsClosed
			}
			req := c.request()
			hr, err := http.NewRequest(c.Request.Method, "http://bucket.example/key", nil)
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string]*string{"Origin": req.Origin, "Access-Control-Request-Method": req.ACRM, "Access-Control-Request-Headers": req.ACRH} {
				if v != nil {
					hr.Header[name] = []string{*v}
				}
			}
			nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
			h := Middleware{Lookup: func(*http.Request) (*RuleSet, Target) { return rs, req.Target }}.Wrap(nop)
			for round := 0; round < 3; round++ {
				w := &sink{h: http.Header{}}
				h.ServeHTTP(w, hr)
				if c.Request.Method == "OPTIONS" && w.code != want.Status {
					t.Errorf("%s round %d: status %d, want %d", c.ID, round, w.code, want.Status)
				}
				for _, hf := range want.Headers {
					if got := strings.Join(w.h[hf.Name], ", "); got != hf.Value {
						t.Errorf("%s round %d: %s %q, want %q", c.ID, round, hf.Name, got, hf.Value)
					}
				}
				body := 0
				if want.Refused != nil {
					body = 2 // Content-Type and Content-Length
				}
				if len(w.h) != len(want.Headers)+body {
					t.Errorf("%s round %d: headers %v, want %v", c.ID, round, w.h, want.Headers)
				}
			}
			in := input{preflight: c.Request.Method == "OPTIONS", method: c.Request.Method, target: req.Target}
			in.origin, in.hasOrigin, _ = requestHeader(hr.Header, "Origin", false)
			in.acrm, in.hasACRM, _ = requestHeader(hr.Header, "Access-Control-Request-Method", false)
			in.acrh, in.hasACRH, _ = requestHeader(hr.Header, "Access-Control-Request-Headers", true)
			if e, _ := rs.memoLookup(&in); e != nil {
				fromMemo++
			} else if want.Refused == nil && in.memoKeyLen() <= memoMaxKey {
				t.Errorf("%s: an allowed answer is not in the memo", c.ID)
			}
			checked++
			rs.Close()
		}
	}
	if checked < 100 || fromMemo < 50 {
		t.Errorf("%d corpus requests checked, %d answered from the memo", checked, fromMemo)
	}
	t.Logf("%d corpus requests checked, %d answered from the memo", checked, fromMemo)
}

// TestMiddlewareMemoManyRequests cycles 60 distinct requests (more than the memo's slots, so
// entries replace each other) through one rule set: each answer echoes its own request.
func TestMiddlewareMemoManyRequests(t *testing.T) {
	rs, err := Compile([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>`+
		`<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>`+
		`</CORSRule></CORSConfiguration>`), S3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	h := Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), func(*http.Request) *RuleSet { return rs })
	acrhs := []string{"content-type", "Content-Type, X-Amz-Date", "x-amz-date,content-type"}
	for round := 0; round < 4; round++ {
		for i := 0; i < 20; i++ {
			for _, acrh := range acrhs {
				origin := fmt.Sprintf("https://app%d.example.com", i%(5+round))
				req, _ := http.NewRequest("OPTIONS", "http://bucket.example/key", nil)
				req.Header.Set("Origin", origin)
				req.Header.Set("Access-Control-Request-Method", "PUT")
				req.Header.Set("Access-Control-Request-Headers", acrh)
				w := &sink{h: http.Header{}}
				h.ServeHTTP(w, req)
				want, err := rs.Preflight(Request{Origin: &origin, ACRM: String("PUT"), ACRH: &acrh})
				if err != nil {
					t.Fatal(err)
				}
				for _, hf := range want.Headers {
					if got := strings.Join(w.h[hf.Name], ", "); got != hf.Value {
						t.Fatalf("round %d %s %q: %s %q, want %q", round, origin, acrh, hf.Name, got, hf.Value)
					}
				}
				if got := w.h.Get("Access-Control-Allow-Origin"); got != origin || w.code != 200 {
					t.Fatalf("round %d: %d, Allow-Origin %q for %q", round, w.code, got, origin)
				}
			}
		}
	}
}

// TestHeaderKinds checks kindOf against every header name the library sends: a preflight
// under s3 with credentials carries all seven.
func TestHeaderKinds(t *testing.T) {
	doc := `<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin>` +
		`<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>` +
		`<MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>`
	rs, err := Compile([]byte(doc), S3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	origin, acrm, acrh := "https://a.example", "PUT", "x-a"
	d, err := rs.Preflight(Request{Origin: &origin, ACRM: &acrm, ACRH: &acrh})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]headerKind{
		hAllowOrigin: kAllowOrigin, hAllowMethods: kAllowMethods, hAllowHeaders: kAllowHeaders,
		hExposeHeaders: kExposeHeaders, hMaxAge: kMaxAge, hAllowCredentials: kAllowCredentials, hVary: kVary,
	}
	seen := 0
	for _, h := range d.Headers {
		if k, ok := want[h.Name]; !ok || kindOf(h.Name) != k {
			t.Errorf("%q: kind %d, want %d (known: %v)", h.Name, kindOf(h.Name), k, ok)
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("the preflight carried %d headers, want all %d: %v", seen, len(want), d.Headers)
	}
	for name, k := range want {
		if got := kindOf(name); got != k {
			t.Errorf("kindOf(%q) = %d, want %d", name, got, k)
		}
	}
}
