package ensemble

import (
	"os"
	"testing"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
)

// BenchmarkFdatasync measures what one durable append costs on the disk that
// holds ZKE_FSYNC_DIR (default: the test's temp dir; point it at the data
// directory's filesystem, not a tmpfs): a 4 KiB write followed by fdatasync,
// into a segment preallocated with fallocate (etcd's WAL), into one filled
// with zeros beforehand (ZooKeeper's log), and at the end of a growing file.
// Run: ZKE_FSYNC_DIR=/var/tmp go test -run '^$' -bench Fdatasync -benchtime 2000x ./pkg/ensemble/
func BenchmarkFdatasync(b *testing.B) {
	const segment = 64 << 20
	block := make([]byte, 4096)
	for i := range block {
		block[i] = byte(i)
	}
	cases := []struct {
		name    string
		prepare func(f *os.File) error
	}{
		{"fallocated", func(f *os.File) error { return fileutil.Preallocate(f, segment, true) }},
		{"zero-filled", func(f *os.File) error {
			zeros := make([]byte, 1<<20)
			for off := 0; off < segment; off += len(zeros) {
				if _, err := f.Write(zeros); err != nil {
					return err
				}
			}
			if err := f.Sync(); err != nil {
				return err
			}
			_, err := f.Seek(0, 0)
			return err
		}},
		{"extending", func(*os.File) error { return nil }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			dir := os.Getenv("ZKE_FSYNC_DIR")
			if dir == "" {
				dir = b.TempDir()
			}
			f, err := os.CreateTemp(dir, "fsync-bench-*")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = f.Close(); _ = os.Remove(f.Name()) })
			if err := tc.prepare(f); err != nil {
				b.Fatal(err)
			}
			if b.N*len(block) > segment {
				b.Fatalf("%d appends overrun the %d-byte segment: lower -benchtime", b.N, segment)
			}
			b.SetBytes(int64(len(block)))
			b.ResetTimer()
			for range b.N {
				if _, err := f.Write(block); err != nil {
					b.Fatal(err)
				}
				if err := fileutil.Fdatasync(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
