package model

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// SeqInput is a sequential create under Parent.
type SeqInput struct {
	Parent string
}

// SeqOutput is the sequence number the create was given; Unknown when the
// connection was lost before the reply.
type SeqOutput struct {
	N       int64
	Unknown bool
}

// SeqCreate models sequential creates under parents whose children are only
// ever created (never deleted): ZooKeeper numbers a sequential child with the
// parent's cversion, so in the linearization the creates under one parent
// are numbered 0, 1, 2, ... without gaps. A create whose outcome is unknown
// takes the next number if it happened; porcupine places it at the end of
// the history if it did not.
var SeqCreate = porcupine.Model{
	Partition: partitionBy(func(in any) string { return in.(SeqInput).Parent }),
	Init:      func() any { return int64(0) },
	Step: func(state, _, output any) (bool, any) {
		next := state.(int64)
		out := output.(SeqOutput)
		if out.Unknown {
			return true, next + 1
		}
		return out.N == next, next + 1
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		out := output.(SeqOutput)
		if out.Unknown {
			return fmt.Sprintf("create-seq(%s) → ?", input.(SeqInput).Parent)
		}
		return fmt.Sprintf("create-seq(%s) → %010d", input.(SeqInput).Parent, out.N)
	},
	DescribeState: func(state any) string { return fmt.Sprintf("next %d", state.(int64)) },
}
