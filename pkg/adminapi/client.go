package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client calls one member's admin API.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for baseURL ("http://host:port"); hc nil means http.DefaultClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: hc}
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
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
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
