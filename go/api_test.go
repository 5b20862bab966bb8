package corsmatch

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

const webUpload = "../examples/oss-web-upload.xml"

func mustCompile(t testing.TB, xml string, profile Profile, opts *Options) *RuleSet {
	t.Helper()
	rs, err := Compile([]byte(xml), profile, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

func example(t testing.TB) *RuleSet {
	t.Helper()
	data, err := os.ReadFile(webUpload)
	if err != nil {
		t.Fatal(err)
	}
	return mustCompile(t, string(data), OSS, nil)
}

func TestPreflightOfTheExample(t *testing.T) {
	rs := example(t)
	if rs.RuleCount() != 2 || rs.Profile() != OSS {
		t.Fatalf("rule count %d, profile %v", rs.RuleCount(), rs.Profile())
	}
	d, err := rs.Preflight(Request{Origin: String("https://www.example.com"), ACRM: String("PUT"),
		ACRH: String("Content-Type, X-OSS-Meta-Author")})
	if err != nil {
		t.Fatal(err)
	}
	want := []HeaderField{
		{"Access-Control-Allow-Origin", "https://www.example.com"},
		{"Access-Control-Allow-Methods", "GET, PUT, POST, HEAD"},
		{"Access-Control-Allow-Headers", "content-type, x-oss-meta-author"},
		{"Access-Control-Expose-Headers", "ETag, x-oss-request-id"},
		{"Access-Control-Max-Age", "600"},
		{"Access-Control-Allow-Credentials", "true"},
		{"Vary", "Origin"},
	}
	if d.Status != 200 || d.Rule != 0 || d.Refused != nil || fmt.Sprint(d.Headers) != fmt.Sprint(want) {
		t.Fatalf("got %+v", d)
	}
	// The second time the rule's values come from the cache: same answer.
	d2, _ := rs.Preflight(Request{Origin: String("https://app.example.com"), ACRM: String("GET")})
	if v, _ := d2.Header("access-control-allow-methods"); v != "GET, PUT, POST, HEAD" {
		t.Fatalf("cached methods %q", v)
	}
	if v, _ := d2.Header("Access-Control-Allow-Origin"); v != "https://app.example.com" {
		t.Fatalf("origin %q", v)
	}
	if _, ok := d2.Header("Access-Control-Allow-Headers"); ok {
		t.Fatal("Allow-Headers without requested headers")
	}
}

func TestRefusals(t *testing.T) {
	rs := example(t)
	d, err := rs.Preflight(Request{Origin: String("https://evil.example.net"), ACRM: String("PUT"),
		RequestID: "req-1", HostID: "host-<1>"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != 403 || d.Refused == nil || d.Refused.Code != "AccessForbidden" || d.Rule != -1 {
		t.Fatalf("got %+v", d)
	}
	if !strings.Contains(d.Refused.Body, "<RequestId>req-1</RequestId><HostId>host-&lt;1&gt;</HostId>") {
		t.Fatalf("body %s", d.Refused.Body)
	}
	if fmt.Sprint(d.Headers) != "[{Vary Origin}]" {
		t.Fatalf("headers %v", d.Headers)
	}
	d, _ = rs.Preflight(Request{ACRM: String("PUT")})
	if d.Status != 400 || d.Refused.Message != "Insufficient information. Origin request header needed." {
		t.Fatalf("no origin: %+v", d)
	}
	d, _ = rs.Preflight(Request{Origin: String("https://www.example.com"), ACRM: String("")})
	if d.Status != 400 || d.Refused.Message != "Invalid Access-Control-Request-Method: " {
		t.Fatalf("empty acrm: %+v", d.Refused)
	}
	s3none, err := NoConfig(S3)
	if err != nil {
		t.Fatal(err)
	}
	defer s3none.Close()
	d, _ = s3none.Preflight(Request{Origin: String("https://a.example"), ACRM: String("GET"), Target: Bucket})
	if d.Status != 403 || d.Refused.Message != "CORSResponse: CORS is not enabled for this bucket." ||
		!strings.Contains(d.Refused.Body, "<Method>GET</Method><ResourceType>BUCKET</ResourceType>") {
		t.Fatalf("s3 no config: %+v", d.Refused)
	}
	d, _ = rs.Preflight(Request{Origin: String("https://www.example.com"), ACRM: String("GET"), Target: MissingBucket})
	if d.Status != 404 || d.Refused.Code != "NoSuchBucket" {
		t.Fatalf("missing bucket: %+v", d)
	}
}

func TestActual(t *testing.T) {
	rs := example(t)
	d, err := rs.Actual(Request{Method: "GET", Origin: String("https://static.example.org")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != 0 || d.Rule != 1 || fmt.Sprint(d.Headers) !=
		"[{Access-Control-Allow-Origin *} {Access-Control-Allow-Methods GET, HEAD} {Access-Control-Max-Age 3600} {Vary Origin}]" {
		t.Fatalf("got %+v", d)
	}
	d, _ = rs.Actual(Request{Method: "DELETE", Origin: String("https://www.example.com")})
	if d.Rule != -1 || fmt.Sprint(d.Headers) != "[{Vary Origin}]" {
		t.Fatalf("unmatched actual: %+v", d)
	}
	if _, err := rs.Actual(Request{Method: "OPTIONS"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("OPTIONS to Actual: %v", err)
	}
	if _, err := rs.Actual(Request{Method: "GET", Target: Target(9)}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown target: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, xml   string
		profile     Profile
		opts        *Options
		code, inMsg string
	}{
		{"malformed", "<CORSConfiguration><CORSRule>", OSS, nil, "MalformedXML", "not well-formed"},
		{"empty", "", OSS, nil, "MalformedXML", "not well-formed"},
		{"not utf-8", "<CORSConfiguration>\xff</CORSConfiguration>", S3, nil, "MalformedXML", "not well-formed"},
		{"method", rules(1, "PATCH"), S3, nil, "InvalidRequest", "Unsupported method is PATCH"},
		{"too many oss", rules(11, "GET"), OSS, nil, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit."},
		{"too many s3", rules(101, "GET"), S3, nil, "InvalidRequest", "allowed limit of 100 rules"},
		{"lowered limit", rules(3, "GET"), OSS, &Options{MaxRules: 2}, "CORSRuleBeyondLimit", "beyond limit"},
		{"oversized", rules(1, "GET") + strings.Repeat(" ", 17<<10), OSS, nil, "MalformedXML", "not well-formed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile([]byte(c.xml), c.profile, c.opts)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *ConfigError, got %v", err)
			}
			if ce.Status != 400 || ce.Code != c.code || !strings.Contains(ce.Message, c.inMsg) || ce.Detail == "" {
				t.Fatalf("got %+v", ce)
			}
			if !strings.HasPrefix(ce.Error(), "corsmatch: ") {
				t.Fatalf("Error() %q", ce.Error())
			}
			body := ce.XML("rid", "")
			if !strings.Contains(body, "<Code>"+c.code+"</Code>") || !strings.Contains(body, "<RequestId>rid</RequestId>") ||
				strings.Contains(body, "HostId") {
				t.Fatalf("XML %s", body)
			}
		})
	}
	// Raised limits accept what the defaults refuse.
	mustCompile(t, rules(11, "GET"), OSS, &Options{MaxRules: 11})
	mustCompile(t, rules(1, "GET")+strings.Repeat(" ", 17<<10), OSS, &Options{MaxDocumentBytes: 32 << 10})
	if _, err := Compile([]byte(rules(1, "GET")), Profile(5), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown profile: %v", err)
	}
	if _, err := NoConfig(Profile(-1)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown profile: %v", err)
	}
}

// rules is a document of n rules allowing method.
func rules(n int, method string) string {
	var b strings.Builder
	b.WriteString("<CORSConfiguration>")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<CORSRule><AllowedOrigin>https://s%d.example</AllowedOrigin><AllowedMethod>%s</AllowedMethod></CORSRule>", i, method)
	}
	b.WriteString("</CORSConfiguration>")
	return b.String()
}

func TestOptions(t *testing.T) {
	doc := `<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`
	plain := mustCompile(t, doc, OSS, nil)
	strict := mustCompile(t, doc, OSS, &Options{StrictOrigins: true, NoCredentials: true})
	trick := Request{Origin: String("https://evil.com/.example.com"), ACRM: String("GET")}
	if d, _ := plain.Preflight(trick); d.Status != 200 {
		t.Fatalf("plain: %d", d.Status)
	}
	if d, _ := strict.Preflight(trick); d.Status != 403 {
		t.Fatalf("strict: %d", d.Status)
	}
	d, _ := strict.Preflight(Request{Origin: String("https://a.example.com"), ACRM: String("GET")})
	if _, ok := d.Header("Access-Control-Allow-Credentials"); ok || d.Status != 200 {
		t.Fatalf("NoCredentials: %+v", d)
	}
}

func TestBadInput(t *testing.T) {
	rs := example(t)
	_, err := rs.Preflight(Request{Origin: String("https://\xff.example.com"), ACRM: String("GET")})
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("invalid utf-8: %v", err)
	}
	// A megabyte of commas has no items; a megabyte of origin is echoed.
	d, err := rs.Preflight(Request{Origin: String("https://www.example.com"), ACRM: String("PUT"), ACRH: String(strings.Repeat(",", 1<<20))})
	if err != nil || d.Status != 200 {
		t.Fatalf("commas: %v %+v", err, d)
	}
	long := "https://" + strings.Repeat("a", 1<<20) + ".example.com"
	d, err = rs.Preflight(Request{Origin: &long, ACRM: String("PUT")})
	if v, _ := d.Header("Access-Control-Allow-Origin"); err != nil || v != long {
		t.Fatalf("long origin: %v, %d bytes echoed", err, len(v))
	}
	// Present but empty strings are not absent.
	d, _ = rs.Preflight(Request{Origin: String(""), ACRM: String("GET")})
	if d.Status != 200 || d.Rule != 1 {
		t.Fatalf("empty origin: %+v", d)
	}
}

// TestInvalidHeaderValue: a CR, LF or NUL anywhere in a request string is refused with
// ErrInvalidHeaderValue by every method that takes that string (the Origin and the ACRH items
// are echoed into response headers: "https://a.example.com\r\nSet-Cookie: x=1" would split
// the response). The same value without the byte is answered.
func TestInvalidHeaderValue(t *testing.T) {
	rs := example(t)
	_, cerr := Compile([]byte("<CORSConfiguration/>"), OSS, nil)
	var configErr *ConfigError
	if !errors.As(cerr, &configErr) {
		t.Fatalf("want a *ConfigError, got %v", cerr)
	}
	good := func() Request {
		return Request{Method: "PUT", Origin: String("https://www.example.com"), ACRM: String("PUT"),
			ACRH: String("content-type, x-oss-meta-a"), RequestID: "req-1", HostID: "host-1"}
	}
	type call struct {
		name string
		run  func(Request) error
	}
	preflight := call{"Preflight", func(r Request) error {
		d, err := rs.Preflight(r)
		if err == nil && (d.Status != 200 || d.Rule != 0) {
			return fmt.Errorf("status %d rule %d", d.Status, d.Rule)
		}
		return err
	}}
	actual := call{"Actual", func(r Request) error {
		d, err := rs.Actual(r)
		if err != nil {
			return err
		}
		if v, _ := d.Header("Access-Control-Allow-Origin"); d.Rule != 0 || v != *r.Origin {
			return fmt.Errorf("rule %d allow-origin %q", d.Rule, v)
		}
		return nil
	}}
	explain := call{"Explain", func(r Request) error {
		e, err := rs.Explain(r)
		if err == nil && (e.Winner == nil || *e.Winner != 0) {
			return fmt.Errorf("winner %v", e.Winner)
		}
		return err
	}}
	xml := call{"ConfigError.XML", func(r Request) error {
		if configErr.XML(r.RequestID, r.HostID) == "" {
			return ErrInvalidHeaderValue
		}
		return nil
	}}
	fields := []struct {
		name  string
		value func(*Request) *string
		calls []call
	}{
		{"Method", func(r *Request) *string { return &r.Method }, []call{actual, explain}},
		{"Origin", func(r *Request) *string { return r.Origin }, []call{preflight, actual, explain}},
		{"ACRM", func(r *Request) *string { return r.ACRM }, []call{preflight, actual, explain}},
		{"ACRH", func(r *Request) *string { return r.ACRH }, []call{preflight, actual, explain}},
		{"RequestID", func(r *Request) *string { return &r.RequestID }, []call{preflight, xml}},
		{"HostID", func(r *Request) *string { return &r.HostID }, []call{preflight, xml}},
	}
	for _, f := range fields {
		for _, c := range f.calls {
			if err := c.run(good()); err != nil {
				t.Errorf("%s, control for %s: %v", c.name, f.name, err)
			}
			for _, bad := range []string{"\r", "\n", "\x00"} {
				req := good()
				v := f.value(&req)
				n := len(*v)
				for _, value := range []string{bad + *v, (*v)[:n/2] + bad + (*v)[n/2:], *v + bad} {
					r := req
					// Fresh pointers: the optional fields share them with req.
					r.Origin, r.ACRM, r.ACRH = String(*req.Origin), String(*req.ACRM), String(*req.ACRH)
					*f.value(&r) = value
					if err := c.run(r); !errors.Is(err, ErrInvalidHeaderValue) {
						t.Errorf("%s, %s %q: %v, want ErrInvalidHeaderValue", c.name, f.name, value, err)
					}
				}
			}
		}
	}
	// The attack itself, and the same Origin without CR LF.
	split := Request{Origin: String("https://a.example.com\r\nSet-Cookie: x=1"), ACRM: String("GET")}
	if d, err := rs.Preflight(split); d != nil || !errors.Is(err, ErrInvalidHeaderValue) {
		t.Fatalf("splitting origin: %+v %v", d, err)
	}
	d, err := rs.Preflight(Request{Origin: String("https://a.example.comSet-Cookie: x=1"), ACRM: String("GET")})
	if v, _ := d.Header("Access-Control-Allow-Origin"); err != nil || d.Status != 200 || v != "*" {
		t.Fatalf("joined origin: %v %+v", err, d)
	}
}

func TestCloseAndVersion(t *testing.T) {
	rs, err := Compile([]byte(rules(1, "GET")), OSS, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs.Close()
	rs.Close()
	if _, err := rs.Preflight(Request{Origin: String("https://s0.example"), ACRM: String("GET")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := rs.Explain(Request{Method: "GET"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("explain after Close: %v", err)
	}
	if v := Version(); v == "" || !strings.Contains(v, ".") {
		t.Fatalf("version %q", v)
	}
}

func TestExplain(t *testing.T) {
	rs := example(t)
	e, err := rs.Explain(Request{Method: "OPTIONS", Origin: String("https://www.example.com"), ACRM: String("PUT"), ACRH: String("X-Evil")})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Rules) != 2 || e.Rules[0].Result != "header" || e.Rules[0].Header == nil || *e.Rules[0].Header != "x-evil" ||
		e.Rules[1].Result != "method" || e.Winner != nil || e.Response.Status == nil || *e.Response.Status != 403 ||
		e.Response.Error == nil || e.Response.Error.Code != "AccessForbidden" {
		t.Fatalf("got %+v", e)
	}
	// A big explanation needs a second, larger buffer.
	big := mustCompile(t, rules(100, "GET"), S3, nil)
	e, err = big.Explain(Request{Method: "GET", Origin: String("https://s99.example")})
	if err != nil || len(e.Rules) != 100 || e.Winner == nil || *e.Winner != 99 {
		t.Fatalf("big: %v %+v", err, e)
	}
}

// One rule set from many goroutines: every answer carries something unique to its request.
func TestConcurrentUse(t *testing.T) {
	rs := example(t)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				origin := fmt.Sprintf("https://g%d-%d.example.com", g, i)
				acrh := fmt.Sprintf("x-oss-meta-g%d-%d", g, i)
				d, err := rs.Preflight(Request{Origin: &origin, ACRM: String("PUT"), ACRH: &acrh})
				if err != nil || d.Status != 200 {
					errs <- fmt.Sprintf("goroutine %d: %v %+v", g, err, d)
					return
				}
				o, _ := d.Header("Access-Control-Allow-Origin")
				h, _ := d.Header("Access-Control-Allow-Headers")
				if o != origin || h != acrh {
					errs <- fmt.Sprintf("goroutine %d: got %q %q for %q %q", g, o, h, origin, acrh)
					return
				}
				rid := fmt.Sprintf("r-%d-%d", g, i)
				d, _ = rs.Preflight(Request{Origin: &origin, ACRM: String("DELETE"), RequestID: rid})
				if d.Status != 403 || !strings.Contains(d.Refused.Body, "<RequestId>"+rid+"</RequestId>") {
					errs <- fmt.Sprintf("goroutine %d: denial %+v", g, d)
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
