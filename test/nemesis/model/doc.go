// Package model holds porcupine models of ZooKeeper semantics that tests
// check histories against: a set of registers (setData and linearizable
// getData) and sequential creates under one parent. Operations whose outcome
// is unknown (the connection was lost mid-request) are recorded with an
// infinite return time, so porcupine may place them anywhere after their call
// or, equivalently, not at all.
package model
