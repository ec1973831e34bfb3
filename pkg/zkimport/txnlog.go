package zkimport

import (
	"errors"
	"fmt"
	"hash/adler32"
	"io"
)

// logReader iterates the records of one log file (FileTxnLog's
// FileTxnIterator): checksum, length-prefixed record, the byte 'B'. A zero
// length (preallocated space) or a record cut short ends the file, as
// ZooKeeper reads a torn tail; a record whose checksum does not match is an
// error, as it is for ZooKeeper.
type logReader struct {
	j    *juteReader
	name string
	// torn is set when the file ended inside a record.
	torn bool
}

func newLogReader(r io.Reader, size int64, name string, maxBuffer int) (*logReader, error) {
	j := newJuteReader(r, size, maxBuffer)
	if err := readFileHeader(j, logMagic); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &logReader{j: j, name: name}, nil
}

// next returns the next record's bytes, or io.EOF at the end of the file.
func (l *logReader) next() ([]byte, error) {
	crc, err := l.j.int64()
	if errors.Is(err, errTruncated) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	n, err := l.j.length()
	switch {
	case errors.Is(err, errTruncated):
		l.torn = true
		return nil, io.EOF
	case err != nil:
		return nil, fmt.Errorf("%s: %w", l.name, err)
	case n <= 0:
		// Preallocated zeros (or a null buffer): the end of the log.
		if crc != 0 || n < 0 {
			l.torn = true
		}
		return nil, io.EOF
	}
	b := make([]byte, n)
	if err := l.j.full(b); err != nil {
		l.torn = true
		return nil, io.EOF
	}
	eor, err := l.j.byte1()
	if err != nil || eor != 'B' {
		// "Last transaction was partial."
		l.torn = true
		return nil, io.EOF
	}
	if sum := adler32.Checksum(b); int64(sum) != crc {
		return nil, fmt.Errorf("%s: record checksum mismatch (file %#x, computed %#x)", l.name, crc, sum)
	}
	return b, nil
}
