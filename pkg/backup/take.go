package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/zkensemble/zkensemble/pkg/adminapi"
)

// Taken is a backup that Take stored.
type Taken struct {
	Name     string
	Location string
	Manifest Manifest
	// Size is the archive's size in the store.
	Size int64
}

// Take fetches an archive from a member's backup endpoint and streams it
// into the store, checking it on the way: the upload is abandoned unless
// the archive is whole, its manifest agrees with the response's headers
// (and names ensemble, when not empty) and its snapshot has the size and
// checksum of the manifest.
func Take(ctx context.Context, member *adminapi.Client, store *Store, ensemble string) (Taken, error) {
	resp, err := member.Do(ctx, http.MethodGet, Path, nil)
	if err != nil {
		return Taken{}, fmt.Errorf("fetching a backup from the member: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return Taken{}, refusal(resp)
	}
	name := resp.Header.Get(HeaderName)
	info, ok := ParseName(name)
	switch {
	case !ok:
		return Taken{}, fmt.Errorf("the member named its backup %q, not <ensemble>-<time>-<zxid>", name)
	case ensemble != "" && info.Ensemble != ensemble:
		return Taken{}, fmt.Errorf("the member belongs to ensemble %q, not %q (check --admin-url and --ensemble-id)", info.Ensemble, ensemble)
	}
	pr, pw := io.Pipe()
	checked := make(chan Manifest, 1)
	go func() {
		m, err := check(resp, info, pw)
		checked <- m
		pw.CloseWithError(err)
	}()
	n, err := store.Put(ctx, name, pr)
	_ = pr.CloseWithError(errors.New("upload ended"))
	m := <-checked
	if err != nil {
		return Taken{}, err
	}
	return Taken{Name: name, Location: store.Location(name), Manifest: m, Size: n}, nil
}

// check reads the response's archive through to w, checking it.
func check(resp *http.Response, info Info, w io.Writer) (Manifest, error) {
	body := &counter{r: io.TeeReader(resp.Body, w)}
	ar, err := Open(body)
	if err != nil {
		return Manifest{}, err
	}
	m := ar.Manifest
	if Name(m.EnsembleID, m.Created, m.Zxid) != info.Name || resp.Header.Get(HeaderSHA256) != m.SnapshotSHA256 {
		return Manifest{}, corrupt("its manifest (%s, zxid %s) does not match the response's headers (%s)", m.EnsembleID, m.Zxid, info.Name)
	}
	if _, err := io.Copy(io.Discard, ar); err != nil {
		return Manifest{}, err
	}
	if _, err := io.Copy(io.Discard, body); err != nil { // the tar's end blocks
		return Manifest{}, truncated("end", err)
	}
	if resp.ContentLength >= 0 && body.n != resp.ContentLength {
		return Manifest{}, corrupt("%d bytes arrived of %d (truncated)", body.n, resp.ContentLength)
	}
	return m, nil
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// refusal is the error for a member's non-200 answer.
func refusal(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e adminapi.Error
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		msg = e.Code + ": " + e.Message
	}
	switch resp.StatusCode {
	case http.StatusServiceUnavailable:
		return fmt.Errorf("the member is not caught up with a quorum, so it cannot take a consistent backup now; retry, or point --admin-url at another member (%s)", msg)
	case http.StatusUnauthorized:
		return fmt.Errorf("the member asks for credentials: give --tls-cert/--tls-key/--tls-ca (the backup or operator certificate) or --token-file (%s)", msg)
	case http.StatusForbidden:
		return fmt.Errorf("the member refused the credentials: use a certificate naming zkensemble://<ensemble-id>/backup or the operator's, of this ensemble's CA, or its admin token (%s)", msg)
	case http.StatusNotFound:
		return fmt.Errorf("the member has no backup endpoint (%s): is --admin-url a zkensemble member's admin port, and the server new enough?", msg)
	}
	return fmt.Errorf("the member answered %s: %s", strconv.Itoa(resp.StatusCode)+" "+http.StatusText(resp.StatusCode), msg)
}
