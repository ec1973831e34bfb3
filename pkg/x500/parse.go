package x500

import (
	"strings"
)

// javaKeywords are the attribute keywords X500Principal's parser knows
// (Java's AVAKeyword table), upper case.
var javaKeywords = map[string]bool{
	"CN": true, "C": true, "L": true, "S": true, "ST": true, "O": true, "OU": true, "T": true, "IP": true,
	"STREET": true, "DC": true, "DNQUALIFIER": true, "DNQ": true, "SURNAME": true, "GIVENNAME": true,
	"INITIALS": true, "GENERATION": true, "EMAIL": true, "EMAILADDRESS": true, "UID": true, "SERIALNUMBER": true,
}

// Valid reports whether X500Principal would parse s (RFC 2253 or RFC 1779:
// RDNs separated by , or ;, attributes of one RDN by +, a keyword or an OID,
// then = and a quoted, #hex or escaped value). The empty name is valid.
func Valid(s string) bool {
	p := parser{s: s}
	p.space()
	if p.end() {
		return true
	}
	for {
		if !p.ava() {
			return false
		}
		p.space()
		if p.end() {
			return true
		}
		switch p.s[p.i] {
		case ',', ';', '+':
			p.i++
			p.space()
			if p.end() {
				return false
			}
		default:
			return false
		}
	}
}

type parser struct {
	s string
	i int
}

func (p *parser) end() bool { return p.i >= len(p.s) }

func (p *parser) space() {
	for !p.end() && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\r' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) ava() bool {
	start := p.i
	for !p.end() && p.s[p.i] != '=' && p.s[p.i] != ',' && p.s[p.i] != '+' && p.s[p.i] != ';' {
		p.i++
	}
	if p.end() || p.s[p.i] != '=' {
		return false
	}
	if !validType(strings.TrimSpace(p.s[start:p.i])) {
		return false
	}
	p.i++
	p.space()
	return p.value()
}

func validType(t string) bool {
	if javaKeywords[strings.ToUpper(t)] {
		return true
	}
	if len(t) > 4 && strings.EqualFold(t[:4], "OID.") {
		t = t[4:]
	}
	arcs := strings.Split(t, ".")
	if len(arcs) < 2 {
		return false
	}
	for _, a := range arcs {
		if a == "" || strings.Trim(a, "0123456789") != "" {
			return false
		}
	}
	return true
}

func (p *parser) value() bool {
	if p.end() {
		return true // an empty value
	}
	switch p.s[p.i] {
	case '"':
		p.i++
		for !p.end() {
			switch p.s[p.i] {
			case '\\':
				p.i += 2
				continue
			case '"':
				p.i++
				return true
			}
			p.i++
		}
		return false
	case '#':
		p.i++
		start := p.i
		for !p.end() && strings.IndexByte("0123456789abcdefABCDEF", p.s[p.i]) >= 0 {
			p.i++
		}
		n := p.i - start
		return n > 0 && n%2 == 0
	}
	for !p.end() {
		switch p.s[p.i] {
		case '\\':
			if p.i+1 >= len(p.s) {
				return false
			}
			p.i += 2
		case ',', '+', ';':
			return true
		case '"', '<', '>':
			return false
		default:
			p.i++
		}
	}
	return true
}
