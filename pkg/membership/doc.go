// Package membership decides the next safe step in changing an ensemble's
// membership, and carries out the steps that go through the ensemble's admin
// API. It owns the rules the operator follows: one step at a time, each one
// computed afresh from what is observed (the live configuration, the pods,
// the published server list and the desired size), so a controller that
// crashes between any two steps resumes where it was.
//
//	plan.go     Observation, Step and Plan: the pure decision
//	observe.go  Ensemble (how the members are reached) and reading every
//	            member's admin status into an Observation
//	execute.go  the admin-API steps (add learner, promote, remove, transfer)
//	recovery.go a majority lost for good (QuorumLoss) and the recovery the
//	            user asks for from a survivor (PlanRecovery)
package membership
