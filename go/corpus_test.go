package corsmatch

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shared case corpus (../core/tests/data, schema in the README "Test corpus"), run
// through the Go API: the configuration as the XML document a server receives, each request
// through Preflight or Actual, and the decision compared as core/tests/common does.

type corpusCase struct {
	ID           string            `json:"id"`
	Profile      *string           `json:"profile"`
	Config       []json.RawMessage `json:"config"`
	ResponseVary *bool             `json:"response_vary"`
	Request      struct {
		Method string  `json:"method"`
		Origin *string `json:"origin"`
		ACRM   *string `json:"acrm"`
		ACRH   *string `json:"acrh"`
		Target *string `json:"target"`
	} `json:"request"`
	Expect map[string]json.RawMessage `json:"expect"`
	// Fidelity is where a recorded vector of s3-public.json comes from: "aws-recorded", or
	// "s3-tests" for ceph/s3-tests, which checks the status and the headers only.
	Fidelity string `json:"fidelity"`
}

// bodyUnrecorded: a ceph/s3-tests vector, refused without a recorded error. Every other
// refused case names its error, as core/tests/common does.
func (c *corpusCase) bodyUnrecorded() bool { return c.Fidelity == "s3-tests" }

var corpusFiles = []struct {
	name    string
	profile Profile
}{
	{"s3-public.json", S3},
	{"oss-cases.json", OSS},
	{"s3-cases.json", S3},
}

func loadCorpus(t testing.TB) map[string][]corpusCase {
	t.Helper()
	out := map[string][]corpusCase{}
	for _, f := range corpusFiles {
		data, err := os.ReadFile(filepath.Join("..", "core", "tests", "data", f.name))
		if err != nil {
			t.Fatal(err)
		}
		var cases []corpusCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		out[f.name] = cases
	}
	return out
}

func xmlText(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// configXML renders the JSON rules as a CORSConfiguration document.
func configXML(t testing.TB, rules []json.RawMessage, vary *bool) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("<CORSConfiguration>")
	for _, raw := range rules {
		var rule map[string]any
		if err := json.Unmarshal(raw, &rule); err != nil {
			t.Fatal(err)
		}
		b.WriteString("<CORSRule>")
		for _, name := range []string{"ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"} {
			var values []any
			switch v := rule[name].(type) {
			case nil:
			case []any:
				values = v
			default:
				values = []any{v}
			}
			for _, v := range values {
				text := fmt.Sprint(v)
				if f, ok := v.(float64); ok {
					text = fmt.Sprintf("%d", int64(f))
				}
				fmt.Fprintf(&b, "<%s>%s</%s>", name, xmlText(text), name)
			}
			delete(rule, name)
		}
		if len(rule) > 0 {
			t.Fatalf("unknown rule fields %v", rule)
		}
		b.WriteString("</CORSRule>")
	}
	if vary != nil {
		fmt.Fprintf(&b, "<ResponseVary>%t</ResponseVary>", *vary)
	}
	b.WriteString("</CORSConfiguration>")
	return []byte(b.String())
}

func (c *corpusCase) ruleSet(t testing.TB, profile Profile) *RuleSet {
	t.Helper()
	if c.Profile != nil {
		switch *c.Profile {
		case "oss":
			profile = OSS
		case "s3":
			profile = S3
		default:
			t.Fatalf("%s: profile %q", c.ID, *c.Profile)
		}
	}
	if c.Config == nil {
		rs, err := NoConfig(profile)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs, err := Compile(configXML(t, c.Config, c.ResponseVary), profile, nil)
	if err != nil {
		t.Fatalf("%s: %v", c.ID, err)
	}
	return rs
}

func (c *corpusCase) request() Request {
	req := Request{Method: c.Request.Method, Origin: c.Request.Origin, ACRM: c.Request.ACRM, ACRH: c.Request.ACRH}
	if c.Request.Target != nil {
		switch *c.Request.Target {
		case "object":
			req.Target = Object
		case "bucket":
			req.Target = Bucket
		case "nonexistent-bucket":
			req.Target = MissingBucket
		}
	}
	return req
}

// xmlElement is the text of <name> in an error body, unescaped; ok false when absent.
func xmlElement(body, name string) (string, bool) {
	open, end := "<"+name+">", "</"+name+">"
	i := strings.Index(body, open)
	if i < 0 {
		return "", false
	}
	rest := body[i+len(open):]
	j := strings.Index(rest, end)
	if j < 0 {
		return "", false
	}
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	return r.Replace(rest[:j]), true
}

// check compares a decision with a case's expectations and returns the differences.
func (c *corpusCase) check(d *Decision) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	e := c.Expect
	var status *int
	if raw, ok := e["status"]; ok {
		_ = json.Unmarshal(raw, &status)
	}
	if c.Request.Method == "OPTIONS" {
		if status != nil && *status != d.Status {
			bad("status: want %d, got %d", *status, d.Status)
		}
	} else if d.Status != 0 || d.Refused != nil {
		bad("an actual request got status %d", d.Status)
	}
	if raw, ok := e["headers"]; ok {
		var headers map[string]*string
		if err := json.Unmarshal(raw, &headers); err != nil {
			bad("headers: %v", err)
		}
		for name, want := range headers {
			have, present := d.Header(name)
			switch {
			case want == nil && present:
				bad("%s: want absent, got %q", name, have)
			case want != nil && (!present || have != *want):
				bad("%s: want %q, got %q (present %v)", name, *want, have, present)
			}
		}
	}
	if raw, ok := e["headers_exact"]; ok {
		var want [][2]string
		if err := json.Unmarshal(raw, &want); err != nil {
			bad("headers_exact: %v", err)
		}
		same := len(want) == len(d.Headers)
		for i := 0; same && i < len(want); i++ {
			same = want[i][0] == d.Headers[i].Name && want[i][1] == d.Headers[i].Value
		}
		if !same {
			bad("headers: want %v, got %v", want, d.Headers)
		}
	}
	if _, named := e["error"]; !named && !c.bodyUnrecorded() {
		// A refused case states its error, so that none is taken on trust.
		if c.Request.Method == "OPTIONS" && status != nil && *status >= 400 {
			bad("a refused case must name its error (expect.error)")
		}
		if d.Refused != nil {
			bad("refused with %s, but the case names no error", d.Refused.Code)
		}
	}
	if raw, ok := e["error"]; ok {
		var want map[string]string
		if err := json.Unmarshal(raw, &want); err != nil {
			bad("error: %v", err)
		}
		switch {
		case want == nil && d.Refused != nil:
			bad("want no error, got %s", d.Refused.Code)
		case want != nil && d.Refused == nil:
			bad("want an error, got none")
		case want != nil:
			for _, key := range []string{"Code", "Message", "Method", "ResourceType"} {
				w, wok := want[key]
				h, hok := xmlElement(d.Refused.Body, key)
				if w != h || wok != hok {
					bad("body %s: want %q (%v), got %q (%v)", key, w, wok, h, hok)
				}
			}
			if code, _ := xmlElement(d.Refused.Body, "Code"); code != d.Refused.Code {
				bad("code %q differs from the body's %q", d.Refused.Code, code)
			}
			if msg, _ := xmlElement(d.Refused.Body, "Message"); msg != d.Refused.Message {
				bad("message %q differs from the body's %q", d.Refused.Message, msg)
			}
		}
	}
	if raw, ok := e["rule"]; ok {
		var want *int
		if err := json.Unmarshal(raw, &want); err != nil {
			bad("rule: %v", err)
		}
		w := -1
		if want != nil {
			w = *want
		}
		if w != d.Rule {
			bad("rule: want %d, got %d", w, d.Rule)
		}
	}
	return problems
}

func (c *corpusCase) evaluate(rs *RuleSet) (*Decision, error) {
	if c.Request.Method == "OPTIONS" {
		return rs.Preflight(c.request())
	}
	return rs.Actual(c.request())
}

func TestCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	total := 0
	for _, f := range corpusFiles {
		cases := corpus[f.name]
		if len(cases) == 0 {
			t.Fatalf("%s: no cases", f.name)
		}
		for i := range cases {
			c := &cases[i]
			total++
			t.Run(c.ID, func(t *testing.T) {
				rs := c.ruleSet(t, f.profile)
				defer rs.Close()
				d, err := c.evaluate(rs)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range c.check(d) {
					t.Error(p)
				}
			})
		}
	}
	if n := len(corpus["s3-public.json"]); n != 74 {
		t.Errorf("s3-public.json has %d cases, want 74", n)
	}
	// The refused preflights that name no error: the ceph/s3-tests vectors only.
	var unnamed []string
	for _, f := range corpusFiles {
		for _, c := range corpus[f.name] {
			var status int
			_ = json.Unmarshal(c.Expect["status"], &status)
			if _, named := c.Expect["error"]; !named && c.Request.Method == "OPTIONS" && status >= 400 {
				unnamed = append(unnamed, c.ID)
			}
		}
	}
	if got, want := strings.Join(unnamed, " "), "st-18 st-19 st-20 st-22 st-23 st-27 st-30 st-31 st-35 st-36"; got != want {
		t.Errorf("refused cases without an error: %s, want %s", got, want)
	}
	t.Logf("%d corpus cases", total)
}
