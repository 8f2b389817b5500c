package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Limits on a call.
const (
	// DefaultTimeout bounds a call whose hook sets no timeout.
	DefaultTimeout = 10 * time.Second
	// MaxBody is how much of an answer is read; the rest is dropped.
	MaxBody = 64 << 10
	// DefaultConcurrency is how many hooks Run calls at once by default.
	DefaultConcurrency = 4
	// maxRedirects bounds redirects within the same host.
	maxRedirects = 5
)

// Caller makes webhook calls. Its fields are the collaborators tests and
// the controller inject; the zero value works.
type Caller struct {
	// HTTP sends the requests. Default: a client with the default
	// transport. Its redirect policy is replaced by one that stays on the
	// hook's scheme and host; its Timeout, if any, also applies.
	HTTP *http.Client
	// Logger receives every result. Default: discard.
	Logger *slog.Logger
	// Clock stamps payloads. Default: time.Now.
	Clock func() time.Time
	// Concurrency is how many hooks Run calls at once. Default
	// DefaultConcurrency.
	Concurrency int

	// notified tracks Notify's calls still running, for Wait.
	notified sync.WaitGroup
}

// Call POSTs p to hook and says how it answered. A 2xx answer is OK;
// anything else, including a timeout or a refused redirect, is not, with
// the reason in Message. What OK means for the release depends on the
// hook's type: see Run.
func (c *Caller) Call(ctx context.Context, hook v1alpha1.Webhook, p Payload) Result {
	res := Result{Name: hook.Name, Type: hook.Type}
	start := time.Now()
	status, msg, err := c.post(ctx, hook, p.withHook(hook, c.clock()))
	res.Duration = time.Since(start)
	res.Status = status
	switch {
	case err != nil:
		res.Message = err.Error()
	case status >= 200 && status < 300:
		res.OK, res.Message = true, msg
	case msg != "":
		res.Message = fmt.Sprintf("HTTP %d: %s", status, msg)
	default:
		res.Message = fmt.Sprintf("HTTP %d", status)
	}
	c.log(ctx, res)
	return res
}

// post sends the payload and returns the status and the start of the
// body, or why there was no answer.
func (c *Caller) post(ctx context.Context, hook v1alpha1.Webhook, p Payload) (int, string, error) {
	u, err := url.Parse(hook.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, "", fmt.Errorf("webhook %s: its URL is not an http(s) URL", hook.Name)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, "", fmt.Errorf("webhook %s: encoding the payload: %w", hook.Name, err)
	}
	timeout := timeoutOf(hook)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("webhook %s: %w", hook.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice")

	resp, err := c.client().Do(req)
	if err != nil {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, "", fmt.Errorf("webhook %s: no answer within %v", hook.Name, timeout)
		}
		return 0, "", fmt.Errorf("webhook %s: %w", hook.Name, callError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		return resp.StatusCode, "", fmt.Errorf("webhook %s: HTTP %d: redirect to %s not followed (another scheme or host, or more than %d redirects)", hook.Name, resp.StatusCode, redactURL(loc), maxRedirects)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("webhook %s: HTTP %d, reading the answer: %w", hook.Name, resp.StatusCode, err)
	}
	return resp.StatusCode, excerpt(data), nil
}

// timeoutOf is how long a call to hook may take.
func timeoutOf(hook v1alpha1.Webhook) time.Duration {
	if hook.Timeout != nil && hook.Timeout.Duration > 0 {
		return hook.Timeout.Duration
	}
	return DefaultTimeout
}

// client is c.HTTP with the redirect policy this package promises.
func (c *Caller) client() *http.Client {
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = sameOrigin
	return &hc
}

// sameOrigin follows a redirect only to the scheme and host of the first
// request; otherwise the redirect itself is the answer, which is not 2xx.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host || len(via) > maxRedirects {
		return http.ErrUseLastResponse
	}
	return nil
}

func (c *Caller) clock() func() time.Time {
	if c.Clock != nil {
		return c.Clock
	}
	return time.Now
}

func (c *Caller) log(ctx context.Context, r Result) {
	if c.Logger == nil {
		return
	}
	level := slog.LevelInfo
	if !r.OK {
		level = slog.LevelWarn
	}
	c.Logger.Log(ctx, level, "webhook called",
		"hook", r.Name, "type", r.Type, "ok", r.OK, "status", r.Status,
		"duration", r.Duration.Round(time.Millisecond), "message", r.Message)
}
