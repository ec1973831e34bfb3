package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	zkv1 "github.com/zkensemble/zkensemble/api/v1alpha1"
	"github.com/zkensemble/zkensemble/pkg/podlayout"
)

// renderZooCfg is the static server configuration every member gets. The
// membership is not in it: members keep it in their replicated log, so a
// scale step never rewrites this file or rolls the pods.
func renderZooCfg(spec *zkv1.ZKEnsembleSpec) string {
	minT, maxT := spec.SessionTimeouts()
	kv := map[string]string{
		"dataDir":             podlayout.DataDir,
		"clientPort":          fmt.Sprint(podlayout.ClientPort),
		"admin.serverAddress": "0.0.0.0",
		"admin.serverPort":    fmt.Sprint(podlayout.AdminPort),
		"tickTime":            fmt.Sprint(spec.TickTime),
		"minSessionTimeout":   fmt.Sprint(minT),
		"maxSessionTimeout":   fmt.Sprint(maxT),
		"initLimit":           fmt.Sprint(orDefault(spec.InitLimit, 10)),
		"syncLimit":           fmt.Sprint(orDefault(spec.SyncLimit, 5)),
		"maxClientCnxns":      fmt.Sprint(orDefault(spec.MaxClientCnxns, 60)),
		// Members count snapshots the way ZooKeeper's purge task does.
		"autopurge.snapRetainCount": fmt.Sprint(orDefault(spec.SnapshotRetention, 3)),
		"4lw.commands.whitelist":    fourLetterWords(spec.FourLetterWords),
		"reconfigEnabled":           "false",
		// Probes and Prometheus read this plain port; the admin port speaks
		// HTTPS to the operator's certificate only.
		"metricsProvider.httpPort": fmt.Sprint(podlayout.ProbePort),
	}
	if spec.Storage.DataLog != nil {
		kv["dataLogDir"] = podlayout.DataLogDir // the transaction log (Raft WAL) on its own volume
	}
	if spec.ReadOnlyMode {
		kv["readonlymode.enabled"] = "true"
	}
	setClientSecurity(kv, spec)
	for k, v := range spec.ExtraConfig {
		if zkv1.ExtraConfigUsable(k, v) {
			kv[k] = v
		}
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Rendered by the zkensemble operator; edits are overwritten.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, kv[k])
	}
	return b.String()
}

func fourLetterWords(words []string) string {
	if len(words) == 0 {
		// What the operator, probes and people use, without the words that
		// print session ids or client addresses (cons, stat, dump, wchc,
		// wchp): anyone who reaches the client port reads these.
		return "srvr,ruok,mntr,conf,envi,wchs,dirs,isro"
	}
	return strings.Join(words, ",")
}

func orDefault(p *int32, d int32) int32 {
	if p == nil {
		return d
	}
	return *p
}

// configHash identifies a rendering; it goes on the pod template so a change
// rolls the pods (one at a time, by the controller).
func configHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
