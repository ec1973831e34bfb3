package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// testArchive is an archive of a made-up snapshot.
func testArchive(t testing.TB, snapshot []byte) ([]byte, Manifest) {
	t.Helper()
	sum := sha256.Sum256(snapshot)
	m := Manifest{EnsembleID: "ens-1", Member: 2, Zxid: 0x500000003, RaftIndex: 42, ServerVersion: "test",
		Created: time.Date(2026, 12, 7, 6, 30, 0, 0, time.UTC), SnapshotSize: int64(len(snapshot)), SnapshotSHA256: hex.EncodeToString(sum[:])}
	raw, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, raw, bytes.NewReader(snapshot), m.SnapshotSize, m.Created); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != ArchiveSize(int64(len(raw)), m.SnapshotSize) {
		t.Fatalf("archive of %d bytes, ArchiveSize says %d", buf.Len(), ArchiveSize(int64(len(raw)), m.SnapshotSize))
	}
	m.FormatVersion = FormatVersion
	return buf.Bytes(), m
}

func TestArchiveRoundTrip(t *testing.T) {
	snapshot := bytes.Repeat([]byte("snapshot bytes "), 10000)
	archive, want := testArchive(t, snapshot)
	var got bytes.Buffer
	m, err := Verify(bytes.NewReader(archive), &got)
	if err != nil {
		t.Fatal(err)
	}
	if m != want || !bytes.Equal(got.Bytes(), snapshot) {
		t.Fatalf("read back %+v and %d bytes, wrote %+v and %d", m, got.Len(), want, len(snapshot))
	}
	// tar reads it too.
	tr := tar.NewReader(bytes.NewReader(archive))
	for _, name := range []string{manifestFile, snapshotFile} {
		if h, err := tr.Next(); err != nil || h.Name != name {
			t.Fatalf("tar: %v %v, want %s", h, err, name)
		}
	}
}

func TestArchiveRefusesDamage(t *testing.T) {
	snapshot := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	archive, m := testArchive(t, snapshot)
	raw, _ := EncodeManifest(m)
	snapAt := 512 + (len(raw)+511)/512*512 + 512 // the snapshot's first byte
	flip := func(i int) []byte {
		b := bytes.Clone(archive)
		b[i] ^= 0x20
		return b
	}
	rewrite := func(edit func(*Manifest)) []byte {
		m2 := m
		edit(&m2)
		raw, err := EncodeManifest(m2)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, raw, bytes.NewReader(snapshot), int64(len(snapshot)), m.Created); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var extra bytes.Buffer
	tw := tar.NewWriter(&extra)
	_ = tw.WriteHeader(&tar.Header{Name: manifestFile, Size: int64(len(raw)), Mode: 0o600, Format: tar.FormatUSTAR})
	_, _ = tw.Write(raw)
	_ = tw.WriteHeader(&tar.Header{Name: snapshotFile, Size: int64(len(snapshot)), Mode: 0o600, Format: tar.FormatUSTAR})
	_, _ = tw.Write(snapshot)
	_ = tw.WriteHeader(&tar.Header{Name: "more", Size: 1, Mode: 0o600, Format: tar.FormatUSTAR})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "ends before its manifest.json"},
		{"not a tar", []byte(strings.Repeat("hello", 300)), "manifest.json"},
		{"cut in the manifest", archive[:600], "cut short"},
		{"cut in the snapshot", archive[:snapAt+1000], "truncated"},
		{"a snapshot byte altered", flip(snapAt + 5000), "SHA-256"},
		{"the last snapshot byte altered", flip(snapAt + len(snapshot) - 1), "SHA-256"},
		{"another checksum", rewrite(func(m *Manifest) { m.SnapshotSHA256 = strings.Repeat("ab", 32) }), "SHA-256"},
		{"a bad checksum", rewrite(func(m *Manifest) { m.SnapshotSHA256 = "nope" }), "not a SHA-256"},
		{"another size", rewrite(func(m *Manifest) { m.SnapshotSize++ }), "the manifest says"},
		{"a newer format", bytes.Replace(archive, []byte(`"formatVersion": 1`), []byte(`"formatVersion": 2`), 1), "format version 2"},
		{"no ensemble", rewrite(func(m *Manifest) { m.EnsembleID = "" }), "names no ensemble"},
		{"a file after the snapshot", extra.Bytes(), `"more" after its snapshot`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(bytes.NewReader(tc.b), io.Discard)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrCorrupt saying %q", err, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 30, 5, 0, time.FixedZone("CET", 3600))
	for _, ens := range []string{"ens", "0b9f6a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "my-ensemble"} {
		name := Name(ens, at, 0x500000003)
		info, ok := ParseName(name)
		if !ok || info.Ensemble != ens || !info.Time.Equal(at) || info.Zxid != 0x500000003 {
			t.Errorf("%s read back as %+v, %v", name, info, ok)
		}
	}
	if got := Name("e", at, 0x500000003); got != "e-20261207T053005Z-0000000500000003" {
		t.Errorf("name %s", got)
	}
	for _, name := range []string{"", "notes.txt", "e-20261207T053005Z-500000003", "e-2026-12-07-0000000500000003",
		"-20261207T053005Z-0000000500000003", "e-20261207T053005Z-000000050000000g", "e-20261207T053005Z-0000000500000003.tmp"} {
		if info, ok := ParseName(name); ok {
			t.Errorf("%q read as a backup: %+v", name, info)
		}
	}
}
