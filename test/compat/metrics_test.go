package compat

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zkensemble/zkensemble/internal/refzk"
)

// TestMetricsMatchMntr runs one workload on Apache ZooKeeper 3.8 and on our
// server, then checks every key of ZooKeeper's mntr: either our /metrics
// has it under ZooKeeper's Prometheus name (the key without "zk_"), of
// ZooKeeper's type and with a value in the same range, or notExported
// (metrics_table_test.go) says why we do not serve it. A new mntr key, a
// renamed metric or a value out of range fails the test.
func TestMetricsMatchMntr(t *testing.T) {
	if err := refzk.Available(); err != nil {
		t.Skip(err)
	}
	opts := refzk.Options{TickTime: 2000}
	ref := refzk.StartStandalone(t, opts)
	ours := refzk.StartOurs(t, refzk.BuildOurs(t), opts)
	sessions := metricsWorkload(t, ref.Addr)
	if n := metricsWorkload(t, ours.Addr); n != sessions {
		t.Fatalf("workload opened %d sessions on ZooKeeper, %d on ours", sessions, n)
	}
	mntr := parseMntr(t, fourLetter(ref, "mntr"))
	got := scrape(t, ours.AdminURL()+"/metrics")
	w := workloadFigures{sessions: sessions}

	var keys []string
	for k := range mntr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		want := mntr[key]
		c, ok := comparisons[key]
		if !ok {
			if reason, skip := notExportedReason(key); skip {
				t.Logf("%-45s not exported: %s", key, reason)
			} else {
				t.Errorf("mntr key %s (%s) is neither compared nor listed as not exported", key, want)
			}
			continue
		}
		name, have, err := c.read(got, key)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		wantF, err := strconv.ParseFloat(want, 64)
		if err != nil {
			t.Errorf("%s: ZooKeeper's value %q is not a number", key, want)
			continue
		}
		if err := c.check(wantF, have, w); err != nil {
			t.Errorf("%s → %s: ZooKeeper %v, ours %v: %v", key, name, wantF, have, err)
			continue
		}
		t.Logf("%-45s %-32s ZooKeeper %-10v ours %v", key, name, wantF, have)
	}
}

// metricsWorkload runs the same requests on addr: three sessions, creates,
// sets and gets, data watches left registered, exists watches on missing
// paths and ephemerals. The sessions stay open (the Cleanup closes them).
func metricsWorkload(t *testing.T, addr string) int {
	t.Helper()
	const sessions = 3
	var conns []*zk.Conn
	for i := 0; i < sessions; i++ {
		c, _, err := zk.Connect([]string{addr}, 30*time.Second, zk.WithLogger(quietLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		conns = append(conns, c)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	acl := zk.WorldACL(zk.PermAll)
	_, err := conns[0].Create("/w", nil, 0, acl)
	must(err)
	for i := 0; i < workCreates; i++ {
		_, err := conns[0].Create(fmt.Sprintf("/w/n%03d", i), []byte("0123456789abcdef"), 0, acl)
		must(err)
	}
	for i := 0; i < workSets; i++ {
		_, err := conns[1].Set(fmt.Sprintf("/w/n%03d", i), []byte("fedcba9876543210-"), -1)
		must(err)
	}
	for i := 0; i < workGets; i++ {
		_, _, err := conns[2].Get(fmt.Sprintf("/w/n%03d", i%workCreates))
		must(err)
	}
	for i := 0; i < workDataWatches; i++ {
		_, _, _, err := conns[1].GetW(fmt.Sprintf("/w/n%03d", i))
		must(err)
	}
	for i := 0; i < workExistsWatches; i++ {
		_, _, _, err := conns[2].ExistsW(fmt.Sprintf("/missing/%d", i))
		must(err)
	}
	for i := 0; i < workEphemerals; i++ {
		_, err := conns[2].Create(fmt.Sprintf("/w/e%d", i), []byte("x"), zk.FlagEphemeral, acl)
		must(err)
	}
	// The last request is the same on both: its reply size is
	// last_client_response_size.
	_, _, err = conns[0].Get("/w/n000")
	must(err)
	return sessions
}

const (
	workCreates       = 200
	workSets          = 100
	workGets          = 200
	workDataWatches   = 20
	workExistsWatches = 10
	workEphemerals    = 5
)

// workloadFigures are what the checks may need to know of the workload.
type workloadFigures struct{ sessions int }

func parseMntr(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(k, "zk_") {
			t.Fatalf("mntr line %q is not zk_KEY<TAB>VALUE", line)
		}
		m[strings.TrimPrefix(k, "zk_")] = v
	}
	if len(m) < 20 {
		t.Fatalf("mntr printed only %d keys:\n%s", len(m), out)
	}
	return m
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return mfs
}

// comparison reads one mntr key's quantity from our metrics and checks it.
type comparison struct {
	read  func(mfs map[string]*dto.MetricFamily, key string) (name string, v float64, err error)
	check func(want, have float64, w workloadFigures) error
}

// gauge and counter read the metric named as the key, of that type.
func gauge(check func(want, have float64, w workloadFigures) error) comparison {
	return comparison{read: single(dto.MetricType_GAUGE), check: check}
}

func counter(check func(want, have float64, w workloadFigures) error) comparison {
	return comparison{read: single(dto.MetricType_COUNTER), check: check}
}

func single(typ dto.MetricType) func(map[string]*dto.MetricFamily, string) (string, float64, error) {
	return func(mfs map[string]*dto.MetricFamily, key string) (string, float64, error) {
		mf, err := family(mfs, key, typ)
		if err != nil {
			return key, 0, err
		}
		m := mf.GetMetric()[0]
		if typ == dto.MetricType_COUNTER {
			return key, m.GetCounter().GetValue(), nil
		}
		return key, m.GetGauge().GetValue(), nil
	}
}

func family(mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType) (*dto.MetricFamily, error) {
	mf, ok := mfs[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("our /metrics has no %s", name)
	case mf.GetType() != typ:
		return nil, fmt.Errorf("%s is a %s, ZooKeeper's is a %s", name, mf.GetType(), typ)
	case len(mf.GetMetric()) != 1:
		return nil, fmt.Errorf("%s has %d series, want 1", name, len(mf.GetMetric()))
	}
	return mf, nil
}

// summaryPart reads mntr's cnt_/sum_/avg_/min_/max_/pNN_ keys of a
// ZooKeeper summary from our summary of the same name: cnt and sum are its
// _count and _sum, avg is sum/count, p50 and p99 its quantiles; min and max
// are not in a Prometheus summary (listed as not exported).
func summaryPart(mfs map[string]*dto.MetricFamily, key string) (string, float64, error) {
	part, name, _ := strings.Cut(key, "_")
	mf, err := family(mfs, name, dto.MetricType_SUMMARY)
	if err != nil {
		return name, 0, err
	}
	s := mf.GetMetric()[0].GetSummary()
	switch part {
	case "cnt":
		return name + "_count", float64(s.GetSampleCount()), nil
	case "sum":
		return name + "_sum", s.GetSampleSum(), nil
	case "avg":
		if s.GetSampleCount() == 0 {
			return name + "_sum/_count", 0, nil
		}
		return name + "_sum/_count", s.GetSampleSum() / float64(s.GetSampleCount()), nil
	}
	q := map[string]float64{"p50": 0.5, "p99": 0.99}[part]
	for _, qv := range s.GetQuantile() {
		if qv.GetQuantile() == q && q != 0 {
			v := qv.GetValue()
			if math.IsNaN(v) {
				v = 0
			}
			return fmt.Sprintf("%s{quantile=%q}", name, strconv.FormatFloat(q, 'f', -1, 64)), v, nil
		}
	}
	return name, 0, fmt.Errorf("our summary %s has no quantile for %s", name, part)
}

func summary(check func(want, have float64, w workloadFigures) error) comparison {
	return comparison{read: summaryPart, check: check}
}
