package x500

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func TestRFC2253(t *testing.T) {
	for _, tc := range []struct {
		name pkix.Name
		want string
	}{
		{pkix.Name{CommonName: "alice"}, "CN=alice"},
		{pkix.Name{Country: []string{"US"}, Organization: []string{"Example, Inc."}, OrganizationalUnit: []string{"dev"}, CommonName: "alice"},
			`CN=alice,OU=dev,O=Example\, Inc.,C=US`},
		{pkix.Name{CommonName: " #a+b=c<d>;\"e\\ "}, `CN=\ \#a\+b\=c\<d\>\;\"e\\\ `},
		{pkix.Name{SerialNumber: "42", CommonName: "x"}, "2.5.4.5=#13023432,CN=x"},
		{pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "example"}}}, "DC=example"},
	} {
		raw, err := asn1.Marshal(tc.name.ToRDNSequence())
		if err != nil {
			t.Fatal(err)
		}
		got, err := RFC2253(raw)
		if err != nil || got != tc.want {
			t.Errorf("%v: got %q (%v), want %q", tc.name, got, err, tc.want)
		}
		if !Valid(got) {
			t.Errorf("%q is not valid", got)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"":                          true,
		"CN=alice":                  true,
		"cn=alice, o=Example; c=US": true,
		"CN=a+OU=b":                 true,
		"OID.2.5.4.3=x":             true,
		"2.5.4.5=#13023432":         true,
		`CN="quoted, value"`:        true,
		`CN=a\,b`:                   true,
		"alice":                     false,
		"XX=alice":                  false,
		"CN=alice,":                 false,
		"2.5.4.5=#123":              false,
		`CN="open`:                  false,
		"CN=a<b":                    false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzRFC2253(f *testing.F) {
	raw, _ := asn1.Marshal(pkix.Name{CommonName: "a", Organization: []string{"b"}}.ToRDNSequence())
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = RFC2253(b) })
}

func FuzzValid(f *testing.F) {
	f.Add("CN=a,O=b")
	f.Fuzz(func(t *testing.T, s string) { _ = Valid(s) })
}
