package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const mitText = `MIT License

Copyright (c) 2014 Jane Doe

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

// goroot is where this test's Go keeps its licence (BSD-3-Clause).
func goLicense(t *testing.T) string {
	t.Helper()
	dir, err := goroot()
	if err != nil {
		t.Skip(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "LICENSE"))
	if err != nil {
		t.Skipf("no Go LICENSE to test with: %v", err)
	}
	return string(text)
}

// module lays out a module directory from name → contents.
func module(t *testing.T, path string, files map[string]string) Module {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Module{Path: path, Version: "v1.0.0", Dir: dir, PackageDirs: []string{dir}}
}

// paragraphs reads a deb822 file: one map per paragraph, continuation
// lines joined to their field with "\n".
func paragraphs(t *testing.T, text string) []map[string]string {
	t.Helper()
	var out []map[string]string
	cur, last := map[string]string{}, ""
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case line == "":
			out = append(out, cur)
			cur, last = map[string]string{}, ""
		case strings.HasPrefix(line, " "):
			if last == "" {
				t.Fatalf("line %d continues no field: %q", i+1, line)
			}
			cur[last] += "\n" + strings.TrimPrefix(line, " ")
		default:
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("line %d is no field: %q", i+1, line)
			}
			if _, dup := cur[k]; dup {
				t.Fatalf("line %d repeats %s", i+1, k)
			}
			cur[k], last = v, k
		}
	}
	return append(out, cur)
}

func TestLicencesAreNamedTheWayDebianNamesThem(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"MIT is Expat", mitText, "Expat"},
		{"the Go licence", goLicense(t), "BSD-3-Clause"},
		{"a choice given by SPDX", "SPDX-License-Identifier: Unlicense OR MIT\n\nEither licence applies.\n\n" + mitText +
			"\nThis is free and unencumbered software released into the public domain.\n\nAnyone is free to copy, modify, publish, use, compile, sell, or\ndistribute this software, either in source code form or as a compiled\nbinary, for any purpose, commercial or non-commercial, and by any\nmeans.\n\nIn jurisdictions that recognize copyright laws, the author or authors\nof this software dedicate any and all copyright interest in the\nsoftware to the public domain. We make this dedication for the benefit\nof the public at large and to the detriment of our heirs and\nsuccessors. We intend this dedication to be an overt act of\nrelinquishment in perpetuity of all present and future rights to this\nsoftware under copyright law.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND,\nEXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF\nMERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.\nIN NO EVENT SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR\nOTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE,\nARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR\nOTHER DEALINGS IN THE SOFTWARE.\n\nFor more information, please refer to <https://unlicense.org>\n", "Unlicense or Expat"},
		{"a text that is no licence", "Do what you like, but be nice.\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify([]byte(tc.text)); got != tc.want {
				t.Errorf("classify = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCopyrightLinesAreTheHoldersNotTheLicenceClauses(t *testing.T) {
	text := `Copyright (c) 2014 Jane Doe
Copyright 2019-2021 The Example Authors. All rights reserved.
(c) You must retain, in the Source form of any Derivative Works that You distribute,
Copyright [yyyy] [name of copyright owner]
The above copyright notice and this permission notice shall be included
Copyright (c) 2014 Jane Doe
copyright notice, this list of conditions and the following disclaimer
© 2020 Someone Else
`
	got := copyrights([]string{"Copyright 2000 Already Seen"}, []byte(text))
	want := []string{"Copyright 2000 Already Seen", "Copyright (c) 2014 Jane Doe", "Copyright 2019-2021 The Example Authors. All rights reserved.", "© 2020 Someone Else"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("copyrights =\n  %q\nwant\n  %q", got, want)
	}
}

func TestValuesAreLaidOutAsDeb822(t *testing.T) {
	got := formatValue("Expat\nline one\n\n\tindented\n.\ntrailing   \n\n")
	want := "Expat\n line one\n .\n     indented\n .\n trailing"
	if got != want {
		t.Errorf("formatValue =\n%q\nwant\n%q", got, want)
	}
}

func TestEveryModuleGetsItsOwnParagraphWithItsLicenceText(t *testing.T) {
	mods := []Module{
		module(t, "example.com/mit", map[string]string{"LICENSE": mitText, "mit.go": "package mit"}),
		module(t, "example.com/fonts", map[string]string{
			"LICENSE":               goLicense(t),
			"fonts.go":              "package fonts",
			"data/LICENSE_Odd.txt":  "Copyright (c) 2003 by Odd Fonts, Inc.\nUse these fonts kindly.\n",
			"data/LICENSE.txt":      mitText,
			"data/font.ttf":         "",
			"cmd/tool/LICENSE":      mitText, // a package not linked: not listed
			"cmd/tool/main.go":      "package main",
			"testdata/LICENSE.fake": "nothing",
		}),
	}
	text, err := render(Project{Years: "2025-2026"}, mods)
	if err != nil {
		t.Fatal(err)
	}
	ps := paragraphs(t, text)
	if ps[0]["Format"] != formatURL {
		t.Errorf("the header paragraph is %v", ps[0])
	}
	own := ps[1]
	if own["Files"] != "*" || own["Copyright"] != "2025-2026 The Lanyard authors" || !strings.HasPrefix(own["License"], "proprietary\nAll rights reserved.") {
		t.Errorf("Lanyard's own paragraph: %v", own)
	}
	byFiles := map[string]map[string]string{}
	for _, p := range ps[2:] {
		if _, dup := byFiles[p["Files"]]; dup {
			t.Errorf("two paragraphs for %s: only the last would count", p["Files"])
		}
		byFiles[p["Files"]] = p
		for _, k := range []string{"Copyright", "License", "Comment"} {
			if p[k] == "" {
				t.Errorf("%s has no %s", p["Files"], k)
			}
		}
	}
	mit := byFiles["vendor/example.com/mit/*"]
	if mit["Copyright"] != "Copyright (c) 2014 Jane Doe" || !strings.HasPrefix(mit["License"], "Expat\nMIT License") || mit["Comment"] != "example.com/mit v1.0.0: LICENSE" {
		t.Errorf("example.com/mit: %v", mit)
	}
	if p := byFiles["vendor/example.com/fonts/*"]; !strings.HasPrefix(p["License"], "BSD-3-Clause\n") {
		t.Errorf("example.com/fonts: %v", p)
	}
	data := byFiles["vendor/example.com/fonts/data/*"]
	if !strings.HasPrefix(data["License"], "Expat and other-Odd\n") || !strings.Contains(data["License"], "Use these fonts kindly.") ||
		!strings.Contains(data["Copyright"], "Odd Fonts") || !strings.Contains(data["Copyright"], "Jane Doe") {
		t.Errorf("the data directory's licences: %v", data)
	}
	if len(byFiles) != 3 {
		t.Errorf("paragraphs for %d directories, want 3 (a package that is not linked has none): %v", len(byFiles), byFiles)
	}
}

func TestALicenceThatCannotBeToldStopsTheBuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		say   string
	}{
		{"no licence file", map[string]string{"a.go": "package a"}, "no LICENSE or COPYING file"},
		{"a licence file that is no licence", map[string]string{"a.go": "package a", "LICENSE": "Be nice.\n"}, "no licence licensecheck knows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(Project{Years: "2026"}, []Module{module(t, "example.com/a", tc.files)})
			if err == nil || !strings.Contains(err.Error(), "example.com/a v1.0.0") || !strings.Contains(err.Error(), tc.say) {
				t.Errorf("render = %v, want an error naming example.com/a and saying %q", err, tc.say)
			}
		})
	}
}

// The agent's real dependencies, from the module cache: every module it
// links has a paragraph, and the Go standard library too.
func TestTheAgentsCopyrightNamesEveryModuleItLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("asks the go command for the agent's dependencies")
	}
	out := filepath.Join(t.TempDir(), "copyright")
	var stderr bytes.Buffer
	if code := run([]string{"-o", out, "-years", "2026", "github.com/lanyard/lanyard/service/lanyard-agent"}, &stderr); code != 0 {
		t.Fatalf("copyright = %d: %s", code, stderr.String())
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}", "github.com/lanyard/lanyard/service/lanyard-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	list, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, p := range paragraphs(t, string(text)) {
		files[p["Files"]] = true
	}
	for _, mod := range append(strings.Fields(string(list)), "std") {
		if !files["vendor/"+mod+"/*"] {
			t.Errorf("no paragraph for %s", mod)
		}
	}
	for _, must := range []string{"github.com/kardianos/service", "go.etcd.io/bbolt", "github.com/spf13/cobra"} {
		if !files["vendor/"+must+"/*"] {
			t.Errorf("no paragraph for %s", must)
		}
	}
	if files["vendor/fyne.io/fyne/v2/*"] {
		t.Error("the agent's copyright lists Fyne, which it does not link")
	}
}

func TestRunNeedsAnOutputAndAPackage(t *testing.T) {
	for _, args := range [][]string{{}, {"-o", filepath.Join(t.TempDir(), "c")}, {"./..."}} {
		var stderr bytes.Buffer
		if code := run(args, &stderr); code != 2 {
			t.Errorf("run %q = %d, want 2", args, code)
		}
	}
}
