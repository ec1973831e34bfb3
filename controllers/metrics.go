package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// stepsTotal counts the membership and rollout steps carried out, by action,
// next to controller-runtime's own reconcile metrics.
var stepsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "zkensemble_operator_steps_total",
	Help: "Steps the operator carried out on ensembles, by action.",
}, []string{"action"})

func init() { metrics.Registry.MustRegister(stepsTotal) }
