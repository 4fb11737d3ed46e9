package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Module is one module linked into the programs: the Go standard library
// ("std") or a dependency, with the directories of the packages used
// from it.
type Module struct {
	Path, Version, Dir string
	PackageDirs        []string
}

type listTarget struct{ GOOS, GOARCH, CGO string }

// linkedModules asks the go command which modules the packages link for
// target: exactly those whose code ends up in the binaries.
func linkedModules(target listTarget, pkgs []string) ([]Module, error) {
	const format = `{{if .Standard}}std{{"\t"}}{{"\t"}}{{"\t"}}{{.Dir}}{{else if .Module}}{{if not .Module.Main}}` +
		`{{.Module.Path}}{{"\t"}}{{.Module.Version}}{{"\t"}}{{with .Module.Replace}}{{.Dir}}{{else}}{{.Module.Dir}}{{end}}{{"\t"}}{{.Dir}}{{end}}{{end}}`
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f", format}, pkgs...)...)
	cmd.Env = append(os.Environ(), "GOOS="+target.GOOS, "CGO_ENABLED="+target.CGO)
	if target.GOARCH != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+target.GOARCH)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %v\n%s", strings.Join(pkgs, " "), err, stderr.String())
	}
	byPath := map[string]*Module{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		m := byPath[f[0]]
		if m == nil {
			m = &Module{Path: f[0], Version: f[1], Dir: f[2]}
			if m.Path == "std" {
				m.Version = runtime.Version()
				if m.Dir, err = goroot(); err != nil {
					return nil, err
				}
			}
			byPath[f[0]] = m
		}
		if m.Path != "std" {
			m.PackageDirs = append(m.PackageDirs, f[3])
		}
	}
	mods := make([]Module, 0, len(byPath))
	for _, m := range byPath {
		if m.Dir == "" {
			return nil, fmt.Errorf("module %s %s is not in the module cache: run go mod download", m.Path, m.Version)
		}
		mods = append(mods, *m)
	}
	sort.Slice(mods, func(i, j int) bool {
		if (mods[i].Path == "std") != (mods[j].Path == "std") {
			return mods[i].Path == "std"
		}
		return mods[i].Path < mods[j].Path
	})
	return mods, nil
}

// goroot is the Go installation whose standard library is linked.
func goroot() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// LicenseFile is one licence file of a module, Rel to the module's root
// ("." for the root).
type LicenseFile struct {
	Rel, Name string
	Text      []byte
}

// isLicenseName says whether a file's name says it holds a licence.
func isLicenseName(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"license", "licence", "copying", "unlicense"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// licenseFiles finds m's licence files: in its root, in each directory a
// linked package comes from, and in the directories below those that
// hold data rather than Go packages (fonts, icons, C sources), which are
// built into the package beside them.
func licenseFiles(m Module) ([]LicenseFile, error) {
	dirs := map[string]bool{m.Dir: true}
	for _, d := range m.PackageDirs {
		dirs[d] = true
		_ = filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err != nil || !e.IsDir() || path == d {
				return nil
			}
			if e.Name() == "testdata" || strings.HasPrefix(e.Name(), ".") || hasGoFiles(path) {
				return filepath.SkipDir
			}
			dirs[path] = true
			return nil
		})
	}
	var files []LicenseFile
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !isLicenseName(e.Name()) {
				continue
			}
			text, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil {
				return nil, err
			}
			rel, err := filepath.Rel(m.Dir, d)
			if err != nil {
				return nil, err
			}
			files = append(files, LicenseFile{Rel: filepath.ToSlash(rel), Name: e.Name(), Text: text})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		if files[i].Rel != files[j].Rel {
			return files[i].Rel == "." || (files[j].Rel != "." && files[i].Rel < files[j].Rel)
		}
		return files[i].Name < files[j].Name
	})
	return files, nil
}

func hasGoFiles(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(matches) > 0
}
