// Package certstest issues certificates of a throwaway CA into a test's
// temporary directory, for tests of packages that take certificate files
// (the member transport, the ensemble). Files are replaced atomically, as a
// Secret volume replaces them, so tests can rotate them under a reader.
package certstest
