package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswer is how much of a receiver's answer is kept for the result: a
// chat's reason ("invalid_blocks", "channel_not_found") fits easily.
const maxAnswer = 512

// Result is how one receiver took one alert.
type Result struct {
	// Name is the receiver's Config.Name.
	Name     string
	Provider Provider
	// OK is true when the receiver answered 2xx.
	OK bool
	// Status is the HTTP status, or 0 when there was no answer.
	Status int
	// Message is the start of the answer, or why there was none. It never
	// holds the URL.
	Message  string
	Duration time.Duration
}

// post sends one alert to one receiver and waits for its answer, at most
// cfg.Timeout.
func (d *Dispatcher) post(ctx context.Context, cfg Config, a Alert) Result {
	res := Result{Name: cfg.Name, Provider: cfg.Provider}
	start := d.now()
	status, msg, err := d.do(ctx, cfg, a)
	res.Duration = d.now().Sub(start)
	res.Status = status
	switch {
	case err != nil:
		res.Message = err.Error()
	case status >= 200 && status < 300:
		res.OK, res.Message = true, msg
	case status >= 300 && status < 400:
		res.Message = fmt.Sprintf("HTTP %d: redirect not followed (a webhook URL must be the final one)", status)
	case msg != "":
		res.Message = fmt.Sprintf("HTTP %d: %s", status, msg)
	default:
		res.Message = fmt.Sprintf("HTTP %d", status)
	}
	return res
}

func (d *Dispatcher) do(ctx context.Context, cfg Config, a Alert) (int, string, error) {
	enc, err := encoderFor(cfg.Provider)
	if err != nil {
		return 0, "", err
	}
	body, err := enc(a)
	if err != nil {
		return 0, "", err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("building the request: %w", redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice")
	resp, err := d.client().Do(req)
	if err != nil {
		if parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, "", fmt.Errorf("no answer within %v", timeout)
		}
		return 0, "", redact(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("HTTP %d, reading the answer: %w", resp.StatusCode, redact(err))
	}
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, strings.Join(strings.Fields(strings.ToValidUTF8(string(data), "�")), " "), nil
}

// client is d.HTTP, never following redirects: a webhook URL that
// redirects is misconfigured, and following it would carry the alert
// somewhere the user did not name.
func (d *Dispatcher) client() *http.Client {
	var hc http.Client
	if d.HTTP != nil {
		hc = *d.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// redact drops the URL net/http puts in its errors: an incoming webhook's
// URL is its password.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
