package version

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version is set by the linker; see the package comment.
var Version = ""

// Get returns the stamped version, else the module version Go recorded
// (go install module@vX.Y.Z), else "dev".
func Get() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Print writes the line `--version` prints: the program, its version and the
// Go toolchain and platform it was built for.
func Print(w io.Writer, program string) {
	fmt.Fprintf(w, "%s %s (%s %s/%s)\n", program, Get(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
