// Command cri-clean stops and removes every pod sandbox of a CRI runtime (what
// `crictl rmp -af` does; crictl is not available from the Go module proxy). The
// runtime then runs CNI DEL for each, which frees veths and IP leases.
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("endpoint", "unix:///run/localcluster/containerd.sock", "CRI endpoint")
	timeout := flag.Duration("timeout", 60*time.Second, "overall timeout")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	rt := runtime.NewRuntimeServiceClient(conn)
	resp, err := rt.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		log.Fatalf("list pod sandboxes: %v", err)
	}
	failed := 0
	for _, sb := range resp.Items {
		name := sb.GetMetadata().GetNamespace() + "/" + sb.GetMetadata().GetName()
		if _, err := rt.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			log.Printf("stop %s: %v", name, err)
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			log.Printf("remove %s: %v", name, err)
			failed++
			continue
		}
		log.Printf("removed sandbox %s", name)
	}
	if failed > 0 {
		log.Fatalf("%d sandboxes not removed", failed)
	}
}
