package x500

import (
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
)

// keywords are the attribute types RFC 2253 output names (Java's AVAKeyword
// table, the rfc2253Compliant entries).
var keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// RFC2253 renders a DER-encoded Name (x509.Certificate.RawSubject) as
// X500Principal.getName() does.
func RFC2253(rawName []byte) (string, error) {
	var rdns []asn1.RawValue
	if rest, err := asn1.Unmarshal(rawName, &rdns); err != nil {
		return "", fmt.Errorf("x500: %w", err)
	} else if len(rest) > 0 {
		return "", fmt.Errorf("x500: trailing data after the name")
	}
	parts := make([]string, 0, len(rdns))
	for _, raw := range rdns {
		var set []atv
		if _, err := asn1.UnmarshalWithParams(raw.FullBytes, &set, "set"); err != nil {
			return "", fmt.Errorf("x500: %w", err)
		}
		avas := make([]string, 0, len(set))
		for _, a := range set {
			avas = append(avas, renderATV(a))
		}
		parts = append(parts, strings.Join(avas, "+"))
	}
	// Most specific (last) RDN first.
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ","), nil
}

func renderATV(a atv) string {
	oid := a.Type.String()
	kw, known := keywords[oid]
	s, isString := stringValue(a.Value)
	if !known || !isString {
		name := kw
		if !known {
			name = oid
		}
		return name + "=#" + hex.EncodeToString(a.Value.FullBytes)
	}
	return kw + "=" + escape(s)
}

// stringValue decodes the string types Java's AVA prints as text.
func stringValue(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagPrintableString, asn1.TagT61String, asn1.TagIA5String, asn1.TagUTF8String, 27 /* GeneralString */ :
		return string(v.Bytes), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString, UTF-32BE
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		var b strings.Builder
		for i := 0; i < len(v.Bytes); i += 4 {
			b.WriteRune(rune(uint32(v.Bytes[i])<<24 | uint32(v.Bytes[i+1])<<16 | uint32(v.Bytes[i+2])<<8 | uint32(v.Bytes[i+3])))
		}
		return b.String(), true
	}
	return "", false
}

// escape is AVA.toRFC2253String's: a backslash before each of ,=+<>#;"\
// and before leading and trailing spaces (and carriage returns).
func escape(s string) string {
	const escapees = ",=+<>#;\"\\"
	rs := []rune(s)
	lead := 0
	for lead < len(rs) && (rs[lead] == ' ' || rs[lead] == '\r') {
		lead++
	}
	trail := len(rs) - 1
	for trail >= 0 && (rs[trail] == ' ' || rs[trail] == '\r') {
		trail--
	}
	var b strings.Builder
	for i, r := range rs {
		if strings.ContainsRune(escapees, r) || i < lead || i > trail {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
