// Package reloadfile holds a value parsed from a file and parses the file
// again when it changes (its inode, size or modification time: a Kubernetes
// Secret volume swaps a symlink, an editor renames a new file into place),
// so trust bundles, tokens and user lists rotate without a restart. It is
// read on use, not watched: a change takes effect at the next use, and a
// file nobody uses costs nothing.
package reloadfile
