package clients

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

func TestRealClients(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	opts := refzk.Options{TickTime: 2000, ExtendedTypes: true}
	servers := map[string]*refzk.Server{
		"zookeeper":  refzk.StartStandalone(t, opts),
		"zkensemble": refzk.StartOurs(t, refzk.BuildOurs(t), opts),
	}
	scripts := []struct {
		name string
		argv []string
		need string
	}{
		{"kazoo", []string{"/usr/bin/python3", "kazoo_check.py"}, "/usr/lib/python3/dist-packages/kazoo"},
		{"zkCli.sh", []string{"bash", "zkcli_check.sh"}, refzk.ZkCli},
		{"C client", []string{"bash", "cclient_check.sh"}, "/usr/lib/zookeeper/bin/cli_mt"},
	}
	for _, sc := range scripts {
		for _, name := range []string{"zookeeper", "zkensemble"} {
			srv := servers[name]
			t.Run(sc.name+" against "+name, func(t *testing.T) {
				if _, err := os.Stat(sc.need); err != nil {
					t.Fatalf("%s is not installed (run hack/install-deps.sh): %v", sc.need, err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, sc.argv[0], append(sc.argv[1:], srv.Addr)...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				t.Logf("%s", out)
			})
		}
	}
}
