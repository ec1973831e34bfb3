// Command imgindex packages root file systems laid out for several platforms
// (hack/image-rootfs.sh, one directory per platform) as one multi-platform
// image: an OCI image index of one single-layer image per platform, written
// as an OCI layout tarball that `ctr images import`, `docker load` (with the
// containerd image store), skopeo and crane read. No registry and no Docker
// engine are involved.
//
//	imgindex -o out.tar -t docker.io/zkensemble/server:v1 [-entrypoint /x] [-user 65532:65532] \
//	         linux/amd64=DIR linux/arm64=DIR...
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var entrypoint multi
	out := flag.String("o", "", "output tarball (OCI layout)")
	tag := flag.String("t", "", "image reference, e.g. docker.io/zkensemble/server:v1")
	user := flag.String("user", "", "user (default root)")
	flag.Var(&entrypoint, "entrypoint", "entrypoint element (repeatable)")
	flag.Parse()
	if *out == "" || *tag == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		log.Fatalf("tag %q: %v", *tag, err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, a := range flag.Args() {
		plat, dir, ok := strings.Cut(a, "=")
		if !ok {
			log.Fatalf("argument %q: want os/arch[/variant]=DIR", a)
		}
		p, err := v1.ParsePlatform(plat)
		if err != nil {
			log.Fatalf("platform %q: %v", plat, err)
		}
		if p.Architecture == "arm64" && p.Variant == "" {
			p.Variant = "v8" // what registries and containerd normalize arm64 to
		}
		img, err := platformImage(dir, *p, entrypoint, *user)
		if err != nil {
			log.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	if err := writeLayoutTar(*out, idx, ref); err != nil {
		log.Fatal(err)
	}
	d, _ := idx.Digest()
	fmt.Printf("%s %s %s (%d platforms)\n", *out, ref, d, flag.NArg())
}

// platformImage is DIR as a one-layer OCI image for platform p.
func platformImage(dir string, p v1.Platform, entrypoint []string, user string) (v1.Image, error) {
	layerTar, err := tarDir(dir)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = entrypoint
	cf.Config.WorkingDir = "/"
	cf.Config.User = user
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return mutate.ConfigFile(img, cf)
}

// tarDir returns an uncompressed tar of everything under dir (files,
// directories, symlinks) as it is laid out, owned by root, with a fixed
// mtime, in name order: the same tree gives the same layer.
func tarDir(dir string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: time.Unix(0, 0), Mode: int64(fi.Mode().Perm())}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return nil, err
			}
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
		case fi.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
			if rel == "tmp" {
				h.Mode = 0o1777
			}
		case fi.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		default:
			return nil, fmt.Errorf("%s: not a file, directory or symlink", p)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), tw.Close()
}

// writeLayoutTar writes idx as an OCI layout (index.json naming it by ref,
// as containerd and the OCI spec annotate it) and tars the layout into out.
func writeLayoutTar(out string, idx v1.ImageIndex, ref name.Tag) error {
	dir, err := os.MkdirTemp("", "imgindex-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref.TagStr(),
		"io.containerd.image.name":          containerdName(ref),
	})); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		f.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// containerdName is ref as containerd names images: Docker Hub's registry
// as docker.io (go-containerregistry writes index.docker.io).
func containerdName(ref name.Tag) string {
	return strings.Replace(ref.Name(), name.DefaultRegistry+"/", "docker.io/", 1)
}
