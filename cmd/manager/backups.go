package main

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/zkensemble/zkensemble/controllers"
)

// setupBackups registers the ZKBackup controller and the backup scheduler.
func setupBackups(mgr ctrl.Manager, serverImage, clusterDomain string) error {
	rec := mgr.GetEventRecorder("zkensemble-operator")
	if err := (&controllers.BackupReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: rec,
		ServerImage: serverImage, ClusterDomain: clusterDomain}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&controllers.ScheduleReconciler{Client: mgr.GetClient(), Recorder: rec}).SetupWithManager(mgr)
}
