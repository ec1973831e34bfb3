package sasl

import "testing"

func FuzzParseDirectives(f *testing.F) {
	f.Add([]byte(`charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="x",nc=00000001,cnonce="y",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=0123,qop=auth`))
	f.Add([]byte(`a="\"",,b=c`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDirectives(b)
		if err == nil && d == nil {
			t.Fatal("nil directives without an error")
		}
		// The server never panics on a response, whatever it holds.
		s := NewServer(mapUsers{"bob": "pw"})
		if _, err := s.Evaluate(nil); err != nil {
			t.Fatal(err)
		}
		_, _ = s.Evaluate(b)
		if s.Complete() {
			t.Fatal("a fuzzed response authenticated")
		}
	})
}

func FuzzParseJAAS(f *testing.F) {
	f.Add([]byte(jaasExample))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ParseJAAS(b, "Server") })
}
