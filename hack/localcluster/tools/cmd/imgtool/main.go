// Command imgtool builds a one-layer container image from local files (static
// binaries, busybox-static) and writes it as a docker-archive tarball, which
// `ctr images import` and `kind load image-archive` both read. No registry and
// no Docker engine are involved.
//
//	imgtool -o out.tar -t localhost/app:v1 [-entrypoint /app] [-cmd arg]... [-env K=V]...
//	        [-dir /data]... [-link target=/path]... [-workdir /] [-user 65532] src=dst...
//
// Flags must come before the src=dst arguments (Go's flag package stops at the
// first positional argument).
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var tags, entrypoint, cmd, env, dirs, links multi
	out := flag.String("o", "", "output tarball (docker-archive)")
	workdir := flag.String("workdir", "/", "working directory")
	user := flag.String("user", "", "user (default root)")
	flag.Var(&tags, "t", "image reference, e.g. localhost/app:v1 (repeatable)")
	flag.Var(&entrypoint, "entrypoint", "entrypoint element (repeatable)")
	flag.Var(&cmd, "cmd", "cmd element (repeatable)")
	flag.Var(&env, "env", "KEY=VALUE (repeatable; PATH is set by default)")
	flag.Var(&dirs, "dir", "empty directory to create, mode 0777 for /tmp else 0755 (repeatable)")
	flag.Var(&links, "link", "target=/path: symlink /path -> target (repeatable)")
	flag.Parse()
	if *out == "" || len(tags) == 0 || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}

	files := map[string]string{} // dst -> src
	for _, a := range flag.Args() {
		src, dst, ok := strings.Cut(a, "=")
		if !ok || !path.IsAbs(dst) {
			log.Fatalf("argument %q: want src=/absolute/dst", a)
		}
		files[path.Clean(dst)] = src
	}
	layerTar, err := buildLayer(files, dirs, links)
	if err != nil {
		log.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		log.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		log.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = runtime.GOARCH
	cf.Config.Entrypoint = entrypoint
	cf.Config.Cmd = cmd
	cf.Config.WorkingDir = *workdir
	cf.Config.User = *user
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		log.Fatal(err)
	}

	refs := map[name.Reference]v1.Image{}
	for _, t := range tags {
		tag, err := name.NewTag(t)
		if err != nil {
			log.Fatalf("tag %q: %v", t, err)
		}
		refs[tag] = img
	}
	if err := tarball.MultiRefWriteToFile(*out, refs); err != nil {
		log.Fatal(err)
	}
	d, _ := img.Digest()
	fmt.Printf("%s %s (%d files)\n", *out, d, len(files))
}

// buildLayer returns an uncompressed tar with the files, empty directories and
// symlinks, every parent directory included, owned by root, with a fixed mtime.
func buildLayer(files map[string]string, dirs, links []string) ([]byte, error) {
	mtime := time.Unix(0, 0)
	entries := map[string]*tar.Header{}
	var addParents func(p string)
	addParents = func(p string) {
		dir := path.Dir(p)
		if dir == "/" || entries[dir] != nil {
			return
		}
		addParents(dir)
		entries[dir] = &tar.Header{Typeflag: tar.TypeDir, Name: dir[1:] + "/", Mode: 0o755, ModTime: mtime}
	}
	for _, d := range dirs {
		d = path.Clean(d)
		addParents(d)
		mode := int64(0o755)
		if d == "/tmp" {
			mode = 0o1777
		}
		entries[d] = &tar.Header{Typeflag: tar.TypeDir, Name: d[1:] + "/", Mode: mode, ModTime: mtime}
	}
	for _, l := range links {
		target, p, ok := strings.Cut(l, "=")
		if !ok || !path.IsAbs(p) {
			return nil, fmt.Errorf("-link %q: want target=/absolute/path", l)
		}
		p = path.Clean(p)
		addParents(p)
		entries[p] = &tar.Header{Typeflag: tar.TypeSymlink, Name: p[1:], Linkname: target, Mode: 0o777, ModTime: mtime}
	}
	for dst := range files {
		addParents(dst)
	}
	names := make([]string, 0, len(entries)+len(files))
	for p := range entries {
		names = append(names, p)
	}
	for p := range files {
		if entries[p] != nil {
			return nil, fmt.Errorf("%s given twice", p)
		}
		names = append(names, p)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range names {
		if h := entries[p]; h != nil {
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		data, err := os.ReadFile(files[p])
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(files[p])
		if err != nil {
			return nil, err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: p[1:], Mode: int64(st.Mode().Perm()), Size: int64(len(data)), ModTime: mtime}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
