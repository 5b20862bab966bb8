package corsmatch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CompileJSON reads the JSON forms of the shared test data and answers as their XML does.
func TestCompileJSONForms(t *testing.T) {
	dir := filepath.Join("..", "core", "tests", "data", "formats")
	xml, err := os.ReadFile(filepath.Join(dir, "uploads.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compile(xml, S3, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Origin: String("https://www.example.com"), ACRM: String("GET")}
	wantD, err := want.Preflight(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"console.json", "cli.json", "template.flipped.json", "plan.json", "state.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := CompileJSON(data, "", FromTool, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rs.Profile() != S3 || rs.RuleCount() != want.RuleCount() {
			t.Errorf("%s: profile %v, %d rules; want s3, %d", name, rs.Profile(), rs.RuleCount(), want.RuleCount())
		}
		d, err := rs.Preflight(req)
		if err != nil || d.Status != wantD.Status || d.Rule != wantD.Rule {
			t.Errorf("%s: %+v %v, want %+v", name, d, err, wantD)
		}
	}
}

func TestCompileJSONErrors(t *testing.T) {
	console := []byte(`[{"AllowedOrigins": ["https://a.example"], "AllowedMethods": ["PUT"]}]`)
	rs, err := CompileJSON(console, "", OSS, nil)
	if err != nil || rs.Profile() != OSS {
		t.Fatalf("a profile given wins: %v %v", rs, err)
	}
	_, err = CompileJSON([]byte(`[{"AllowedOrigins": ["*"], "AllowedMethods": ["COPY"]}]`), "", FromTool, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Code == "" {
		t.Errorf("the provider's refusal: %v", err)
	}
	for _, c := range []struct{ data, resource, says string }{
		{`[{"AllowedOrigins": `, "", "1:21"},
		{`<CORSConfiguration/>`, "", "from_xml"},
		{string(console), "nope", "nope"},
		{"", "", ""},
	} {
		_, err := CompileJSON([]byte(c.data), c.resource, FromTool, nil)
		if !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v", c.data, err)
		}
	}
	if _, err := CompileJSON(console, "", Profile(7), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("an unknown profile: %v", err)
	}
	if _, err := Compile([]byte("<x/>"), FromTool, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("FromTool is for CompileJSON only: %v", err)
	}
}
