package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lanyard/lanyard/app"
)

// systemdUnitPath is where the agent's systemd unit is installed
// (kardianos' path for a system service).
func systemdUnitPath(name string) string { return "/etc/systemd/system/" + name + ".service" }

// errNoUnit means the service has no systemd unit to upgrade.
var errNoUnit = errors.New("no systemd unit")

// upgradeUnit rewrites the agent's systemd unit at path as this version
// writes it at install (restart policy, start limit, hardening), keeping
// what the installed service runs: the program and its data and log
// directories, log level and format and service name, read from the
// unit's ExecStart. systemd is then told to read it again. It returns the
// parameters kept and whether the file changed; errNoUnit when there is
// no unit at path. The file is replaced in one rename, so a failure leaves
// the old unit whole.
func upgradeUnit(ctx context.Context, run runner, path string) (svcParams, bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return svcParams{}, false, errNoUnit
	}
	if err != nil {
		return svcParams{}, false, err
	}
	words, err := unitExecStart(string(old))
	if err != nil {
		return svcParams{}, false, fmt.Errorf("%s: %w", path, err)
	}
	p, err := paramsFromRunArguments(words[1:])
	if err != nil {
		return svcParams{}, false, fmt.Errorf("%s: %w", path, err)
	}
	p.Executable = words[0]
	for _, s := range []string{p.Executable, p.DataDir, p.LogDir} {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return p, false, fmt.Errorf("%s: the unit runs %q with data directory %q and log directory %q: a unit cannot say control characters", path, p.Executable, p.DataDir, p.LogDir)
		}
	}
	unit := systemdUnit(p, p.Executable)
	if unit == string(old) {
		return p, false, nil
	}
	if err := replaceFile(path, []byte(unit), 0o644); err != nil {
		return p, false, err
	}
	if out, err := run(ctx, "systemctl", "daemon-reload"); err != nil {
		return p, true, fmt.Errorf("rewrote %s, but systemctl daemon-reload failed (%v: %s): systemd reads the new unit at the next daemon-reload or boot", path, err, strings.TrimSpace(out))
	}
	return p, true, nil
}

// replaceFile writes data to a new file beside path and renames it over
// path.
func replaceFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone after the rename; left by a failure
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// unitExecStart returns the words of a unit's ExecStart line, unquoted by
// systemd's rules as far as the units install wrote them: this version's
// (systemdQuote) and kardianos' (an unquoted path with \x20 for a space,
// arguments in double quotes).
func unitExecStart(unit string) ([]string, error) {
	for _, line := range strings.Split(unit, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		words, err := execStartWords(rest)
		if err != nil {
			return nil, fmt.Errorf("cannot read its ExecStart line: %w", err)
		}
		if len(words) < 2 || words[1] != "run" {
			return nil, fmt.Errorf("its ExecStart line does not run `lanyard-agent run`: %q", rest)
		}
		return words, nil
	}
	return nil, errors.New("it has no ExecStart line")
}

// execStartWords splits an ExecStart command line into the program and
// its arguments as systemd runs them: systemdWords, and in the arguments
// $$ is a $ (a single $ would name a variable).
func execStartWords(line string) ([]string, error) {
	words, err := systemdWords(line)
	for i := 1; i < len(words); i++ {
		words[i] = strings.ReplaceAll(words[i], "$$", "$")
	}
	return words, err
}

// systemdWords splits a unit setting into words as systemd does: %% is a
// % (specifiers come first), whitespace separates words, double quotes
// group them, and a backslash escapes the next character (\xHH is a
// byte).
func systemdWords(s string) ([]string, error) {
	s = strings.ReplaceAll(s, "%%", "%")
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == 'x' && i+2 < len(s) {
				if b, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					w.WriteByte(byte(b))
					i += 2
					break
				}
			}
			w.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
		case (c == ' ' || c == '\t') && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
			}
			inWord = false
			continue
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if quoted {
		return nil, errors.New("a quote is not closed")
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// paramsFromRunArguments reads back what svcParams.runArguments wrote.
// Arguments it does not know (an older version's) are dropped: the unit
// is rewritten with this version's.
func paramsFromRunArguments(args []string) (svcParams, error) {
	p := svcParams{Name: DefaultServiceName}
	value := func(i *int, arg, flag string) (string, bool) {
		if v, ok := strings.CutPrefix(arg, flag+"="); ok {
			return v, true
		}
		if arg == flag && *i+1 < len(args) {
			*i++
			return args[*i], true
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, ok := value(&i, a, "--data-dir"); ok {
			p.DataDir = v
		} else if v, ok := value(&i, a, "--log-dir"); ok {
			p.LogDir = v
		} else if v, ok := value(&i, a, "--log-level"); ok {
			p.LogLevel = v
		} else if v, ok := value(&i, a, "--service-name"); ok {
			p.Name = v
		} else if a == "--log-json" {
			p.LogJSON = true
		}
	}
	if p.DataDir == "" {
		return p, errors.New("its ExecStart line names no --data-dir: install the service afresh (lanyard-agent uninstall, then install)")
	}
	if p.LogDir == "" {
		p.LogDir = app.AgentLogDir(p.DataDir)
	}
	if err := validServiceName(p.Name); err != nil {
		return p, err
	}
	return p, nil
}
