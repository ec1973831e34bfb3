package wire

import "encoding/binary"

// FourLetterWords lists the admin commands ZooKeeper accepts in place of the
// first frame of a connection.
var FourLetterWords = []string{
	"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr",
	"ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
}

var fourLetterCodes = func() map[int32]string {
	m := make(map[int32]string, len(FourLetterWords))
	for _, w := range FourLetterWords {
		m[int32(binary.BigEndian.Uint32([]byte(w)))] = w
	}
	return m
}()

// FourLetterWord recognises a first-frame length prefix that spells a known
// four-letter word. A real ConnectRequest length (44/45) never collides.
func FourLetterWord(length int32) (string, bool) {
	w, ok := fourLetterCodes[length]
	return w, ok
}
