package adminapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Credentials authenticate a client to a member's protected endpoints
// (every /v1/ path, the views that show sessions or client addresses).
type Credentials struct {
	// TLS is the configuration for https:// members: the roots that verify
	// the member, and the client certificate (the operator's identity, see
	// certs.OperatorClient).
	TLS *tls.Config
	// Token is sent as a bearer token: the member's admin.tokenFile, for
	// development without certificates.
	Token string
}

// HTTPClient returns an HTTP client that presents c.TLS, with its own
// connection pool.
func (c Credentials) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = c.TLS
	return &http.Client{Transport: tr}
}

// Client calls one member's admin API.
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// NewClient returns a client for baseURL ("https://host:port", or http://
// where the member has no certificates). hc carries the TLS configuration
// (Credentials.HTTPClient makes one); nil means creds.HTTPClient().
func NewClient(baseURL string, hc *http.Client, creds Credentials) *Client {
	if hc == nil {
		hc = creds.HTTPClient()
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc, token: creds.Token}
}

// Do sends an authenticated request for path (e.g. "/commands/cons"); the
// caller closes the response body.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.hc.Do(req)
}

func (e *Error) Error() string {
	if e.LeaderID != 0 {
		return fmt.Sprintf("%s: %s (leader: %d)", e.Code, e.Message, e.LeaderID)
	}
	return e.Code + ": " + e.Message
}

func (c *Client) call(ctx context.Context, method, path string, body any) (*Status, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	resp, err := c.Do(ctx, method, path, rd)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			return nil, &Error{Code: "HTTP" + fmt.Sprint(resp.StatusCode), Message: strings.TrimSpace(string(b))}
		}
		return nil, e
	}
	st := &Status{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("adminapi: %s %s: %w", method, path, err)
	}
	return st, nil
}

// Status returns the member's view of itself and of the configuration.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	return c.call(ctx, http.MethodGet, PathStatus, nil)
}

// AddLearner adds a non-voting member (leader only).
func (c *Client) AddLearner(ctx context.Context, r AddLearnerRequest) (*Status, error) {
	return c.call(ctx, http.MethodPost, PathMembers, r)
}

// Promote makes a caught-up learner a voter (leader only).
func (c *Client) Promote(ctx context.Context, id uint64) (*Status, error) {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("%s/%d/promote", PathMembers, id), nil)
}

// RemoveMember removes a member (leader only; refused without a quorum left).
func (c *Client) RemoveMember(ctx context.Context, id uint64) (*Status, error) {
	return c.call(ctx, http.MethodDelete, fmt.Sprintf("%s/%d", PathMembers, id), nil)
}

// TransferLeadership moves leadership to another voter (0: any caught-up one).
func (c *Client) TransferLeadership(ctx context.Context, to uint64) (*Status, error) {
	return c.call(ctx, http.MethodPost, PathTransfer, TransferLeadershipRequest{To: to})
}
