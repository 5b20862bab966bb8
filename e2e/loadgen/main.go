// Command loadgen measures `corsmatch serve` itself: requests/s and latency percentiles of
// the server under concurrent keep-alive load, which the Python load test
// (e2e/clients/test_load.py) cannot, being bound by its own client threads.
//
// Run it from this directory, after `cargo build --release -p corsmatch-cli`:
//
//	cd e2e/loadgen && go run . -bin ../../target/release/corsmatch -c 64 -d 10s
//
// It starts `corsmatch serve --profile s3 --addr 127.0.0.1:0 --bucket-acl public-read-write
// --bucket bench=CONFIG` (CONFIG: a 10-rule CORS document written to a temporary directory),
// reads the `listening on http://127.0.0.1:PORT` line, seeds a few 1 KiB objects, and then for
// -d runs -c workers over one keep-alive http.Transport, each looping over the -mix:
//
//	preflight-ok      OPTIONS, Origin/ACRM/ACRH that rule 9 of 10 allows: expect 200 with ACAO
//	preflight-denied  OPTIONS, an Origin/ACRM that no rule allows (all 10 tried): expect 403
//	get               GET of a 1 KiB object with Origin: expect 200, 1024 bytes, ACAO
//	put               PUT of 1 KiB with Origin: expect 200 with ACAO
//
// (-mix preflight runs the two preflight kinds, get and put one kind each, all four.) Every
// latency is recorded and sorted at the end; the table gives count, requests/s, p50, p90, p99
// and max per kind and overall, and the count of unexpected answers (wrong status, missing
// CORS header, short body, Connection: close). The summary line adds the connections opened
// (all, and while measuring: 0 when keep-alive holds) and, from /proc, the CPU the server and
// loadgen used during the measured window, in cores. The exit status is 1 if there was any
// unexpected answer or transport error, or if the global deadline (-deadline) passed. The server is stopped
// (SIGTERM, then SIGKILL after 5 s) before loadgen exits. Everything is on loopback: the
// server's address is checked to be 127.0.0.1, and proxies from the environment are ignored.
//
// The load generator and the server share the machine's cores: on a small machine the
// figures are those of both together, not of the server alone.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

const (
	bucket      = "bench"
	objectSize  = 1024
	seedObjects = 8
	allowedOrig = "https://app.bench.test"
	deniedOrig  = "https://evil.bench.invalid"
)

// corsConfig has ten rules. The allowed origin is matched by rule 9, after eight rules that
// do not match it (exact and wildcard origins, other methods); the denied preflight's origin
// matches only rule 10's `*`, whose methods do not include PUT, so every rule is tried.
const corsConfig = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><ID>r1</ID><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
  <CORSRule><ID>r2</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>
  <CORSRule><ID>r3</ID><AllowedOrigin>http://localhost:3000</AllowedOrigin><AllowedOrigin>http://localhost:8080</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedHeader>content-type</AllowedHeader></CORSRule>
  <CORSRule><ID>r4</ID><AllowedOrigin>https://*.staging.bench.test</AllowedOrigin><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>authorization</AllowedHeader></CORSRule>
  <CORSRule><ID>r5</ID><AllowedOrigin>https://admin.bench.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>x-amz-version-id</ExposeHeader></CORSRule>
  <CORSRule><ID>r6</ID><AllowedOrigin>https://cdn-*.bench.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>
  <CORSRule><ID>r7</ID><AllowedOrigin>https://partner.example.org</AllowedOrigin><AllowedOrigin>https://partner.example.net</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-meta-*</AllowedHeader></CORSRule>
  <CORSRule><ID>r8</ID><AllowedOrigin>http://*.bench.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>
  <CORSRule><ID>r9</ID><AllowedOrigin>https://app.bench.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-amz-meta-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>
  <CORSRule><ID>r10</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule>
</CORSConfiguration>
`

type kind int

const (
	preflightOK kind = iota
	preflightDenied
	getObject
	putObject
	numKinds
)

var kindNames = [numKinds]string{"preflight-ok", "preflight-denied", "get", "put"}

var mixes = map[string][]kind{
	"preflight": {preflightOK, preflightDenied},
	"get":       {getObject},
	"put":       {putObject},
	"all":       {preflightOK, preflightDenied, getObject, putObject},
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

type config struct {
	bin      string
	conc     int
	dur      time.Duration
	warmup   time.Duration
	timeout  time.Duration
	deadline time.Duration
	mix      string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", filepath.Join("..", "..", "target", "release", "corsmatch"),
		"the corsmatch binary (a relative path is relative to the current directory, e2e/loadgen under `go run .`)")
	flag.IntVar(&cfg.conc, "c", 64, "concurrent workers (one keep-alive connection each)")
	flag.DurationVar(&cfg.dur, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before -d (connections opened, caches warm)")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of each request (http.Client.Timeout)")
	flag.DurationVar(&cfg.deadline, "deadline", 0, "global deadline for the whole run (default: warmup + d + 60s)")
	flag.StringVar(&cfg.mix, "mix", "all", "preflight|get|put|all")
	flag.Parse()
	if flag.NArg() != 0 {
		fail("unexpected arguments: %q", flag.Args())
	}
	if _, ok := mixes[cfg.mix]; !ok {
		fail("-mix must be preflight, get, put or all, not %q", cfg.mix)
	}
	if cfg.conc < 1 || cfg.conc > 4096 {
		fail("-c must be between 1 and 4096")
	}
	if cfg.dur <= 0 || cfg.dur > time.Hour || cfg.warmup < 0 || cfg.warmup > time.Hour {
		fail("-d must be in (0, 1h] and -warmup in [0, 1h]")
	}
	if cfg.timeout <= 0 || cfg.timeout > 5*time.Minute {
		fail("-timeout must be in (0, 5m]")
	}
	if cfg.deadline <= 0 {
		cfg.deadline = cfg.warmup + cfg.dur + time.Minute
	}
	os.Exit(run(cfg))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(2)
}

// run returns the exit status; the server is stopped before it returns.
func run(cfg config) int {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.deadline)
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	srv, err := startServer(ctx, cfg.bin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		return 1
	}
	defer srv.stop()

	dials := new(atomic.Int64)
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy: nil, // loopback only: never through a proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:          2 * cfg.conc,
		MaxIdleConnsPerHost:   2 * cfg.conc,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.timeout}
	b := &bench{client: client, base: srv.base, dials: dials, serverPID: srv.cmd.Process.Pid}

	if err := b.seed(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: seeding: %v\n%s", err, srv.output())
		return 1
	}

	res := b.load(ctx, cfg)
	status := report(cfg, res, srv.base)
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "loadgen: stopped before the end: %v\n", context.Cause(ctx))
		status = 1
	}
	if srv.exited() {
		fmt.Fprintf(os.Stderr, "loadgen: the server exited during the run\n%s", srv.output())
		status = 1
	}
	return status
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

type server struct {
	cmd    *exec.Cmd
	dir    string
	base   string
	out    *lineWatcher
	errOut *lineWatcher
	done   chan struct{}
}

func startServer(ctx context.Context, bin string) (*server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no corsmatch binary at %s (cargo build --release -p corsmatch-cli, or -bin): %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "corsmatch-loadgen-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "cors.xml")
	if err := os.WriteFile(conf, []byte(corsConfig), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{dir: dir, out: newLineWatcher(listening), errOut: newLineWatcher(nil), done: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--profile", "s3", "--addr", "127.0.0.1:0",
		"--bucket-acl", "public-read-write", "--bucket", bucket+"="+conf)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.errOut
	s.cmd.WaitDelay = 5 * time.Second // bounds Wait once the process is gone or killed
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	startup := time.NewTimer(20 * time.Second)
	defer startup.Stop()
	select {
	case base := <-s.out.found:
		s.base = base
	case <-s.done:
		s.stop()
		return nil, fmt.Errorf("corsmatch serve exited before listening:\n%s", s.output())
	case <-startup.C:
		s.stop()
		return nil, fmt.Errorf("corsmatch serve did not print its address within 20s:\n%s", s.output())
	case <-ctx.Done():
		s.stop()
		return nil, fmt.Errorf("corsmatch serve: %w", context.Cause(ctx))
	}
	u, err := url.Parse(s.base)
	if err != nil || u.Hostname() != "127.0.0.1" {
		s.stop()
		return nil, fmt.Errorf("corsmatch serve listens on %q, not on loopback", s.base)
	}
	return s, nil
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL if the server has not exited within 5 s.
func (s *server) stop() {
	if !s.exited() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

func (s *server) output() string {
	return s.out.String() + s.errOut.String()
}

// lineWatcher is the server's stdout or stderr: it keeps the first 64 KiB, and sends the first
// match of re's first group on found.
type lineWatcher struct {
	mu      sync.Mutex
	re      *regexp.Regexp
	partial []byte
	kept    bytes.Buffer
	found   chan string
	sent    bool
}

func newLineWatcher(re *regexp.Regexp) *lineWatcher {
	return &lineWatcher{re: re, found: make(chan string, 1)}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := 64<<10 - w.kept.Len(); room > 0 {
		w.kept.Write(p[:min(room, len(p))])
	}
	if w.re == nil || w.sent {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		if m := w.re.FindSubmatch(w.partial[:i]); m != nil {
			w.found <- string(m[1])
			w.sent = true
			w.partial = nil
			break
		}
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64<<10 {
		w.partial = nil
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kept.String()
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

type bench struct {
	client    *http.Client
	base      string
	dials     *atomic.Int64
	serverPID int
}

var payload = bytes.Repeat([]byte("corsmatch-loadgen-1KiB-payload.\n"), objectSize/32)

func (b *bench) objectURL(key string) string { return b.base + "/" + bucket + "/" + key }

func (b *bench) seed(ctx context.Context) error {
	for i := range seedObjects {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, b.objectURL(fmt.Sprintf("seed-%d", i)), bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("x-amz-acl", "public-read") // s3 objects are private unless their ACL says otherwise
		resp, err := b.client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("PUT seed-%d: %s", i, resp.Status)
		}
	}
	return nil
}

// do sends one request of kind k and checks the answer. It returns a transport error, or a
// description of an unexpected answer ("" when the answer is as expected).
func (b *bench) do(ctx context.Context, k kind, worker, n int) (unexpected string, err error) {
	var req *http.Request
	switch k {
	case preflightOK, preflightDenied:
		req, err = http.NewRequestWithContext(ctx, http.MethodOptions, b.objectURL(fmt.Sprintf("seed-%d", n%seedObjects)), nil)
		if err != nil {
			return "", err
		}
		if k == preflightOK {
			req.Header.Set("Origin", allowedOrig)
			req.Header.Set("Access-Control-Request-Method", "PUT")
			req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-meta-bench")
		} else {
			req.Header.Set("Origin", deniedOrig)
			req.Header.Set("Access-Control-Request-Method", "PUT")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
		}
	case getObject:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, b.objectURL(fmt.Sprintf("seed-%d", n%seedObjects)), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Origin", allowedOrig)
	case putObject:
		// Four keys per worker, overwritten: the in-memory store stays small.
		req, err = http.NewRequestWithContext(ctx, http.MethodPut, b.objectURL(fmt.Sprintf("w%d-%d", worker, n%4)), bytes.NewReader(payload))
		if err != nil {
			return "", err
		}
		req.Header.Set("Origin", allowedOrig)
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("x-amz-meta-bench", "1")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	got, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	acao := resp.Header.Get("Access-Control-Allow-Origin")
	switch {
	case k == preflightDenied:
		if resp.StatusCode != http.StatusForbidden || acao != "" {
			return fmt.Sprintf("%s: %s, ACAO %q (want 403 without ACAO)", kindNames[k], resp.Status, acao), nil
		}
	case resp.StatusCode != http.StatusOK:
		return fmt.Sprintf("%s: %s (want 200)", kindNames[k], resp.Status), nil
	case acao != allowedOrig:
		return fmt.Sprintf("%s: ACAO %q (want %q)", kindNames[k], acao, allowedOrig), nil
	case k == getObject && got != objectSize:
		return fmt.Sprintf("get: %d bytes (want %d)", got, objectSize), nil
	}
	if resp.Close {
		return fmt.Sprintf("%s: the server closed the connection (Connection: close)", kindNames[k]), nil
	}
	return "", nil
}

// ---------------------------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------------------------

type workerResult struct {
	lat        [numKinds][]time.Duration
	unexpected [numKinds]int
	errors     int
	samples    []string // the first few unexpected answers and errors
	lastEnd    time.Time
}

type results struct {
	lat        [numKinds][]time.Duration
	unexpected [numKinds]int
	errors     int
	samples    []string
	elapsed    time.Duration
	dials      int64 // connections opened in all
	window     usage // during the measured window
}

// usage is what was used between two snapshots: connections opened, CPU time of the server
// and of loadgen (from /proc; cpuKnown is false where there is none).
type usage struct {
	wall      time.Duration
	dials     int64
	serverCPU time.Duration
	selfCPU   time.Duration
	cpuKnown  bool
}

type snapshot struct {
	t         time.Time
	dials     int64
	serverCPU time.Duration
	selfCPU   time.Duration
	cpuKnown  bool
}

func (b *bench) snap() snapshot {
	s := snapshot{t: time.Now(), dials: b.dials.Load()}
	srv, ok1 := procCPU(strconv.Itoa(b.serverPID))
	self, ok2 := procCPU("self")
	s.serverCPU, s.selfCPU, s.cpuKnown = srv, self, ok1 && ok2
	return s
}

func (a snapshot) until(z snapshot) usage {
	return usage{wall: z.t.Sub(a.t), dials: z.dials - a.dials, serverCPU: z.serverCPU - a.serverCPU,
		selfCPU: z.selfCPU - a.selfCPU, cpuKnown: a.cpuKnown && z.cpuKnown}
}

// procCPU is the user + system time of a process, from /proc/PID/stat (Linux; clock ticks
// taken as 100 Hz, USER_HZ on every Linux architecture Go runs on).
func procCPU(pid string) (time.Duration, bool) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 { // after the command: state, ppid, ..., utime (12th), stime (13th)
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

func (b *bench) load(ctx context.Context, cfg config) results {
	seq := mixes[cfg.mix]
	start := time.Now()
	measureFrom := start.Add(cfg.warmup)
	var begin snapshot
	var beginOnce sync.WaitGroup
	beginOnce.Add(1)
	go func() {
		defer beginOnce.Done()
		t := time.NewTimer(time.Until(measureFrom))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		begin = b.snap()
	}()
	stopAt := measureFrom.Add(cfg.dur)
	// Requests in flight when -d ends are let finish (each bounded by -timeout), but no new
	// ones start; the run context also ends at the global deadline.
	per := make([]workerResult, cfg.conc)
	var wg sync.WaitGroup
	for w := range cfg.conc {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := &per[w]
			for n := 0; ; n++ {
				t0 := time.Now()
				if !t0.Before(stopAt) || ctx.Err() != nil {
					return
				}
				// Workers start at different points of the sequence, so that at any moment
				// every kind is in flight.
				k := seq[(n+w)%len(seq)]
				bad, err := b.do(ctx, k, w, n)
				t1 := time.Now()
				measured := !t0.Before(measureFrom)
				if err != nil {
					if ctx.Err() != nil {
						return // the run was cut short; reported by the caller
					}
					r.errors++
					if len(r.samples) < 3 {
						r.samples = append(r.samples, fmt.Sprintf("%s: %v", kindNames[k], err))
					}
					continue
				}
				if bad != "" {
					r.unexpected[k]++
					if len(r.samples) < 3 {
						r.samples = append(r.samples, bad)
					}
				}
				if measured {
					r.lat[k] = append(r.lat[k], t1.Sub(t0))
					r.lastEnd = t1
				}
			}
		}(w)
	}
	wg.Wait()
	end := b.snap()
	beginOnce.Wait()

	var res results
	var lastEnd time.Time
	for i := range per {
		r := &per[i]
		for k := range numKinds {
			res.lat[k] = append(res.lat[k], r.lat[k]...)
			res.unexpected[k] += r.unexpected[k]
		}
		res.errors += r.errors
		if len(res.samples) < 10 {
			res.samples = append(res.samples, r.samples...)
		}
		if r.lastEnd.After(lastEnd) {
			lastEnd = r.lastEnd
		}
	}
	res.dials = end.dials
	res.window = begin.until(end)
	res.elapsed = lastEnd.Sub(measureFrom)
	if res.elapsed <= 0 {
		res.elapsed = cfg.dur
	}
	return res
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

// percentile is the nearest-rank percentile of sorted, which is not empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

func report(cfg config, res results, base string) int {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcount\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tunexpected\t")
	var all []time.Duration
	unexpected := 0
	row := func(name string, lat []time.Duration, bad int) {
		slices.Sort(lat)
		if len(lat) == 0 {
			fmt.Fprintf(tw, "%s\t0\t-\t-\t-\t-\t-\t%d\t\n", name, bad)
			return
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", name, len(lat),
			float64(len(lat))/res.elapsed.Seconds(),
			ms(percentile(lat, 50)), ms(percentile(lat, 90)), ms(percentile(lat, 99)), ms(lat[len(lat)-1]), bad)
	}
	for _, k := range mixes[cfg.mix] {
		row(kindNames[k], res.lat[k], res.unexpected[k])
		all = append(all, res.lat[k]...)
		unexpected += res.unexpected[k]
	}
	row("overall", all, unexpected)
	tw.Flush()

	fmt.Printf("corsmatch serve (s3, %s) mix=%s c=%d d=%s: ", base, cfg.mix, cfg.conc, cfg.dur)
	if len(all) > 0 {
		fmt.Printf("%.0f req/s, p50 %s ms, p99 %s ms, ", float64(len(all))/res.elapsed.Seconds(),
			ms(percentile(all, 50)), ms(percentile(all, 99)))
	}
	fmt.Printf("%d requests, %d unexpected, %d transport errors; %d connections (%d opened while measuring); ",
		len(all), unexpected, res.errors, res.dials, res.window.dials)
	if w := res.window; w.cpuKnown && w.wall > 0 {
		fmt.Printf("CPU: server %.2f, loadgen %.2f of %d cores\n",
			w.serverCPU.Seconds()/w.wall.Seconds(), w.selfCPU.Seconds()/w.wall.Seconds(), runtime.NumCPU())
	} else {
		fmt.Printf("%d cores\n", runtime.NumCPU())
	}
	for _, s := range res.samples {
		fmt.Fprintf(os.Stderr, "  %s\n", strings.TrimSpace(s))
	}
	if unexpected > 0 || res.errors > 0 {
		fmt.Fprintln(os.Stderr, "loadgen: FAIL: unexpected answers or transport errors")
		return 1
	}
	if len(all) == 0 {
		fmt.Fprintln(os.Stderr, "loadgen: FAIL: no request completed in the measured window")
		return 1
	}
	return 0
}
