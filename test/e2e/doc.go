// Package e2e is the end-to-end suite (build tag e2e): the operator installed
// on a real cluster (KUBECONFIG; `make e2e` brings up the local one) runs
// ensembles that serve real client sessions through scaling, rolling
// upgrades, pod and volume loss and operator crashes. Every check asserts on
// what clients and servers observed.
package e2e
