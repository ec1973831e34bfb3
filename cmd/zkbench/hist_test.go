package main

import (
	"testing"
	"time"
)

func TestHistogramBucketsRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 123456, 1 << 40, 1<<62 + 12345} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("value %d: index %d out of range", v, i)
		}
		lo, hi := histBounds(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if v >= 128 && float64(hi-lo) > float64(v)/64 {
			t.Errorf("bucket of %d is %d wide, more than 1/64 of the value", v, hi-lo)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	uniform := func(n int) []time.Duration {
		var out []time.Duration
		for i := 1; i <= n; i++ {
			out = append(out, time.Duration(i)*time.Microsecond)
		}
		return out
	}
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one value", []time.Duration{3 * time.Millisecond}, 0.99, 3 * time.Millisecond},
		{"uniform p50", uniform(1000), 0.50, 500 * time.Microsecond},
		{"uniform p99", uniform(1000), 0.99, 990 * time.Microsecond},
		{"uniform p99.9", uniform(1000), 0.999, 999 * time.Microsecond},
		{"uniform max", uniform(1000), 1, 1000 * time.Microsecond},
		{"outlier p99.9 of 1000", append(repeat(time.Millisecond, 999), time.Second), 0.999, time.Millisecond},
		{"outlier max of 1000", append(repeat(time.Millisecond, 999), time.Second), 1, time.Second},
		{"tail p99", append(repeat(time.Millisecond, 980), repeat(50*time.Millisecond, 20)...), 0.99, 50 * time.Millisecond},
		{"small exact values", []time.Duration{1, 2, 3, 4}, 0.5, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistogram()
			for _, v := range tc.values {
				h.Record(v)
			}
			got := h.Quantile(tc.q)
			tol := float64(tc.want) / 64
			if diff := float64(got - tc.want); diff > tol || -diff > tol {
				t.Errorf("Quantile(%v) = %v, want %v ± %.0fns", tc.q, got, tc.want, tol)
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for i := 1; i <= 500; i++ {
		a.Record(time.Duration(i) * time.Microsecond)
		b.Record(time.Duration(i+500) * time.Microsecond)
	}
	a.Merge(b)
	a.Merge(NewHistogram())
	if a.Count() != 1000 {
		t.Fatalf("count %d", a.Count())
	}
	if got := a.Max(); got != time.Millisecond {
		t.Errorf("max %v", got)
	}
	if got, want := a.Mean(), 500500*time.Nanosecond; got != want {
		t.Errorf("mean %v, want %v", got, want)
	}
	if got := a.Quantile(0.5); got < 492*time.Microsecond || got > 508*time.Microsecond {
		t.Errorf("p50 %v", got)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}
