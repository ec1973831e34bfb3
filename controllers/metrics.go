package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
)

// The operator's metrics, next to controller-runtime's own reconcile
// metrics on the manager's /metrics.
var (
	// stepsTotal counts the membership and rollout steps carried out, by action.
	stepsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zkensemble_operator_steps_total",
		Help: "Steps the operator carried out on ensembles, by action.",
	}, []string{"action"})
	// stepDuration times each step, failed ones included.
	stepDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "zkensemble_operator_step_duration_seconds",
		Help:    "Time a step took, by action and outcome (ok, error).",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
	}, []string{"action", "outcome"})
	ensembleLabels = []string{"namespace", "ensemble"}
	membersGauge   = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "zkensemble_operator_ensemble_ready_members",
		Help: "Member pods ready, by ensemble (status.readyMembers).",
	}, ensembleLabels)
	votersGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "zkensemble_operator_ensemble_voters",
		Help: "Voting members in the committed configuration, by ensemble (status.votingMembers).",
	}, ensembleLabels)
	availableGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "zkensemble_operator_ensemble_available",
		Help: "1 when a quorum of the ensemble's voters serves (the Available condition), else 0.",
	}, ensembleLabels)
)

func init() {
	metrics.Registry.MustRegister(stepsTotal, stepDuration, membersGauge, votersGauge, availableGauge)
}

// recordEnsemble sets the ensemble's gauges from the status a pass wrote.
func recordEnsemble(zke *zkv1.ZKEnsemble) {
	l := prometheus.Labels{"namespace": zke.Namespace, "ensemble": zke.Name}
	membersGauge.With(l).Set(float64(zke.Status.ReadyMembers))
	votersGauge.With(l).Set(float64(zke.Status.VotingMembers))
	available := 0.0
	if meta.IsStatusConditionTrue(zke.Status.Conditions, CondAvailable) {
		available = 1
	}
	availableGauge.With(l).Set(available)
}

// forgetEnsemble drops a deleted ensemble's series.
func forgetEnsemble(nn types.NamespacedName) {
	l := prometheus.Labels{"namespace": nn.Namespace, "ensemble": nn.Name}
	membersGauge.Delete(l)
	votersGauge.Delete(l)
	availableGauge.Delete(l)
}
