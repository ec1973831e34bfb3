// Package podlayout is the one statement of the contract between the
// operator and a member pod: the ports a member listens on, where its volume
// and configuration are mounted, the files of its certificates, and the
// Secrets the operator keeps them in. The operator renders pods from it and
// the server's pod mode reads the same names, so the two cannot drift.
package podlayout
