// Go relying party of the interoperability suite (driven by interop/run.sh).
//
//	verify-go --issuer URL --ca FILE --cases FILE --rotated-flag FILE [--fault-flag FILE]
//	          [--rotation-bound-ms N] [--flag-timeout-ms N]
//
// Built by run.sh in GOPATH mode from Debian's golang-github-coreos-go-oidc-dev (go-oidc 2.x) and
// golang-gopkg-square-go-jose.v2-dev: no module download. Same protocol as the Java, Node and Python
// verifiers: one JSON line per case (discovery first, named by the case file's discovery_case),
// "ready-for-rotation" after phase "initial", then (once the flag file exists) phase "rotation" with the
// SAME verifier, so go-oidc's own key-set cache is what is exercised; with --fault-flag,
// "ready-for-fault" and (once that flag exists) phase "fault".
//
// Configured as the OpenTelemetry Collector's oidc authenticator configures go-oidc: an http.Client
// (5 s timeout) whose only root is the CA file, oidc.NewProvider(oidc.ClientContext(ctx, client),
// issuer), then provider.Verifier with ClientID = the audience. The collector uses go-oidc v3, which
// takes the algorithm allow-list from the discovery document by itself; go-oidc 2.x accepts RS256 only
// unless told, so SupportedSigningAlgs is set here to the document's id_token_signing_alg_values_supported.
//
// go-oidc 2.x refetches the key set for a token no cached key verifies only when the cached set is
// within 30 s of its expiry, which it takes from the JWKS response's Cache-Control (jwks.go,
// keysExpiryDelta). The transport below records each key-set fetch, so the rotation line can say
// when the cached set was fetched, what max-age it carried, and when that rule let go-oidc refetch.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	oidc "github.com/coreos/go-oidc"
)

const (
	verifierName = "go-oidc"
	retryPause   = 200 * time.Millisecond
	// go-oidc 2.x's keysExpiryDelta: an unknown kid triggers a refetch only this close to expiry.
	refetchWindow = 30 * time.Second
)

type testCase struct {
	Name   string `json:"name"`
	Phase  string `json:"phase"`
	Expect string `json:"expect"`
	Token  string `json:"token"`
}

type caseFile struct {
	Audience      string     `json:"audience"`
	DiscoveryCase string     `json:"discovery_case"`
	Cases         []testCase `json:"cases"`
}

type resultLine struct {
	Verifier string `json:"verifier"`
	Case     string `json:"case"`
	Expect   string `json:"expect"`
	Result   string `json:"result"`
	Ok       bool   `json:"ok"`
	Ms       int64  `json:"ms"`
	Attempts int    `json:"attempts"`
	Detail   string `json:"detail"`
	Note     string `json:"note,omitempty"`
}

var whitespace = regexp.MustCompile(`\s+`)
var maxAge = regexp.MustCompile(`(?i)(?:^|[,\s])max-age=(\d+)`)

func emit(line resultLine) {
	line.Verifier = verifierName
	line.Ok = line.Expect == line.Result
	line.Detail = whitespace.ReplaceAllString(line.Detail, " ")
	if len(line.Detail) > 300 {
		line.Detail = line.Detail[:300]
	}
	out, err := json.Marshal(line)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
}

// fetch is one response the client received: when, for which URL, with which Cache-Control.
type fetch struct {
	at           time.Time
	url          string
	cacheControl string
}

// recordingTransport passes every request on unchanged and remembers the responses, so that the
// rotation line can be explained by go-oidc's own refetch rule rather than guessed.
type recordingTransport struct {
	next    http.RoundTripper
	mu      sync.Mutex
	fetches []fetch
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.mu.Lock()
		t.fetches = append(t.fetches, fetch{time.Now(), req.URL.String(), resp.Header.Get("Cache-Control")})
		t.mu.Unlock()
	}
	return resp, err
}

func (t *recordingTransport) fetchesOf(url string) []fetch {
	t.mu.Lock()
	defer t.mu.Unlock()
	var matching []fetch
	for _, f := range t.fetches {
		if f.url == url {
			matching = append(matching, f)
		}
	}
	return matching
}

type relyingParty struct {
	verifier  *oidc.IDTokenVerifier
	transport *recordingTransport
	jwksURI   string
}

func discover(ctx context.Context, issuer, caFile, audience string, transport *recordingTransport) (*relyingParty, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	transport.next = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: transport}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), issuer)
	if err != nil {
		return nil, err
	}
	var metadata struct {
		JwksURI    string   `json:"jwks_uri"`
		Algorithms []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&metadata); err != nil {
		return nil, err
	}
	if len(metadata.Algorithms) == 0 {
		return nil, errors.New("discovery document lists no id_token_signing_alg_values_supported")
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: metadata.Algorithms})
	return &relyingParty{verifier, transport, metadata.JwksURI}, nil
}

// rotationNote explains an accepted rotation token by go-oidc's rule: the key set cached at the flag
// was fetched at some instant with some max-age; an unknown kid is refetched only from
// fetch + max-age - 30 s on.
func (rp *relyingParty) rotationNote(flagAt time.Time) string {
	var cached, refetch *fetch
	for _, f := range rp.transport.fetchesOf(rp.jwksURI) {
		f := f
		if !f.at.After(flagAt) {
			cached = &f
		} else if refetch == nil {
			refetch = &f
		}
	}
	if cached == nil {
		return "no key-set fetch before the flag"
	}
	note := fmt.Sprintf("key set cached %.1f s before the flag with Cache-Control %q",
		flagAt.Sub(cached.at).Seconds(), cached.cacheControl)
	if m := maxAge.FindStringSubmatch(cached.cacheControl); m != nil {
		seconds, _ := strconv.Atoi(m[1])
		opens := cached.at.Add(time.Duration(seconds)*time.Second - refetchWindow)
		predicted := opens.Sub(flagAt)
		if predicted < 0 {
			predicted = 0
		}
		note += fmt.Sprintf("; refetch allowed from max-age - 30 s = %d s after that fetch: %.1f s after the flag",
			seconds-int(refetchWindow.Seconds()), predicted.Seconds())
	}
	if refetch != nil {
		note += fmt.Sprintf("; refetched %.1f s after the flag", refetch.at.Sub(flagAt).Seconds())
	} else {
		note += "; no refetch after the flag"
	}
	return note
}

func runPhase(ctx context.Context, rp *relyingParty, cases []testCase, phase string, retryBound time.Duration, flagAt time.Time) {
	for _, c := range cases {
		if c.Phase != phase {
			continue
		}
		if rp == nil {
			emit(resultLine{Case: c.Name, Expect: c.Expect, Result: "reject", Detail: "discovery failed"})
			continue
		}
		retry := phase == "rotation" && c.Expect == "accept"
		start := time.Now()
		for attempts := 1; ; attempts++ {
			_, err := rp.verifier.Verify(ctx, c.Token)
			line := resultLine{Case: c.Name, Expect: c.Expect, Attempts: attempts}
			if err == nil || !retry || time.Since(start) >= retryBound {
				line.Ms = time.Since(start).Milliseconds()
				line.Result = "accept"
				if err != nil {
					line.Result = "reject"
					line.Detail = err.Error()
				}
				if retry {
					line.Note = rp.rotationNote(flagAt)
				}
				emit(line)
				break
			}
			time.Sleep(retryPause)
		}
	}
}

func options(args []string) (map[string]string, error) {
	result := map[string]string{}
	if len(args)%2 != 0 {
		return nil, fmt.Errorf("expected --name value pairs, got: %s", strings.Join(args, " "))
	}
	for i := 0; i < len(args); i += 2 {
		if !strings.HasPrefix(args[i], "--") {
			return nil, fmt.Errorf("expected --name value pairs, got: %s", strings.Join(args, " "))
		}
		result[args[i][2:]] = args[i+1]
	}
	return result, nil
}

func milliseconds(opts map[string]string, name string, fallback int) time.Duration {
	value, err := strconv.Atoi(opts[name])
	if err != nil {
		value = fallback
	}
	return time.Duration(value) * time.Millisecond
}

func main() {
	opts, err := options(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	raw, err := os.ReadFile(opts["cases"])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var document caseFile
	if err := json.Unmarshal(raw, &document); err != nil {
		fmt.Fprintln(os.Stderr, "cases:", err)
		os.Exit(2)
	}
	rotationBound := milliseconds(opts, "rotation-bound-ms", 15000)
	flagTimeout := milliseconds(opts, "flag-timeout-ms", 120000)

	// The provider keeps this context for every later key-set fetch: no deadline on it.
	ctx := context.Background()
	start := time.Now()
	rp, err := discover(ctx, opts["issuer"], opts["ca"], document.Audience, &recordingTransport{})
	if document.DiscoveryCase == "" {
		document.DiscoveryCase = "discovery"
	}
	discovery := resultLine{Case: document.DiscoveryCase, Expect: "accept", Result: "accept", Attempts: 1}
	if err != nil {
		rp = nil
		discovery.Result, discovery.Detail = "reject", err.Error()
	}
	discovery.Ms = time.Since(start).Milliseconds()
	emit(discovery)

	runPhase(ctx, rp, document.Cases, "initial", 0, time.Time{})
	if !awaitFlag("ready-for-rotation", opts["rotated-flag"], flagTimeout) {
		rotationBound = 0
	}
	runPhase(ctx, rp, document.Cases, "rotation", rotationBound, time.Now())
	if faultFlag, ok := opts["fault-flag"]; ok {
		awaitFlag("ready-for-fault", faultFlag, flagTimeout)
		runPhase(ctx, rp, document.Cases, "fault", 0, time.Time{})
	}
}

// awaitFlag announces the end of a phase, then waits (bounded) for run.sh's flag file; true when it came.
func awaitFlag(line, flag string, timeout time.Duration) bool {
	fmt.Println(line)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(flag); err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
