package main

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/licensecheck"
)

// Project is what the copyright file says about Lanyard's own files.
type Project struct {
	Years string // e.g. "2026" or "2025-2026"
}

const (
	formatURL   = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
	upstream    = "Lanyard"
	contact     = "Lanyard <lanyard@example.org>"
	source      = "https://github.com/lanyard/lanyard"
	ownLicense  = "proprietary"
	ownTerms    = "All rights reserved. Lanyard's own files are not published under a licence:\nno right to copy, modify or redistribute them is granted beyond what the\nlaw allows without one."
	minCoverage = 75 // percent of a licence file's words that must be a known licence
)

// commonLicenses are the licences every Debian system has in
// /usr/share/common-licenses: the copyright file points there rather than
// repeating the text.
var commonLicenses = map[string]string{
	"Apache-2.0": "Apache-2.0", "MPL-1.1": "MPL-1.1", "MPL-2.0": "MPL-2.0", "CC0-1.0": "CC0-1.0",
	"GPL-2.0": "GPL-2", "GPL-3.0": "GPL-3", "LGPL-2.1": "LGPL-2.1", "LGPL-3.0": "LGPL-3",
}

// debianName is the DEP-5 short name for an SPDX identifier: DEP-5 calls
// the MIT licence Expat.
func debianName(spdx string) string {
	if spdx == "MIT" {
		return "Expat"
	}
	return spdx
}

var spdxExpr = regexp.MustCompile(`(?m)SPDX-License-Identifier:\s*(.+?)\s*$`)

// classify names the licence in a licence file, as a DEP-5 expression
// ("BSD-3-Clause", "Unlicense or BSD-3-Clause"), or "" when it is not a
// licence licensecheck knows well enough.
func classify(text []byte) string {
	cov := licensecheck.Scan(text)
	var ids []string
	seen := map[string]bool{}
	for _, m := range cov.Match {
		if !m.IsURL && !seen[m.ID] {
			seen[m.ID] = true
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 || cov.Percent < minCoverage {
		return ""
	}
	// A file that offers a choice says so with an SPDX expression.
	if m := spdxExpr.FindSubmatch(text); m != nil && len(ids) > 1 {
		var names []string
		for _, id := range strings.Split(string(m[1]), " OR ") {
			names = append(names, debianName(strings.TrimSpace(id)))
		}
		return strings.Join(names, " or ")
	}
	for i, id := range ids {
		ids[i] = debianName(id)
	}
	return strings.Join(ids, " and ")
}

var (
	copyrightLine = regexp.MustCompile(`(?i)^(copyright\b|\(c\)|©)`)
	year          = regexp.MustCompile(`\b(19|20)\d\d\b`)
	notAHolder    = regexp.MustCompile(`(?i)notice|holder|owner|yyyy|license|licence`)
)

// copyrights adds the copyright statements in a licence file to have:
// lines that start like one and name a year (which leaves out licence
// clauses such as Apache's "(c) You must retain…").
func copyrights(have []string, text []byte) []string {
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if copyrightLine.MatchString(line) && year.MatchString(line) && !notAHolder.MatchString(line) && !slices.Contains(have, line) {
			have = append(have, line)
		}
	}
	return have
}

// otherName is the short name of a licence licensecheck does not know:
// the file's own name without its "LICENSE" and extension, e.g.
// LICENSE_DejaVu-Powerline.txt → other-DejaVu-Powerline.
func otherName(file string) string {
	base := strings.TrimSuffix(file, path.Ext(file))
	for _, p := range []string{"LICENSE", "LICENCE", "COPYING", "License", "license"} {
		base = strings.TrimPrefix(base, p)
	}
	base = strings.Trim(regexp.MustCompile(`[^A-Za-z0-9.+]+`).ReplaceAllString(base, "-"), "-")
	if base == "" {
		return "other"
	}
	return "other-" + base
}

// render writes the copyright file.
func render(p Project, mods []Module) (string, error) {
	var b strings.Builder
	writeHeader(&b, p)
	var unknown []string
	for _, m := range mods {
		files, err := licenseFiles(m)
		if err != nil {
			return "", fmt.Errorf("%s: %w", m.Path, err)
		}
		if len(files) == 0 {
			unknown = append(unknown, fmt.Sprintf("%s %s (no LICENSE or COPYING file in %s)", m.Path, m.Version, m.Dir))
			continue
		}
		unknown = append(unknown, writeModule(&b, m, files)...)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return "", fmt.Errorf("cannot tell the licence of:\n  %s\nfind the module's licence and make it recognisable before shipping it", strings.Join(unknown, "\n  "))
	}
	return b.String(), nil
}

// field writes one DEP-5 field.
func field(b *strings.Builder, name, value string) {
	fmt.Fprintf(b, "%s: %s\n", name, formatValue(value))
}

// writeHeader writes the header paragraph and the one for Lanyard's own
// files.
func writeHeader(b *strings.Builder, p Project) {
	field(b, "Format", formatURL)
	field(b, "Upstream-Name", upstream)
	field(b, "Upstream-Contact", contact)
	field(b, "Source", source)
	field(b, "Comment", "The programs in this package are built from Lanyard's source and link\n"+
		"the Go standard library and the Go modules listed below (Files:\n"+
		"vendor/MODULE/* names a module's source as `go mod vendor` lays it out).\n"+
		"Each module's copyright and licence are read from its own licence files\n"+
		"when the package is built.")
	b.WriteString("\n")
	field(b, "Files", "*")
	field(b, "Copyright", p.Years+" The Lanyard authors")
	field(b, "License", ownLicense+"\n"+ownTerms)
}

// writeModule writes m's paragraphs from its licence files (sorted by
// directory) and returns the files whose licence it cannot tell.
//
// One paragraph per directory: DEP-5 lets only the last paragraph that
// matches a file count, so the licences of one directory (a font's and
// another's) go into one paragraph, joined with "and", their texts one
// after the other.
func writeModule(b *strings.Builder, m Module, files []LicenseFile) (unknown []string) {
	for len(files) > 0 {
		n := 1
		for n < len(files) && files[n].Rel == files[0].Rel {
			n++
		}
		para, bad := readParagraph(m, files[:n])
		unknown = append(unknown, bad...)
		if len(para.names) > 0 {
			para.write(b, m, files[0].Rel)
		}
		files = files[n:]
	}
	return unknown
}

// paragraph is one directory's paragraph: its licences' names, holders,
// texts and the files they come from.
type paragraph struct {
	names, holders, texts, sources []string
}

// readParagraph reads the licence files of one directory of m (group, all
// with the same Rel), and returns those whose licence it cannot tell.
func readParagraph(m Module, group []LicenseFile) (para paragraph, unknown []string) {
	rel := group[0].Rel
	for _, f := range group {
		name := classify(f.Text)
		if name == "" {
			if rel == "." {
				unknown = append(unknown, fmt.Sprintf("%s %s (%s is no licence licensecheck knows)", m.Path, m.Version, f.Name))
				continue
			}
			// Bundled data (a font, say) under terms of its
			// own: named after its file, with its whole text.
			name = otherName(f.Name)
		}
		if !slices.Contains(para.names, name) {
			para.names = append(para.names, name)
		}
		para.holders = copyrights(para.holders, f.Text)
		src := path.Join(rel, f.Name)
		para.sources = append(para.sources, src)
		body := licenseBody(name, f.Text)
		if len(group) > 1 {
			body = "[" + src + "]\n\n" + body
		}
		if !slices.Contains(para.texts, body) {
			para.texts = append(para.texts, body)
		}
	}
	return para, unknown
}

// write writes the paragraph for m's files in directory rel.
func (para paragraph) write(b *strings.Builder, m Module, rel string) {
	holders := para.holders
	if len(holders) == 0 {
		holders = []string{"the authors of " + m.Path}
	}
	pattern := "vendor/" + m.Path + "/*"
	if rel != "." {
		pattern = "vendor/" + m.Path + "/" + rel + "/*"
	}
	b.WriteString("\n")
	field(b, "Files", pattern)
	field(b, "Copyright", strings.Join(holders, "\n"))
	field(b, "License", strings.Join(para.names, " and ")+"\n"+strings.Join(para.texts, "\n\n"))
	field(b, "Comment", fmt.Sprintf("%s %s: %s", m.Path, m.Version, strings.Join(para.sources, ", ")))
}

// licenseBody is the text under a License field: a pointer to
// /usr/share/common-licenses for a licence Debian ships, else the file's
// own text.
func licenseBody(name string, text []byte) string {
	if common, ok := commonLicenses[name]; ok {
		return fmt.Sprintf("On Debian systems, the complete text of this licence can be found in\n/usr/share/common-licenses/%s.", common)
	}
	return string(text)
}

// formatValue lays a field's value out as deb822 wants: the first line
// after the colon, every other line indented by one space, an empty line
// as " .", and no trailing blanks.
func formatValue(v string) string {
	v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\t", "    ")
	lines := strings.Split(strings.TrimRight(v, " \n"), "\n")
	for i := 1; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " ")
		if l == "" || l == "." {
			l = "."
		}
		lines[i] = " " + l
	}
	return strings.Join(lines, "\n")
}
