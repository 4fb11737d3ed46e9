// Package locale keeps Fyne quiet under the C locale. Debian's default
// locale in containers, cron jobs and systemd services is C.UTF-8, which
// Fyne's translations cannot parse: every run of the console, even
// `lanyard report` from cron, printed three "Fyne error: Error parsing
// user locale C" lines on standard error. Under C (or POSIX) with an
// encoding, and no LANGUAGE set, this package sets LANGUAGE=en before
// Fyne reads the locale: the C locale's language is English anyway.
//
// It must initialise before fyne.io/fyne/v2/lang, which reads the locale
// in its own init. Go initialises packages in import-path order as soon
// as their imports are, and lang waits for github.com/nicksnyder/go-i18n,
// which sorts after this package; main imports it for that, and a test
// of the real binary checks that the lines are gone.
package locale

import (
	"os"
	"strings"
)

func init() { quietC(os.Getenv, os.Setenv) }

// quietC sets LANGUAGE=en when the locale in effect for messages is C or
// POSIX with an encoding (C.UTF-8) and LANGUAGE is empty.
func quietC(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		loc := getenv(v)
		if loc == "" {
			continue
		}
		if strings.HasPrefix(loc, "C.") || strings.HasPrefix(loc, "POSIX.") {
			_ = setenv("LANGUAGE", "en")
		}
		return
	}
}
