package sasl

import (
	"errors"
	"fmt"
	"strings"
)

// DigestLoginModule is the login module ZooKeeper's DIGEST-MD5 users are
// given with.
const DigestLoginModule = "org.apache.zookeeper.server.auth.DigestLoginModule"

// ParseJAAS reads a JAAS login configuration (Java's ConfigFile syntax:
// Name { module flag key="value" ...; ...}; with // and /* */ comments) and
// returns the user_<name> options of section's entries. A section that is
// missing, or whose modules are not ZooKeeper's DigestLoginModule (Kerberos,
// say), is an error: this server authenticates DIGEST-MD5 only.
func ParseJAAS(src []byte, section string) (map[string]string, error) {
	toks, err := jaasTokens(string(src))
	if err != nil {
		return nil, err
	}
	p := &jaasParser{toks: toks}
	var users map[string]string
	for !p.done() {
		name, entries, err := p.section()
		if err != nil {
			return nil, err
		}
		if name != section {
			continue
		}
		if users != nil {
			return nil, fmt.Errorf("section %q is given twice", section)
		}
		users = map[string]string{}
		for _, e := range entries {
			if e.module != DigestLoginModule {
				return nil, fmt.Errorf("section %q: login module %s is not supported (only %s: DIGEST-MD5 users)", section, e.module, DigestLoginModule)
			}
			for k, v := range e.options {
				if name, ok := strings.CutPrefix(k, "user_"); ok && name != "" {
					users[name] = v
				}
			}
		}
	}
	if users == nil {
		return nil, fmt.Errorf("no section named %q", section)
	}
	return users, nil
}

type jaasToken struct {
	text   string
	quoted bool
}

func jaasTokens(s string) ([]jaasToken, error) {
	var out []jaasToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.HasPrefix(s[i:], "//") || c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, errors.New("unterminated comment")
			}
			i += end + 4
		case c == '{' || c == '}' || c == ';' || c == '=':
			out = append(out, jaasToken{text: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, errors.New("unterminated quoted string")
			}
			out = append(out, jaasToken{text: b.String(), quoted: true})
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\r\n{};=\"", rune(s[i])) {
				i++
			}
			out = append(out, jaasToken{text: s[start:i]})
		}
	}
	return out, nil
}

type jaasEntry struct {
	module  string
	options map[string]string
}

type jaasParser struct {
	toks []jaasToken
	i    int
}

func (p *jaasParser) done() bool { return p.i >= len(p.toks) }

func (p *jaasParser) next() (jaasToken, error) {
	if p.done() {
		return jaasToken{}, errors.New("unexpected end of file")
	}
	t := p.toks[p.i]
	p.i++
	return t, nil
}

func (p *jaasParser) expect(punct string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.quoted || t.text != punct {
		return fmt.Errorf("expected %q, found %q", punct, t.text)
	}
	return nil
}

func (p *jaasParser) word() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if !t.quoted && strings.ContainsAny(t.text, "{};=") {
		return "", fmt.Errorf("expected a name, found %q", t.text)
	}
	return t.text, nil
}

// section reads Name { entry; ... };
func (p *jaasParser) section() (string, []jaasEntry, error) {
	name, err := p.word()
	if err != nil {
		return "", nil, err
	}
	if err := p.expect("{"); err != nil {
		return "", nil, fmt.Errorf("section %q: %w", name, err)
	}
	var entries []jaasEntry
	for {
		if !p.done() && !p.toks[p.i].quoted && p.toks[p.i].text == "}" {
			p.i++
			break
		}
		e, err := p.entry()
		if err != nil {
			return "", nil, fmt.Errorf("section %q: %w", name, err)
		}
		entries = append(entries, e)
	}
	if err := p.expect(";"); err != nil {
		return "", nil, fmt.Errorf("section %q: %w", name, err)
	}
	return name, entries, nil
}

// entry reads module flag key=value ... ;
func (p *jaasParser) entry() (jaasEntry, error) {
	module, err := p.word()
	if err != nil {
		return jaasEntry{}, err
	}
	flag, err := p.word()
	if err != nil {
		return jaasEntry{}, err
	}
	switch strings.ToLower(flag) {
	case "required", "requisite", "sufficient", "optional":
	default:
		return jaasEntry{}, fmt.Errorf("module %s: %q is not a control flag (required, requisite, sufficient, optional)", module, flag)
	}
	e := jaasEntry{module: module, options: map[string]string{}}
	for {
		t, err := p.next()
		if err != nil {
			return jaasEntry{}, err
		}
		if !t.quoted && t.text == ";" {
			return e, nil
		}
		if err := p.expect("="); err != nil {
			return jaasEntry{}, fmt.Errorf("module %s option %q: %w", module, t.text, err)
		}
		v, err := p.word()
		if err != nil {
			return jaasEntry{}, err
		}
		e.options[t.text] = v
	}
}
