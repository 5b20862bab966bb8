package corsmatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const shadowedConfig = `<CORSConfiguration>
<CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<CORSRule><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<ResponseVary>true</ResponseVary></CORSConfiguration>`

func mustLint(t *testing.T, rs *RuleSet) []Finding {
	t.Helper()
	findings, err := rs.Lint()
	if err != nil {
		t.Fatal(err)
	}
	return findings
}

func intp(n int) *int { return &n }

// show prints what an optional field points to, or <nil>.
func show(p any) string { return fmt.Sprintf("%v", deref(p)) }

func deref(p any) any {
	switch v := p.(type) {
	case *int:
		if v != nil {
			return *v
		}
	case *string:
		if v != nil {
			return *v
		}
	case *LintExample:
		if v != nil {
			return *v
		}
	}
	return nil
}

func TestLintShadowedRule(t *testing.T) {
	findings := mustLint(t, mustCompile(t, shadowedConfig, OSS, nil))
	if len(findings) != 1 {
		t.Fatalf("want one finding, got %+v", findings)
	}
	f := findings[0]
	if f.ID != "shadowed-rule" || f.Severity != SeverityWarning || show(f.Rule) != "1" || f.Element != nil ||
		f.Item != nil || fmt.Sprint(f.Related) != "[0]" || f.Example != nil {
		t.Fatalf("got %+v", f)
	}
	if !strings.Contains(f.Message, "never applies") || !strings.Contains(f.Message, "rule 0") || f.Fix == "" {
		t.Fatalf("message %q, fix %q", f.Message, f.Fix)
	}
	if !f.IsProblem() || !HasProblems(findings) {
		t.Fatal("a shadowed rule is not a problem")
	}
}

func TestLintTheExample(t *testing.T) {
	findings := mustLint(t, example(t))
	if len(findings) != 2 {
		t.Fatalf("want two findings, got %+v", findings)
	}
	many, overlap := findings[0], findings[1]
	if many.ID != "many-origins-in-rule" || many.Severity != SeverityInfo || show(many.Rule) != "0" ||
		show(many.Element) != "AllowedOrigin" || many.Item != nil || len(many.Related) != 0 || many.Related == nil {
		t.Fatalf("first finding %+v", many)
	}
	want := LintExample{Origin: "https://www.example.com", Method: "GET", Headers: []string{}}
	if overlap.ID != "overlap" || overlap.Severity != SeverityInfo || show(overlap.Rule) != "1" ||
		fmt.Sprint(overlap.Related) != "[0]" || overlap.Example == nil ||
		fmt.Sprintf("%#v", *overlap.Example) != fmt.Sprintf("%#v", want) {
		t.Fatalf("second finding %+v, example %s", overlap, show(overlap.Example))
	}
	if HasProblems(findings) || many.IsProblem() || overlap.IsProblem() {
		t.Fatal("information counted as a problem")
	}
	// The example request really is answered by both rules, by rule 0 first.
	d, err := example(t).Actual(Request{Method: overlap.Example.Method, Origin: &overlap.Example.Origin})
	if err != nil || d.Rule != 0 {
		t.Fatalf("example request: %v %+v", err, d)
	}
}

func TestLintFindings(t *testing.T) {
	rule := func(origin string, extra string) string {
		return "<CORSRule><AllowedOrigin>" + origin + "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>" +
			extra + "</CORSRule>"
	}
	doc := func(vary bool, rules ...string) string {
		v := ""
		if vary {
			v = "<ResponseVary>true</ResponseVary>"
		}
		return "<CORSConfiguration>" + strings.Join(rules, "") + v + "</CORSConfiguration>"
	}
	type want struct {
		id, severity string
		rule         *int
		element      string // "" for nil
		item         *int
	}
	cases := []struct {
		name    string
		xml     string
		opts    *Options
		want    []want
		problem bool
	}{
		{"clean", doc(true, rule("*", "")), nil, nil, false},
		{"no scheme", doc(true, rule("www.example.com", "")), nil,
			[]want{{"origin-no-scheme", SeverityWarning, intp(0), "AllowedOrigin", intp(0)}}, true},
		{"vary missing", doc(false, rule("https://www.example.com", "")), nil,
			[]want{{"vary-missing", SeverityWarning, nil, "", nil}}, true},
		{"wildcard with credentials", doc(true, rule("https://*", "")), nil,
			[]want{{"wildcard-registrable-domain", SeverityWarning, intp(0), "AllowedOrigin", intp(0)},
				{"wildcard-all-with-credentials", SeverityError, intp(0), "AllowedOrigin", intp(0)}}, true},
		{"wildcard without credentials", doc(true, rule("https://*", "")), &Options{NoCredentials: true},
			[]want{{"wildcard-registrable-domain", SeverityWarning, intp(0), "AllowedOrigin", intp(0)}}, true},
		{"duplicate method", doc(true, rule("https://a.example.com", "<AllowedMethod>GET</AllowedMethod>")), nil,
			[]want{{"method-duplicate", SeverityInfo, intp(0), "AllowedMethod", intp(1)}}, false},
		{"sensitive expose header", doc(true, rule("https://a.example.com",
			"<ExposeHeader>ETag</ExposeHeader><ExposeHeader>Set-Cookie</ExposeHeader>")), nil,
			[]want{{"expose-sensitive", SeverityWarning, intp(0), "ExposeHeader", intp(1)}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			findings := mustLint(t, mustCompile(t, c.xml, OSS, c.opts))
			if len(findings) != len(c.want) {
				t.Fatalf("want %d findings, got %+v", len(c.want), findings)
			}
			for i, w := range c.want {
				f := findings[i]
				if f.ID != w.id || f.Severity != w.severity || show(f.Rule) != show(w.rule) ||
					show(f.Item) != show(w.item) || (f.Element == nil) != (w.element == "") ||
					(f.Element != nil && *f.Element != w.element) || f.Message == "" || f.Fix == "" {
					t.Errorf("finding %d: got %+v (rule %s element %s item %s), want %+v", i, f,
						show(f.Rule), show(f.Element), show(f.Item), w)
				}
			}
			if HasProblems(findings) != c.problem {
				t.Errorf("HasProblems = %v", !c.problem)
			}
		})
	}
}

// Every field of the library's JSON is decoded: encoding the findings again gives it back.
func TestLintDecodesEveryField(t *testing.T) {
	var b strings.Builder
	b.WriteString("<CORSConfiguration>")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "<CORSRule><AllowedOrigin>https://a.example.com</AllowedOrigin>"+
			"<AllowedOrigin>HTTPS://B.example.com:443</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"+
			"<AllowedHeader>x-a-*</AllowedHeader><AllowedHeader>x-a-b</AllowedHeader>"+
			"<ExposeHeader>Authorization</ExposeHeader><MaxAgeSeconds>%d</MaxAgeSeconds></CORSRule>", i)
	}
	// Two rules answering one PUT differently: an overlap with an example request.
	b.WriteString("<CORSRule><AllowedOrigin>https://a.example.com</AllowedOrigin>" +
		"<AllowedMethod>PUT</AllowedMethod></CORSRule>")
	b.WriteString("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>")
	b.WriteString("</CORSConfiguration>")
	rs := mustCompile(t, b.String(), S3, &Options{MaxRules: 32})
	raw, err := rs.lintJSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) <= 4096 {
		t.Fatalf("want a JSON larger than the first buffer, got %d bytes", len(raw))
	}
	findings := mustLint(t, rs)
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(findings); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(again.String(), "\n"); got != string(raw) {
		t.Fatalf("re-encoded findings differ from the library's JSON:\n%s\n%s", got, raw)
	}
	ids := map[string]int{}
	for _, f := range findings {
		ids[f.ID]++
		if f.ID == "shadowed-rule" && (len(f.Related) == 0 || f.Related[0] >= *f.Rule) {
			t.Errorf("shadowed rule %d: related %v", *f.Rule, f.Related)
		}
	}
	for _, id := range []string{"shadowed-rule", "overlap", "origin-uppercase", "origin-default-port",
		"header-duplicate", "expose-sensitive", "many-origins-in-rule"} {
		if ids[id] == 0 {
			t.Errorf("no %s finding in %v", id, ids)
		}
	}
	if ids["shadowed-rule"] != 29 {
		t.Errorf("want rules 1 to 29 shadowed, got %d", ids["shadowed-rule"])
	}
}

func TestLintNoConfigAndClosed(t *testing.T) {
	none, err := NoConfig(OSS)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := none.Lint()
	if err != nil || findings == nil || len(findings) != 0 || HasProblems(findings) {
		t.Fatalf("no config: %v %#v", err, findings)
	}
	none.Close()
	if _, err := none.Lint(); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if HasProblems(nil) {
		t.Fatal("HasProblems(nil)")
	}
}
