package model

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// RegInput is a register operation on one znode: a put (setData) of Value,
// or a get (sync + getData).
type RegInput struct {
	Key   string
	Put   bool
	Value string
}

// RegOutput is what a get returned (a put's output is empty).
type RegOutput struct {
	Value string
}

// RegisterInit is every register's value before the history starts.
const RegisterInit = "init"

// Register is a set of independent registers, one per znode: a put
// replaces the value, a get returns the last value put.
var Register = porcupine.Model{
	Partition: partitionBy(func(in any) string { return in.(RegInput).Key }),
	Init:      func() any { return RegisterInit },
	Step: func(state, input, output any) (bool, any) {
		in := input.(RegInput)
		if in.Put {
			return true, in.Value
		}
		return output.(RegOutput).Value == state.(string), state
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		in := input.(RegInput)
		if in.Put {
			return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
		}
		return fmt.Sprintf("get(%s) → %s", in.Key, output.(RegOutput).Value)
	},
	DescribeState: func(state any) string { return state.(string) },
}
