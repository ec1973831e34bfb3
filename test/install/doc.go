// Package install checks the two ways users install the operator, the Helm
// chart (charts/zkensemble-operator) and `kubectl apply -k config/default`:
// they render, lint strictly, and every object they hold is accepted by a
// real API server (server-side dry run against envtest).
package install
