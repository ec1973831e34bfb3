// Command chartdoc writes the values table of a Helm chart's README from its
// values.yaml: one row per leaf value (its dotted key, type, default and the
// comment above it, or above the nearest parent with one), between the
// README's "<!-- values:start -->" and "<!-- values:end -->" lines.
//
//	go run ./hack/chartdoc charts/zkensemble-operator          rewrite README.md
//	go run ./hack/chartdoc -check charts/zkensemble-operator   fail if it is out of date
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

const (
	startMarker = "<!-- values:start -->"
	endMarker   = "<!-- values:end -->"
)

func main() {
	check := flag.Bool("check", false, "only check that README.md is up to date")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: chartdoc [-check] CHART_DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *check); err != nil {
		fmt.Fprintln(os.Stderr, "chartdoc:", err)
		os.Exit(1)
	}
}

func run(chart string, check bool) error {
	values, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		return err
	}
	table, err := valuesTable(values)
	if err != nil {
		return err
	}
	readmePath := filepath.Join(chart, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	updated, err := replaceTable(readme, table)
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	if bytes.Equal(updated, readme) {
		return nil
	}
	if check {
		return fmt.Errorf("%s: the values table is out of date: run go run ./hack/chartdoc %s", readmePath, chart)
	}
	return os.WriteFile(readmePath, updated, 0o644)
}

// replaceTable puts table between the markers of readme.
func replaceTable(readme, table []byte) ([]byte, error) {
	before, rest, ok := bytes.Cut(readme, []byte(startMarker))
	if !ok {
		return nil, fmt.Errorf("no %s line", startMarker)
	}
	_, after, ok := bytes.Cut(rest, []byte(endMarker))
	if !ok {
		return nil, fmt.Errorf("no %s line after %s", endMarker, startMarker)
	}
	var b bytes.Buffer
	b.Write(before)
	b.WriteString(startMarker + "\n")
	b.Write(table)
	b.WriteString(endMarker)
	b.Write(after)
	return b.Bytes(), nil
}

// row is one value of the table.
type row struct{ key, typ, def, desc string }

// valuesTable is the markdown table of every leaf of values.yaml, in file order.
func valuesTable(values []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("values.yaml is not a mapping")
	}
	var rows []row
	if err := walk(doc.Content[0], "", "", &rows); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", r.key, r.typ, cell(r.def), cell(r.desc))
	}
	return b.Bytes(), nil
}

// walk adds the leaves under mapping m (at prefix) to rows; desc is the
// nearest parent's comment.
func walk(m *yaml.Node, prefix, desc string, rows *[]row) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		d := comment(k.HeadComment)
		if d == "" {
			d = desc
		}
		if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			if err := walk(v, key, d, rows); err != nil {
				return err
			}
			continue
		}
		def, err := defaultOf(v)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		*rows = append(*rows, row{key: key, typ: typeOf(v), def: def, desc: d})
	}
	return nil
}

// comment is a head comment as one line of text.
func comment(c string) string {
	var parts []string
	for _, l := range strings.Split(c, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

func typeOf(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	switch v.Tag {
	case "!!bool":
		return "bool"
	case "!!int", "!!float":
		return "number"
	case "!!null":
		return "null"
	}
	return "string"
}

// defaultOf is the value as compact JSON.
func defaultOf(v *yaml.Node) (string, error) {
	var x any
	if err := v.Decode(&x); err != nil {
		return "", err
	}
	b, err := json.Marshal(x)
	return string(b), err
}

// cell escapes what would break a table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
