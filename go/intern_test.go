package corsmatch

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

const publicGet = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>" +
	"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"

func mustInterner(t testing.TB) *Interner {
	t.Helper()
	in, err := NewInterner()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

func internCompile(t testing.TB, in *Interner, xml string, profile Profile, opts *Options) *RuleSet {
	t.Helper()
	rs, err := in.Compile([]byte(xml), profile, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

func TestInternerSharesFormattingVariants(t *testing.T) {
	in := mustInterner(t)
	a := internCompile(t, in, publicGet, S3, nil)
	b := internCompile(t, in, "<?xml version=\"1.0\"?>\n<CORSConfiguration>\n <CORSRule><!-- public -->\n"+
		"  <AllowedOrigin>*</AllowedOrigin>\n  <AllowedMethod>GET</AllowedMethod>\n </CORSRule>\n</CORSConfiguration>", S3, nil)
	if !a.SharesWith(b) {
		t.Fatal("formatting variants do not share")
	}
	plain := mustCompile(t, publicGet, S3, nil)
	if plain.SharesWith(a) {
		t.Fatal("a plain compile shares with the interner's")
	}
	d, err := b.Preflight(Request{Origin: String("https://a.example"), ACRM: String("GET")})
	if err != nil || d.Status != 200 {
		t.Fatalf("%+v %v", d, err)
	}
	s, err := in.Stats()
	if err != nil || s.Hits != 1 || s.Misses != 1 || s.Sets != 1 {
		t.Fatalf("stats %+v %v", s, err)
	}
}

func TestInternerKeepsDifferentKeysApart(t *testing.T) {
	in := mustInterner(t)
	sets := []*RuleSet{
		internCompile(t, in, publicGet, S3, nil),
		internCompile(t, in, publicGet, OSS, nil),
		internCompile(t, in, publicGet, S3, &Options{NoCredentials: true}),
		internCompile(t, in, publicGet, S3, &Options{StrictOrigins: true}),
		internCompile(t, in, publicGet, S3, &Options{MaxRules: 5}),
		internCompile(t, in, "<CORSConfiguration><CORSRule><AllowedOrigin> *</AllowedOrigin>"+
			"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", S3, nil),
	}
	for i, a := range sets {
		for j, b := range sets {
			if a.SharesWith(b) != (i == j) {
				t.Fatalf("sets %d and %d: shares %v", i, j, a.SharesWith(b))
			}
		}
	}
}

func TestInternerErrorsAreCompiles(t *testing.T) {
	in := mustInterner(t)
	for _, doc := range []string{"", "<nope/>", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>" +
		"<AllowedMethod>FETCH</AllowedMethod></CORSRule></CORSConfiguration>"} {
		for _, profile := range []Profile{OSS, S3} {
			_, plain := Compile([]byte(doc), profile, nil)
			_, interned := in.Compile([]byte(doc), profile, nil)
			var p, i *ConfigError
			if !errors.As(plain, &p) || !errors.As(interned, &i) {
				t.Fatalf("%q: %v / %v", doc, plain, interned)
			}
			if p.Status != i.Status || p.Code != i.Code || p.Message != i.Message || p.Detail != i.Detail {
				t.Fatalf("%q: %+v / %+v", doc, p, i)
			}
		}
	}
	if _, err := in.Compile([]byte(publicGet), Profile(7), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestInternerFreesUnusedSets(t *testing.T) {
	in := mustInterner(t)
	rs, err := in.Compile([]byte(publicGet), S3, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs.Close()
	if s, _ := in.Stats(); s.Sets != 0 {
		t.Fatalf("stats after close %+v", s)
	}
	in.Close()
	if _, err := in.Compile([]byte(publicGet), S3, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := in.Stats(); !errors.Is(err, ErrClosed) {
		t.Fatalf("stats after close: %v", err)
	}
}

func TestInternerConcurrent(t *testing.T) {
	in := mustInterner(t)
	const goroutines, docs = 8, 20
	got := make([][]*RuleSet, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range docs {
				xml := fmt.Sprintf("<CORSConfiguration><CORSRule><AllowedOrigin>https://%d.example</AllowedOrigin>"+
					"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", n%5)
				rs, err := in.Compile([]byte(xml), OSS, nil)
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], rs)
			}
		}()
	}
	wg.Wait()
	for g := range goroutines {
		for n, rs := range got[g] {
			if !rs.SharesWith(got[0][n%5]) {
				t.Fatalf("goroutine %d document %d is not shared", g, n)
			}
		}
	}
	s, _ := in.Stats()
	if s.Misses != 5 || s.Hits != goroutines*docs-5 || s.Sets != 5 {
		t.Fatalf("stats %+v", s)
	}
	for g := range goroutines {
		for _, rs := range got[g] {
			rs.Close()
		}
	}
	runtime.GC()
	if s, _ := in.Stats(); s.Sets != 0 {
		t.Fatalf("stats after closing all %+v", s)
	}
}
