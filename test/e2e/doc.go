// Package e2e is the end-to-end suite (build tag e2e): the operator installed
// on a real cluster (KUBECONFIG; `make e2e` brings up the local one) runs
// ensembles that serve real client sessions through scaling, rolling
// upgrades, pod and volume loss and operator crashes. Every check asserts on
// what clients and servers observed.
//
// The suite runs on the host, its clients resolving pod names through the
// cluster's DNS (E2E_CLUSTER_DNS), or compiled into a pod in the cluster
// (hack/e2e-in-cluster.sh: in-cluster configuration, E2E_ROOT for the chart
// and config/), where the host cannot reach pods, as on kind.
package e2e
