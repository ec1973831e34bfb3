package model

import (
	"math"
	"testing"

	"github.com/anishathalye/porcupine"
)

const never = math.MaxInt64 // the return time of an operation whose outcome is unknown

func op(client int, in, out any, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
}

func TestRegister(t *testing.T) {
	put := func(c int, k, v string, call, ret int64) porcupine.Operation {
		return op(c, RegInput{Key: k, Put: true, Value: v}, RegOutput{}, call, ret)
	}
	get := func(c int, k, v string, call, ret int64) porcupine.Operation {
		return op(c, RegInput{Key: k}, RegOutput{Value: v}, call, ret)
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"read of the initial value", []porcupine.Operation{get(0, "/a", RegisterInit, 0, 1)}, porcupine.Ok},
		{"read after an acknowledged put", []porcupine.Operation{put(0, "/a", "x", 0, 1), get(1, "/a", "x", 2, 3)}, porcupine.Ok},
		{"stale read after an acknowledged put", []porcupine.Operation{put(0, "/a", "x", 0, 1), get(1, "/a", RegisterInit, 2, 3)}, porcupine.Illegal},
		{"concurrent put may or may not be seen", []porcupine.Operation{put(0, "/a", "x", 0, 5), get(1, "/a", RegisterInit, 1, 2), get(1, "/a", "x", 3, 4)}, porcupine.Ok},
		{"unknown put seen later", []porcupine.Operation{put(0, "/a", "x", 0, never), get(1, "/a", RegisterInit, 1, 2), get(1, "/a", "x", 10, 11)}, porcupine.Ok},
		{"unknown put never seen", []porcupine.Operation{put(0, "/a", "x", 0, never), get(1, "/a", RegisterInit, 10, 11)}, porcupine.Ok},
		{"unknown put seen, then undone", []porcupine.Operation{put(0, "/a", "x", 0, never), get(1, "/a", "x", 1, 2), get(1, "/a", RegisterInit, 3, 4)}, porcupine.Illegal},
		{"keys are independent", []porcupine.Operation{put(0, "/a", "x", 0, 1), get(1, "/b", RegisterInit, 2, 3)}, porcupine.Ok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(Register, tc.ops); got != (tc.want == porcupine.Ok) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSeqCreate(t *testing.T) {
	seq := func(c int, parent string, n int64, call, ret int64) porcupine.Operation {
		return op(c, SeqInput{Parent: parent}, SeqOutput{N: n}, call, ret)
	}
	unknown := func(c int, parent string, call int64) porcupine.Operation {
		return op(c, SeqInput{Parent: parent}, SeqOutput{Unknown: true}, call, never)
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		ok   bool
	}{
		{"numbers in order", []porcupine.Operation{seq(0, "/s", 0, 0, 1), seq(1, "/s", 1, 2, 3)}, true},
		{"concurrent creates in either order", []porcupine.Operation{seq(0, "/s", 1, 0, 3), seq(1, "/s", 0, 1, 2)}, true},
		{"a duplicated number", []porcupine.Operation{seq(0, "/s", 0, 0, 1), seq(1, "/s", 0, 2, 3)}, false},
		{"a number given back in the past", []porcupine.Operation{seq(0, "/s", 1, 0, 1), seq(1, "/s", 0, 2, 3)}, false},
		{"a gap without an unknown create", []porcupine.Operation{seq(0, "/s", 0, 0, 1), seq(1, "/s", 2, 2, 3)}, false},
		{"a gap filled by an unknown create", []porcupine.Operation{seq(0, "/s", 0, 0, 1), unknown(2, "/s", 1), seq(1, "/s", 2, 2, 3)}, true},
		{"an unknown create that did not happen", []porcupine.Operation{unknown(2, "/s", 0), seq(0, "/s", 0, 1, 2), seq(1, "/s", 1, 3, 4)}, true},
		{"parents are independent", []porcupine.Operation{seq(0, "/s", 0, 0, 1), seq(1, "/t", 0, 2, 3)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(SeqCreate, tc.ops); got != tc.ok {
				t.Fatalf("linearizable = %v, want %v", got, tc.ok)
			}
		})
	}
}
